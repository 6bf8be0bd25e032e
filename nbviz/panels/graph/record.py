"""``Run.log_graph`` / ``SummaryWriter.add_graph``'s fallback: capture a model's graph
and record it once per run and tag as a ``graph`` record (docs/store.md, "Graph form").

A capture that fails never stops the training cell: the tracers' failures become
fallbacks, a forward that raises leaves the partial graph of what ran, and both are
reported with one warning. Only a wrong argument (not a module, inputs that do not fit
``forward``) raises.
"""

from __future__ import annotations

import json
import warnings
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from nbviz._validate import check_tag
from nbviz.panels.graph.capture import FORMAT, METHODS, capture_graph
from nbviz.store.kinds import GRAPH

if TYPE_CHECKING:
    from nbviz._recorder import Recorder

__all__ = ["graph_bytes", "log_graph"]

_LOGGED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def graph_bytes(graph: dict[str, Any]) -> np.ndarray:
    """The stored array of a ``graph`` record: UTF-8 JSON as uint8."""
    return np.frombuffer(json.dumps(graph, default=str).encode("utf-8"), dtype=np.uint8).copy()


def warn_capture(graph: dict[str, Any], where: str) -> None:
    """One warning when the capture fell back or holds only a partial graph."""
    capture = graph.get("capture", {})
    if capture.get("error"):
        warnings.warn(f"{where}: the forward of {graph.get('name', 'the model')} raised "
                      f"({capture['error']}); recorded the part of the graph that ran.",
                      RuntimeWarning, stacklevel=3)


def log_graph(run: Recorder, model: Any, inputs: Any, *, tag: str = "graph",
              step: int | None = None, methods: Any = METHODS) -> dict[str, Any] | None:
    """Capture ``model``'s graph on ``inputs`` and record it in ``run`` — once per run and
    ``tag`` (later calls return None at once, so it is safe inside a training loop).
    Returns the captured graph.

    >>> run.log_graph(model, images)  # doctest: +SKIP
    """
    where = "log_graph()"
    check_tag(tag, where=where)
    if run.finished:
        raise RuntimeError(f"{where}: run {run.name!r} is finished; start a new one with init().")
    done = _LOGGED.setdefault(run, set())
    if tag in done:
        return None
    step_value = run.resolve_step(step, where=where)
    graph = capture_graph(model, inputs, methods=methods, where=where)  # raises: bad arguments
    warn_capture(graph, where)
    extra = {"format": FORMAT, "method": graph["capture"]["method"]}
    run.log_tensor(GRAPH, tag, graph_bytes(graph), step_value, extra)
    done.add(tag)
    return graph
