"""Scalars logged but not yet committed: one entry per ``log()`` call, turned into columns.

``Run.log`` appends one ``(step, wall_time, tags, values)`` tuple per call to
:attr:`PendingScalars.calls` (``tags`` and ``values`` are tuples of the same length) —
a single ``list.append``, atomic under the GIL, so the hot path takes no lock. A call
holds no dict and no other container the garbage collector must follow: tuples of
numbers and strings are untracked by the first young-generation collection, so a
long pending list costs the collector nothing (a ``(step, wall, dict)`` entry stayed
tracked and made every full collection walk the whole list: ~35 % of ``log()``'s
time). Values are floats, or :class:`~nbviz.record.values.DeferredTensor` for
tensors on an accelerator (converted here, one transfer per device, before anything
reads them).

Everything else runs off the hot path, under :attr:`PendingScalars.lock`: the flusher
turns a prefix of the calls into numpy columns (:meth:`batch`: one transposition and a
few C-level passes, never Python code per value) and drops it once committed;
in-process readers get rows by seq (:meth:`rows_since`). Only a prefix is ever
removed, so appends never race with removals. Every value has a seq: ``base_seq`` is
the seq of the first value of ``calls[0]``, the rest follow in call and tag order.

>>> pending = PendingScalars(base_seq=0)
>>> pending.calls.append((3, 1.5, ("loss", "acc"), (0.25, 0.5)))
>>> pending.rows_since(1)
(0, [('acc', 3, 1.5, 0.5)])
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from nbviz.record.values import DeferredTensor, materialize

__all__ = ["Call", "PendingScalars", "ScalarBatch"]

# (step, wall time, tags, values): len(tags) == len(values), values float | DeferredTensor
Call = tuple[int, float, tuple[str, ...], tuple[Any, ...]]

_STEP = itemgetter(0)
_WALL = itemgetter(1)
_TAGS = itemgetter(2)
_VALUES = itemgetter(3)


@dataclass(frozen=True)
class ScalarBatch:
    """A prefix of the pending calls as columns: ``calls`` calls holding ``len(self)``
    values with seqs from ``first_seq``; value ``i`` is of tag ``names[codes[i]]``."""

    first_seq: int
    calls: int
    names: list[str]
    codes: np.ndarray  # int64 indices into names
    steps: np.ndarray  # int64
    walls: np.ndarray  # float64
    values: np.ndarray  # float64

    def __len__(self) -> int:
        return int(self.codes.size)

    @property
    def seqs(self) -> np.ndarray:
        return np.arange(self.first_seq, self.first_seq + len(self), dtype=np.int64)

    @property
    def tags(self) -> list[str]:
        """The tag of each value (a Python object per value: for the rare paths only)."""
        return [self.names[code] for code in self.codes.tolist()]

    def rows(self) -> list[tuple[str, int, float, float]]:
        """The batch as (tag, step, wall, value) rows (for isolating a bad row)."""
        return list(zip(self.tags, self.steps.tolist(), self.walls.tolist(),
                        self.values.tolist(), strict=True))


def _transposed(calls: list[Call]) -> tuple[tuple[Any, ...], ...]:
    """(steps, walls, tags tuples, values tuples) of ``calls``."""
    return tuple(tuple(map(itemgetter(field), calls)) for field in range(4))


def _tag_codes(calls: list[Call]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(tag names, each call's index into the flat table below, flat table of tag codes per
    distinct tags tuple). Calls share their tags tuple object (``Run.log`` keeps one per
    combination of tags), so they are grouped by the tuple's identity: one C-level pass,
    Python work only per distinct tuple."""
    identities = np.fromiter(map(id, map(_TAGS, calls)), np.intp, len(calls))
    call_keys, _ = pd.factorize(identities)  # appearance order
    running = np.maximum.accumulate(call_keys)
    firsts = np.flatnonzero(np.r_[True, running[1:] != running[:-1]]).tolist()
    index: dict[str, int] = {}
    table: list[int] = []
    offsets: list[int] = []
    for first in firsts:
        offsets.append(len(table))
        table.extend(index.setdefault(tag, len(index)) for tag in calls[first][2])
    lengths = np.diff(np.r_[offsets, len(table)])
    starts = np.asarray(offsets, dtype=np.int64)[call_keys]
    return list(index), np.stack([starts, lengths[call_keys]]), np.asarray(table, np.int64)


def _columns(calls: list[Call]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray,
                                         np.ndarray]:
    """(tag names, tag codes, steps, walls, values) of materialised ``calls``, in seq order."""
    if not calls:
        empty = np.empty(0, np.int64)
        return [], empty, empty, np.empty(0), np.empty(0)
    names, (starts, counts), table = _tag_codes(calls)
    total = int(counts.sum())
    values = np.fromiter(chain.from_iterable(map(_VALUES, calls)), np.float64, total)
    steps = np.fromiter(map(_STEP, calls), np.int64, len(calls))
    walls = np.fromiter(map(_WALL, calls), np.float64, len(calls))
    if total == len(calls) and bool((counts == 1).all()):  # one value per call
        return names, table[starts], steps, walls, values
    owner = np.repeat(np.arange(len(calls)), counts)  # the call of each value
    position = np.arange(total) - (np.cumsum(counts) - counts)[owner]
    return names, table[starts[owner] + position], steps[owner], walls[owner], values


