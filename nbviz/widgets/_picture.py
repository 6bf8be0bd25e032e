"""Matplotlib plumbing of the static pictures (Agg, no pyplot state touched): a grid of
small charts and its PNG bytes. Each panel folder's ``picture.py`` draws into these.
"""

from __future__ import annotations

import io
import math
from typing import Any

__all__ = ["chart_grid", "empty_chart", "png_bytes"]


def chart_grid(count: int, *, width: float, row_height: float, dpi: int, extra: float = 0.3,
               constrained: bool = False) -> tuple[Any, list[Any]]:
    """A figure with ``count`` charts (at least one) in rows of at most three.

    >>> figure, axes = chart_grid(4, width=9.0, row_height=2.6, dpi=80)
    >>> len(axes)
    4
    """
    from matplotlib.figure import Figure

    columns = min(3, max(count, 1))
    rows = max(1, math.ceil(count / columns))
    figure = Figure(figsize=(width, row_height * rows + extra), dpi=dpi,
                    layout="constrained" if constrained else None)
    axes = [figure.add_subplot(rows, columns, i + 1) for i in range(max(count, 1))]
    return figure, axes


def empty_chart(axis: Any, text: str, color: str | None = None) -> None:
    """Write ``text`` in the middle of an empty chart and hide its axes."""
    axis.text(0.5, 0.5, text, ha="center", va="center", color=color,
              transform=axis.transAxes)
    axis.set_axis_off()


def png_bytes(figure: Any) -> bytes:
    """The figure as PNG bytes (rendered with Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
