"""The Scalars panel's kernel-side series index: per-series points (bounded) and summaries.

Every series (one run × one tag) keeps a per-tag summary — count, first/last step,
min/max of its finite values, last value and wall time — updated vectorised from
each batch a source returns, so the page can list 10,000 tags without their data.
Points are held up to a cap: ``max_points`` for series the page draws, a share of
``LITE_POINT_BUDGET`` for the others (min/max decimated, first/last/NaN kept), so
the kernel's memory does not grow with steps however many runs it follows.

A series of an nbviz store starts from the store's summary (``announce``: a
:class:`~nbviz.sources.RunSummary` row) and holds no points until the page draws
it; then ``load_history`` reads the values the summary stood for (one query per
run for all of its series asked at once) and puts them before the rows polled since.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from nbviz.panels.scalars.columns import SeriesColumns
from nbviz.panels.scalars.decimate import minmax_indices
from nbviz.panels.scalars.histories import read_histories
from nbviz.store.sqlite import ScalarColumns


class History(Protocol):
    """Where a series announced by a summary reads its earlier values (a ``RunTail``).
    ``stored_only``: its history covers every row polled so far (a run no ``Run`` of
    this process writes), so the rows of series nobody draws need not be held."""

    stored_only: bool

    def history(self, tags: list[str]) -> ScalarColumns:
        """The summarised rows of ``tags``, in log order."""
        ...

__all__ = ["LITE_POINT_BUDGET", "IndexedSeries", "SeriesIndex", "TagRows", "group_rows"]

LITE_POINT_BUDGET = 2_000_000  # points held over all series the page does not draw
LITE_MIN_POINTS = 128  # ... but never fewer than this per series
LITE_MAX_POINTS = 4096  # ... nor more


@dataclass(slots=True)
class IndexedSeries:
    """One series: its points (possibly decimated) and its summary over every point seen."""

    id: int
    run: str
    tag: str
    color: int
    columns: SeriesColumns = field(default_factory=lambda: SeriesColumns(0))
    total: int = 0  # points logged (seen), whatever is held
    first_step: float = math.nan
    last_step: float = math.nan
    low: float = math.inf  # min / max of the finite values
    high: float = -math.inf
    last_value: float = math.nan
    last_wall_time: float = math.nan
    wanted: bool = False  # the page draws it: held at full resolution, live appends sent
    prefetched: bool = False  # read ahead of the page's request: held at full resolution
    width: int = 0  # pixel width the page asked for (0 = send every held point)
    sent: int = 0  # points of `columns` the page holds
    decimated: bool = False  # the page holds a decimated version
    announced: bool = False  # the page knows the series exists (its info was sent)
    history: History | None = None  # summarised values not read yet (None: all held)
    history_rows: int = 0  # how many: the first rows of the tag in log order


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

    def announce(self, summary: Any, rows: list[int], color: int, *, eager: int
                 ) -> list[IndexedSeries]:
        """New series for rows ``rows`` of a store's summary (a ``RunSummary``): their
        totals without their points, which ``load_history`` reads when they are drawn.
        The first ``eager`` are drawn from the start (``wanted``) and returned."""
        if not rows:
            return []
        pick = np.asarray(rows, dtype=np.int64)
        low, high = summary.low[pick], summary.high[pick]
        counts = summary.count[pick].tolist()
        columns = zip(
            rows, counts, summary.first_step[pick].tolist(), summary.last_step[pick].tolist(),
            np.where(np.isfinite(low), low, math.inf).tolist(),
            np.where(np.isfinite(high), high, -math.inf).tolist(),
            summary.last_value[pick].tolist(), summary.last_wall_time[pick].tolist(),
            strict=True)
        run, history, tags, start = summary.run, summary.history, summary.tags, len(self.by_id)
        # one comprehension, positional summary fields: 25,000 series are announced at once
        added = [IndexedSeries(start + k, run, tags[row], color, SeriesColumns(0), total, first,
                               last, lo, hi, value, wall, wanted=k < eager,
                               history=history if total else None, history_rows=total)
                 for k, (row, total, first, last, lo, hi, value, wall) in enumerate(columns)]
        self.by_id.extend(added)
        self.by_key.update(zip([(run, tags[row]) for row in rows], added, strict=True))
        return added[:eager]

    def load_history(self, wanted: list[IndexedSeries]) -> None:
        """Read the summarised points of ``wanted`` series — every run at once, one bulk
        read (``read_histories``) — and put them before the points polled since; held at
        most ``max_points`` (min/max decimated)."""
        pending = [series for series in wanted if series.history is not None]
        if not pending:
            return
        sources: dict[int, int] = {}  # id(history) -> position
        histories: list[History] = []
        for series in pending:
            if sources.setdefault(id(series.history), len(histories)) == len(histories):
                histories.append(series.history)  # type: ignore[arg-type]  # not None here
        read = read_histories(histories, sorted({series.tag for series in pending}))
        found = [{group.tag: group for group in group_rows(columns)} for columns in read]
        for series in pending:
            group = found[sources[id(series.history)]].get(series.tag)
            series.history = None
            if group is None:
                continue
            stop = min(group.start + series.history_rows, group.stop)  # rows polled since
            rows = group.columns[:, group.start:stop]  # are held, or the store has more
            series.columns.prepend(rows[0], rows[1], rows[2])
            if series.columns.count > 2 * self.max_points:
                series.columns.keep(minmax_indices(series.columns.value, self.max_points))
                series.decimated = True

    def points(self, wanted: list[IndexedSeries]) -> list[SeriesColumns]:
        """Every point of each series — the held ones, after its history when that was
        not read yet (read now, one read per run, not kept: for an export or a picture)."""
        by_source: dict[int, tuple[History, list[str]]] = {}
        for series in wanted:
            if series.history is not None:
                by_source.setdefault(id(series.history), (series.history, []))[1].append(
                    series.tag)
        found: dict[tuple[int, str], TagRows] = {}
        for key, (source, tags) in by_source.items():
            for rows_of_tag in group_rows(source.history(tags)):
                found[(key, rows_of_tag.tag)] = rows_of_tag
        out = []
        for series in wanted:
            group = found.get((id(series.history), series.tag))
            if group is None:
                out.append(series.columns)
                continue
            full = SeriesColumns(group.stop - group.start + series.columns.count)
            rows, columns = group.rows, series.columns
            full.append(rows[0], rows[1], rows[2])
            full.append(columns.step, columns.wall_time, columns.value)
            out.append(full)
        return out

    def ingest(self, series: IndexedSeries, group: TagRows) -> bool:
        """Append one tag's rows; True when the page's copy must be replaced (decimated).
        A series nobody draws whose rows the store keeps (``History.stored_only``) only
        counts them: its held points stay empty, whatever the steps."""
        rows = group.rows
        if series.wanted or series.history is None or not series.history.stored_only:
            series.columns.append(rows[0], rows[1], rows[2])
        else:  # the store keeps them: they extend the history, read when drawn
            series.history_rows += group.stop - group.start
        if series.total == 0:
            series.first_step = float(rows[0, 0])
        series.total += group.stop - group.start
        series.last_step, series.last_wall_time, series.last_value = rows[:, -1].tolist()
        series.low = min(series.low, group.low)
        series.high = max(series.high, group.high)
        cap = self.max_points if series.wanted or series.prefetched else self.lite_cap()
        if series.columns.count <= 2 * cap:
            return False
        series.columns.keep(minmax_indices(series.columns.value, cap))
        if not series.wanted:
            return False
        series.decimated = True
        return True
