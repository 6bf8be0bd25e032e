"""Run colours, mirrored in js/src/lib/colors.ts (same order, same values)."""

from __future__ import annotations

import threading

__all__ = ["PALETTE", "color_for", "run_color"]

PALETTE: tuple[str, ...] = (
    "#ff7043", "#0091ea", "#00b894", "#d81b60", "#8e24aa", "#7cb342", "#00acc1", "#f9a825",
    "#5c6bc0", "#ec407a", "#a1887f", "#c0ca33", "#26a69a", "#9e9e9e",
)


def color_for(index: int) -> str:
    """The colour of the run with palette index ``index`` (wraps around)."""
    return PALETTE[index % len(PALETTE)]


_run_colors: dict[str, int] = {}
_run_colors_lock = threading.Lock()


def run_color(run: str) -> int:
    """The palette index of run ``run``, the same in every panel of this kernel.

    Runs get indices in the order this process first meets them (a Dashboard
    registers its runs sorted by name, so its tabs and selector agree).

    >>> run_color("lr=0.1") == run_color("lr=0.1")
    True
    """
    with _run_colors_lock:
        return _run_colors.setdefault(run, len(_run_colors))
