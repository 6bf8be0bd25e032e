"""Scalar rows of many runs as one set of numpy columns, and the tidy DataFrame of them.

A :class:`ScalarTable` holds rows grouped by run (``bounds``), tags as int codes into
``tags``: joining runs, putting them in name order and building the DataFrame are a
few numpy calls, never a Python object per value. ``run`` and ``tag`` become pandas
Categoricals (codes, categories in lexical order) — 10 M rows of strings would cost
seconds and ~160 MB; a Categorical costs 2-4 bytes a row and compares, filters and
groups like strings.

>>> from nbviz.store.sqlite import ScalarColumns
>>> columns = ScalarColumns(seq=np.arange(2), tag_index=np.array([0, 1], np.int32),
...                         step=np.array([0.0, 0.0]), wall_time=np.zeros(2),
...                         value=np.array([1.0, 2.0]), tags=["loss", "acc"])
>>> ScalarTable.of_columns("a", columns).frame()["tag"].tolist()
['loss', 'acc']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nbviz.store.sqlite import ScalarColumns

__all__ = ["SCALAR_COLUMNS", "ScalarTable", "code_dtype"]

SCALAR_COLUMNS = ("run", "tag", "step", "wall_time", "value")


def code_dtype(categories: int) -> type[np.signedinteger[Any]]:
    """The int type pandas keeps a Categorical's codes in for that many categories (codes
    given in it are taken as they are, not converted).

    >>> code_dtype(50), code_dtype(500)
    (<class 'numpy.int8'>, <class 'numpy.int16'>)
    """
    if categories < 2**7:
        return np.int8
    return np.int16 if categories < 2**15 else np.int32


def _lexical_codes(names: Sequence[str], counts: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(code of each name, categories): the names with a nonzero count, in lexical order
    (so that sorting and grouping order rows as they would order the strings)."""
    used = np.flatnonzero(counts)
    used_names = np.array([names[i] for i in used.tolist()], dtype=object)
    order = np.argsort(used_names, kind="stable")
    rank = np.zeros(len(names), dtype=code_dtype(len(used)))
    rank[used[order]] = np.arange(len(used))
    return rank, used_names[order].tolist()


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))


