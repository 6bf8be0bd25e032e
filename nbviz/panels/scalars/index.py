"""The Scalars panel's kernel-side series index: per-series points (bounded) and summaries.

Every series (one run × one tag) keeps a per-tag summary — count, first/last step,
min/max of its finite values, last value and wall time — updated vectorised from
each batch a source returns, so the page can list 10,000 tags without their data.
Points are held up to a cap: ``max_points`` for series the page draws, a share of
``LITE_POINT_BUDGET`` for the others (min/max decimated, first/last/NaN kept), so
the kernel's memory does not grow with steps however many runs it follows.

The summary columns mirror ``nbviz.store.query.tag_summaries`` (tag, count,
first_step, last_step, min, max, last_value, last_wall_time) so a store-side
summary can replace this one without touching the widget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbviz.panels.scalars.columns import SeriesColumns
from nbviz.panels.scalars.decimate import minmax_indices
from nbviz.store.sqlite import ScalarColumns

__all__ = ["LITE_POINT_BUDGET", "IndexedSeries", "SeriesIndex", "TagRows", "group_rows"]

LITE_POINT_BUDGET = 2_000_000  # points held over all series the page does not draw
LITE_MIN_POINTS = 128  # ... but never fewer than this per series
LITE_MAX_POINTS = 4096  # ... nor more


@dataclass
class IndexedSeries:
    """One series: its points (possibly decimated) and its summary over every point seen."""

    id: int
    run: str
    tag: str
    color: int
    columns: SeriesColumns = field(default_factory=lambda: SeriesColumns(32))
    total: int = 0  # points logged (seen), whatever is held
    first_step: float = math.nan
    last_step: float = math.nan
    low: float = math.inf  # min / max of the finite values
    high: float = -math.inf
    last_value: float = math.nan
    last_wall_time: float = math.nan
    wanted: bool = False  # the page draws it: held at full resolution, live appends sent
    width: int = 0  # pixel width the page asked for (0 = send every held point)
    sent: int = 0  # points of `columns` the page holds
    decimated: bool = False  # the page holds a decimated version
    announced: bool = False  # the page knows the series exists (its info was sent)

    def summary(self) -> dict[str, Any]:
        """What the page's tag list shows of the summary, JSON-safe (non-finite as None).
        (first step and min/max stay kernel-side: each key costs per series on the wire.)"""
        return {"total": self.total, "last_step": _finite(self.last_step),
                "last": _finite(self.last_value)}


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class TagRows:
    """The rows of one tag within a batch (``start:stop`` of the batch's ``columns``,
    sorted by tag, log order kept) and their finite min/max (vectorised over tags)."""

    tag: str
    columns: np.ndarray  # (3, n) step, wall_time, value of the whole batch, sorted by tag
    start: int
    stop: int
    low: float
    high: float

    @property
    def rows(self) -> np.ndarray:
        """This tag's step, wall_time, value columns (a view)."""
        return self.columns[:, self.start: self.stop]


def group_rows(columns: ScalarColumns) -> list[TagRows]:
    """Split a batch by tag (stable, log order kept) with each tag's finite min/max.

    >>> cols = ScalarColumns(seq=np.arange(3), tag_index=np.array([0, 1, 0], np.int32),
    ...     step=np.arange(3.0), wall_time=np.zeros(3), value=np.array([2.0, 5.0, 1.0]),
    ...     tags=["a", "b"])
    >>> [(g.tag, g.rows[0].tolist(), g.low, g.high) for g in group_rows(cols)]
    [('a', [0.0, 2.0], 1.0, 2.0), ('b', [1.0], 5.0, 5.0)]
    """
    order = np.argsort(columns.tag_index, kind="stable")
    bounds = np.searchsorted(columns.tag_index[order], np.arange(len(columns.tags) + 1))
    present = np.flatnonzero(bounds[1:] > bounds[:-1])
    if present.size == 0:
        return []
    stacked = np.stack([columns.step, columns.wall_time, columns.value])[:, order]
    values = stacked[2]
    finite = np.isfinite(values)
    starts = bounds[present]
    lows = np.minimum.reduceat(np.where(finite, values, np.inf), starts).tolist()
    highs = np.maximum.reduceat(np.where(finite, values, -np.inf), starts).tolist()
    edges = bounds.tolist()
    return [TagRows(columns.tags[index], stacked, edges[index], edges[index + 1],
                    lows[k], highs[k])
            for k, index in enumerate(present.tolist())]


class SeriesIndex:
    """Every series of a panel by (run, tag) and by id, with bounded points."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self.by_key: dict[tuple[str, str], IndexedSeries] = {}
        self.by_id: list[IndexedSeries] = []

    def __len__(self) -> int:
        return len(self.by_id)

    def add(self, run: str, tag: str, color: int, *, wanted: bool) -> IndexedSeries:
        series = IndexedSeries(len(self.by_id), run, tag, color, wanted=wanted)
        self.by_key[(run, tag)] = series
        self.by_id.append(series)
        return series

    def lite_cap(self) -> int:
        """Points kept per series the page does not draw (shares of the budget)."""
        share = LITE_POINT_BUDGET // max(len(self.by_id), 1)
        return int(min(max(share, LITE_MIN_POINTS), LITE_MAX_POINTS, self.max_points))

    def ingest(self, series: IndexedSeries, group: TagRows) -> bool:
        """Append one tag's rows; True when the page's copy must be replaced (decimated)."""
        rows = group.rows
        series.columns.append(rows[0], rows[1], rows[2])
        if series.total == 0:
            series.first_step = float(rows[0, 0])
        series.total += group.stop - group.start
        series.last_step, series.last_wall_time, series.last_value = rows[:, -1].tolist()
        series.low = min(series.low, group.low)
        series.high = max(series.high, group.high)
        cap = self.max_points if series.wanted else self.lite_cap()
        if series.columns.count <= 2 * cap:
            return False
        series.columns.keep(minmax_indices(series.columns.value, cap))
        if not series.wanted:
            return False
        series.decimated = True
        return True
