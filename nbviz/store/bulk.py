"""The scalars of many run stores at once — ``nbviz.read``'s store side at scale.

Three phases, the first and last on :data:`BULK_READ_THREADS` threads (one by default:
see there):

1. per run: one read-only connection (``immutable=1`` for a settled store, see
   :mod:`nbviz.store.settled`; else ``mode=ro``), one query for the tag names (and
   whether version-1 rows are there too) and one for the chosen chunk blobs, every chunk
   checked (CRC-32);
2. the layout: every run's row count and place in the output, tags coded in lexical
   order (the DataFrame's Categorical then takes the codes as they are), the output
   columns allocated once;
3. batches of runs decoded straight into their part of the output: the chunks of a
   batch decoded together (:func:`~nbviz.store.chunks.decode_block`: one numpy call
   per codec and chunk length), each value put at its log (``seq``) position by one
   scatter per column — no per-run copy, no join.

Only healthy columnar stores take this path. A run that is written by this process,
a store of the version-1 layout (alone or beside chunks), a store that cannot be
opened, a damaged chunk, a tag without a name: that run is read by
:class:`~nbviz.store.sqlite.StoreReader` (or the live run's tail) instead, which
salvages and reports; the others are unaffected.

>>> problems: list[str] = []
>>> read_stores({"a": Path("runs/a")}, Subset(None, None, None), problems).frame()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sqlite3
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from nbviz.store.chunks import chunk_crcs, count_groups, decode_block
from nbviz.store.readonly import open_read_only
from nbviz.store.settled import is_settled, locked_inodes
from nbviz.store.sqlite import DB_FILENAME, SCHEMA_VERSION
from nbviz.store.subset import Subset
from nbviz.store.table import ScalarTable, code_dtype

__all__ = ["BULK_READ_THREADS", "read_stores"]

# Threads of nbviz.read's bulk value read (fetch + decode side by side): one (the per-tag
# summaries of many stores take nbviz.store.settled.SUMMARY_READ_THREADS instead).
# SQLite, zlib and numpy release the GIL, but only for a short while each (one sqlite3
# step per chunk row, one numpy call per tile), so two threads hand the GIL over
# thousands of times and pay for it more than they gain. Measured (500 runs x 50 tags x
# 400 steps, the same code, runs interleaved, median of 5, load ~1.5 on 2 cores with a
# core free; benchmarks/store_scale.py prints both counts side by side): nbviz.read with
# 1 thread 0.93-1.07 s wall / 0.93-1.06 s CPU, with 2 threads 1.00-1.10 s / 1.27-1.36 s;
# the open + SELECT + CRC phase 0.63 s -> 0.67 s wall (CPU +48 %), the decode 0.34 s ->
# 0.36 s (CPU +56 %); the same SQLite work in two processes takes half the wall time.
BULK_READ_THREADS = 1

_CHUNKS = "SELECT tag_id, first_seq, count, seqs, steps, walls, vals, crc FROM scalar_chunks"
# the scalar tags, and a row (NULL, …) when the store needs the careful reader: the
# version-1 table is there too, or a newer nbviz wrote it (schema_version above ours: the
# careful reader says so, once per store, and skips the chunks it cannot decode). One
# statement instead of three (500 stores: ~30 ms of CPU for the second).
_TAGS = ("SELECT id, name FROM tags WHERE kind = 'scalar' UNION ALL SELECT NULL, name "
         "FROM sqlite_master WHERE type = 'table' AND name = 'scalars' UNION ALL SELECT NULL, "
         "value FROM meta WHERE key = 'schema_version' AND CAST(value AS INTEGER) > "
         f"{SCHEMA_VERSION}")
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


@dataclass(frozen=True)
class _Fetched:
    """One run's tag names and chosen chunks, column by column (``_CHUNKS`` without the
    checksum, which is checked when fetched)."""

    name: str
    names: dict[int, str]
    tag_ids: tuple[int, ...]
    first_seqs: tuple[int, ...]
    counts: tuple[int, ...]
    seqs: tuple[bytes, ...]
    steps: tuple[bytes, ...]
    walls: tuple[bytes, ...]
    values: tuple[bytes, ...]

    @staticmethod
    def checked(name: str, names: dict[int, str], rows: list[tuple[Any, ...]]
                ) -> _Fetched | None:
        """The rows as columns, or None unless every chunk holds values, names a known
        tag and matches its checksum."""
        if not rows:
            return _Fetched(name, names, (), (), (), (), (), (), ())
        tag_ids, first_seqs, counts, seqs, steps, walls, values, crcs = zip(*rows, strict=True)
        try:
            if (set(map(type, counts)) != {int} or min(counts) <= 0
                    or not names.keys() >= set(tag_ids)
                    or chunk_crcs(seqs, steps, walls, values) != list(crcs)):
                return None
        except TypeError:  # a column that is not a blob
            return None
        return _Fetched(name, names, tag_ids, first_seqs, counts, seqs, steps, walls, values)


def _fetch(name: str, run_dir: Path, subset: Subset, immutable: bool = False
           ) -> _Fetched | None:
    """The run's chunks, or None when the run needs the careful reader."""
    try:
        connection = open_read_only(run_dir / DB_FILENAME, immutable=immutable)
    except sqlite3.Error:
        return None
    try:
        names = dict(connection.execute(_TAGS).fetchall())
        if None in names:
            return None  # legacy rows beside chunks (no chunk table: the chunk query fails),
            # or a newer store
        query, params = _CHUNKS, []
        conditions = []
        ids = subset.tag_ids(names)
        if ids is not None:
            if not ids:
                return _Fetched.checked(name, names, [])
            conditions.append(f"tag_id IN ({', '.join(str(int(i)) for i in ids)})")
        low, high = subset.steps if subset.steps is not None else (None, None)
        if low is not None:
            conditions.append("max_step >= ?")
            params.append(low)
        if high is not None:
            conditions.append("min_step <= ?")
            params.append(high)
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        rows = connection.execute(query, params).fetchall()
    except (sqlite3.Error, TypeError, ValueError):
        return None  # damaged or not UTF-8: the careful reader salvages and reports
    finally:
        connection.close()
    return _Fetched.checked(name, names, rows)


