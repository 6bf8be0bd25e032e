"""The Scalars panel: live line charts of logged scalars, one chart per tag.

Wire contract: docs/wire.md ("Scalars"). Python ``Scalars`` ↔ ``js/src/panels/scalars/``.
The kernel keeps every series' points (bounded by decimation), and sends the
page either a full *snapshot* (synced traits) or an *append* custom message
with only the new points, at most one message per ticker interval (50 ms).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.scalars.columns import SeriesColumns
from nbviz.panels.scalars.decimate import minmax_budget, minmax_indices
from nbviz.panels.scalars.picture import SeriesView, render_png
from nbviz.sources import RunScalars, Source, as_source
from nbviz.widgets._base import StreamingPanel
from nbviz.widgets._palette import run_color

__all__ = ["Scalars"]


@dataclass
class _Series:
    id: int
    run: str
    tag: str
    color: int
    columns: SeriesColumns
    sent: int = 0  # points of `columns` the page holds
    decimated: bool = False

    def info(self, count: int) -> dict[str, Any]:
        return {"id": self.id, "run": self.run, "tag": self.tag, "color": self.color,
                "count": count, "decimated": self.decimated}


class Scalars(StreamingPanel):
    """Live scalar charts for a logdir, a run, or a list of them.

    >>> panel = nbviz.Scalars("runs")            # doctest: +SKIP
    >>> display(panel)                           # updates while training runs

    ``max_points`` bounds the points per series held on both sides; beyond it
    the kernel decimates (min/max per bucket, first/last and NaN/Inf kept).
    """

    series = traitlets.List(traitlets.Dict()).tag(sync=True)
    snapshot = traitlets.Bytes(b"").tag(sync=True)
    snapshot_seq = traitlets.Int(0).tag(sync=True)
    smoothing = traitlets.Float(0.6).tag(sync=True)
    x_axis = traitlets.Enum(("step", "relative", "wall"), default_value="step").tag(sync=True)
    log_y = traitlets.Bool(False).tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_points = traitlets.Int(100_000).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

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
        self._source: Source = as_source(source)
        self._series: dict[tuple[str, str], _Series] = {}
        self._run_colors: dict[str, int] = {}
        super().__init__(
            max_points=max_points, smoothing=float(smoothing),
            x_axis=x_axis, log_y=bool(log_y), tag_filter=str(tag_filter), title=str(title),
        )

    # -- data in ---------------------------------------------------------------------------

    def _series_for(self, run: str, tag: str) -> _Series:
        key = (run, tag)
        series = self._series.get(key)
        if series is None:
            color = self._run_colors.setdefault(run, run_color(run))
            series = _Series(len(self._series), run, tag, color, SeriesColumns())
            self._series[key] = series
        return series

    def _ingest(self, batches: list[RunScalars]) -> None:
        for batch in batches:
            columns = batch.columns
            order = np.argsort(columns.tag_index, kind="stable")
            bounds = np.searchsorted(columns.tag_index[order], np.arange(len(columns.tags) + 1))
            for index, tag in enumerate(columns.tags):
                rows = order[bounds[index] : bounds[index + 1]]
                if rows.size == 0:
                    continue
                series = self._series_for(batch.run, tag)
                series.columns.append(
                    columns.step[rows], columns.wall_time[rows], columns.value[rows]
                )
                if series.columns.count > 2 * self.max_points:
                    series.columns.keep(minmax_indices(series.columns.value, self.max_points))
                    series.decimated = True
                    self._needs_snapshot = True
            self._data_version += 1
            self._last_data = time.monotonic()

    # -- data out --------------------------------------------------------------------------

    def _send_snapshot(self) -> None:
        ordered = sorted(self._series.values(), key=lambda s: s.id)
        payload = b"".join(s.columns.pack() for s in ordered)
        self._seq += 1
        with self.hold_sync():
            self.series = [s.info(s.columns.count) for s in ordered]
            self.snapshot = payload
            self.snapshot_seq = self._seq
        for s in ordered:
            s.sent = s.columns.count
        self._snapshot_sent(len(payload))

    def _send_append(self) -> None:
        fresh = [s for s in sorted(self._series.values(), key=lambda s: s.id)
                 if s.columns.count > s.sent]
        if not fresh:
            return
        infos = [s.info(s.columns.count - s.sent) for s in fresh]
        payload = b"".join(s.columns.pack(s.sent) for s in fresh)
        self._seq += 1
        self.send({"type": "append", "seq": self._seq, "series": infos}, [payload])
        for s in fresh:
            s.sent = s.columns.count
        self._append_sent(len(payload))

    def _ingest_new(self) -> None:
        self._ingest(self._source.poll())

    def _has_unsent(self) -> bool:
        return any(s.columns.count > s.sent for s in self._series.values())

    def _snapshot_state(self, max_points: int) -> dict[str, Any]:
        """The snapshot of an offline page: every series decimated to ``max_points``
        (the live min/max decimation), in the snapshot wire format."""
        from nbviz.export.state import synced_state

        self.sync()
        with self._lock:
            state = synced_state(self)
            infos, parts = [], []
            for s in sorted(self._series.values(), key=lambda s: s.id):
                keep = minmax_budget(s.columns.value, max_points)
                info = s.info(int(keep.size))
                info["decimated"] = s.decimated or int(keep.size) < s.columns.count
                infos.append(info)
                data = np.stack([s.columns.step[keep], s.columns.wall_time[keep],
                                 s.columns.value[keep]])
                parts.append(np.ascontiguousarray(data, dtype="<f8").tobytes())
        state.update(series=infos, snapshot=b"".join(parts), max_points=max_points)
        return state

    # -- pictures for saved notebooks ------------------------------------------------------

    def _views(self) -> list[SeriesView]:
        with self._lock:
            return [
                SeriesView(s.run, s.tag, s.color, s.columns.step.copy(), s.columns.value.copy())
                for s in sorted(self._series.values(), key=lambda s: s.id)
                if s.run not in self.hidden_runs
            ]

    def _render_png(self) -> bytes:
        return render_png(self._views(), self.smoothing)

    def summary(self) -> str:
        """One-line text summary: runs, tags, points."""
        with self._lock:
            runs = list(self._run_colors)
            tags = sorted({s.tag for s in self._series.values()})
            points = sum(s.columns.count for s in self._series.values())
        shown_runs = ", ".join(runs[:5]) + (" …" if len(runs) > 5 else "")
        return (f"nbviz.Scalars: {len(runs)} run(s) [{shown_runs}], {len(tags)} tag(s), "
                f"{points} point(s) from {self._source.describe()}")
