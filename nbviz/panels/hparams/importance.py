"""Which hyperparameters matter: random-forest importance and correlation with a metric,
as W&B's parameter-importance panel shows them.

Importance is scikit-learn's ``RandomForestRegressor.feature_importances_`` (impurity
based, fixed ``random_state``) fitted on the design matrix of :func:`design_matrix`:
numeric hparams as they are (log10 for axes spanning decades would not change a
tree's splits), booleans as 0/1, categorical hparams as category codes in sorted
order; missing values stay NaN (scikit-learn's forests route them natively). Rows
whose metric is NaN/±Inf are left out. Correlation is Pearson's r between the
encoded hparam and the metric for numeric and boolean hparams, and the correlation
ratio η (0…1, unsigned) for categorical ones — the ``correlation_kind`` column says which.

>>> imp = hparam_importance(nbviz.read("sweep", kind="hparams"), "val/acc")  # doctest: +SKIP
>>> imp.head()                                                              # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nbviz._validate import describe
from nbviz.panels.hparams.join import hparam_kind

__all__ = ["FOREST", "SAMPLE", "THREADS", "design_matrix", "forest", "hparam_importance",
           "sklearn_missing_message"]

# Fixed forest settings (deterministic, the same for every sweep size): 32 trees of
# depth ≤ 10, half the hparams tried per split, each tree grown on a bootstrap sample of
# at most SAMPLE runs — so the cost stops growing with the sweep — on two threads
# (scikit-learn's trees release the GIL; the result does not depend on the thread count).
# 32 trees rank a known dependence exactly as 300 trees on every run do
# (tests/python/test_hparams_join.py); 10,000 runs × 25 hparams: benchmarks/hparams_scale.py.
SAMPLE = 500
FOREST: dict[str, Any] = {"n_estimators": 32, "max_depth": 10, "max_features": 0.5}
THREADS = 2


def sklearn_missing_message() -> str | None:
    """None when scikit-learn is importable, else what to install (shown in the panel)."""
    try:
        import sklearn.ensemble  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return ("parameter importance needs scikit-learn: pip install scikit-learn "
                "(correlations are shown without it)")
    return None


def _check_frame(frame: Any, metric: Any, hparams: Any, where: str) -> list[str]:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where}: 'frame' must be a DataFrame such as "
                        f"nbviz.read(logdir, kind='hparams'), got {describe(frame)}.")
    if not isinstance(metric, str) or metric not in frame.columns:
        known = [c for c in frame.attrs.get("metrics", []) if c in frame.columns][:8]
        known = known or [str(c) for c in frame.select_dtypes("number").columns][:8]
        raise ValueError(f"{where}: 'metric' must name a column of the table, got "
                         f"{metric!r}; metrics here: {', '.join(map(repr, known)) or 'none'}.")
    if not pd.api.types.is_numeric_dtype(frame[metric].dtype):
        raise TypeError(f"{where}: metric column {metric!r} must be numeric, got dtype "
                        f"{frame[metric].dtype}.")
    names = list(frame.attrs.get("hparams", [])) if hparams is None else hparams
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{where}: 'hparams' must be a list of column names, got "
                        f"{describe(hparams)}.")
    for name in names:
        if name not in frame.columns:
            raise ValueError(f"{where}: hparam {name!r} is not a column of the table; "
                             f"columns: {', '.join(map(repr, frame.columns[:12]))}.")
        if name == metric:
            raise ValueError(f"{where}: {name!r} is both the metric and an hparam.")
        if pd.api.types.is_numeric_dtype(frame[name].dtype) or str(frame[name].dtype) in (
                "boolean", "string", "category"):
            continue
        if pd.api.types.infer_dtype(frame[name], skipna=True) in (
                "string", "floating", "integer", "mixed-integer-float", "boolean", "empty"):
            continue  # the element-wise look below only for columns of unknown objects
        bad = frame[name].map(lambda v: isinstance(v, (list, dict, tuple, set, np.ndarray)))
        if bool(bad.any()):
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{where}: hparam {name!r} must hold scalars (number, bool, "
                             f"string), got {describe(frame[name].iloc[row])} in row {row}; "
                             "flatten it or turn it into a string first.")
    return list(names)


def design_matrix(frame: pd.DataFrame, hparams: Sequence[str]) -> np.ndarray:
    """float64 ``[runs, hparams]``: numbers as is, bools 0/1, categories as sorted codes,
    missing as NaN.

    >>> design_matrix(pd.DataFrame({"o": ["sgd", "adam", None], "b": [True, False, True]}),
    ...               ["o", "b"]).tolist()
    [[1.0, 1.0], [0.0, 0.0], [nan, 1.0]]
    """
    columns = []
    for name in hparams:
        series = frame[name]
        kind = hparam_kind(series)
        if kind == "numeric":
            columns.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
        elif kind == "bool":
            columns.append(series.astype("boolean").astype("Float64")
                           .to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            text = series.astype("string")  # missing (None / NaN) stays missing
            categories = sorted(text.dropna().unique().tolist())
            codes = pd.Categorical(text, categories=categories).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            columns.append(codes)
    if not columns:
        return np.empty((len(frame), 0), np.float64)
    return np.column_stack(columns)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~np.isnan(x)
    if ok.sum() < 3:
        return math.nan
    xs, ys = x[ok], y[ok]
    sx, sy = xs.std(), ys.std()
    if sx == 0 or sy == 0:
        return math.nan
    return float(((xs - xs.mean()) * (ys - ys.mean())).mean() / (sx * sy))


def _eta(codes: np.ndarray, y: np.ndarray) -> float:
    ok = ~np.isnan(codes)
    if ok.sum() < 3:
        return math.nan
    groups, ys = codes[ok].astype(np.int64), y[ok]
    total = ((ys - ys.mean()) ** 2).sum()
    if total == 0:
        return math.nan
    counts = np.bincount(groups)
    sums = np.bincount(groups, weights=ys)
    present = counts > 0
    means = sums[present] / counts[present]
    between = (counts[present] * (means - ys.mean()) ** 2).sum()
    return float(math.sqrt(between / total))


def hparam_importance(frame: pd.DataFrame, metric: str, hparams: Sequence[str] | None = None,
                      *, random_state: int = 0) -> pd.DataFrame:
    """Per hparam: ``importance`` (random forest, sums to 1; NaN without scikit-learn),
    ``correlation`` and ``correlation_kind`` ("pearson" or "eta"), sorted by importance.

    ``df.attrs["message"]`` says why importance is missing (no scikit-learn, < 3 runs
    with a finite metric). ``df.attrs["runs"]`` is the number of runs used.

    >>> df = nbviz.read("sweep", kind="hparams")                        # doctest: +SKIP
    >>> nbviz.hparam_importance(df, "val/acc")                          # doctest: +SKIP
    """
    where = "hparam_importance()"
    names = _check_frame(frame, metric, hparams, where)
    if isinstance(random_state, bool) or not isinstance(random_state, int):
        raise TypeError(f"{where}: 'random_state' must be an int, got {describe(random_state)}.")
    y_all = frame[metric].to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(y_all)
    x = design_matrix(frame, names)[keep]
    y = y_all[keep]
    kinds = [hparam_kind(frame[name]) for name in names]
    correlation = [(_eta(x[:, i], y) if kind == "categorical" else _pearson(x[:, i], y))
                   for i, kind in enumerate(kinds)]
    importance = np.full(len(names), np.nan)
    message = sklearn_missing_message()
    usable = [i for i in range(len(names)) if not np.isnan(x[:, i]).all()] if len(y) else []
    if message is None and (len(y) < 3 or not usable):
        message = (f"importance needs at least 3 runs with a finite {metric!r} and one "
                   f"hparam with values; {len(y)} run(s) have one")
    if message is None:
        importance[usable] = _forest_importance(x[:, usable], y, random_state)
    out = pd.DataFrame({
        "hparam": names, "importance": importance, "correlation": correlation,
        "correlation_kind": ["eta" if k == "categorical" else "pearson" for k in kinds],
    })
    out = out.sort_values("importance", ascending=False, kind="stable", na_position="last")
    out = out.reset_index(drop=True)
    out.attrs["message"] = message or ""
    out.attrs["runs"] = len(y)
    out.attrs["metric"] = metric
    return out


def forest(rows: int, random_state: int = 0) -> Any:
    """The (unfitted) ``RandomForestRegressor`` used for ``rows`` runs."""
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(random_state=random_state, n_jobs=THREADS,
                                 max_samples=SAMPLE if rows > SAMPLE else None, **FOREST)


def _forest_importance(x: np.ndarray, y: np.ndarray, random_state: int) -> np.ndarray:
    model = forest(len(y), random_state)
    model.fit(x, y)
    return np.asarray(model.feature_importances_, dtype=np.float64)
