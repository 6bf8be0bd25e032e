"""Gather what the HParams join needs — run configs, hparams records, metric summaries —
from a logdir, once (``nbviz.read(kind="hparams")``) or live (:class:`SweepCollector`).

>>> table = read_hparams_table("sweep", raw_records, metric_table)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbviz.panels.hparams.events import EventRunsFollower
from nbviz.panels.hparams.join import HparamsRecord, RunInput, join_runs
from nbviz.panels.hparams.record import RECORD_KIND
from nbviz.panels.hparams.summaries import MetricTable
from nbviz.record.run import Run, live_run_dirs
from nbviz.store.discover import run_name
from nbviz.store.sqlite import ScalarColumns, StoreReader, TensorRecord
from nbviz.store.tfevents import SESSION_KEY
from nbviz.store.tfevents_bulk import gc_paused

__all__ = ["SweepCollector", "read_hparams_table", "record_from_tensor", "stored_config"]


def stored_config(run_dir: Path) -> tuple[dict[str, Any], bool]:
    """(config, complete) of an nbviz store; ``complete`` once its init metadata is written."""
    reader = StoreReader(run_dir)
    try:
        meta = reader.meta()
    finally:
        reader.close()
    config = meta.get("config")
    return (dict(config) if isinstance(config, dict) else {}), "created" in meta


def _root_name(logdir: Path) -> str:
    return run_name(logdir, logdir)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _records_from_frame(raw: pd.DataFrame) -> dict[str, list[HparamsRecord]]:
    """The rows of the per-record hparams frame (one row per hparams record) by run."""
    hparam_names = list(raw.attrs.get("hparams", []))
    metric_columns = list(raw.attrs.get("metrics", []))
    sessions = set(raw.attrs.get("sessions", []))
    out: dict[str, list[HparamsRecord]] = {}
    for row in raw.to_dict("records"):
        hparams = {name: row[name] for name in hparam_names if not _missing(row.get(name))}
        metrics: dict[str, float] = {}
        for column in metric_columns:
            tag = column[:-len(" (metric)")] if column.endswith(" (metric)") else column
            value = row.get(column)
            if isinstance(value, (int, float)) and not math.isnan(float(value)):
                metrics[tag] = float(value)
        out.setdefault(str(row["run"]), []).append(HparamsRecord(
            int(row["step"]), float(row["wall_time"]), hparams, metrics,
            session=row["run"] in sessions))
    return out


def read_hparams_table(logdir: str | os.PathLike[str], raw: pd.DataFrame,
                       metrics: MetricTable, *, stores: Mapping[str, Path] | None = None,
                       event_runs: Iterable[str] | None = None) -> pd.DataFrame:
    """The joined table of a logdir, from the per-record hparams frame ``raw`` (one row per
    ``add_hparams`` / hparams-plugin record) and every run's scalar summaries ``metrics``;
    ``stores`` (name -> directory) and ``event_runs`` (names) when the caller found them
    already (else the logdir is scanned)."""
    from nbviz.sources import scan_logdir

    path = Path(logdir)
    runs: dict[str, RunInput] = {}
    root = os.path.realpath(path)
    if stores is None or event_runs is None:
        found = scan_logdir(path, reuse=True)
        stores = found[0] if stores is None else stores
        event_runs = found[1] if event_runs is None else event_runs
    dirs = dict(stores)
    for run_dir in live_run_dirs():
        if str(run_dir).startswith(root + os.sep) or str(run_dir) == root:
            dirs.setdefault(run_name(Path(root), run_dir), run_dir)
    for name, run_dir in dirs.items():
        runs[name] = RunInput(name, stored_config(run_dir)[0])
    for name in event_runs:  # TensorBoard runs: parents of add_hparams sub-runs
        runs.setdefault(name, RunInput(name))
    for name, records in _records_from_frame(raw).items():
        runs.setdefault(name, RunInput(name)).records.extend(records)
    return join_runs(runs, metrics, root=_root_name(path))


def record_from_tensor(record: TensorRecord) -> HparamsRecord:
    """An ``hparams`` tensor record (metric values in ``array``) as an :class:`HparamsRecord`."""
    names = [str(n) for n in record.extra.get("metric_names", [])]
    values = np.asarray(record.array, dtype=np.float64).reshape(-1)
    metrics = {name: float(values[i]) for i, name in enumerate(names)
               if i < values.size and not math.isnan(float(values[i]))}
    hparams = record.extra.get("hparams", {})
    return HparamsRecord(int(record.step), float(record.wall_time),
                         dict(hparams) if isinstance(hparams, dict) else {}, metrics,
                         session=record.extra.get(SESSION_KEY) is True)


class SweepCollector:
    """Follow logdirs and runs live: scalar summaries, hparams records and configs.

    ``poll()`` takes in what is new and says whether anything changed; ``table()``
    joins the current state (cheap: runs × columns, no history re-read).
    """

    def __init__(self, targets: list[Any], *, last_n: int = 5) -> None:
        from nbviz.sources import LogdirSource, RunTail, Source, TensorTail

        self.metrics = MetricTable(last_n)
        self.runs: dict[str, RunInput] = {}
        self._config_pending: dict[str, Path] = {}
        self._stores_seen: set[str] = set()
        self._logdirs: list[LogdirSource] = []
        self._sources: list[Source] = []
        self.root: str | None = None
        self._events: list[EventRunsFollower] = []
        for target in targets:
            if isinstance(target, Run):
                self.runs[target.name] = RunInput(target.name, dict(target.config))
                self._sources += [RunTail(target.dir, target.name),
                                  TensorTail(target.dir, target.name, frozenset({RECORD_KIND}))]
                continue
            path = Path(target)  # nbviz stores by sources, TensorBoard runs in bulk
            scalars = LogdirSource(path, tfevents=False)
            self._logdirs.append(scalars)
            self._sources += [scalars, LogdirSource(path, kinds=frozenset({RECORD_KIND}),
                                                    tfevents=False)]
            self._events.append(EventRunsFollower(path, frozenset({RECORD_KIND})))
            self.root = _root_name(path) if self.root is None else self.root

    def describe(self) -> str:
        """Human description of what is followed."""
        return ", ".join(source.describe() for source in self._sources[::2])

    def poll(self) -> bool:
        """Take in new scalars, records and configs; True when anything changed."""
        with gc_paused():  # the first poll of a sweep of 10,000 runs: many objects, no cycles
            return self._poll()

    def _poll(self) -> bool:
        from nbviz.sources import RunScalars, RunTensors

        changed = False
        scalars: list[tuple[str, ScalarColumns]] = []
        records: list[tuple[str, list[TensorRecord]]] = []
        for source in self._sources:
            for batch in source.poll():
                if isinstance(batch, RunScalars):
                    scalars.append((batch.run, batch.columns))
                elif isinstance(batch, RunTensors):
                    records.append((batch.run, batch.records))
        for events in self._events:
            new_scalars, new_records = events.poll()
            scalars += new_scalars
            records += new_records
        for name, batch_records in records:
            run = self.runs.setdefault(name, RunInput(name))
            run.records.extend(record_from_tensor(r) for r in batch_records
                               if r.kind == RECORD_KIND)
        self.metrics.update_many(scalars)  # every run's new rows summarised at once
        changed = changed or bool(scalars) or bool(records)
        for logdir in self._logdirs:
            for name, (run_dir, kind) in logdir.run_dirs().items():
                if name not in self._stores_seen:  # a store whose records came first too
                    self._stores_seen.add(name)
                    self.runs.setdefault(name, RunInput(name))
                    if kind == "nbviz":
                        self._config_pending[name] = run_dir
                    changed = True
        for events in self._events:  # after the stores: a run with both has a config
            for name in events.names():
                if name not in self.runs:
                    self.runs[name] = RunInput(name)
                    changed = True
        for name, run_dir in list(self._config_pending.items()):
            config, complete = stored_config(run_dir)
            if config:
                self.runs[name].config = config
                changed = True
            if complete:
                del self._config_pending[name]
        return changed

    def table(self) -> pd.DataFrame:
        """The joined table of everything seen so far."""
        return join_runs(self.runs, self.metrics, root=self.root)

    def close(self) -> None:
        """Release the sources' store connections."""
        for source in self._sources:
            close = getattr(source, "close", None)
            if close is not None:
                close()