def _positions(slots: list[np.ndarray], span: int, total: int) -> list[np.ndarray]:
    """Where each slot of ``slots`` (blocks of distinct ints in ``[0, span)``, ``total`` in
    all) lands when the slots are sorted: an O(n) scatter when they are near-dense."""
    if span <= 4 * total + 1024:
        present = np.zeros(span, dtype=bool)
        for block in slots:
            present[block] = True
        if int(np.count_nonzero(present)) == total:  # no slot twice
            if span == total:
                return slots
            rank = np.cumsum(present) - 1
            return [rank[block] for block in slots]
    flat = np.concatenate([block.ravel() for block in slots])  # sparse, or a seq stored twice
    position = np.empty(total, dtype=np.int64)
    position[np.argsort(flat, kind="stable")] = np.arange(total)
    ends = np.cumsum([block.size for block in slots])
    return [part.reshape(block.shape) for part, block in
            zip(np.split(position, ends[:-1]), slots, strict=True)]


@dataclass(frozen=True)
class _Seqs:
    """The seqs of a group of chunks of one length: ``start + stride * arange(count)`` per
    chunk when every chunk's seqs are arithmetic (the usual case: nothing per value is
    built until the positions are), else the decoded ``block``."""

    start: np.ndarray  # int64 per chunk
    stride: np.ndarray | None  # int64 per chunk, or None: see block
    block: np.ndarray | None  # int64 [chunks, count]

    @staticmethod
    def decode(blobs: Sequence[bytes], first: np.ndarray, count: int) -> _Seqs:
        if set(map(itemgetter(0), blobs)) == {ord("L")}:  # in C: no frame per chunk
            pairs = decode_block(blobs, 2, floats=False)  # row i: first, first + stride
            return _Seqs(first + pairs[:, 0], pairs[:, 1] - pairs[:, 0], None)
        block = decode_block(blobs, count, floats=False) + first[:, None]
        return _Seqs(block[:, 0], None, block)

    def bounds(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(lowest, highest) seq of each chunk."""
        if self.block is not None:
            return self.block.min(axis=1), self.block.max(axis=1)
        assert self.stride is not None
        reach = self.stride * (count - 1)
        return self.start + np.minimum(reach, 0), self.start + np.maximum(reach, 0)

    def shifted(self, shift: np.ndarray, count: int, part: slice = slice(None)
                ) -> np.ndarray:
        """``[chunks, count]`` seqs of the chunks ``part`` + ``shift`` (one per chunk of
        ``part``), built in one pass."""
        if self.block is not None:
            shifted: np.ndarray = self.block[part] + shift[:, None]
            return shifted
        assert self.stride is not None
        out = self.stride[part, None] * np.arange(count, dtype=np.int64)
        out += (self.start[part] + shift)[:, None]
        return out


    def target(self, shift: np.ndarray, count: int, part: slice) -> _Target:
        """Where the chunks ``part`` go (``shift``: slot shift of each): one strided copy
        when they are arithmetic and interleave value by value — pieces of k chunks of
        stride k, one after the other (a flush of k tags logged together, chunk order
        = log order) — else a scatter to their positions."""
        if self.stride is not None and count > 1:
            bases, strides = self.start[part] + shift, self.stride[part]
            width = int(strides[0])
            if width >= 1 and len(bases) % width == 0 and bool((strides == width).all()):
                index = np.arange(len(bases))
                if np.array_equal(bases, bases[0] + index // width * (width * count)
                                  + index % width):
                    return _Target(None, count, int(bases[0]), width)
        return _Target(self.shifted(shift, count, part), count)


@dataclass(frozen=True)
class _Target:
    """Where a ``[chunks, count]`` block of values goes in an output column: to
    ``positions`` (a scatter), or — pieces of ``width`` chunks interleaved value by value,
    filling ``[start, start + chunks * count)`` — by one strided copy."""

    positions: np.ndarray | None
    count: int
    start: int = 0
    width: int = 0

    def put(self, column: np.ndarray, block: np.ndarray) -> None:
        """``block`` (``[chunks, count]``, or ``[chunks, 1]``: one value per chunk) into
        ``column``."""
        if self.positions is not None:
            column[self.positions] = block
            return
        size = block.shape[0] * self.count
        column[self.start:self.start + size].reshape(-1, self.count, self.width)[...] = (
            block.reshape(-1, self.width, block.shape[1]).transpose(0, 2, 1))


@dataclass(frozen=True)
class _Output:
    """The columns being filled: a batch writes rows ``[start, stop)`` only."""

    tag_code: np.ndarray
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray

    @staticmethod
    def allocate(total: int, code: np.dtype) -> _Output:
        return _Output(np.full(total, -1, code), np.empty(total, np.int64),
                       np.empty(total), np.empty(total))

    def part(self, start: int, stop: int) -> _Output:
        return _Output(self.tag_code[start:stop], self.step[start:stop],
                       self.wall[start:stop], self.value[start:stop])


def _decode_batch(fetched: Sequence[_Fetched], codes: np.ndarray, out: _Output) -> None:
    """The chunks of ``fetched`` (consecutive runs; ``codes``: each chunk's tag code)
    decoded into ``out`` (exactly their rows, the runs one after the other, each run's
    rows in seq order). Raises ValueError / zlib.error … on a chunk that does not decode."""
    def joined(column: Callable[[_Fetched], tuple[Any, ...]]) -> list[Any]:
        return [cell for f in fetched for cell in column(f)]

    per_run = np.array([len(f.counts) for f in fetched], dtype=np.int64)
    if not per_run.any():
        return
    lengths = np.array(joined(attrgetter("counts")), dtype=np.int64)
    first = np.array(joined(attrgetter("first_seqs")), dtype=np.int64)
    run_of_chunk = np.repeat(np.arange(len(fetched)), per_run)
    run_rows = np.bincount(run_of_chunk, weights=lengths, minlength=len(fetched)
                           ).astype(np.int64)
    groups = count_groups(lengths)
    seqs = joined(attrgetter("seqs"))
    group_seqs = [_Seqs.decode([seqs[i] for i in chunks.tolist()], first[chunks], count)
                  for count, chunks in groups]
    low = np.full(len(fetched), np.iinfo(np.int64).max)
    high = np.full(len(fetched), np.iinfo(np.int64).min)
    for (count, chunks), group in zip(groups, group_seqs, strict=True):
        lows, highs = group.bounds(count)
        np.minimum.at(low, run_of_chunk[chunks], lows)
        np.maximum.at(high, run_of_chunk[chunks], highs)
    present = run_rows > 0
    spans = np.where(present, high - low + 1, 0)
    # seq -> slot: each run's seqs get their own range [offset, offset + span)
    shifts = [(np.cumsum(spans) - spans - np.where(present, low, 0))[run_of_chunk[chunks]]
              for _, chunks in groups]
    columns = (codes, joined(attrgetter("steps")), joined(attrgetter("walls")),
               joined(attrgetter("values")))
    if bool((spans == run_rows).all()):  # slots are positions, unless a seq is stored twice
        _fill(out, groups, run_of_chunk, columns, lambda g, part: group_seqs[g].target(
            shifts[g][part], groups[g][0], part))
        if not bool((out.tag_code < 0).any()):  # every row got a code: no seq twice
            return
    # gaps in the seqs (tensors between scalars), or a seq stored twice: rank the slots
    where = _positions([group.shifted(shift, count) for (count, _), group, shift in
                        zip(groups, group_seqs, shifts, strict=True)],
                       int(spans.sum()), int(run_rows.sum()))
    _fill(out, groups, run_of_chunk, columns,
          lambda g, part: _Target(where[g][part], groups[g][0]))


# Values decoded at a time: the temporaries (positions, inflated bytes, decoded columns)
# stay in cache and are reused, instead of ~100 MB fresh arrays per column (measured,
# 10 M values: page faults per read 61 k -> 2 k, system CPU 0.74 s -> 0.32 s).
_TILE = 1 << 18


def _tiles(runs: np.ndarray, count: int) -> list[slice]:
    """Slices of a group's chunks (``runs``: the run of each, ascending) of about
    ``_TILE`` values, cut only where the run changes (a run's chunks stay together)."""
    cuts = np.flatnonzero(runs[1:] != runs[:-1]) + 1
    step = max(1, _TILE // count)
    at = np.searchsorted(cuts, np.arange(step, len(runs), step))  # first cut past each mark
    edges = [0, *np.unique(cuts[at[at < len(cuts)]]).tolist(), len(runs)]
    return [slice(a, b) for a, b in pairwise(edges) if b > a]


def _fill(out: _Output, groups: list[tuple[int, np.ndarray]], run_of_chunk: np.ndarray,
          columns: tuple[np.ndarray, list[bytes], list[bytes], list[bytes]],
          target: Callable[[int, slice], _Target]) -> None:
    """Every chunk of ``groups`` decoded into ``out`` at ``target(group, chunk slice)``
    (``columns``: each chunk's tag code, step, wall and value blobs), a tile at a time."""
    codes, steps, walls, values = columns
    for index, (count, chunks) in enumerate(groups):
        for part in _tiles(run_of_chunk[chunks], count):
            members = chunks[part].tolist()
            where = target(index, part)
            where.put(out.tag_code, codes[chunks[part]][:, None])
            where.put(out.step, decode_block([steps[i] for i in members], count, floats=False))
            where.put(out.wall, decode_block([walls[i] for i in members], count, floats=True))
            where.put(out.value, decode_block([values[i] for i in members], count,
                                              floats=True))


def _parallel(threads: int, work: Callable[[_Item], _Result], items: Sequence[_Item]
              ) -> list[_Result]:
    """``[work(item) for item in items]``, on ``threads`` threads when more than one."""
    if threads < 2 or len(items) < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(min(threads, len(items))) as pool:
        return list(pool.map(work, items))


def _split(weights: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges cutting ``weights`` into ≤ ``parts`` runs of about
    equal sums (none empty)."""
    if len(weights) == 0:
        return []
    total = np.cumsum(weights)
    cuts = np.searchsorted(total, total[-1] * np.arange(1, parts) / parts, side="right")
    edges = sorted({0, *cuts.tolist(), len(weights)})
    return list(pairwise(edges))


def _decode(fetched: list[_Fetched], subset: Subset, threads: int = 1
            ) -> tuple[ScalarTable, set[str]]:
    """Every chunk row of ``fetched`` (healthy runs) decoded into one table — runs in the
    order given, each run's rows in seq order — and the names of the runs whose chunks
    did not decode (left out, for the careful reader)."""
    names = sorted({f.names[tag_id] for f in fetched for tag_id in set(f.tag_ids)})
    code_of = {name: code for code, name in enumerate(names)}
    codes = np.array([code_of[f.names[tag_id]] for f in fetched for tag_id in f.tag_ids],
                     dtype=code_dtype(len(names)))
    counts = np.array([count for f in fetched for count in f.counts], dtype=np.int64)
    chunk_bounds = np.concatenate([[0], np.cumsum([len(f.counts) for f in fetched])])
    bounds = np.concatenate([[0], np.cumsum([sum(f.counts) for f in fetched])]
                            ).astype(np.int64)
    out = _Output.allocate(int(bounds[-1]), codes.dtype)

    def batch(span: tuple[int, int]) -> bool:
        first, last = span
        try:
            _decode_batch(fetched[first:last], codes[chunk_bounds[first]:chunk_bounds[last]],
                          out.part(int(bounds[first]), int(bounds[last])))
        except (TypeError, ValueError, OverflowError, IndexError, zlib.error, struct.error):
            return False
        return True

    spans = _split(np.diff(bounds), threads)
    done = _parallel(threads, batch, spans)
    table = ScalarTable([f.name for f in fetched], bounds, names, out.tag_code, out.step,
                        out.wall, out.value, np.bincount(codes, weights=counts,
                                                         minlength=len(names)))
    failed = {index for (start, stop), ok in zip(spans, done, strict=True) if not ok
              for index in range(start, stop)}
    if failed:
        table = table.select([i for i in range(len(fetched)) if i not in failed])
    low_step, high_step = subset.steps if subset.steps is not None else (None, None)
    if low_step is not None or high_step is not None:  # chunks overlapping the range: cut
        table = table.where(low_step, high_step)
    return table, {fetched[index].name for index in failed}


def _careful(name: str, run_dir: Path, subset: Subset, problems: list[str]) -> ScalarTable:
    """One run read by its live tail (rows not yet flushed included) or StoreReader."""
    from nbviz.record.live import live_run_for
    from nbviz.sources import RunTail, concat_columns
    from nbviz.store.sqlite import StoreReader

    if live_run_for(run_dir) is not None:
        tail = RunTail(run_dir, name)
        try:
            columns = subset.filter(concat_columns([b.columns for b in tail.poll()]))
            found = tail.problems()
        finally:
            tail.close()
    else:
        reader = StoreReader(run_dir)
        try:
            columns = reader.scalars_between(0, tag_ids=subset.tag_ids(reader.tag_names()),
                                             step_range=subset.steps)
            found = reader.problems()
        finally:
            reader.close()
    problems.extend(str(problem) for problem in found if str(problem) not in problems)
    return ScalarTable.of_columns(name, columns)


def read_stores(runs: Mapping[str, Path], subset: Subset, problems: list[str], *,
                threads: int | None = None) -> ScalarTable:
    """The chosen scalars of the stores ``runs`` (name -> run directory, in the order
    wanted), each run's rows in log order; what cannot be read goes to ``problems``.
    ``threads`` (default :data:`BULK_READ_THREADS`) read and decode runs side by side."""
    from nbviz.record.live import live_run_dirs

    threads = BULK_READ_THREADS if threads is None else threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"read_stores(): 'threads' must be an int >= 1, got {threads!r}.")
    live = {str(run_dir) for run_dir in live_run_dirs()}  # real paths
    quick = [(name, run_dir) for name, run_dir in runs.items()
             if not live or os.path.realpath(run_dir) not in live]
    locked = locked_inodes()
    parts = [quick[start:stop] for start, stop in _split(np.ones(len(quick)), 4 * threads)]
    fetched = [got for part in _parallel(threads, lambda items: [
        (name, _fetch(name, run_dir, subset, is_settled(run_dir, locked)))
        for name, run_dir in items], parts) for got in part]
    table, careful = _decode([f for _, f in fetched if f is not None], subset, threads)
    careful |= {name for name, f in fetched if f is None}
    careful |= set(runs) - {name for name, _ in quick}
    if not careful:
        return table
    parts_read = [table] + [_careful(name, runs[name], subset, problems)
                            for name in runs if name in careful]
    position = {name: index for index, name in enumerate(runs)}
    return ScalarTable.join(parts_read).sorted_by(position.__getitem__)
