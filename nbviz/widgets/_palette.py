"""Run colours, mirrored in js/src/lib/colors.ts (same order, same values)."""

from __future__ import annotations

__all__ = ["PALETTE", "color_for"]

PALETTE: tuple[str, ...] = (
    "#ff7043", "#0091ea", "#00b894", "#d81b60", "#8e24aa", "#7cb342", "#00acc1", "#f9a825",
    "#5c6bc0", "#ec407a", "#a1887f", "#c0ca33", "#26a69a", "#9e9e9e",
)


def color_for(index: int) -> str:
    """The colour of the run with palette index ``index`` (wraps around)."""
    return PALETTE[index % len(PALETTE)]