@dataclass(frozen=True)
class ScalarTable:
    """Rows ``bounds[i]:bounds[i + 1]`` belong to run ``runs[i]`` (a name may repeat: an
    nbviz store and event files of the same directory); row r's tag is
    ``tags[tag_code[r]]``."""

    runs: list[str]
    bounds: np.ndarray  # int64, len(runs) + 1
    tags: list[str]
    tag_code: np.ndarray  # a signed int type (int8 … int32)
    step: np.ndarray  # int64
    wall_time: np.ndarray  # float64
    value: np.ndarray  # float64
    tag_counts: np.ndarray | None = None  # rows per tag code, when known (spares a pass)

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @staticmethod
    def empty() -> ScalarTable:
        return ScalarTable([], np.zeros(1, np.int64), [], np.empty(0, np.int32),
                           np.empty(0, np.int64), np.empty(0), np.empty(0))

    @staticmethod
    def of_columns(run: str, columns: ScalarColumns) -> ScalarTable:
        """One run's columns (any source: a store, event files, a live run's tail)."""
        return ScalarTable([run], np.array([0, len(columns)], np.int64), list(columns.tags),
                           columns.tag_index.astype(np.int32, copy=False),
                           columns.step.astype(np.int64), columns.wall_time, columns.value)

    @staticmethod
    def join(tables: Sequence[ScalarTable]) -> ScalarTable:
        """The tables' runs one after the other (tags merged in order of appearance)."""
        tables = [table for table in tables if table.runs]
        if len(tables) == 1:
            return tables[0]
        if not tables:
            return ScalarTable.empty()
        tags: dict[str, int] = {}
        codes, bounds, offset = [], [np.zeros(1, np.int64)], 0
        for table in tables:
            remap = np.array([tags.setdefault(tag, len(tags)) for tag in table.tags] + [0],
                             dtype=np.int32)
            codes.append(remap[table.tag_code])
            bounds.append(table.bounds[1:] + offset)
            offset += len(table)
        return ScalarTable(
            runs=[run for table in tables for run in table.runs],
            bounds=np.concatenate(bounds), tags=list(tags), tag_code=np.concatenate(codes),
            step=np.concatenate([t.step for t in tables]),
            wall_time=np.concatenate([t.wall_time for t in tables]),
            value=np.concatenate([t.value for t in tables]))

    def sorted_by(self, key: Callable[[str], Any] | None = None) -> ScalarTable:
        """Runs in order of ``key(name)`` (default: the name); stable, so runs of the same
        name keep their order."""
        order = sorted(range(len(self.runs)), key=lambda index: (
            self.runs[index] if key is None else key(self.runs[index])))
        if order == list(range(len(self.runs))):
            return self
        return self.select(order)

    def select(self, order: Sequence[int]) -> ScalarTable:
        """The runs at indices ``order`` (in that order; others left out), one gather.

        >>> from nbviz.store.table import ScalarTable
        >>> t = ScalarTable(["a", "b"], np.array([0, 1, 3]), ["x"], np.zeros(3, np.int32),
        ...                 np.arange(3), np.zeros(3), np.arange(3.0))
        >>> t.select([1]).value.tolist()
        [1.0, 2.0]
        """
        lengths = np.diff(self.bounds)[np.asarray(order, dtype=np.int64)]
        starts = self.bounds[:-1][np.asarray(order, dtype=np.int64)]
        rows = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
            int(lengths.sum()))
        return ScalarTable([self.runs[i] for i in order],
                           np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                           self.tags, self.tag_code[rows], self.step[rows],
                           self.wall_time[rows], self.value[rows])

    def where(self, low: int | None, high: int | None) -> ScalarTable:
        """The rows whose step is in ``[low, high]`` (None: open end), order kept."""
        keep = np.ones(len(self), dtype=bool)
        if low is not None:
            keep &= self.step >= low
        if high is not None:
            keep &= self.step <= high
        bounds = np.concatenate([[0], np.cumsum(keep)])[self.bounds].astype(np.int64)
        return ScalarTable(self.runs, bounds, self.tags, self.tag_code[keep], self.step[keep],
                           self.wall_time[keep], self.value[keep])

    def split(self) -> list[tuple[str, ScalarColumns]]:
        """(run, columns) per run with rows, each run's tags renumbered from 0."""
        out = []
        for index, run in enumerate(self.runs):
            start, stop = int(self.bounds[index]), int(self.bounds[index + 1])
            if start == stop:
                continue
            used, tag_index = np.unique(self.tag_code[start:stop], return_inverse=True)
            out.append((run, ScalarColumns(
                seq=np.empty(0, np.int64), tag_index=tag_index.astype(np.int32).reshape(-1),
                step=self.step[start:stop].astype(np.float64),
                wall_time=self.wall_time[start:stop], value=self.value[start:stop],
                tags=[self.tags[int(i)] for i in used])))
        return out

    def frame(self) -> pd.DataFrame:
        """``run, tag, step, wall_time, value``: run and tag as Categoricals."""
        names = list(dict.fromkeys(self.runs))
        position = {name: code for code, name in enumerate(names)}
        run_of_segment = np.array([position[run] for run in self.runs], dtype=np.int64)
        lengths = np.diff(self.bounds)
        run_rank, runs = _lexical_codes(names, np.bincount(
            run_of_segment, weights=lengths, minlength=len(names)) if len(names) else lengths)
        tag_rank, tags = _lexical_codes(self.tags, np.bincount(
            self.tag_code, minlength=len(self.tags)) if self.tag_counts is None
            else self.tag_counts)
        identity = tags == list(self.tags) and tag_rank.size == len(tags)
        return pd.DataFrame({  # per row: one repeat (runs) and at most one gather (tags)
            "run": _categorical(np.repeat(run_rank[run_of_segment], lengths), runs),
            "tag": _categorical(self.tag_code if identity else tag_rank[self.tag_code], tags),
            "step": self.step, "wall_time": self.wall_time, "value": self.value,
        }, columns=list(SCALAR_COLUMNS), copy=False)
