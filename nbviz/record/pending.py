"""Scalars logged but not yet committed: four slots per ``log()`` call, turned into columns.

``Run.log`` extends the flat list :attr:`PendingScalars.calls` by one record of four
items per call — ``(tag, step, wall_time, value)`` for a one-value call, ``(tags,
step, wall_time, values)`` (two tuples of the same length) for the others — a single
``list.extend`` of a temporary tuple, atomic under the GIL, so the hot path takes no
lock and the list's length is always a multiple of four. A record leaves nothing the
garbage collector must follow: a one-value call stores a string and numbers (no
container at all: nothing survives the call that the collector tracks), a call of
several values one tuple of floats (untracked by the first young-generation
collection) besides the one ``tags`` tuple that every call repeating that combination
of tags shares. (A ``(step, wall, tags, values)`` tuple per call, the previous layout,
left two tracked containers per call for the collector to walk; a ``(step, wall,
dict)`` entry stayed tracked for good.) Values are floats, or
:class:`~nbviz.record.values.DeferredTensor` for tensors on an accelerator (converted
here, one transfer per device, before anything reads them).

Everything else runs off the hot path, under :attr:`PendingScalars.lock`: the flusher
turns a prefix of the records into numpy columns (:meth:`batch`: strided slices of
the list and C-level passes — numpy conversions and pandas' hash factorisation of the
tags — never Python code per value) and drops it once committed; in-process readers
get rows by seq (:meth:`rows_since`). Only a prefix is ever removed, so appends never
race with removals. Every value has a seq: ``base_seq`` is the seq of the first value
of the first record, the rest follow in call and tag order.

>>> pending = PendingScalars(base_seq=0)
>>> pending.calls.extend((("loss", "acc"), 3, 1.5, (0.25, 0.5)))
>>> pending.calls.extend(("lr", 4, 2.5, 0.1))
>>> pending.rows_since(1)
(0, [('acc', 3, 1.5, 0.5), ('lr', 4, 2.5, 0.1)])
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import chain, compress, repeat
from typing import Any

import numpy as np
import pandas as pd

from nbviz.record.values import DeferredTensor, materialize

__all__ = ["FIELDS", "PendingScalars", "ScalarBatch", "record"]

FIELDS = 4  # items per call in PendingScalars.calls: tag(s), step, wall time, value(s)


def record(tags: tuple[str, ...], step: int, wall: float, values: tuple[Any, ...]
           ) -> tuple[Any, Any, Any, Any]:
    """The four items a call of ``tags``/``values`` adds to :attr:`PendingScalars.calls`:
    the one-value form for one value, else the tuple form.

    >>> record(("loss",), 3, 1.5, (0.25,))
    ('loss', 3, 1.5, 0.25)
    """
    if len(tags) == 1:
        return tags[0], step, wall, values[0]
    return tags, step, wall, values


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


def _tag_table(keys: list[Any]) -> tuple[list[str], list[int], np.ndarray]:
    """For the distinct tag keys of a batch (a tag, or a tuple of tags): the tag names,
    each key's number of values, and the flat table of tag codes key after key."""
    index: dict[str, int] = {}
    lengths: list[int] = []
    table: list[int] = []
    for key in keys:
        tags = key if type(key) is tuple else (key,)
        lengths.append(len(tags))
        table.extend(index.setdefault(tag, len(index)) for tag in tags)
    return list(index), lengths, np.asarray(table, dtype=np.int64)


def _columns(calls: list[Any]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray,
                                        np.ndarray]:
    """(tag names, tag codes, steps, walls, values) of materialised flat ``calls``, in seq
    order: strided slices and C-level passes, Python work only per distinct tag key."""
    count = len(calls) // FIELDS
    if not count:
        empty = np.empty(0, np.int64)
        return [], empty, empty, np.empty(0), np.empty(0)
    keys = calls[0::FIELDS]
    packed = calls[3::FIELDS]
    steps = np.array(calls[1::FIELDS], dtype=np.int64)
    walls = np.array(calls[2::FIELDS], dtype=np.float64)
    key_codes, distinct = pd.factorize(np.fromiter(keys, dtype=object, count=count))
    names, lengths, table = _tag_table(list(distinct))
    if tuple not in set(map(type, keys)):  # one value per call: the usual case
        return names, table[key_codes], steps, walls, np.array(packed, dtype=np.float64)
    counts = np.asarray(lengths, dtype=np.int64)[key_codes]
    several = np.fromiter(map(isinstance, keys, repeat(tuple)), bool, count)
    owner = np.repeat(np.arange(count), counts)  # the call of each value
    from_tuples = several[owner]
    values = np.empty(owner.size, dtype=np.float64)
    values[~from_tuples] = np.fromiter(compress(packed, ~several), np.float64)
    values[from_tuples] = np.fromiter(chain.from_iterable(compress(packed, several)),
                                      np.float64)
    firsts = np.cumsum(counts) - counts  # position of each call's first value
    starts = np.asarray(np.cumsum(lengths) - np.asarray(lengths), np.int64)[key_codes]
    position = np.arange(owner.size) - firsts[owner]
    return names, table[starts[owner] + position], steps[owner], walls[owner], values


