"""Static picture of a Profile panel (matplotlib, Agg): stacked phases over steps."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from nbviz.panels.health.rules import Finding
from nbviz.panels.profile.data import bucket_means

__all__ = ["PHASE_COLORS", "render_png"]

# Mirrored in js/src/panels/profile/colors.ts.
PHASE_COLORS = ("#f9a825", "#0091ea", "#8e24aa", "#00b894", "#9e9e9e")
PHASE_LABELS = ("data", "forward", "backward", "optimizer", "other")


def render_png(runs: Sequence[tuple[str, int, np.ndarray, list[Finding]]]) -> bytes:
    """One row per run: the stacked per-step breakdown (ms), samples/s on a twin axis,
    and the run's profile findings as text below."""
    from matplotlib.figure import Figure

    shown = list(runs)[:6]
    rows = max(len(shown), 1)
    figure = Figure(figsize=(8, 2.6 * rows), dpi=90)
    if not shown:
        axes = figure.add_subplot(1, 1, 1)
        axes.text(0.5, 0.5, "No step timings yet: nbviz.watch(model, optimizer) records them",
                  ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
    for index, (name, _color, table, findings) in enumerate(shown):
        axes = figure.add_subplot(rows, 1, index + 1)
        if table.shape[0] == 0:
            axes.text(0.5, 0.5, f"{name}: no timed steps", ha="center", va="center",
                      transform=axes.transAxes)
            axes.set_axis_off()
            continue
        table = bucket_means(table, 1000)
        phases = np.nan_to_num(table[:, 1:6])
        axes.stackplot(table[:, 0], phases.T, colors=PHASE_COLORS, labels=PHASE_LABELS,
                       linewidth=0)
        axes.set_ylabel("ms / step")
        axes.set_title(name, fontsize=9, loc="left")
        axes.legend(loc="upper left", fontsize=7, ncol=5, frameon=False)
        rate = table[:, 7]
        if np.isfinite(rate).any():
            twin = axes.twinx()
            twin.plot(table[:, 0], rate, color="#d81b60", linewidth=1)
            twin.set_ylabel("samples/s", color="#d81b60")
        if findings:
            text = "\n".join(f"step {f.step}: {f.message[:150]}" for f in findings[:3])
            axes.text(0.0, -0.32, text, transform=axes.transAxes, fontsize=6.5, va="top",
                      wrap=True, color="#b26a00")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
