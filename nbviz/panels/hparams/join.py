"""The HParams join: one row per run — its hyperparameters (``config=`` flattened with
dots, plus ``add_hparams`` / TensorBoard hparams-plugin records) and its metrics'
final / min / max / last-N-mean values.

torch's ``SummaryWriter.add_hparams`` writes its record into a stray child run
(``<log_dir>/<time>``). :func:`join_runs` attaches such a record to its parent run
when the parent has exactly one record-bearing child and no record of its own, so
the hyperparameters meet the parent's curves; the ``hparams_from`` column still
says which run the record came from. A parent with several such children (one
writer, ``add_hparams`` in a loop) keeps one row per child, as TensorBoard shows,
and so does a TensorFlow session (``HparamsRecord.session``), even a lone one.

>>> run = RunInput("lr=0.1", config={"opt": {"name": "adam", "lr": 0.1}})
>>> join_runs({"lr=0.1": run}, MetricTable()).loc[0, ["run", "opt.name", "opt.lr"]].tolist()
['lr=0.1', 'adam', 0.1]
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nbviz.panels.hparams.summaries import SUMMARIES, MetricSummary, MetricTable, summary_column

__all__ = ["HparamsRecord", "RunInput", "flatten_config", "hparam_kind", "join_runs",
           "parent_run"]

Scalar = bool | float | str | None


@dataclass
class HparamsRecord:
    """One hparams record (``add_hparams`` or the TensorBoard hparams plugin).

    ``session``: a TensorBoard session whose experiment (``hparams_config``) sits in a
    parent directory (TensorFlow's layout) — always a row of its own, never joined to the
    parent as torch's ``add_hparams`` sub-run is.
    """

    step: int
    wall_time: float
    hparams: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    session: bool = False


@dataclass
class RunInput:
    """What the join needs of one run: its ``config`` and its hparams records."""

    name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    records: list[HparamsRecord] = field(default_factory=list)


def _scalar(value: Any) -> Scalar:
    """A config leaf as a table value: bool, float, str, or None (missing)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, np.bool_):
        return bool(value)
    # lists / tuples (e.g. layer widths) are one categorical value, as W&B shows them
    return json.dumps(value, sort_keys=True, default=str)


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Scalar]:
    """Nested dicts flattened with dots; lists become their JSON text (one category).

    >>> flatten_config({"opt": {"name": "sgd", "lr": 0.1}, "layers": [64, 32], "bn": True})
    {'opt.name': 'sgd', 'opt.lr': 0.1, 'layers': '[64, 32]', 'bn': True}
    """
    out: dict[str, Scalar] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_config(value, prefix=f"{name}."))
        else:
            out[name] = _scalar(value)
    return out


def parent_run(name: str, names: set[str] | Mapping[str, Any], root: str | None) -> str | None:
    """The nearest run above ``name`` (by path), else the logdir's own run ``root``.

    >>> parent_run("exp/1712.5", {"exp", "exp/1712.5"}, None)
    'exp'
    >>> parent_run("1712.5", {"sweep", "1712.5"}, "sweep")
    'sweep'
    """
    parts = name.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = "/".join(parts[:cut])
        if candidate in names:
            return candidate
    if root is not None and root != name and root in names:
        return root
    return None


def hparam_kind(values: pd.Series) -> str:
    """``"bool"``, ``"numeric"`` or ``"categorical"`` for one hparam column."""
    if str(values.dtype) == "boolean" or values.dtype == bool:
        return "bool"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "numeric"
    return "categorical"


def _typed_column(values: list[Scalar]) -> pd.Series:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        boxed: list[Any] = list(values)
        return pd.Series(boxed, dtype="boolean")
    if all(isinstance(v, float) for v in present):
        return pd.Series(np.array([np.nan if v is None else v for v in values], np.float64))
    return pd.Series([None if v is None else (v if isinstance(v, str) else str(v))
                      for v in values], dtype=object)


def _latest(records: list[HparamsRecord]) -> HparamsRecord | None:
    return max(records, key=lambda r: (r.step, r.wall_time)) if records else None


