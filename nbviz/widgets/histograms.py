"""Histogram panels: ``Histograms`` (ridgelines), ``Distributions`` (percentile bands)
and ``Health`` (layer × step heat map of one statistic, with health findings).

Wire contracts: docs/wire.md ("Histograms", "Distributions", "Health").
Python ``Histograms`` ↔ ``js/src/histograms.ts``, ``Distributions`` ↔
``js/src/distributions.ts``, ``Health`` ↔ ``js/src/health.ts``.

They read ``histogram`` records (written by ``nbviz.watch``, ``Run.log_histogram``
and the SummaryWriter facade's ``add_histogram``), ``stats`` and ``finding``
records through a source, so the same panel follows a live run of this kernel,
a run another process writes, or a logdir. The kernel does the numeric work
(rebinning every record onto ``bins`` equal buckets over its own range,
percentiles, per-layer aggregation) with numpy and sends fixed-stride float64
rows; all interaction happens in the page.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.hooks.histograms import BASIS_POINTS, percentiles, rebin, record_edges
from nbviz.sources import RunTensors, Source, as_source
from nbviz.store.sqlite import TensorRecord
from nbviz.widgets._base import LivePanel, StreamingPanel
from nbviz.widgets._bundle import bundle_path
from nbviz.widgets._palette import run_color

__all__ = ["HEALTH_STATISTICS", "SOURCES", "Distributions", "Health", "Histograms"]

SOURCES = ("weights", "grads", "activations", "updates", "user")

# Heat-map statistics: name -> (record source, how a layer's value is built).
HEALTH_STATISTICS = ("grad_norm", "update_ratio", "dead_frac", "act_std")


def _record_source(extra: dict[str, Any]) -> str:
    source = extra.get("source")
    return source if isinstance(source, str) and source in SOURCES else "user"


def _group_of(tag: str, extra: dict[str, Any]) -> str:
    """Charts are grouped by layer for hook records, by tag prefix otherwise."""
    layer = extra.get("layer")
    if isinstance(layer, str) and "source" in extra and extra.get("source") != "user":
        return layer or "<model>"
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
    snapshot = traitlets.Bytes(b"").tag(sync=True)
    snapshot_seq = traitlets.Int(0).tag(sync=True)
    stride = traitlets.Int(0).tag(sync=True)
    show_source = traitlets.Unicode("weights").tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_steps = traitlets.Int(500).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

    _panel = ""
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
        self._source: Source = as_source(source, kinds=frozenset({"histogram"}))
        self._esm = bundle_path(self._panel).read_text(encoding="utf-8")
        super().__init__(max_steps=max_steps, show_source=show_source, tag_filter=tag_filter,
                         title=title, **traits)
        self._lock = threading.RLock()
        self._series: dict[tuple[str, str], _Series] = {}
        self._run_colors: dict[str, int] = {}
        self._init_stream()
        self._data_version = 0
        self._picture_version = -1
        self._show_source_set = False
        with self._lock:
            self._ingest(self._source.poll())
            self._auto_source()
            self._send_snapshot()
        self._start_ticking()

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
                if record.kind != "histogram":
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


def _figure(count: int, width: float = 9.0, row_height: float = 2.6) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    columns = min(3, max(count, 1))
    rows = max(1, math.ceil(count / columns))
    figure = Figure(figsize=(width, row_height * rows + 0.3), dpi=80)
    axes = [figure.add_subplot(rows, columns, i + 1) for i in range(max(count, 1))]
    return figure, axes


def _png(figure: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


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

    _panel = "histograms"
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
        visible = self._visible()[:MAX_PICTURE_CHARTS]
        figure, axes = _figure(len(visible))
        if not visible:
            axes[0].text(0.5, 0.5, "no histograms yet", ha="center", va="center")
            axes[0].set_axis_off()
            return _png(figure)
        from matplotlib import colormaps

        cmap = colormaps["viridis"]
        for ax, series in zip(axes, visible, strict=False):
            rows = np.stack(series.rows)
            shown = rows[np.unique(np.linspace(0, len(rows) - 1, min(len(rows), 30))
                                   .round().astype(int))]
            peak = max(float(shown[:, 4:].max()), 1e-300)  # heights: counts, as in the page
            for index, row in enumerate(shown):
                edges = np.linspace(row[2], row[3], self._bins + 1)
                density = row[4:] / peak
                offset = len(shown) - 1 - index
                xs = np.repeat(edges, 2)[1:-1]
                ys = np.repeat(density, 2) * 2.5 + offset
                color = cmap(index / max(len(shown) - 1, 1))
                ax.fill_between(xs, offset, ys, color=color, alpha=0.6, linewidth=0.5)
            ax.set_title(f"{series.tag} ({series.run})", fontsize=8)
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
        figure.tight_layout()
        return _png(figure)


class Distributions(_RecordPanel):
    """Live TensorBoard-style distributions: percentile bands over steps (min, 7 %, 16 %,
    31 %, 50 %, 69 %, 84 %, 93 %, max), one chart per tag.

    >>> display(nbviz.Distributions(run))   # doctest: +SKIP

    Row layout (docs/wire.md): ``step, wall_time, p[9]`` at TensorBoard's basis points.
    """

    basis_points = traitlets.List(traitlets.Int(), default_value=list(BASIS_POINTS)).tag(
        sync=True)

    _panel = "distributions"
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
        visible = self._visible()[:MAX_PICTURE_CHARTS]
        figure, axes = _figure(len(visible))
        if not visible:
            axes[0].text(0.5, 0.5, "no histograms yet", ha="center", va="center")
            axes[0].set_axis_off()
            return _png(figure)
        for ax, series in zip(axes, visible, strict=False):
            rows = np.stack(series.rows)
            steps = rows[:, 0]
            for band, alpha in zip(range(4), (0.15, 0.25, 0.35, 0.45), strict=True):
                ax.fill_between(steps, rows[:, 2 + band], rows[:, 2 + 8 - band],
                                color="#ff7043", alpha=alpha, linewidth=0)
            ax.plot(steps, rows[:, 2 + 4], color="#ff7043", linewidth=1)
            ax.set_title(f"{series.tag} ({series.run})", fontsize=8)
            ax.tick_params(labelsize=7)
        figure.tight_layout()
        return _png(figure)


@dataclass
class _LayerStats:
    """Per-step values of one layer: stat name -> {step: value}."""

    values: dict[str, dict[int, float]] = field(default_factory=dict)


class Health(LivePanel):
    """Layer × step heat map of one statistic (gradient norm, update ratio, % dead units,
    activation std) for a whole network at a glance, with health findings as badges on the
    affected layers and in a list.

    >>> display(nbviz.Health(run))                          # doctest: +SKIP
    >>> nbviz.Health(run, statistic="update_ratio")         # doctest: +SKIP

    Buffer layout (docs/wire.md): ``steps[S]`` then, for each of ``statistics`` in order,
    a row-major ``[len(layers), S]`` float64 matrix (NaN where a layer has no value).
    """

    layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    statistics = traitlets.List(traitlets.Unicode(), default_value=list(HEALTH_STATISTICS)).tag(
        sync=True)
    statistic = traitlets.Unicode("grad_norm").tag(sync=True)
    step_count = traitlets.Int(0).tag(sync=True)
    snapshot = traitlets.Bytes(b"").tag(sync=True)
    snapshot_seq = traitlets.Int(0).tag(sync=True)
    findings = traitlets.List(traitlets.Dict()).tag(sync=True)
    run_name = traitlets.Unicode("").tag(sync=True)
    max_steps = traitlets.Int(500).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

    def __init__(self, source: Any, *, statistic: str = "grad_norm", max_steps: int = 500,
                 title: str = "") -> None:
        if statistic not in HEALTH_STATISTICS:
            raise ValueError(
                f"Health(): 'statistic' must be one of {HEALTH_STATISTICS}, got "
                f"{describe(statistic)}.")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 2:
            raise ValueError(
                f"Health(): 'max_steps' must be an int >= 2, got {describe(max_steps)}.")
        self._source: Source = as_source(source, kinds=frozenset({"stats", "finding"}))
        self._esm = bundle_path("health").read_text(encoding="utf-8")
        super().__init__(statistic=statistic, max_steps=max_steps, title=str(title))
        self._lock = threading.RLock()
        self._run = ""
        self._layer_order: list[str] = []
        self._layers: dict[str, _LayerStats] = {}
        self._steps: set[int] = set()
        self._findings: list[dict[str, Any]] = []
        self._dirty = False
        self._seq = 0
        self._last_send = 0.0
        self._data_version = 0
        self._picture_version = -1
        self.messages_sent = 0
        with self._lock:
            self._ingest(self._source.poll())
            self._send_snapshot()
        self._start_ticking()

    # -- data in -------------------------------------------------------------------------

    def _layer(self, name: str) -> _LayerStats:
        if name not in self._layers:
            self._layers[name] = _LayerStats()
            self._layer_order.append(name)
        return self._layers[name]

    def _ingest(self, batches: list[RunTensors]) -> None:
        for batch in batches:
            if not self._run:
                self._run = batch.run
            if batch.run != self._run:
                continue  # one run per heat map: the first one seen
            pending: dict[tuple[str, int], dict[str, list[tuple[str, dict[str, float]]]]] = {}
            findings: list[TensorRecord] = []
            for record in batch.records:
                if record.kind == "finding":
                    findings.append(record)  # after the stats: layers keep model order
                    continue
                if record.kind != "stats":
                    continue
                names = record.extra.get("names")
                if not isinstance(names, list) or len(names) != record.array.size:
                    continue
                values = dict(zip((str(n) for n in names),
                                  (float(v) for v in np.asarray(record.array, np.float64)),
                                  strict=True))
                layer = str(record.extra.get("layer", "")) or "<model>"
                source = str(record.extra.get("source", ""))
                param = str(record.extra.get("param", ""))
                pending.setdefault((layer, record.step), {}).setdefault(source, []).append(
                    (param, values))
            for (layer, step), by_source in pending.items():
                self._combine(layer, step, by_source)
            for record in findings:
                self._finding(record)
            self._data_version += 1
            self._dirty = True

    def _combine(self, layer: str, step: int,
                 by_source: dict[str, list[tuple[str, dict[str, float]]]]) -> None:
        """One layer's heat-map values at one step from its parameters' / output's stats."""
        out: dict[str, float] = {}
        grads = by_source.get("grads", [])
        if grads:
            out["grad_norm"] = math.sqrt(sum(v.get("norm", math.nan) ** 2 for _, v in grads))
        updates = by_source.get("updates", [])
        if updates:
            weights = {p: v for p, v in by_source.get("weights", [])}
            delta = sum(v.get("norm", math.nan) ** 2 for _, v in updates)
            base = sum(weights[p].get("norm", math.nan) ** 2 for p, _ in updates if p in weights)
            ratios = [v["ratio"] for _, v in updates if "ratio" in v]
            if base > 0:
                out["update_ratio"] = math.sqrt(delta) / math.sqrt(base)
            elif ratios:
                out["update_ratio"] = ratios[0]
        for _, values in by_source.get("activations", []):
            if "dead_frac" in values:
                out["dead_frac"] = values["dead_frac"]
            if "std" in values:
                out["act_std"] = values["std"]
        if not out:
            return
        stats = self._layer(layer)
        for name, value in out.items():
            stats.values.setdefault(name, {})[step] = value
        self._steps.add(step)

    def _finding(self, record: TensorRecord) -> None:
        extra = record.extra
        layer = str(extra.get("layer", ""))
        item: dict[str, Any] = {"step": int(record.step), "layer": layer,
                "rule": str(extra.get("rule", "")), "severity": str(extra.get("severity", "")),
                "message": str(extra.get("message", "")), "param": str(extra.get("param", ""))}
        if item not in self._findings:
            self._findings.append(item)
            if layer and layer not in self._layers:
                self._layer(layer)

    # -- data out ------------------------------------------------------------------------

    def _matrix(self) -> tuple[np.ndarray, list[np.ndarray]]:
        steps = np.array(sorted(self._steps), dtype=np.float64)
        if steps.size > self.max_steps:
            keep = np.unique(np.linspace(0, steps.size - 1, self.max_steps).round().astype(int))
            steps = steps[keep]
        position = {int(s): i for i, s in enumerate(steps)}
        matrices = []
        for name in HEALTH_STATISTICS:
            matrix = np.full((len(self._layer_order), steps.size), np.nan)
            for row, layer in enumerate(self._layer_order):
                for step, value in self._layers[layer].values.get(name, {}).items():
                    column = position.get(step)
                    if column is not None:
                        matrix[row, column] = value
            matrices.append(matrix)
        return steps, matrices

    def _send_snapshot(self) -> None:
        steps, matrices = self._matrix()
        payload = b"".join([steps.astype("<f8").tobytes()]
                           + [m.astype("<f8").tobytes() for m in matrices])
        self._seq += 1
        with self.hold_sync():
            self.layers = list(self._layer_order)
            self.step_count = int(steps.size)
            self.findings = list(self._findings)
            self.run_name = self._run
            self.snapshot = payload
            self.snapshot_seq = self._seq
        self._dirty = False
        self._last_send = time.monotonic()
        self.messages_sent += 1

    HEALTH_INTERVAL = 0.25  # the heat map is a full snapshot: at most 4 per second

    def _tick(self) -> None:
        with self._lock:
            self._ingest(self._source.poll())
            if self._dirty and time.monotonic() - self._last_send >= self.HEALTH_INTERVAL:
                self._send_snapshot()

    def sync(self) -> None:
        """Poll now and send the complete state."""
        with self._lock:
            self._ingest(self._source.poll())
            if self._dirty:
                self._send_snapshot()

    def summary(self) -> str:
        """One-line text summary with the findings."""
        with self._lock:
            count = len(self._findings)
            rules = sorted({f["rule"] for f in self._findings})
            return (f"nbviz.Health: run {self._run!r}, {len(self._layer_order)} layer(s), "
                    f"{len(self._steps)} step(s), {count} finding(s)"
                    + (f" [{', '.join(rules)}]" if rules else ""))

    def _render_png(self) -> bytes:
        from matplotlib import colors as mcolors

        with self._lock:
            steps, matrices = self._matrix()
            layers = list(self._layer_order)
            flagged = {f["layer"] for f in self._findings}
        index = HEALTH_STATISTICS.index(self.statistic)
        matrix = matrices[index]
        figure, axes = _figure(1, width=9.0, row_height=max(2.5, 0.28 * len(layers) + 1.2))
        ax = axes[0]
        if not layers or steps.size == 0:
            ax.text(0.5, 0.5, "no layer statistics yet", ha="center", va="center")
            ax.set_axis_off()
            return _png(figure)
        finite = matrix[np.isfinite(matrix)]
        norm: Any = None
        if self.statistic in ("grad_norm", "update_ratio", "act_std") and finite.size and \
                (finite > 0).any():
            positive = finite[finite > 0]
            norm = mcolors.LogNorm(vmin=float(positive.min()), vmax=float(max(positive.max(),
                                   positive.min() * 1.0001)))
        image = ax.imshow(np.where(np.isfinite(matrix) & ((matrix > 0) | (norm is None)),
                                   matrix, np.nan),
                          aspect="auto", interpolation="nearest", cmap="magma", norm=norm)
        ticks = np.unique(np.linspace(0, steps.size - 1, min(steps.size, 8)).round().astype(int))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(int(steps[i])) for i in ticks], fontsize=7)
        ax.set_yticks(range(len(layers)))
        ax.set_yticklabels([("⚠ " if name in flagged else "") + name for name in layers],
                           fontsize=7)
        ax.set_xlabel("step", fontsize=8)
        ax.set_title(f"{self.statistic} per layer ({self._run})", fontsize=9)
        figure.colorbar(image, ax=ax)
        figure.tight_layout()
        return _png(figure)

