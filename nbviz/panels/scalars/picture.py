"""Static picture of a Scalars panel (matplotlib, Agg, no pyplot state touched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nbviz._validate import visible_text
from nbviz.widgets._palette import color_for
from nbviz.widgets._picture import chart_grid, empty_chart, png_bytes

__all__ = ["SeriesView", "debiased_ema", "render_png"]

MAX_CHARTS = 12
TITLE_CHARS = 60  # longer tags and run names are cut with "…" (the live panel shows them whole)
LEGEND_CHARS = 40
MAX_RUNS = 20  # runs drawn per chart (in order of first appearance); the live panel shows all
LEGEND_RUNS = 10  # a legend only up to this many runs (more would squeeze the axes away)


@dataclass(frozen=True)
class SeriesView:
    run: str
    tag: str
    color: int
    step: np.ndarray
    value: np.ndarray


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: debiased EMA over finite values; non-finite pass through.

    >>> debiased_ema(np.array([1.0, 1.0, 1.0]), 0.6).tolist()
    [1.0, 1.0, 1.0]
    """
    out = values.astype(np.float64, copy=True)
    if weight <= 0 or out.size == 0:
        return out
    finite = np.isfinite(out)
    if finite.any():
        smoothed = pd.Series(out[finite]).ewm(alpha=1.0 - weight, adjust=True).mean()
        out[finite] = smoothed.to_numpy()
    return out


def render_png(series: Sequence[SeriesView], smoothing: float, *, width_px: int = 960) -> bytes:
    """A PNG with one small chart per tag (first ``MAX_CHARTS`` tags), runs overlaid
    (the first ``MAX_RUNS`` runs)."""
    tags = sorted({view.tag for view in series})
    runs = list(dict.fromkeys(view.run for view in series))
    drawn_runs = set(runs[:MAX_RUNS])
    shown = tags[:MAX_CHARTS]
    dpi = 96
    figure, axes = chart_grid(len(shown), width=width_px / dpi, row_height=2.6, dpi=dpi,
                              extra=0.4, constrained=True)
    if not shown:
        empty_chart(axes[0], "No scalars yet", color="#666")
    for axis, tag in zip(axes, shown, strict=False):
        axis.set_title(visible_text(tag, TITLE_CHARS), fontsize=10, loc="left")
        axis.grid(True, alpha=0.25)
        axis.tick_params(labelsize=8)
        for view in (v for v in series if v.tag == tag and v.run in drawn_runs):
            color = color_for(view.color)
            axis.plot(view.step, view.value, color=color, alpha=0.25, linewidth=1)
            axis.plot(view.step, debiased_ema(view.value, smoothing), color=color,
                      linewidth=1.5, label=visible_text(view.run, LEGEND_CHARS))
            bad = ~np.isfinite(view.value)
            if bad.any():
                axis.plot(view.step[bad], np.ones(int(bad.sum())), "x", color="#d62728",
                          transform=axis.get_xaxis_transform(), clip_on=False, markersize=6)
        if len(drawn_runs) <= LEGEND_RUNS:
            axis.legend(fontsize=7, loc="best", frameon=False)
    more = [f"{count} more {what}" for count, what in
            ((len(tags) - len(shown), "tags"), (len(runs) - len(drawn_runs), "runs"))
            if count > 0]
    if more:
        figure.suptitle(" and ".join(more) + " in the live panel", fontsize=8)
    return png_bytes(figure)
