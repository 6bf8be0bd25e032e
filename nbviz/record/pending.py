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
the list and C-level passes — numpy conversions, one dict of the distinct tag keys —
never Python code per value) and drops it once committed; in-process readers
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
from itertools import chain, islice
from typing import Any

import numpy as np

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


def _distinct_keys(keys: list[Any]) -> tuple[np.ndarray | None, list[Any]]:
    """(each call's key code, or None when every call has the same key; the distinct tag
    keys in order of appearance). A key is a tag string or a tuple of tags; calls mostly
    share one key object, which ``list.count`` finds by identity at C speed."""
    if keys.count(keys[0]) == len(keys):
        return None, keys[:1]
    index = {key: code for code, key in enumerate(dict.fromkeys(keys))}
    return np.fromiter(map(index.__getitem__, keys), np.int64, len(keys)), list(index)


def _tag_table(keys: list[Any]) -> tuple[list[str], list[int], list[np.ndarray]]:
    """For the distinct tag keys of a batch (a tag, or a tuple of tags): the tag names and,
    per key, its number of values and its values' tag codes."""
    index: dict[str, int] = {}
    lengths: list[int] = []
    codes: list[np.ndarray] = []
    for key in keys:
        tags = key if type(key) is tuple else (key,)
        lengths.append(len(tags))
        codes.append(np.array([index.setdefault(tag, len(index)) for tag in tags], np.int64))
    return list(index), lengths, codes


def _columns(calls: list[Any], stop: int | None = None
             ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tag names, tag codes, steps, walls, values) of the materialised flat records
    ``calls[:stop]``, in seq order: strided slices of the list (taken while the hot path
    may extend it: each slice is one C-level copy) and numpy passes over them; Python
    work only per distinct tag key."""
    stop = len(calls) if stop is None else stop
    count = stop // FIELDS
    # islice walks the list in place (measured: 30 % less than a strided slice, which
    # increfs every item into a new list first); the hot path may append meanwhile, which
    # a list iterator bounded by ``stop`` tolerates.
    steps = np.fromiter(islice(calls, 1, stop, FIELDS), np.int64, count)
    walls = np.fromiter(islice(calls, 2, stop, FIELDS), np.float64, count)
    if not count:
        return [], np.empty(0, np.int64), steps, walls, walls
    key_codes, distinct = _distinct_keys(calls[0:stop:FIELDS])
    names, lengths, key_tags = _tag_table(distinct)
    if key_codes is None:  # every call of one key: the usual case
        length = lengths[0]
        packed = islice(calls, 3, stop, FIELDS)
        if length == 1:  # one tag (code 0): the columns as they are, no copy
            return (names, np.zeros(count, np.int64), steps, walls,
                    np.fromiter(packed, np.float64, count))
        values = np.fromiter(chain.from_iterable(packed) if type(distinct[0]) is tuple
                             else packed, np.float64, count * length)
        return (names, np.tile(key_tags[0], count), np.repeat(steps, length),
                np.repeat(walls, length), values)
    counts = np.asarray(lengths, dtype=np.int64)[key_codes]
    firsts = np.cumsum(counts) - counts  # position of each call's first value
    total = int(counts.sum())
    values = np.empty(total, dtype=np.float64)
    codes = np.empty(total, dtype=np.int64)
    order = np.argsort(key_codes, kind="stable")
    bounds = np.searchsorted(key_codes[order], np.arange(len(distinct) + 1)).tolist()
    objects = np.fromiter(islice(calls, 3, stop, FIELDS), dtype=object, count=count)
    for key, length in enumerate(lengths):
        calls_of_key = order[bounds[key]:bounds[key + 1]]
        if not length or not calls_of_key.size:
            continue
        rows = objects[calls_of_key].tolist()
        positions = firsts[calls_of_key][:, None] + np.arange(length)
        values[positions] = np.fromiter(
            chain.from_iterable(rows) if type(distinct[key]) is tuple else rows, np.float64,
            positions.size).reshape(-1, length)
        codes[positions] = key_tags[key]
    if bool((counts == 1).all()):
        return names, codes, steps, walls, values
    return names, codes, np.repeat(steps, counts), np.repeat(walls, counts), values


def _value_counts(calls: list[Any]) -> np.ndarray:
    """Number of values of each flat record (one slice of ``calls``: the hot path may be
    extending it)."""
    keys = calls[0::FIELDS]
    if not keys:
        return np.empty(0, np.int64)
    key_codes, distinct = _distinct_keys(keys)
    lengths = np.array([len(key) if type(key) is tuple else 1 for key in distinct], np.int64)
    return np.full(len(keys), lengths[0]) if key_codes is None else lengths[key_codes]


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
                end = len(self.calls)
            # log() sets `deferred` (never cleared) before it appends the first call holding
            # a deferred tensor, so reading it after `end` tells whether calls[:end] may hold
            # one: runs that log none never scan their values here.
            if not self.deferred:
                with self.lock:
                    self._ready = end + dropped - self._dropped
                    return self._ready
            with self.lock:
                todo = self.calls[start:]
            if todo and _has_deferred(todo):
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
        with self.lock:  # only removals take the lock: the slices see calls[:ready] intact
            return ScalarBatch(self.base_seq, ready // FIELDS, *_columns(self.calls, ready))

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
