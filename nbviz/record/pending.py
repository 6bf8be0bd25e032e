"""Scalars logged but not yet committed: one entry per ``log()`` call, turned into columns.

``Run.log`` appends one ``(step, wall_time, {tag: value})`` tuple per call to
:attr:`PendingScalars.calls` — a single ``list.append``, atomic under the GIL, so the
hot path takes no lock and allocates no object per value. Values are floats, or
:class:`~nbviz.record.values.DeferredTensor` for tensors on an accelerator (converted
here, one transfer per device, before anything reads them).

Everything else runs off the hot path, under :attr:`PendingScalars.lock`: the flusher
turns a prefix of the calls into numpy columns (:meth:`columns`: C-level iteration,
never a Python object per value) and drops it once committed; in-process readers get
rows by seq (:meth:`rows_since`). Only a prefix is ever removed, so appends never race
with removals. Every value has a seq: ``base_seq`` is the seq of the first value of
``calls[0]``, the rest follow in call and dict order.

>>> pending = PendingScalars(base_seq=0)
>>> pending.calls.append((3, 1.5, {"loss": 0.25, "acc": 0.5}))
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

from nbviz.record.values import DeferredTensor, materialize

__all__ = ["Call", "PendingScalars", "ScalarBatch"]

Call = tuple[int, float, dict[str, Any]]  # (step, wall time, {tag: float | DeferredTensor})

_STEP = itemgetter(0)
_WALL = itemgetter(1)
_VALUES = itemgetter(2)


@dataclass(frozen=True)
class ScalarBatch:
    """A prefix of the pending calls as columns: ``calls`` calls holding ``len(tags)``
    values with seqs from ``first_seq``."""

    first_seq: int
    calls: int
    tags: list[str]
    steps: np.ndarray  # int64
    walls: np.ndarray  # float64
    values: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.tags)

    @property
    def seqs(self) -> np.ndarray:
        return np.arange(self.first_seq, self.first_seq + len(self.tags), dtype=np.int64)

    def rows(self) -> list[tuple[str, int, float, float]]:
        """The batch as (tag, step, wall, value) rows (for isolating a bad row)."""
        return list(zip(self.tags, self.steps.tolist(), self.walls.tolist(),
                        self.values.tolist(), strict=True))


def _columns(calls: list[Call]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(tags, steps, walls, values) of materialised ``calls``, in seq order."""
    dicts = list(map(_VALUES, calls))
    counts = np.fromiter(map(len, dicts), np.int64, len(dicts))
    total = int(counts.sum())
    tags = list(chain.from_iterable(dicts))
    values = np.fromiter(chain.from_iterable(map(dict.values, dicts)), np.float64, total)
    steps = np.repeat(np.fromiter(map(_STEP, calls), np.int64, len(calls)), counts)
    walls = np.repeat(np.fromiter(map(_WALL, calls), np.float64, len(calls)), counts)
    return tags, steps, walls, values


def _has_deferred(calls: list[Call]) -> bool:
    return DeferredTensor in set(map(type, chain.from_iterable(map(dict.values,
                                                                    map(_VALUES, calls)))))


def _materialized(calls: list[Call]) -> list[Call]:
    """``calls`` with every deferred tensor converted (one transfer per device)."""
    dicts = list(map(_VALUES, calls))
    floats = iter(materialize(list(chain.from_iterable(map(dict.values, dicts)))))
    return [(step, wall, dict(zip(values, islice(floats, len(values)), strict=True)))
            for (step, wall, _), values in zip(calls, dicts, strict=True)]


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
        tags, steps, walls, values = _columns(calls)
        return ScalarBatch(first_seq, len(calls), tags, steps, walls, values)

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
            counts = np.cumsum(np.fromiter(map(len, map(_VALUES, calls)), np.int64, len(calls)))
            first = int(np.searchsorted(counts, skip, side="right"))
            skip -= int(counts[first - 1]) if first else 0
            calls = calls[first:]
        dicts = list(map(_VALUES, calls))
        counts_list = list(map(len, dicts))
        rows = list(zip(
            chain.from_iterable(dicts),
            chain.from_iterable(map(repeat, map(_STEP, calls), counts_list)),
            chain.from_iterable(map(repeat, map(_WALL, calls), counts_list)),
            chain.from_iterable(map(dict.values, dicts)), strict=True,
        ))
        return base, rows[skip:]

    def count(self) -> int:
        """Values waiting (all calls)."""
        with self.lock:
            calls = self.calls[:]
        return sum(map(len, map(_VALUES, calls)))

    def bound(self, limit: int) -> int:
        """Drop the oldest values beyond ``limit`` (the caller holds no lock and keeps
        commits and materialisation out); returns how many were dropped."""
        with self._materialize_lock, self.lock:
            counts = np.fromiter(map(len, map(_VALUES, self.calls)), np.int64,
                                 len(self.calls))
            excess = int(counts.sum()) - limit
            if excess <= 0:
                return 0
            ends = np.cumsum(counts)
            whole = int(np.searchsorted(ends, excess, side="right"))  # calls dropped entirely
            partly = excess - (int(ends[whole - 1]) if whole else 0)
            if partly:  # the next call loses its first values only
                step, wall, values = self.calls[whole]
                self.calls[whole] = (step, wall, dict(islice(values.items(), partly, None)))
            self._remove(whole, excess)
            return excess
