"""Static pictures of the Histograms (ridgelines) and Distributions (percentile bands)
panels for saved notebooks: one small chart per tag, from the rows the page receives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from nbviz.widgets._picture import chart_grid, empty_chart, png_bytes

__all__ = ["ChartRows", "distributions_png", "histograms_png"]


class ChartRows(Protocol):
    """One series of a histogram panel: its wire rows (docs/wire.md) and names."""

    run: str
    tag: str
    rows: list[np.ndarray]



def histograms_png(visible: Sequence[ChartRows], bins: int) -> bytes:
    """Ridgelines: at most 30 steps per chart, newest in front; rows ``step, wall, low,
    high, count[bins]``."""
    figure, axes = chart_grid(len(visible), width=9.0, row_height=2.6, dpi=80)
    if not visible:
        empty_chart(axes[0], "no histograms yet")
        return png_bytes(figure)
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    for ax, series in zip(axes, visible, strict=False):
        rows = np.stack(series.rows)
        shown = rows[np.unique(np.linspace(0, len(rows) - 1, min(len(rows), 30))
                               .round().astype(int))]
        peak = max(float(shown[:, 4:].max()), 1e-300)  # heights: counts, as in the page
        for index, row in enumerate(shown):
            edges = np.linspace(row[2], row[3], bins + 1)
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
    return png_bytes(figure)


def distributions_png(visible: Sequence[ChartRows]) -> bytes:
    """Percentile bands over steps; rows ``step, wall, p[9]``."""
    figure, axes = chart_grid(len(visible), width=9.0, row_height=2.6, dpi=80)
    if not visible:
        empty_chart(axes[0], "no histograms yet")
        return png_bytes(figure)
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
    return png_bytes(figure)
