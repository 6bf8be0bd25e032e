"""The Health panel: a layer × step heat map of one statistic (gradient norm, update
ratio, % dead units, activation std) with the health findings as badges.

Wire contract: docs/wire.md ("Health"). Python ``Health`` ↔ ``js/src/panels/health/``.
It reads the ``stats`` records ``nbviz.watch`` writes and the ``finding`` records of
the rules (:mod:`nbviz.panels.health.rules`) through a source, so it follows a live
run of this kernel, a run another process writes, or a logdir.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.health.layer_stats import (
    ROOT_LAYER,
    LayerSources,
    combine_layer_stats,
    stats_by_layer_step,
)
from nbviz.panels.health.picture import health_png
from nbviz.sources import RunTensors, Source, as_source
from nbviz.store.kinds import FINDING, STATS
from nbviz.store.sqlite import TensorRecord
from nbviz.widgets._base import LivePanel

__all__ = ["HEALTH_STATISTICS", "Health"]

# Heat-map statistics, in the order of the snapshot's matrices.
HEALTH_STATISTICS = ("grad_norm", "update_ratio", "dead_frac", "act_std")


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

    _bundle = "health"

    def __init__(self, source: Any, *, statistic: str = "grad_norm", max_steps: int = 500,
                 title: str = "") -> None:
        if statistic not in HEALTH_STATISTICS:
            raise ValueError(
                f"Health(): 'statistic' must be one of {HEALTH_STATISTICS}, got "
                f"{describe(statistic)}.")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 2:
            raise ValueError(
                f"Health(): 'max_steps' must be an int >= 2, got {describe(max_steps)}.")
        self._source: Source = as_source(source, kinds=frozenset({STATS, FINDING}))
        self._run = ""
        self._layer_order: list[str] = []
        self._layers: dict[str, _LayerStats] = {}
        self._steps: set[int] = set()
        self._findings: list[dict[str, Any]] = []
        self._dirty = False
        self._seq = 0
        self._last_send = 0.0
        super().__init__(statistic=statistic, max_steps=max_steps, title=str(title))

    def _first_poll(self) -> None:
        self._ingest(self._source.poll())
        self._send_snapshot()

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
            pending = stats_by_layer_step(batch.records, unnamed_layer=ROOT_LAYER)
            # findings after the stats: layers keep model order
            findings = [record for record in batch.records if record.kind == FINDING]
            for (layer, step), by_source in pending.items():
                self._combine(layer, step, by_source)
            for record in findings:
                self._finding(record)
            self._data_version += 1
            self._dirty = True

    def _combine(self, layer: str, step: int,
                 by_source: LayerSources) -> None:
        """One layer's heat-map values at one step from its parameters' / output's stats."""
        out = combine_layer_stats(by_source)
        out.pop("act_mean", None)  # the heat map has no row for it (the Graph overlay has)
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
        self._message_sent(self._last_send)

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
        with self._lock:
            steps, matrices = self._matrix()
            layers = list(self._layer_order)
            flagged = {f["layer"] for f in self._findings}
        matrix = matrices[HEALTH_STATISTICS.index(self.statistic)]
        return health_png(steps, matrix, layers, flagged, self.statistic, self._run)
