"""The stored history of the series a Scalars page asks for, for many runs in one read.

>>> read_histories([tail_a, tail_b], ["loss"])[0].value  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbviz._validate import describe
from nbviz.sources import RunTail
from nbviz.store.bulk import read_stores
from nbviz.store.sqlite import ScalarColumns
from nbviz.store.subset import Subset

__all__ = ["read_histories"]


def read_histories(histories: Sequence[Any], tags: Sequence[str]) -> list[ScalarColumns]:
    """The stored rows of ``tags`` (all committed, log order) of each history's run — the
    runs of :class:`RunTail` histories in ONE bulk read (``nbviz.store.bulk.read_stores``:
    a screen of charts over 500 runs is one pass, not 500 reader round trips), any other
    through its own ``history(tags)``. The caller keeps the first rows it needs of each
    tag (rows polled since are also returned here).

    >>> read_histories([tail_a, tail_b], ["loss"])[0].value  # doctest: +SKIP
    """
    if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
        raise TypeError(f"read_histories(): 'tags' must be a list of tag names, got "
                        f"{describe(tags)}.")
    bulk = {str(i): history.run_dir for i, history in enumerate(histories)
            if isinstance(history, RunTail)}
    found: dict[str, ScalarColumns] = {}
    if bulk:
        problems: list[str] = []  # each tail reports its run's problems itself
        found = dict(read_stores(bulk, Subset(None, frozenset(tags), None), problems).split())
    return [found.get(str(i), ScalarColumns.empty()) if str(i) in bulk
            else history.history(list(tags)) for i, history in enumerate(histories)]