def _has_deferred(calls: list[Call]) -> bool:
    return DeferredTensor in set(map(type, chain.from_iterable(map(_VALUES, calls))))


def _materialized(calls: list[Call]) -> list[Call]:
    """``calls`` with every deferred tensor converted (one transfer per device)."""
    floats = iter(materialize(list(chain.from_iterable(map(_VALUES, calls)))))
    return [(step, wall, tags, tuple(islice(floats, len(tags))))
            for step, wall, tags, _ in calls]


class PendingScalars:
    """The calls logged since the last commit (see the module docstring)."""

    def __init__(self, base_seq: int) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.base_seq = base_seq
        self._materialize_lock = threading.Lock()
        self.deferred = False  # some call may hold a DeferredTensor (set once by log())
        self._ready = 0  # calls[:_ready] hold floats only
        self._dropped = 0  # calls removed from the front so far (keeps indices absolute)

    def materialize(self) -> int:
        """Convert deferred tensors of the calls logged so far; returns how many leading
        calls now hold floats only (every call present at the time of the call)."""
        with self._materialize_lock:
            with self.lock:
                start = self._ready
                dropped = self._dropped
            # log() sets `deferred` (never cleared) before it appends the first call holding
            # a deferred tensor: runs that log none never scan their values here.
            deferred = self.deferred
            with self.lock:
                todo = self.calls[start:]
            if todo and deferred and _has_deferred(todo):
                todo = _materialized(todo)
                with self.lock:
                    # Only calls below _ready are ever removed, so the offset stays >= 0.
                    offset = start + dropped - self._dropped
                    self.calls[offset:offset + len(todo)] = todo
            with self.lock:
                self._ready = start + dropped - self._dropped + len(todo)
                return self._ready

    def batch(self) -> ScalarBatch:
        """Every call logged so far, materialised, as columns (nothing is removed)."""
        ready = self.materialize()
        with self.lock:
            calls = self.calls[:ready]
            first_seq = self.base_seq
        return ScalarBatch(first_seq, len(calls), *_columns(calls))

    def drop(self, batch: ScalarBatch) -> None:
        """Remove ``batch`` (the oldest calls), once committed."""
        with self.lock:
            self._remove(batch.calls, len(batch))

    def _remove(self, calls: int, values: int) -> None:
        del self.calls[:calls]
        self._dropped += calls
        self._ready = max(self._ready - calls, 0)
        self.base_seq += values

    def rows_since(self, seq: int) -> tuple[int, list[tuple[str, int, float, float]]]:
        """(base seq, materialised rows (tag, step, wall, value) with seq >= max(seq, base))."""
        ready = self.materialize()
        with self.lock:
            base = self.base_seq
            calls = self.calls[:ready]
        skip = max(seq - base, 0)
        if calls and skip:
            counts = np.cumsum(np.fromiter(map(len, map(_TAGS, calls)), np.int64, len(calls)))
            first = int(np.searchsorted(counts, skip, side="right"))
            skip -= int(counts[first - 1]) if first else 0
            calls = calls[first:]
        steps, walls, tags, values = _transposed(calls)
        counts_list = list(map(len, tags))
        rows = list(zip(
            chain.from_iterable(tags),
            chain.from_iterable(map(repeat, steps, counts_list)),
            chain.from_iterable(map(repeat, walls, counts_list)),
            chain.from_iterable(values), strict=True,
        ))
        return base, rows[skip:]

    def count(self) -> int:
        """Values waiting (all calls)."""
        with self.lock:
            calls = self.calls[:]
        return sum(map(len, map(_TAGS, calls)))

    def bound(self, limit: int) -> int:
        """Drop the oldest values beyond ``limit`` (the caller holds no lock and keeps
        commits and materialisation out); returns how many were dropped."""
        with self._materialize_lock, self.lock:
            counts = np.fromiter(map(len, map(_TAGS, self.calls)), np.int64,
                                 len(self.calls))
            excess = int(counts.sum()) - limit
            if excess <= 0:
                return 0
            ends = np.cumsum(counts)
            whole = int(np.searchsorted(ends, excess, side="right"))  # calls dropped entirely
            partly = excess - (int(ends[whole - 1]) if whole else 0)
            if partly:  # the next call loses its first values only
                step, wall, tags, values = self.calls[whole]
                self.calls[whole] = (step, wall, tags[partly:], values[partly:])
            self._remove(whole, excess)
            return excess
