"""The Scalars panel: live line charts of logged scalars, one chart per tag.

Wire contract: docs/wire.md ("Scalars"). Python ``Scalars`` ↔ ``js/src/panels/scalars/``.
The kernel keeps every series' points (bounded by decimation, ``index.py``), and
sends the page either a full *snapshot* (synced traits) or an *append* custom
message with only the new points, at most one message per ticker interval (50 ms).

At scale the page is sent only what it draws: every series' summary goes first
(``series`` infos with ``total``, ``last`` …), and a series' points only once the
page asks for it (``{"type": "request", "ids", "width"}`` when its chart scrolls
into view), min/max-decimated to the chart's pixel width; live appends follow
only for series the page asked for. Small panels (up to ``EAGER_SERIES`` series)
send everything up front, as a saved notebook then holds every chart's data.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.scalars.decimate import minmax_budget, minmax_indices
from nbviz.panels.scalars.index import IndexedSeries, SeriesIndex, group_rows
from nbviz.panels.scalars.infos import pack_infos, series_infos
from nbviz.panels.scalars.picture import MAX_CHARTS, MAX_RUNS, SeriesView, render_png
from nbviz.panels.scalars.prefetch import (
    PREFETCH_DELAY_SECS,
    PREFETCH_FIRST_RUNS,
    PREFETCH_POINTS,
    PREFETCH_SLICE_SECS,
    first_screen_tags,
)
from nbviz.sources import RunScalars, RunSummary, Source, as_source
from nbviz.widgets._base import StreamingPanel
from nbviz.widgets._palette import run_color

__all__ = ["EAGER_SERIES", "Scalars"]

EAGER_SERIES = 100  # lazy=None: series beyond this many are sent only when the page asks
MIN_WIDTH, MAX_WIDTH = 16, 16_384  # chart pixel widths a request may ask for


def _width_view(series: IndexedSeries) -> tuple[bytes, int]:
    """The held points of a series the page asked for at a pixel width: min/max-decimated
    to two points per pixel column when there are more."""
    columns = series.columns
    if series.width and columns.count > 2 * series.width:
        series.decimated = True
        kept = minmax_indices(columns.value, 2 * series.width)
        view = np.stack([columns.step[kept], columns.wall_time[kept], columns.value[kept]])
        return np.ascontiguousarray(view, dtype="<f8").tobytes(), int(kept.size)
    return columns.pack(), columns.count


class Scalars(StreamingPanel):
    """Live scalar charts for a logdir, a run, or a list of them.

    >>> panel = nbviz.Scalars("runs")            # doctest: +SKIP
    >>> display(panel)                           # updates while training runs

    ``max_points`` bounds the points per series held on both sides; beyond it
    the kernel decimates (min/max per bucket, first/last and NaN/Inf kept).
    ``lazy`` True sends a series' points only when the page asks for them (its
    chart scrolled into view), False sends everything up front, None (default)
    sends the first ``EAGER_SERIES`` series up front and the rest on request.
    """

    # series infos (dicts): not validated one by one, a panel may announce 25,000 of them;
    # sent packed (infos.py)
    series: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True,
                                                                  to_json=pack_infos)
    smoothing = traitlets.Float(0.6).tag(sync=True)
    x_axis = traitlets.Enum(("step", "relative", "wall"), default_value="step").tag(sync=True)
    log_y = traitlets.Bool(False).tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_points = traitlets.Int(100_000).tag(sync=True)

    _bundle = "scalars"

    def __init__(
        self,
        source: Any,
        *,
        max_points: int = 100_000,
        smoothing: float = 0.6,
        x_axis: str = "step",
        log_y: bool = False,
        tag_filter: str = "",
        title: str = "",
        lazy: bool | None = None,
    ) -> None:
        if not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 16:
            raise ValueError(
                f"Scalars(): 'max_points' must be an int >= 16, got {describe(max_points)}."
            )
        if not isinstance(smoothing, (int, float)) or not 0 <= smoothing <= 0.99:
            raise ValueError(
                f"Scalars(): 'smoothing' must be between 0 and 0.99, got {describe(smoothing)}."
            )
        if x_axis not in ("step", "relative", "wall"):
            raise ValueError(
                f"Scalars(): 'x_axis' must be 'step', 'relative' or 'wall', got {x_axis!r}."
            )
        if lazy is not None and not isinstance(lazy, bool):
            raise TypeError(f"Scalars(): 'lazy' must be True, False or None, got "
                            f"{describe(lazy)}.")
        self._lazy = lazy
        self._source: Source = as_source(source, summaries=True)
        self._index = SeriesIndex(max_points)
        self._run_colors: dict[str, int] = {}
        self._prefetch_due = True  # the read-ahead's series are still to be chosen
        self._prefetch_left: list[IndexedSeries] = []  # chosen, not read yet
        self._prefetch_runs = PREFETCH_FIRST_RUNS  # runs read ahead in the next slice
        self._built_at = math.inf  # set when built: no read-ahead during the build
        super().__init__(
            max_points=max_points, smoothing=float(smoothing),
            x_axis=x_axis, log_y=bool(log_y), tag_filter=str(tag_filter), title=str(title),
        )
        self.on_msg(self._on_page_message)
        self._built_at = time.monotonic()

    # -- data in ---------------------------------------------------------------------------

    def _color(self, run: str) -> int:
        color = self._run_colors.get(run)
        if color is None:
            color = self._run_colors[run] = run_color(run)
        return color

    def _eager_left(self) -> int:
        """How many more series are sent up front (``lazy``: all, none, ``EAGER_SERIES``)."""
        if self._lazy is None:
            return max(EAGER_SERIES - len(self._index), 0)
        return 0 if self._lazy else 1 << 62

    def _series_for(self, run: str, tag: str) -> IndexedSeries:
        series = self._index.by_key.get((run, tag))
        if series is None:
            series = self._index.add(run, tag, self._color(run), wanted=self._eager_left() > 0)
        return series

    def _announce(self, summary: RunSummary) -> list[IndexedSeries]:
        """Series of a store's summary, without their points; those the page draws from
        the start (eager) are returned, to read their history."""
        if summary.run not in self._run_colors:  # no series of this run yet: all new
            return self._index.announce(summary, list(range(len(summary.tags))),
                                        self._color(summary.run), eager=self._eager_left())
        fresh: list[int] = []
        for row, tag in enumerate(summary.tags):
            series = self._index.by_key.get((summary.run, tag))
            if series is None:
                fresh.append(row)
                continue
            # rows of this run and tag came first (another source): read them now
            for group in group_rows(summary.history.history([tag])):
                self._needs_snapshot |= self._index.ingest(series, group)
        return self._index.announce(summary, fresh, self._color(summary.run),
                                    eager=self._eager_left())

    def _ingest(self, batches: list[RunScalars | RunSummary]) -> None:
        eager: list[IndexedSeries] = []
        for batch in batches:
            if isinstance(batch, RunSummary):
                eager.extend(self._announce(batch))
            else:
                for group in group_rows(batch.columns):
                    series = self._series_for(batch.run, group.tag)
                    if self._index.ingest(series, group):
                        self._needs_snapshot = True
            self._data_version += 1
            self._last_data = time.monotonic()
        self._index.load_history(eager)

    # -- reading ahead of the page ----------------------------------------------------------

    def _tick(self) -> None:
        super()._tick()
        if ((self._prefetch_due or self._prefetch_left)
                and time.monotonic() - self._built_at >= PREFETCH_DELAY_SECS):
            self._prefetch_slice()

    def _prefetch_queue(self) -> list[IndexedSeries]:
        """The first screen's series whose history is still to be read ahead (chosen once,
        the first time it is asked for; in run order), under ``_lock``."""
        if self._prefetch_due:
            self._prefetch_due = False
            hidden = set(self.hidden_runs)
            shown = [s for s in self._index.by_id if s.run not in hidden]
            tags = set(first_screen_tags({s.tag for s in shown}, tag_filter=self.tag_filter))
            points = 0
            for series in shown:
                if (series.history is not None and series.tag in tags
                        and points + series.history_rows <= PREFETCH_POINTS):
                    points += series.history_rows
                    self._prefetch_left.append(series)
        return self._prefetch_left

    def _read_ahead(self, chosen: list[IndexedSeries]) -> int:
        """Read the history of ``chosen`` (one bulk read); how many were still unread."""
        unread = [series for series in chosen if series.history is not None]
        for series in unread:
            series.prefetched = True
        self._index.load_history(unread)
        return len(unread)

    def _prefetch_slice(self) -> None:
        """One idle tick's share of the read-ahead: the series of the next
        ``_prefetch_runs`` runs, that count adapted so a slice takes about
        ``PREFETCH_SLICE_SECS`` (the shared ticker is never held long)."""
        with self._lock:
            queue = self._prefetch_queue()
            if not queue:
                return
            runs: dict[int, None] = {}
            cut = len(queue)
            for at, series in enumerate(queue):
                runs.setdefault(id(series.history), None)
                if len(runs) > self._prefetch_runs:
                    cut = at
                    break
            part, self._prefetch_left = queue[:cut], queue[cut:]
            started = time.perf_counter()
            self._read_ahead(part)
            took = time.perf_counter() - started
            fit = int(self._prefetch_runs * PREFETCH_SLICE_SECS / max(took, 1e-4))
            self._prefetch_runs = min(max(fit, 1), 2 * self._prefetch_runs)

    def prefetch(self) -> int:
        """Read the history of the page's first screen of charts now, whatever of it the
        idle ticks have not read yet (they read it in slices from ``PREFETCH_DELAY_SECS``
        after the build), so that the page's first request is answered from memory.
        Returns how many series were read.

        >>> panel.prefetch()   # doctest: +SKIP
        3000
        """
        with self._lock:
            queue = self._prefetch_queue()
            self._prefetch_left = []
            return self._read_ahead(queue)

    # -- requests from the page ------------------------------------------------------------

    def _on_page_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """``{"type": "request", "ids": [...], "width": px}``: send those series' points
        (decimated to ``width``) with the next message, and their live appends after."""
        if not isinstance(content, dict) or content.get("type") != "request":
            return
        ids, width = content.get("ids"), content.get("width")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            return  # a page of another version: nothing this kernel can answer
        if not isinstance(width, int) or isinstance(width, bool):
            return
        self.request(ids, width)

    def request(self, ids: list[int], width: int) -> None:
        """Have the page sent series ``ids`` (points decimated to ``width`` pixels).

        >>> panel.request([0, 3], width=400)   # doctest: +SKIP
        """
        width = min(max(int(width), MIN_WIDTH), MAX_WIDTH)
        with self._lock:
            asked: list[IndexedSeries] = []
            for series_id in ids:
                if not 0 <= series_id < len(self._index):
                    continue
                series = self._index.by_id[series_id]
                if series.wanted and series.sent:
                    # sent already: another page (a reload) asks; the snapshot carries it
                    self._needs_snapshot = True
                    continue
                series.wanted = True
                series.width = width
                series.sent = 0
                asked.append(series)
            self._index.load_history(asked)  # one store read per run

    # -- data out --------------------------------------------------------------------------

    def _send_snapshot(self) -> None:
        counts: list[int] = []
        parts: list[bytes] = []
        for series in self._index.by_id:
            if series.wanted:
                packed, count = _width_view(series)
                parts.append(packed)
                series.sent = series.columns.count
            else:
                count = 0
            series.announced = True
            counts.append(count)
        infos = series_infos(self._index.by_id, counts)
        payload = b"".join(parts)
        self._seq += 1
        with self.hold_sync():
            self.series = infos
            self.snapshot = payload
            self.snapshot_seq = self._seq
        self._snapshot_sent(len(payload))

    def _send_append(self) -> None:
        fresh = [s for s in self._index.by_id
                 if not s.announced or (s.wanted and s.columns.count > s.sent)]
        if not fresh:
            return
        counts: list[int] = []
        parts: list[bytes] = []
        for series in fresh:
            series.announced = True
            if not series.wanted:  # a new series: its summary only
                packed, count = b"", 0
            elif series.sent == 0:  # first points the page gets: at its chart's width
                packed, count = _width_view(series)
            else:
                packed, count = series.columns.pack(series.sent), series.columns.count - series.sent
            parts.append(packed)
            counts.append(count)
        infos = list(series_infos(fresh, counts))  # the summaries after these points
        for series in fresh:
            series.sent = series.columns.count
        payload = b"".join(parts)
        self._seq += 1
        self.send({"type": "append", "seq": self._seq, "series": infos}, [payload])
        self._append_sent(len(payload))

    def _ingest_new(self) -> None:
        self._ingest(self._source.poll())

    def _has_unsent(self) -> bool:
        return any(not s.announced or (s.wanted and s.columns.count > s.sent)
                   for s in self._index.by_id)

    def _snapshot_state(self, max_points: int) -> dict[str, Any]:
        """The snapshot of an offline page (nbviz/export): every series — also those no
        chart has asked for, as an offline page has no kernel to ask — decimated to
        ``max_points`` (the live min/max decimation), in the snapshot wire format."""
        from nbviz.export.state import synced_state

        self.sync()
        with self._lock:
            state = synced_state(self)
            counts: list[int] = []
            thinned: list[bool] = []
            parts: list[bytes] = []
            for columns in self._index.points(self._index.by_id):
                keep = minmax_budget(columns.value, max_points)
                counts.append(int(keep.size))
                thinned.append(int(keep.size) < columns.count)
                data = np.stack([columns.step[keep], columns.wall_time[keep], columns.value[keep]])
                parts.append(np.ascontiguousarray(data, dtype="<f8").tobytes())
            infos = list(series_infos(self._index.by_id, counts))
            for info, cut in zip(infos, thinned, strict=True):
                info["decimated"] = info["decimated"] or cut
        state.update(series=infos, snapshot=b"".join(parts), max_points=max_points)
        return state

    # -- pictures for saved notebooks ------------------------------------------------------

    def _views(self) -> list[SeriesView]:
        """Every shown series; points only for those the picture draws (its first
        ``MAX_CHARTS`` tags × ``MAX_RUNS`` runs), read from the store when not held."""
        with self._lock:
            shown = [s for s in self._index.by_id if s.run not in self.hidden_runs]
            tags = set(sorted({s.tag for s in shown})[:MAX_CHARTS])
            runs = set(list(dict.fromkeys(s.run for s in shown))[:MAX_RUNS])
            drawn = [s for s in shown if s.tag in tags and s.run in runs]
            points = dict(zip((s.id for s in drawn), self._index.points(drawn), strict=True))
            empty = np.empty(0)
            return [SeriesView(s.run, s.tag, s.color, points[s.id].step.copy(),
                               points[s.id].value.copy()) if s.id in points
                    else SeriesView(s.run, s.tag, s.color, empty, empty) for s in shown]

    def _render_png(self) -> bytes:
        return render_png(self._views(), self.smoothing)

    def summary(self) -> str:
        """One-line text summary: runs, tags, points."""
        with self._lock:
            runs = list(self._run_colors)
            tags = sorted({s.tag for s in self._index.by_id})
            points = sum(s.total for s in self._index.by_id)
        shown_runs = ", ".join(runs[:5]) + (" …" if len(runs) > 5 else "")
        return (f"nbviz.Scalars: {len(runs)} run(s) [{shown_runs}], {len(tags)} tag(s), "
                f"{points} point(s) from {self._source.describe()}")
