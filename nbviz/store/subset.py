"""Which part of a logdir's scalars ``nbviz.read`` should load: runs, tags, a step range.

Runs and tags are chosen by a regular expression (``re.search``) or a list of exact
names; steps by ``(lo, hi)``, both inclusive, None for an open end. Stores are asked for
the chosen tags and steps only (:meth:`StoreReader.scalar_arrays`); what is already in
memory (event files, values of a live run) is filtered with numpy.

>>> Subset.parse(runs=None, tags=r"^loss", steps=(0, 99)).tag_ok("loss/train")
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nbviz._validate import describe
from nbviz.store.sqlite import ScalarColumns

__all__ = ["Subset", "check_step_range"]


def _names(value: object, argument: str) -> re.Pattern[str] | frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return re.compile(value)
        except re.error as error:
            raise ValueError(f"read(): '{argument}' is not a valid regular expression "
                             f"({error}): {value!r}; pass a list of names to match exactly."
                             ) from None
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise TypeError(f"read(): '{argument}' must be None, a regular expression (str) or a list "
                    f"of names, got {describe(value)}.")


def _matches(chooser: re.Pattern[str] | frozenset[str] | None, name: str) -> bool:
    if chooser is None:
        return True
    if isinstance(chooser, frozenset):
        return name in chooser
    return chooser.search(name) is not None


def check_step_range(step_range: object, where: str) -> tuple[int | None, int | None] | None:
    """``step_range`` validated: None or (lo, hi) with ints or None, lo <= hi.

    >>> check_step_range((3, None), "f()")
    (3, None)
    """
    if step_range is None:
        return None
    if (isinstance(step_range, (tuple, list)) and len(step_range) == 2
            and all(b is None or (isinstance(b, int) and not isinstance(b, bool))
                    for b in step_range)):
        low, high = step_range
        if low is not None and high is not None and low > high:
            raise ValueError(f"{where}: step range {step_range!r} is empty (lo > hi); both "
                             "ends are inclusive.")
        return low, high
    raise TypeError(f"{where}: the step range must be None or (lo, hi) with ints or None, "
                    f"got {describe(step_range)}.")


@dataclass(frozen=True)
class Subset:
    """A validated choice of runs, tags and steps (None: all)."""

    runs: re.Pattern[str] | frozenset[str] | None
    tags: re.Pattern[str] | frozenset[str] | None
    steps: tuple[int | None, int | None] | None

    @staticmethod
    def parse(runs: object, tags: object, steps: object) -> Subset:
        return Subset(_names(runs, "runs"), _names(tags, "tags"),
                      check_step_range(steps, "read(): 'steps'"))

    @property
    def everything(self) -> bool:
        return self.runs is None and self.tags is None and self.steps is None

    def run_ok(self, name: str) -> bool:
        return _matches(self.runs, name)

    def tag_ok(self, name: str) -> bool:
        return _matches(self.tags, name)

    def tag_ids(self, names: dict[int, str]) -> list[int] | None:
        """Ids of the chosen tags among ``names`` (None: every tag)."""
        if self.tags is None:
            return None
        return [tag_id for tag_id, name in names.items() if self.tag_ok(name)]

    def filter(self, columns: ScalarColumns) -> ScalarColumns:
        """The chosen tags and steps of ``columns`` (numpy masks, tags renumbered)."""
        keep = np.ones(len(columns), dtype=bool)
        if self.tags is not None:
            chosen = np.array([self.tag_ok(tag) for tag in columns.tags] + [False], dtype=bool)
            keep &= chosen[columns.tag_index]
        low, high = self.steps if self.steps is not None else (None, None)
        if low is not None:
            keep &= columns.step >= low
        if high is not None:
            keep &= columns.step <= high
        if keep.all():
            return columns
        used, tag_index = np.unique(columns.tag_index[keep], return_inverse=True)
        return ScalarColumns(
            seq=columns.seq[keep] if columns.seq.size else columns.seq,
            tag_index=tag_index.astype(np.int32).reshape(-1), step=columns.step[keep],
            wall_time=columns.wall_time[keep], value=columns.value[keep],
            tags=[columns.tags[int(i)] for i in used],
        )
