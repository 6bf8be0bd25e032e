"""The Graph panel: a model's graph collapsed by module, expandable in place, searchable,
with each module coloured live by a training statistic of the run ``nbviz.watch`` writes.

Wire contract: docs/wire.md ("Graph"). Python ``Graph`` ↔ ``js/src/panels/graph/``.
``Graph(model, example_inputs)`` captures the graph in this kernel
(:mod:`nbviz.panels.graph.capture`); ``Graph(run_or_logdir)`` shows the latest ``graph``
record of a run (nbviz's, torch.jit, ONNX, TensorBoard GraphDef, Keras) — the Dashboard's
Graph tab. Both follow the ``stats`` / ``finding`` records of their run for the overlay.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.graph.hierarchy import view
from nbviz.panels.graph.overlay import OVERLAY_STATISTICS, OverlayState
from nbviz.panels.graph.picture import graph_png
from nbviz.sources import RunTensors, Source, as_source
from nbviz.store.kinds import FINDING, GRAPH, STATS
from nbviz.store.sqlite import TensorRecord
from nbviz.widgets._base import LivePanel

__all__ = ["Graph"]

_OVERLAY_KINDS = frozenset({STATS, FINDING})
_SOURCE_KINDS = frozenset({GRAPH, STATS, FINDING})


def _is_module(value: Any) -> bool:
    return hasattr(value, "named_modules") and hasattr(value, "forward") and callable(value)


def _decode_graph(record: TensorRecord) -> dict[str, Any] | None:
    text = np.asarray(record.array, dtype=np.uint8).tobytes().decode("utf-8", "replace")
    try:
        graph = json.loads(text)
    except ValueError:
        return None
    return graph if isinstance(graph, dict) else None


class Graph(LivePanel):
    """A model's graph, collapsed to its top-level modules: click a group to expand it,
    search by name or type, hover for shapes and hyperparameters, click a node to
    highlight its inputs and outputs; nodes coloured live by a training statistic.

    >>> display(nbviz.Graph(model, images))                 # doctest: +SKIP
    >>> nbviz.Graph(model, {"input_ids": ids}, run=run)     # doctest: +SKIP
    >>> nbviz.Graph("runs/exp1")                            # doctest: +SKIP

    ``example_inputs``: a tensor, tuple, dict or dataclass (see ``capture_graph``);
    ``run``: the run whose statistics colour the nodes (default: the current run, as
    ``nbviz.watch`` uses); ``statistic``: one of ``OVERLAY_STATISTICS``; ``tag``: which
    graph record of a run to show (default: the latest).
    """

    view = traitlets.Dict().tag(sync=True)
    view_seq = traitlets.Int(0).tag(sync=True)
    statistics = traitlets.List(traitlets.Unicode(), default_value=list(OVERLAY_STATISTICS)
                                ).tag(sync=True)
    statistic = traitlets.Unicode("grad_norm").tag(sync=True)
    overlay_keys = traitlets.List(traitlets.Unicode()).tag(sync=True)
    overlay = traitlets.Bytes(b"").tag(sync=True)
    overlay_seq = traitlets.Int(0).tag(sync=True)
    overlay_step = traitlets.Int(-1).tag(sync=True)
    findings = traitlets.List(traitlets.Dict()).tag(sync=True)
    run_name = traitlets.Unicode("").tag(sync=True)

    _bundle = "graph"
    OVERLAY_INTERVAL = 0.25  # the overlay is a full snapshot: at most 4 per second

    def __init__(self, model_or_source: Any, example_inputs: Any = None, *, run: Any = None,
                 statistic: str = "grad_norm", tag: str | None = None, title: str = "",
                 methods: Any = None) -> None:
        if statistic not in OVERLAY_STATISTICS:
            raise ValueError(f"Graph(): 'statistic' must be one of {OVERLAY_STATISTICS}, got "
                             f"{describe(statistic)}.")
        if tag is not None and not isinstance(tag, str):
            raise TypeError(f"Graph(): 'tag' must be a string or None, got {describe(tag)}.")
        self._tag = tag
        self._graph: dict[str, Any] | None = None
        self._view: dict[str, Any] = {}
        self._view_dirty = False
        self._overlay_state = OverlayState()
        self._overlay_dirty = False
        self._last_send = 0.0
        self._overlay_source: Source | None = None
        self._graph_source: Source | None = None
        self._follow_current = False
        if _is_module(model_or_source):
            from nbviz.panels.graph.capture import METHODS, capture_graph
            from nbviz.panels.graph.record import warn_capture

            graph = capture_graph(model_or_source, example_inputs, where="Graph()",
                                  inputs_name="example_inputs",
                                  methods=METHODS if methods is None else methods)
            warn_capture(graph, "Graph()")
            self._set_graph(graph)
            if run is not None:
                self._overlay_source = as_source(run, kinds=_OVERLAY_KINDS)
            else:
                self._follow_current = True
                self._overlay_source = self._current_run_source()
        else:
            if example_inputs is not None:
                raise TypeError(
                    f"Graph(): 'example_inputs' only goes with a model; the first argument is "
                    f"{describe(model_or_source)}, a run or logdir whose graph records are shown.")
            try:
                self._graph_source = as_source(model_or_source, kinds=_SOURCE_KINDS)
            except (TypeError, ValueError) as error:
                raise TypeError(f"Graph(): 'model_or_source' must be a torch.nn.Module, a Run or "
                                f"a logdir; {error}") from None
        super().__init__(statistic=statistic, title=str(title))

    # -- data in -------------------------------------------------------------------------

    @staticmethod
    def _current_run_source() -> Source | None:
        from nbviz.record.run import current_run

        try:
            return as_source(current_run(), kinds=_OVERLAY_KINDS)
        except RuntimeError:
            return None

    def _set_graph(self, graph: dict[str, Any]) -> None:
        self._graph = graph
        self._view = view(graph)
        self._view_dirty = True
        self._data_version += 1

    def _ingest(self, batches: list[RunTensors]) -> None:
        for batch in batches:
            graphs = [r for r in batch.records if r.kind == GRAPH
                      and (self._tag is None or r.tag == self._tag)]
            if graphs and (not self._overlay_state.run or batch.run == self._overlay_state.run):
                graph = _decode_graph(graphs[-1])
                if graph is not None:
                    if graphs[-1].extra.get("format") and "format" not in graph:
                        graph["format"] = graphs[-1].extra["format"]
                    self._set_graph(graph)
                    self._overlay_state.run = self._overlay_state.run or batch.run
            if self._overlay_state.ingest(batch.records, batch.run):
                self._overlay_dirty = True
                self._data_version += 1

    def _poll(self) -> None:
        if self._graph_source is not None:
            self._ingest(self._graph_source.poll())
        if self._overlay_source is None and self._follow_current:
            self._overlay_source = self._current_run_source()
        if self._overlay_source is not None:
            self._ingest(self._overlay_source.poll())

    def _first_poll(self) -> None:
        self._poll()
        self._send_state_all()

    # -- data out ------------------------------------------------------------------------

    def _send_state_all(self) -> None:
        state = self._overlay_state
        keys = state.keys()
        with self.hold_sync():
            if self._view_dirty:
                self.view = self._view
                self.view_seq += 1
                self._view_dirty = False
            self.overlay_keys = keys
            self.overlay = state.buffer(keys).astype("<f8").tobytes()
            self.overlay_step = state.step
            self.findings = state.finding_list()
            self.run_name = state.run
            self.overlay_seq += 1
        self._overlay_dirty = False
        self._last_send = time.monotonic()
        self._message_sent()

    def _tick(self) -> None:
        with self._lock:
            self._poll()
            due = time.monotonic() - self._last_send >= self.OVERLAY_INTERVAL
            if (self._view_dirty or self._overlay_dirty) and due:
                self._send_state_all()

    def sync(self) -> None:
        """Poll now and send the complete state."""
        with self._lock:
            self._poll()
            if self._view_dirty or self._overlay_dirty:
                self._send_state_all()

    @property
    def graph(self) -> dict[str, Any] | None:
        """The captured / recorded graph in nbviz's graph form (docs/store.md)."""
        return self._graph

    def summary(self) -> str:
        """One line: model, capture method and fallbacks, size, overlay state."""
        with self._lock:
            if not self._view:
                return "nbviz.Graph: no graph yet"
            capture = self._view.get("capture", {})
            text = (f"nbviz.Graph: {self._view.get('name') or 'graph'}, "
                    f"{len(self._view['nodes'])} nodes in {len(self._view['groups'])} groups")
            if self._view.get("params"):
                text += f", {self._view['params']:,} parameters"
            if capture.get("method"):
                text += f", captured with {capture['method']}"
            failed = [f["method"] for f in capture.get("fallbacks", [])]
            if failed:
                text += f" (after {', '.join(failed)} failed)"
            if capture.get("error"):
                text += f"; partial: {capture['error']}"
            if self._overlay_state.values:
                text += f"; statistics of run {self._overlay_state.run!r} at step " \
                        f"{self._overlay_state.step}"
            return text

    def _render_png(self) -> bytes:
        with self._lock:
            values = {key: stats[self.statistic] for key, stats in
                      self._overlay_state.values.items() if self.statistic in stats}
            flagged = frozenset(f["layer"] for f in self._overlay_state.finding_list())
            drawable = self._view or view({"nodes": []})
        return graph_png(drawable, values, self.statistic, flagged)