def join_runs(runs: Mapping[str, RunInput], metrics: MetricTable, *,
              root: str | None = None) -> pd.DataFrame:
    """One row per run that has hyperparameters: ``run, hparams_from, step, wall_time``,
    the hparams (``df.attrs["hparams"]``, kinds in ``attrs["hparam_kinds"]``), then per
    metric tag the final value (column = tag, listed in ``attrs["metrics"]``), ``(min)``,
    ``(max)`` and ``(last-N mean)`` (``attrs["metric_summaries"]``);
    ``attrs["metric_tags"]`` maps every metric column to ``[tag, summary]``.

    ``metrics`` holds the scalar summaries of every run (``MetricTable``); ``root`` is
    the run written at the logdir itself (the parent of top-level runs), if any.
    """
    names = set(runs) | set(metrics.runs)
    with_records = sorted(n for n in runs if runs[n].records
                          and not any(r.session for r in runs[n].records))
    children: dict[str, list[str]] = {}
    for name in with_records:
        parent = parent_run(name, names, root)
        if parent is not None:
            children.setdefault(parent, []).append(name)
    attached: dict[str, str] = {}  # parent -> the child whose record it takes
    for parent, kids in children.items():
        own = runs.get(parent)
        if len(kids) == 1 and (own is None or not own.records):
            attached[parent] = kids[0]
    absorbed = set(attached.values())
    row_runs = sorted(
        n for n in names
        if n not in absorbed and (n in attached or (n in runs and (runs[n].records
                                                                   or runs[n].config)))
    )
    hparam_rows: list[dict[str, Scalar]] = []
    metric_rows: list[dict[str, MetricSummary]] = []
    declared_rows: list[dict[str, float]] = []
    meta_rows: list[tuple[str, str, float, float]] = []
    for name in row_runs:
        own = runs.get(name, RunInput(name))
        hparams: dict[str, Scalar] = dict(flatten_config(own.config))
        origins = ["config"] if own.config else []
        declared: dict[str, float] = {}
        summaries: dict[str, MetricSummary] = dict(metrics.runs.get(name, {}))
        wall = -math.inf
        for holder in (name, attached.get(name)):
            if holder is None:
                continue
            record = _latest(runs[holder].records) if holder in runs else None
            if holder != name:
                summaries.update(metrics.runs.get(holder, {}))
            if record is None:
                continue
            origins.append(holder)
            hparams.update({k: _scalar(v) for k, v in record.hparams.items()})
            declared.update({k: float(v) for k, v in record.metrics.items()
                             if not math.isnan(float(v))})
            wall = max(wall, record.wall_time)
        steps = [s.last_step for s in summaries.values() if not math.isnan(s.last_step)]
        walls = [s.last_wall_time for s in summaries.values()
                 if not math.isnan(s.last_wall_time)]
        wall = max([wall, *walls])
        hparam_rows.append(hparams)
        metric_rows.append(summaries)
        declared_rows.append(declared)
        meta_rows.append((name, "+".join(origins), max(steps) if steps else math.nan,
                          wall if math.isfinite(wall) else math.nan))
    hparam_names = list(dict.fromkeys(k for row in hparam_rows for k in row))
    tags = list(dict.fromkeys([*(t for row in metric_rows for t in row),
                               *(t for row in declared_rows for t in row)]))
    data: dict[str, Any] = {
        "run": pd.Series([m[0] for m in meta_rows], dtype=object),
        "hparams_from": pd.Series([m[1] for m in meta_rows], dtype=object),
        "step": pd.Series([m[2] for m in meta_rows], dtype=np.float64),
        "wall_time": pd.Series([m[3] for m in meta_rows], dtype=np.float64),
    }
    kinds: dict[str, str] = {}
    for hparam in hparam_names:
        data[hparam] = _typed_column([row.get(hparam) for row in hparam_rows])
        kinds[hparam] = hparam_kind(data[hparam])
    metric_columns: list[str] = []
    summary_columns: list[str] = []
    metric_tags: dict[str, list[str]] = {}
    for tag in tags:
        for summary in SUMMARIES:
            has_summary = any(tag in row for row in metric_rows)
            if summary != "final" and not has_summary:
                continue  # a declared metric without a curve: its final value only
            column = summary_column(tag, summary, metrics.last_n)
            if column in hparam_names or column in ("run", "hparams_from", "step", "wall_time"):
                column = f"{column} (metric)"
            values = np.array([
                declared.get(tag, row[tag].final if tag in row else math.nan)
                if summary == "final" else (row[tag].value(summary) if tag in row else math.nan)
                for row, declared in zip(metric_rows, declared_rows, strict=True)
            ], dtype=np.float64)
            data[column] = pd.Series(values, dtype=np.float64)
            (metric_columns if summary == "final" else summary_columns).append(column)
            metric_tags[column] = [tag, summary]
    frame = pd.DataFrame(data)
    frame.attrs["hparams"] = hparam_names
    frame.attrs["hparam_kinds"] = kinds
    frame.attrs["metrics"] = metric_columns
    frame.attrs["metric_summaries"] = summary_columns
    frame.attrs["metric_tags"] = metric_tags
    return frame