def _value_counts(calls: list[Any]) -> np.ndarray:
    """Number of values of each flat record (rare paths: bounding, counting)."""
    return np.fromiter((len(key) if type(key) is tuple else 1 for key in calls[0::FIELDS]),
                       np.int64, len(calls) // FIELDS)


def _has_deferred(calls: list[Any]) -> bool:
    packed = calls[3::FIELDS]
    kinds = set(map(type, packed))
    if DeferredTensor in kinds:
        return True
    tuples = [value for value in packed if type(value) is tuple] if tuple in kinds else []
    return DeferredTensor in set(map(type, chain.from_iterable(tuples)))


def _materialized(calls: list[Any]) -> list[Any]:
    """Flat ``calls`` with every deferred tensor converted (one transfer per device)."""
    packed = calls[3::FIELDS]
    flat = list(chain.from_iterable(v if type(v) is tuple else (v,) for v in packed))
    floats = iter(materialize(flat))
    out = list(calls)
    for index, value in enumerate(packed):
        out[FIELDS * index + 3] = (tuple(next(floats) for _ in value) if type(value) is tuple
                                   else next(floats))
    return out


class PendingScalars:
    """The calls logged since the last commit (see the module docstring)."""

    def __init__(self, base_seq: int) -> None:
        self.calls: list[Any] = []
        self.lock = threading.Lock()
        self.base_seq = base_seq
        self._materialize_lock = threading.Lock()
        self.deferred = False  # some call may hold a DeferredTensor (set once by log())
        self._ready = 0  # calls[:_ready] (items) hold floats only
        self._dropped = 0  # items removed from the front so far (keeps indices absolute)

    def materialize(self) -> int:
        """Convert deferred tensors of the calls logged so far; returns how many leading
        items of :attr:`calls` now hold floats only (every call present at the time)."""
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
                    # Only items below _ready are ever removed, so the offset stays >= 0.
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
        return ScalarBatch(first_seq, len(calls) // FIELDS, *_columns(calls))

    def drop(self, batch: ScalarBatch) -> None:
        """Remove ``batch`` (the oldest calls), once committed."""
        with self.lock:
            self._remove(FIELDS * batch.calls, len(batch))

    def _remove(self, items: int, values: int) -> None:
        del self.calls[:items]
        self._dropped += items
        self._ready = max(self._ready - items, 0)
        self.base_seq += values

    def rows_since(self, seq: int) -> tuple[int, list[tuple[str, int, float, float]]]:
        """(base seq, materialised rows (tag, step, wall, value) with seq >= max(seq, base))."""
        ready = self.materialize()
        with self.lock:
            base = self.base_seq
            calls = self.calls[:ready]
        skip = max(seq - base, 0)
        if calls and skip:
            ends = np.cumsum(_value_counts(calls))
            first = int(np.searchsorted(ends, skip, side="right"))  # calls skipped entirely
            skip -= int(ends[first - 1]) if first else 0
            calls = calls[FIELDS * first:]
        names, codes, steps, walls, values = _columns(calls)
        return base, list(zip(np.array(names, dtype=object)[codes[skip:]].tolist(),
                              steps[skip:].tolist(), walls[skip:].tolist(),
                              values[skip:].tolist(), strict=True))

    def count(self) -> int:
        """Values waiting (all calls)."""
        with self.lock:
            calls = self.calls[:]
        return int(_value_counts(calls).sum())

    def bound(self, limit: int) -> int:
        """Drop the oldest values beyond ``limit`` (the caller holds no lock and keeps
        commits and materialisation out); returns how many were dropped."""
        with self._materialize_lock, self.lock:
            counts = _value_counts(self.calls)
            excess = int(counts.sum()) - limit
            if excess <= 0:
                return 0
            ends = np.cumsum(counts)
            whole = int(np.searchsorted(ends, excess, side="right"))  # calls dropped entirely
            partly = excess - (int(ends[whole - 1]) if whole else 0)
            if partly:  # the next call loses its first values only
                at = FIELDS * whole
                tags, step, wall, values = self.calls[at:at + FIELDS]
                self.calls[at:at + FIELDS] = (tags[partly:], step, wall, values[partly:])
            self._remove(FIELDS * whole, excess)
            return excess
