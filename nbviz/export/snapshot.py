"""``snapshot_html``: the ``text/html`` a panel's display carries in saved notebooks — its
interactive offline snapshot (the panel's own bundle and data, no kernel, no network).

>>> snapshot_html(object()) is None  # not a panel: no snapshot, a warning, never an error
True
"""

from __future__ import annotations

import warnings
from typing import Any

from nbviz._validate import describe
from nbviz.export.collect import collect, reference
from nbviz.export.html import fragment

__all__ = ["DEFAULT_MAX_POINTS", "check_max_points", "snapshot_html"]

DEFAULT_MAX_POINTS = 1000  # per series: a chart is ≲ 1000 px wide; min/max keeps its shape
MAX_POINTS_LIMIT = 1_000_000
_warned: set[str] = set()


def check_max_points(max_points: Any, where: str) -> int:
    """``max_points`` validated (points kept per series); errors name the caller."""
    if isinstance(max_points, bool) or not isinstance(max_points, int) \
            or not 16 <= max_points <= MAX_POINTS_LIMIT:
        raise ValueError(f"{where}: 'max_points' must be an int between 16 and "
                         f"{MAX_POINTS_LIMIT:,} (points kept per series), got "
                         f"{describe(max_points)}.")
    return max_points


def snapshot_html(widget: Any, *, fallback_png: str | None = None, fallback_text: str = "",
                  max_points: int = DEFAULT_MAX_POINTS) -> str | None:
    """The ``text/html`` of ``widget``'s display: its interactive offline snapshot.

    None (and a warning, once per panel class) when the snapshot cannot be written, so
    a display never fails because of it: the PNG and the widget view still show.
    """
    budget = check_max_points(max_points, "snapshot_html()")
    try:
        return fragment([reference(widget)], collect(widget, budget), fallback_png=fallback_png,
                        fallback_text=fallback_text)
    except Exception as error:  # the snapshot is an extra: never break the display
        name = type(widget).__name__
        if name not in _warned:
            _warned.add(name)
            warnings.warn(f"nbviz: no interactive snapshot for this {name} in the saved "
                          f"notebook ({type(error).__name__}: {error}); the picture is kept.",
                          RuntimeWarning, stacklevel=2)
        return None
