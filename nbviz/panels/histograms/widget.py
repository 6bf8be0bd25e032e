"""Histogram panels: ``Histograms`` (ridgelines) and ``Distributions`` (percentile bands),
two views of the same records.

Wire contracts: docs/wire.md ("Histograms", "Distributions").
Python ``Histograms`` ↔ ``js/src/panels/histograms/``, ``Distributions`` ↔
``js/src/panels/distributions/``.

They read ``histogram`` records (written by ``nbviz.watch``, ``Run.log_histogram``
and the SummaryWriter facade's ``add_histogram``) through a source, so the same
panel follows a live run of this kernel, a run another process writes, or a logdir.
The kernel does the numeric work (rebinning every record onto ``bins`` equal
buckets over its own range, percentiles) with numpy and sends fixed-stride
float64 rows; all interaction happens in the page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.health.layer_stats import ROOT_LAYER
from nbviz.panels.histograms.compute import BASIS_POINTS, percentiles, rebin, record_edges
from nbviz.panels.histograms.picture import distributions_png, histograms_png
from nbviz.sources import RunTensors, Source, as_source
from nbviz.store.kinds import HISTOGRAM
from nbviz.store.sqlite import TensorRecord
from nbviz.widgets._base import StreamingPanel
from nbviz.widgets._palette import run_color

__all__ = ["SOURCES", "Distributions", "Histograms"]

SOURCES = ("weights", "grads", "activations", "updates", "user")


def _record_source(extra: dict[str, Any]) -> str:
    source = extra.get("source")
    return source if isinstance(source, str) and source in SOURCES else "user"


def _group_of(tag: str, extra: dict[str, Any]) -> str:
    """Charts are grouped by layer for hook records, by tag prefix otherwise."""
    layer = extra.get("layer")
    if isinstance(layer, str) and "source" in extra and extra.get("source") != "user":
        return layer or ROOT_LAYER
    return tag.split("/", 1)[0] if "/" in tag else ""


@dataclass
class _Series:
    id: int
    run: str
    tag: str
    source: str
    layer: str
    param: str
    group: str
    color: int
    rows: list[np.ndarray] = field(default_factory=list)
    sent: int = 0

    def info(self, count: int) -> dict[str, Any]:
        return {"id": self.id, "run": self.run, "tag": self.tag, "source": self.source,
                "layer": self.layer, "param": self.param, "group": self.group,
                "color": self.color, "count": count}


class _RecordPanel(StreamingPanel):
    """Shared machinery: follow ``histogram`` records, keep one row per record per series,
    send snapshots/appends at most once per ticker interval."""

    series = traitlets.List(traitlets.Dict()).tag(sync=True)
    stride = traitlets.Int(0).tag(sync=True)
    show_source = traitlets.Unicode("weights").tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_steps = traitlets.Int(500).tag(sync=True)

    _where = ""

    def __init__(self, source: Any, *, max_steps: int, show_source: str, tag_filter: str,
                 title: str, row: Callable[[TensorRecord], np.ndarray | None],
                 render: Callable[[], bytes], **traits: Any) -> None:
        where = self._where
        self._row = row
        self._render = render
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 2:
            raise ValueError(
                f"{where}: 'max_steps' must be an int >= 2, got {describe(max_steps)}.")
        if show_source not in (*SOURCES, "all"):
            raise ValueError(
                f"{where}: 'show_source' must be one of {(*SOURCES, 'all')}, got "
                f"{describe(show_source)}.")
        if not isinstance(tag_filter, str) or not isinstance(title, str):
            raise TypeError(f"{where}: 'tag_filter' and 'title' must be strings.")
        self._source: Source = as_source(source, kinds=frozenset({HISTOGRAM}))
        self._series: dict[tuple[str, str], _Series] = {}
        self._run_colors: dict[str, int] = {}
        self._show_source_set = False
        super().__init__(max_steps=max_steps, show_source=show_source, tag_filter=tag_filter,
                         title=title, **traits)

    def _first_poll(self) -> None:
        self._ingest_new()
        self._auto_source()
        self._send_snapshot()

    # -- rows ------------------------------------------------------------------------------

    def _auto_source(self) -> None:
        """Show the first source that has data when the default shows nothing."""
        present = {s.source for s in self._series.values()}
        if present and self.show_source != "all" and self.show_source not in present \
                and not self._show_source_set:
            for candidate in SOURCES:
                if candidate in present:
                    self.show_source = candidate
                    break
        if present:
            self._show_source_set = True

    def _ingest(self, batches: list[RunTensors]) -> None:
        for batch in batches:
            for record in batch.records:
                if record.kind != HISTOGRAM:
                    continue
                row = self._row(record)
                if row is None:
                    continue
                key = (batch.run, record.tag)
                series = self._series.get(key)
                if series is None:
                    extra = record.extra
                    color = self._run_colors.setdefault(batch.run, run_color(batch.run))
                    series = _Series(
                        len(self._series), batch.run, record.tag, _record_source(extra),
                        str(extra.get("layer", "")), str(extra.get("param", "")),
                        _group_of(record.tag, extra), color)
                    self._series[key] = series
                    self._needs_snapshot = True
                series.rows.append(row)
                if len(series.rows) > 2 * self.max_steps:
                    self._thin(series)
            self._data_version += 1
            self._last_data = time.monotonic()

    def _thin(self, series: _Series) -> None:
        """Keep at most ``max_steps`` rows, evenly spaced, first and last kept."""
        count = len(series.rows)
        keep = np.unique(np.linspace(0, count - 1, self.max_steps).round().astype(np.int64))
        series.rows = [series.rows[i] for i in keep]
        self._needs_snapshot = True

    # -- data out --------------------------------------------------------------------------

    def _ordered(self) -> list[_Series]:
        return sorted(self._series.values(), key=lambda s: s.id)

    def _pack(self, series: _Series, start: int = 0) -> bytes:
        rows = series.rows[start:]
        if not rows:
            return b""
        return np.ascontiguousarray(np.stack(rows), dtype="<f8").tobytes()

    def _send_snapshot(self) -> None:
        ordered = self._ordered()
        payload = b"".join(self._pack(s) for s in ordered)
        self._seq += 1
        with self.hold_sync():
            self.series = [s.info(len(s.rows)) for s in ordered]
            self.snapshot = payload
            self.snapshot_seq = self._seq
        for s in ordered:
            s.sent = len(s.rows)
        self._snapshot_sent(len(payload))

    def _send_append(self) -> None:
        fresh = [s for s in self._ordered() if len(s.rows) > s.sent]
        if not fresh:
            return
        infos = [s.info(len(s.rows) - s.sent) for s in fresh]
        payload = b"".join(self._pack(s, s.sent) for s in fresh)
        self._seq += 1
        self.send({"type": "append", "seq": self._seq, "series": infos}, [payload])
        for s in fresh:
            s.sent = len(s.rows)
        self._append_sent(len(payload))

    def _ingest_new(self) -> None:
        self._ingest(self._source.poll())
        self._auto_source()

    def _has_unsent(self) -> bool:
        return any(len(s.rows) > s.sent for s in self._series.values())

    # -- pictures --------------------------------------------------------------------------

    def _visible(self) -> list[_Series]:
        with self._lock:
            hidden = set(self.hidden_runs)
            return [s for s in self._ordered() if s.rows and s.run not in hidden
                    and (self.show_source == "all" or s.source == self.show_source)]

    def _render_png(self) -> bytes:
        return self._render()

    def summary(self) -> str:
        """One-line text summary."""
        with self._lock:
            runs = list(self._run_colors)
            records = sum(len(s.rows) for s in self._series.values())
            count = len(self._series)
        return (f"nbviz.{type(self).__name__}: {len(runs)} run(s), {count} histogram tag(s), "
                f"{records} step(s) from {self._source.describe()}")


MAX_PICTURE_CHARTS = 9


class Histograms(_RecordPanel):
    """Live TensorBoard-style histograms: one chart per tag, steps stacked in depth
    (newest in front) or overlaid; grouped by layer; weights/grads/… toggle; hover
    shows step, bin range and count.

    >>> display(nbviz.Histograms(run))                # doctest: +SKIP
    >>> nbviz.Histograms("runs", show_source="grads")  # doctest: +SKIP

    Row layout (docs/wire.md): ``step, wall_time, low, high, count[bins]`` — every
    record rebinned onto ``bins`` equal buckets over its own [low, high].
    """

    bins = traitlets.Int(40).tag(sync=True)
    mode = traitlets.Enum(("offset", "overlay"), default_value="offset").tag(sync=True)

    _bundle = "histograms"
    _where = "Histograms()"

    def __init__(self, source: Any, *, bins: int = 40, mode: str = "offset",
                 show_source: str = "weights", tag_filter: str = "", max_steps: int = 500,
                 title: str = "") -> None:
        if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 512:
            raise ValueError(
                f"Histograms(): 'bins' must be an int in 2..512, got {describe(bins)}.")
        if mode not in ("offset", "overlay"):
            raise ValueError(f"Histograms(): 'mode' must be 'offset' or 'overlay', got {mode!r}.")
        self._bins = bins
        super().__init__(source, max_steps=max_steps, show_source=show_source,
                         tag_filter=tag_filter, title=title, bins=bins, mode=mode,
                         stride=4 + bins, row=self._histogram_row, render=self._picture)

    def _histogram_row(self, record: TensorRecord) -> np.ndarray | None:
        array = np.asarray(record.array, np.float64)
        if array.ndim != 2 or array.shape[0] != 2 or array.shape[1] == 0:
            return None
        edges = record_edges(array, record.extra)
        counts = array[1]
        nonzero = np.flatnonzero(counts > 0)
        if nonzero.size == 0:
            low = high = float(edges[0])
        else:  # the support: from the lower edge of the first to the upper of the last bucket
            low, high = float(edges[nonzero[0]]), float(edges[nonzero[-1] + 1])
        if not (math.isfinite(low) and math.isfinite(high)):
            return None
        if high <= low:  # all mass at one point: a narrow bucket around it
            pad = abs(low) * 1e-3 or 1e-3
            low, high = low - pad, high + pad
        target = np.linspace(low, high, self._bins + 1)
        new_counts = rebin(array, target, record.extra)
        return np.concatenate([[float(record.step), record.wall_time, low, high], new_counts])

    def _picture(self) -> bytes:
        return histograms_png(self._visible()[:MAX_PICTURE_CHARTS], self._bins)


class Distributions(_RecordPanel):
    """Live TensorBoard-style distributions: percentile bands over steps (min, 7 %, 16 %,
    31 %, 50 %, 69 %, 84 %, 93 %, max), one chart per tag.

    >>> display(nbviz.Distributions(run))   # doctest: +SKIP

    Row layout (docs/wire.md): ``step, wall_time, p[9]`` at TensorBoard's basis points.
    """

    basis_points = traitlets.List(traitlets.Int(), default_value=list(BASIS_POINTS)).tag(
        sync=True)

    _bundle = "distributions"
    _where = "Distributions()"

    def __init__(self, source: Any, *, show_source: str = "weights", tag_filter: str = "",
                 max_steps: int = 500, title: str = "") -> None:
        super().__init__(source, max_steps=max_steps, show_source=show_source,
                         tag_filter=tag_filter, title=title, stride=2 + len(BASIS_POINTS),
                         row=self._percentile_row, render=self._picture)

    def _percentile_row(self, record: TensorRecord) -> np.ndarray | None:
        array = np.asarray(record.array, np.float64)
        if array.ndim != 2 or array.shape[0] != 2 or array.shape[1] == 0:
            return None
        values = percentiles(array, record.extra)
        if not np.all(np.isfinite(values)):
            return None
        return np.concatenate([[float(record.step), record.wall_time], values])

    def _picture(self) -> bytes:
        return distributions_png(self._visible()[:MAX_PICTURE_CHARTS])
