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
        """The per-tag summary, JSON-safe (non-finite numbers as None)."""
        return {"total": self.total, "first_step": _finite(self.first_step),
                "last_step": _finite(self.last_step), "min": _finite(self.low),
                "max": _finite(self.high), "last": _finite(self.last_value)}


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class TagRows:
    """The rows of one tag within a batch, and their summary (vectorised over tags)."""

    tag: str
    rows: np.ndarray
    low: float
    high: float


def group_rows(columns: ScalarColumns) -> list[TagRows]:
    """Split a batch by tag (stable, log order kept) with each tag's finite min/max.

    >>> cols = ScalarColumns(seq=np.arange(3), tag_index=np.array([0, 1, 0], np.int32),
    ...     step=np.arange(3.0), wall_time=np.zeros(3), value=np.array([2.0, 5.0, 1.0]),
    ...     tags=["a", "b"])
    >>> [(g.tag, g.rows.tolist(), g.low, g.high) for g in group_rows(cols)]
    [('a', [0, 2], 1.0, 2.0), ('b', [1], 5.0, 5.0)]
    """
    order = np.argsort(columns.tag_index, kind="stable")
    bounds = np.searchsorted(columns.tag_index[order], np.arange(len(columns.tags) + 1))
    present = np.flatnonzero(bounds[1:] > bounds[:-1])
    if present.size == 0:
        return []
    values = columns.value[order]
    finite = np.isfinite(values)
    starts = bounds[present]
    lows = np.minimum.reduceat(np.where(finite, values, np.inf), starts)
    highs = np.maximum.reduceat(np.where(finite, values, -np.inf), starts)
    return [TagRows(columns.tags[index], order[bounds[index]: bounds[index + 1]],
                    float(lows[k]), float(highs[k]))
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

    def ingest(self, series: IndexedSeries, columns: ScalarColumns, group: TagRows) -> bool:
        """Append one tag's rows; True when the page's copy must be replaced (decimated)."""
        rows = group.rows
        step, wall, value = columns.step[rows], columns.wall_time[rows], columns.value[rows]
        series.columns.append(step, wall, value)
        if series.total == 0:
            series.first_step = float(step[0])
        series.total += int(rows.size)
        series.last_step = float(step[-1])
        series.last_value = float(value[-1])
        series.last_wall_time = float(wall[-1])
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
