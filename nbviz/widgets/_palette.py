"""Run colours, mirrored in js/src/lib/colors.ts (same order, same values)."""

from __future__ import annotations

__all__ = ["PALETTE", "color_for"]

PALETTE: tuple[str, ...] = (
    "#ff7043", "#0077bb", "#009988", "#ee3377", "#33bbee", "#cc3311", "#aa44cc", "#888888",
    "#ddaa33", "#004488",
)


def color_for(index: int) -> str:
    """The colour of the run with palette index ``index`` (wraps around)."""
    return PALETTE[index % len(PALETTE)]
