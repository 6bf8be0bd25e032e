"""Which series the page will ask for first: the charts of its first screen.

The page (js/src/panels/scalars/view.ts, lib/tags.ts) lists tags in groups (the part
before the first ``/``, or the whole tag), groups and tags in natural order (``layer2`` before
``layer10``), and asks for a chart's series when it scrolls into view. The kernel
reads the history of the first screen's series from a moment after it is built
(``PREFETCH_DELAY_SECS``), a few runs per ticker interval (``PREFETCH_SLICE_SECS``: one
bulk read per slice, never one long pause of the shared ticker), so the page's first
request is answered from memory.
The prediction only decides what is read early: a wrong guess costs a read, never a
wrong chart. It is bounded in points, so a never-shown panel cannot hold much.

>>> natural_key("layer10/w") > natural_key("layer2/w")
True
>>> first_screen_tags(["b/x", "a/y10", "a/y2", "c"], charts=2)
['a/y2', 'a/y10']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nbviz._natural import natural_key

__all__ = ["PREFETCH_CHARTS", "PREFETCH_DELAY_SECS", "PREFETCH_FIRST_RUNS", "PREFETCH_POINTS",
           "PREFETCH_SLICE_SECS", "first_screen_tags", "natural_key"]

PREFETCH_CHARTS = 6  # charts of the page's first screen (two rows of three at 1200 px)
PREFETCH_POINTS = 2_000_000  # at most this many points read ahead (48 MB of float64)
# not before this long after the panel was built: the cell that builds it (a Dashboard
# builds more after its Scalars tab) must not share the CPU with the read-ahead
PREFETCH_DELAY_SECS = 1.0
# read in slices, one per ticker interval, each of about this long (the ticker serves every
# panel: none may hold it past ~50 ms), the first of this many runs, later ones sized by
# how long the previous slice took
PREFETCH_SLICE_SECS = 0.025
PREFETCH_FIRST_RUNS = 8



def _group(tag: str) -> str:
    return tag.split("/", 1)[0]  # a tag without "/" is its own group (lib/tags.ts)


def _matcher(pattern: str) -> re.Pattern[str] | str:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:  # the page falls back to a substring match too
        return pattern.lower()


def first_screen_tags(tags: Iterable[str], *, charts: int = PREFETCH_CHARTS,
                      tag_filter: str = "") -> list[str]:
    """The first ``charts`` tags in the page's order, among those ``tag_filter`` shows."""
    if not isinstance(charts, int) or isinstance(charts, bool) or charts < 0:
        raise ValueError(f"first_screen_tags(): 'charts' must be an int >= 0, got {charts!r}.")
    shown = set(tags)
    pattern = tag_filter.strip()
    if pattern:
        match = _matcher(pattern)
        shown = {tag for tag in shown if (match.search(tag) is not None if isinstance(
            match, re.Pattern) else match in tag.lower())}
    ordered = sorted(shown, key=lambda tag: (natural_key(_group(tag)), natural_key(tag)))
    return ordered[:charts]
