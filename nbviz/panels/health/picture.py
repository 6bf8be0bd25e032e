"""Static picture of the Health panel for saved notebooks: the heat map of one statistic,
flagged layers marked."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from nbviz.widgets._picture import chart_grid, empty_chart, png_bytes

__all__ = ["health_png"]


def health_png(steps: np.ndarray, matrix: np.ndarray, layers: Sequence[str],
               flagged: Collection[str], statistic: str, run: str) -> bytes:
    """The ``[len(layers), len(steps)]`` heat map of ``statistic`` (log colours for norms)."""
    from matplotlib import colors as mcolors

    figure, axes = chart_grid(1, width=9.0, row_height=max(2.5, 0.28 * len(layers) + 1.2),
                              dpi=80)
    ax = axes[0]
    if not layers or steps.size == 0:
        empty_chart(ax, "no layer statistics yet")
        return png_bytes(figure)
    finite = matrix[np.isfinite(matrix)]
    norm: Any = None
    if statistic in ("grad_norm", "update_ratio", "act_std") and finite.size and \
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
    ax.set_title(f"{statistic} per layer ({run})", fontsize=9)
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return png_bytes(figure)
