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
    return callable(getattr(widget, "_snapshots", None)) or (
        callable(getattr(widget, "_snapshot_state", None))
        and callable(getattr(widget, "_snapshot_messages", None))
        and bool(getattr(type(widget), "_bundle", "")) and hasattr(widget, "model_id"))


def collect(widget: Any, max_points: int) -> list[WidgetSnapshot]:
    """The snapshots ``widget`` needs: itself first, then (for a Dashboard) its tabs' panels.

    A Dashboard tab whose panel cannot snapshot itself (a panel added from outside nbviz
    without ``_snapshot_state``) is listed as unavailable in the page, with the reason.
    """
    own = getattr(widget, "_snapshots", None)
    if callable(own):  # a widget made of others (the Dashboard) lists its own snapshots
        snapshots: list[WidgetSnapshot] = own(max_points)
        return snapshots
    if not can_snapshot(widget):
        raise TypeError(f"{describe(widget)} cannot be written into an offline page: pass "
                        "nbviz panels (nbviz.Scalars, nbviz.PRCurves …) or a nbviz.Dashboard.")
    state = widget._snapshot_state(max_points)
    messages: list[tuple[dict[str, Any], list[bytes]]] = widget._snapshot_messages()
    return [WidgetSnapshot(reference(widget), str(type(widget)._bundle), state, messages)]
