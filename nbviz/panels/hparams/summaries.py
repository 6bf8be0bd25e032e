"""Per-(run, tag) metric summaries — final, min, max, mean of the last N — kept
incrementally from scalar batches, so a live panel never re-reads a run's history.

>>> import numpy as np
>>> from nbviz.store.sqlite import ScalarColumns
>>> table = MetricTable(last_n=2)
>>> cols = ScalarColumns(seq=np.empty(0, np.int64), tag_index=np.array([0, 0, 0], np.int32),
...                      step=np.array([0., 1., 2.]), wall_time=np.zeros(3),
...                      value=np.array([3., 1., 2.]), tags=["loss"])
>>> table.update("a", cols)
>>> s = table.runs["a"]["loss"]; (s.final, s.min, s.max, s.mean_last)
(2.0, 1.0, 3.0, 1.5)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nbviz.store.sqlite import ScalarColumns

__all__ = ["SUMMARIES", "MetricSummary", "MetricTable", "summary_column"]

SUMMARIES = ("final", "min", "max", "mean_last")


def summary_column(tag: str, summary: str, last_n: int) -> str:
    """The table column of one summary of ``tag``: the bare tag for the final value.

    >>> summary_column("val/acc", "max", 5), summary_column("val/acc", "mean_last", 5)
    ('val/acc (max)', 'val/acc (last-5 mean)')
    """
    if summary == "final":
        return tag
    if summary == "mean_last":
        return f"{tag} (last-{last_n} mean)"
    return f"{tag} ({summary})"


@dataclass
class MetricSummary:
    """Running summary of one tag of one run (NaN-aware: min/max/mean skip NaN)."""

    final: float = float("nan")
    min: float = float("nan")
    max: float = float("nan")
    last_step: float = float("nan")
    last_wall_time: float = float("nan")
    count: int = 0
    tail: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))

    @property
    def mean_last(self) -> float:
        """Mean of the last N finite-or-not values, NaN skipped (NaN when none is finite)."""
        finite = self.tail[~np.isnan(self.tail)]
        return float(finite.mean()) if finite.size else float("nan")

    def value(self, summary: str) -> float:
        """One of :data:`SUMMARIES` by name."""
        if summary == "mean_last":
            return self.mean_last
        return float(getattr(self, summary))


def _merge_extreme(current: float, best: float, pick: Callable[[float, float], float]
                   ) -> float:
    """NaN-aware min / max of a kept extreme and a new batch's (NaN: none yet / none)."""
    if math.isnan(best):
        return current
    return best if math.isnan(current) else pick(current, best)


class MetricTable:
    """Summaries of every (run, tag) seen so far; ``update`` takes one scalar batch.

    Work per batch is one stable sort plus one small merge per tag (never per value);
    :meth:`update_many` takes many batches in one sort.
    """

    def __init__(self, last_n: int = 5) -> None:
        if isinstance(last_n, bool) or not isinstance(last_n, int) or last_n < 1:
            raise ValueError(f"MetricTable(): 'last_n' must be an int >= 1, got {last_n!r}.")
        self.last_n = last_n
        self.runs: dict[str, dict[str, MetricSummary]] = {}

    def update(self, run: str, columns: ScalarColumns) -> None:
        """Fold a batch of scalar rows of ``run`` (in log order) into the summaries."""
        self.update_many([(run, columns)])

    def update_many(self, batches: Sequence[tuple[str, ScalarColumns]]) -> None:
        """Fold many batches ``(run, columns)`` in, as :meth:`update` of each in turn would:
        one stable sort and a few reductions over all of them (10,000 runs of a sweep),
        then one small merge per (run, tag)."""
        batches = [(run, columns) for run, columns in batches if len(columns)]
        if not batches:
            return
        sizes = np.array([len(columns) for _, columns in batches], dtype=np.int64)
        widths = np.array([len(columns.tags) for _, columns in batches], dtype=np.int64)
        tag_base = np.concatenate([np.zeros(1, np.int64), np.cumsum(widths)[:-1]])
        key = np.repeat(tag_base, sizes) + np.concatenate(
            [np.asarray(columns.tag_index, dtype=np.int64) for _, columns in batches])
        order = np.argsort(key, kind="stable")  # by batch, then tag; log order within
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        ends = np.r_[starts[1:], sorted_key.size]
        values = np.concatenate([np.asarray(c.value, dtype=np.float64) for _, c in batches])
        values = values[order]
        last = ends - 1
        steps = np.concatenate([np.asarray(c.step, dtype=np.float64) for _, c in batches])
        walls = np.concatenate([np.asarray(c.wall_time, dtype=np.float64)
                                for _, c in batches])
        last_rows = order[last]
        with np.errstate(invalid="ignore"):  # all-NaN groups: NaN (no finite value)
            low = np.fmin.reduceat(values, starts).tolist()
            high = np.fmax.reduceat(values, starts).tolist()
        finals = values[last].tolist()
        last_steps = steps[last_rows].tolist()
        last_walls = walls[last_rows].tolist()
        counts = (ends - starts).tolist()
        tail_starts = np.maximum(starts, ends - self.last_n).tolist()
        batch_of = np.searchsorted(np.cumsum(widths), sorted_key[starts], side="right")
        tag_of = (sorted_key[starts] - tag_base[batch_of]).tolist()
        names = [run for run, _ in batches]
        tag_lists = [columns.tags for _, columns in batches]
        for group, batch in enumerate(batch_of.tolist()):
            per_run = self.runs.setdefault(names[batch], {})
            tag = tag_lists[batch][tag_of[group]]
            summary = per_run.get(tag)
            tail = values[tail_starts[group]:ends[group]]
            if summary is None:
                per_run[tag] = MetricSummary(
                    final=finals[group], min=low[group], max=high[group],
                    last_step=last_steps[group], last_wall_time=last_walls[group],
                    count=counts[group], tail=tail.copy())
                continue
            summary.final = finals[group]
            summary.min = _merge_extreme(summary.min, low[group], min)
            summary.max = _merge_extreme(summary.max, high[group], max)
            summary.last_step = last_steps[group]
            summary.last_wall_time = last_walls[group]
            summary.count += counts[group]
            summary.tail = np.concatenate([summary.tail, tail])[-self.last_n:]
