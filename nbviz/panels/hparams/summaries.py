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


def _nan_extreme(values: np.ndarray, current: float, use_max: bool) -> float:
    finite = values[~np.isnan(values)]
    if not finite.size:
        return current
    best = float(finite.max() if use_max else finite.min())
    if np.isnan(current):
        return best
    return max(current, best) if use_max else min(current, best)


class MetricTable:
    """Summaries of every (run, tag) seen so far; ``update`` takes one scalar batch.

    Work per batch is one stable sort plus one slice per tag (never per value).
    """

    def __init__(self, last_n: int = 5) -> None:
        if isinstance(last_n, bool) or not isinstance(last_n, int) or last_n < 1:
            raise ValueError(f"MetricTable(): 'last_n' must be an int >= 1, got {last_n!r}.")
        self.last_n = last_n
        self.runs: dict[str, dict[str, MetricSummary]] = {}

    def update(self, run: str, columns: ScalarColumns) -> None:
        """Fold a batch of scalar rows of ``run`` (in log order) into the summaries."""
        if not len(columns):
            return
        order = np.argsort(columns.tag_index, kind="stable")
        sorted_tags = columns.tag_index[order]
        starts = np.flatnonzero(np.r_[True, sorted_tags[1:] != sorted_tags[:-1]])
        ends = np.r_[starts[1:], sorted_tags.size]
        per_run = self.runs.setdefault(run, {})
        values = np.asarray(columns.value, dtype=np.float64)[order]
        steps = np.asarray(columns.step, dtype=np.float64)[order]
        walls = np.asarray(columns.wall_time, dtype=np.float64)[order]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            tag = columns.tags[int(sorted_tags[start])]
            chunk = values[start:end]
            summary = per_run.get(tag)
            if summary is None:
                summary = per_run[tag] = MetricSummary()
            summary.final = float(chunk[-1])
            summary.min = _nan_extreme(chunk, summary.min, use_max=False)
            summary.max = _nan_extreme(chunk, summary.max, use_max=True)
            summary.last_step = float(steps[end - 1])
            summary.last_wall_time = float(walls[end - 1])
            summary.count += int(chunk.size)
            summary.tail = np.concatenate([summary.tail, chunk[-self.last_n:]])[-self.last_n:]
