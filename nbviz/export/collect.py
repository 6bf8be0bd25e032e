"""Which widgets a snapshot holds: a panel, or a Dashboard and the panels of its tabs.

Each registered panel kind provides its snapshot through ``LivePanel._snapshot_state``
(``tests/python/test_export.py`` checks every row of the registry); a Dashboard adds
its own synced state (tabs, runs, run selection) and its tabs' panels, each under the
``anywidget:<model id>`` reference the Dashboard's JS asks its host for.

>>> [w.bundle for w in collect(nbviz.Dashboard("runs"), 2000)]   # doctest: +SKIP
['dashboard', 'scalars', 'histograms', ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbviz._validate import describe
from nbviz.export.state import synced_state

__all__ = ["WidgetSnapshot", "collect", "reference"]


@dataclass(frozen=True)
class WidgetSnapshot:
    """One widget of a snapshot: its reference, the bundle that draws it, its state, and
    the custom messages (content, buffers) replayed into it once it is shown."""

    ref: str
    bundle: str
    state: dict[str, Any]
    messages: list[tuple[dict[str, Any], list[bytes]]] = field(default_factory=list)


def reference(widget: Any) -> str:
    """The reference a Dashboard names a child widget by (``anywidget:<model id>``)."""
    return f"anywidget:{widget.model_id}"


def can_snapshot(widget: Any) -> bool:
    """True for a widget that can write an offline snapshot of itself (nbviz's panels)."""
    from nbviz.widgets.dashboard import Dashboard

    return isinstance(widget, Dashboard) or (
        callable(getattr(widget, "_snapshot_state", None))
        and callable(getattr(widget, "_snapshot_messages", None))
        and bool(getattr(type(widget), "_bundle", "")) and hasattr(widget, "model_id"))


def collect(widget: Any, max_points: int) -> list[WidgetSnapshot]:
    """The snapshots ``widget`` needs: itself first, then (for a Dashboard) its tabs' panels.

    A Dashboard tab whose panel cannot snapshot itself (a panel added from outside nbviz
    without ``_snapshot_state``) is listed as unavailable in the page, with the reason.
    """
    from nbviz.widgets.dashboard import Dashboard

    if isinstance(widget, Dashboard):
        return _dashboard(widget, max_points)
    if not can_snapshot(widget):
        raise TypeError(f"{describe(widget)} cannot be written into an offline page: pass "
                        "nbviz panels (nbviz.Scalars, nbviz.PRCurves …) or a nbviz.Dashboard.")
    state = widget._snapshot_state(max_points)
    messages: list[tuple[dict[str, Any], list[bytes]]] = widget._snapshot_messages()
    return [WidgetSnapshot(reference(widget), str(type(widget)._bundle), state, messages)]


def _dashboard(dashboard: Any, max_points: int) -> list[WidgetSnapshot]:
    dashboard._before_picture_refresh()  # rescan the logdir, complete every panel
    state = synced_state(dashboard)
    panels = dashboard.panels
    children: list[WidgetSnapshot] = []
    tabs: list[dict[str, Any]] = []
    unavailable = list(state.get("unavailable", []))
    for tab in state.get("tabs", []):
        panel = panels.get(tab["name"])
        if panel is None or not can_snapshot(panel):
            unavailable.append({"name": tab["name"], "label": tab["label"],
                                "reason": "this panel cannot be shown in an offline page"})
            continue
        children.extend(collect(panel, max_points))
        tabs.append(tab)
    state.update(tabs=tabs, unavailable=unavailable)
    if tabs and state.get("selected_tab") not in {tab["name"] for tab in tabs}:
        state["selected_tab"] = tabs[0]["name"]
    return [WidgetSnapshot(reference(dashboard), "dashboard", state), *children]
