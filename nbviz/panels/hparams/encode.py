"""The HParams table on the wire: one float64 column per axis, categories as codes.

>>> import pandas as pd
>>> frame = pd.DataFrame({"run": ["a", "b"], "opt": ["sgd", "adam"], "lr": [1e-4, 1e-1],
...                       "acc": [0.5, 0.9]})
>>> frame.attrs.update(hparams=["opt", "lr"], metrics=["acc"], metric_summaries=[],
...                    hparam_kinds={"opt": "categorical", "lr": "numeric"})
>>> infos, data = encode_table(frame)
>>> [(i["name"], i["kind"], i.get("categories")) for i in infos]
[('opt', 'categorical', ['adam', 'sgd']), ('lr', 'log', None), ('acc', 'numeric', None)]
>>> data.reshape(3, 2).tolist()
[[1.0, 0.0], [0.0001, 0.1], [0.5, 0.9]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nbviz._natural import natural_key

__all__ = ["LOG_RATIO", "axis_kind", "encode_table"]

LOG_RATIO = 100.0  # a positive numeric axis spanning ≥ 2 decades gets a log scale


def axis_kind(values: np.ndarray) -> str:
    """``"log"`` for positive values spanning ≥ 2 decades, else ``"numeric"``.

    >>> axis_kind(np.array([1e-4, 1e-2, np.nan])), axis_kind(np.array([32.0, 512.0]))
    ('log', 'numeric')
    """
    finite = values[np.isfinite(values)]
    if finite.size >= 2 and finite.min() > 0 and finite.max() / finite.min() >= LOG_RATIO:
        return "log"
    return "numeric"


def _range(values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None, None
    return float(finite.min()), float(finite.max())


def encode_table(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Axis infos (``name, role, kind, categories, min, max, summary``) and the values as
    one float64 array, column after column (``len(infos) × len(frame)``)."""
    kinds = frame.attrs.get("hparam_kinds", {})
    hparams = [h for h in frame.attrs.get("hparams", []) if h in frame.columns]
    metrics = [m for m in frame.attrs.get("metrics", []) if m in frame.columns]
    summaries = [m for m in frame.attrs.get("metric_summaries", []) if m in frame.columns]
    infos: list[dict[str, Any]] = []
    columns: list[np.ndarray] = []
    for name, role in ([(h, "hparam") for h in hparams] + [(m, "metric") for m in metrics]
                       + [(m, "summary") for m in summaries]):
        series = frame[name]
        kind = kinds.get(name, "numeric") if role == "hparam" else "numeric"
        info: dict[str, Any] = {"name": name, "role": role}
        if kind == "bool":
            values = series.astype("boolean").astype("Float64").to_numpy(
                dtype=np.float64, na_value=np.nan)
            info.update(kind="categorical", categories=["False", "True"])
        elif kind == "categorical":
            text = series.astype("string")  # missing (None / NaN) stays missing
            categories = sorted(text.dropna().unique().tolist(), key=natural_key)
            values = pd.Categorical(text, categories=categories).codes.astype(np.float64)
            values[values < 0] = np.nan
            info.update(kind="categorical", categories=categories)
        else:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            info["kind"] = axis_kind(values)
        info["min"], info["max"] = _range(values)
        infos.append(info)
        columns.append(values)
    if not columns:
        return infos, np.empty(0, np.float64)
    return infos, np.ascontiguousarray(np.concatenate(columns), dtype="<f8")
