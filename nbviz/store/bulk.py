"""The scalars of many run stores at once — ``nbviz.read``'s store side at scale.

Per run: one read-only connection (``mode=ro`` URI, no PRAGMA), a look at its tables,
one query for the tag names and one for the chosen chunk blobs, every chunk checked
(CRC-32). Then the chunks of every run are decoded together
(:func:`~nbviz.store.chunks.decode_block`: one numpy call per codec and chunk length,
whatever the number of runs), and each run's rows are put in log (``seq``) order by
one scatter over all runs. With ``threads > 1``, batches of runs are read and decoded
side by side (SQLite, zlib and numpy release the GIL).

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
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nbviz.store.chunks import chunk_crc, count_groups, decode_block
from nbviz.store.sqlite import DB_FILENAME
from nbviz.store.subset import Subset
from nbviz.store.table import ScalarTable

__all__ = ["READ_THREADS", "open_read_only", "read_stores"]

# Batches read side by side. Measured on the shared 2-core machine (store_scale.py, 500
# runs x 50 tags x 400 steps): 2 threads took 0.97x-1.5x the wall time of 1 and ~15 % more
# CPU (load average 10-30), so 1 by default; raise it on an idle multi-core machine.
READ_THREADS = 1
_CHUNKS = "SELECT tag_id, first_seq, count, seqs, steps, walls, vals, crc FROM scalar_chunks"


def open_read_only(db_path: Path) -> sqlite3.Connection:
    """A read-only connection to a store (``mode=ro``: never writes, never creates it;
    sees what a live writer has committed)."""
    uri = f"{Path(os.path.abspath(db_path)).as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


@dataclass(frozen=True)
class _Fetched:
    """One run's tag names and chosen chunk rows (``_CHUNKS`` columns)."""

    name: str
    names: dict[int, str]
    rows: list[tuple[Any, ...]]


def _fetch(name: str, run_dir: Path, subset: Subset) -> _Fetched | None:
    """The run's chunk rows, or None when the run needs the careful reader."""
    try:
        connection = open_read_only(run_dir / DB_FILENAME)
    except sqlite3.Error:
        return None
    try:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "scalar_chunks" not in tables or "scalars" in tables:
            return None  # not (yet) a columnar store, or legacy rows beside chunks
        names = dict(connection.execute("SELECT id, name FROM tags WHERE kind = 'scalar'"))
        query, params = _CHUNKS, []
        conditions = []
        ids = subset.tag_ids(names)
        if ids is not None:
            if not ids:
                return _Fetched(name, names, [])
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
    return _Fetched(name, names, rows) if _healthy(rows, names) else None


def _healthy(rows: list[tuple[Any, ...]], names: dict[int, str]) -> bool:
    """Every chunk row holds values, names a known tag and matches its checksum."""
    try:
        return all(isinstance(count, int) and count > 0 and tag_id in names
                   and chunk_crc(seqs, steps, walls, values) == crc
                   for tag_id, _, count, seqs, steps, walls, values, crc in rows)
    except TypeError:  # a column that is not a blob
        return False


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


def _decode(fetched: list[_Fetched], subset: Subset) -> ScalarTable:
    """Every chunk row of ``fetched`` (healthy runs) decoded into one table: runs in the
    order given, each run's rows in seq order."""
    per_run = np.array([len(f.rows) for f in fetched], dtype=np.int64)
    rows = [row for f in fetched for row in f.rows]
    if not rows:
        return ScalarTable([f.name for f in fetched], np.zeros(len(fetched) + 1, np.int64),
                           [], np.empty(0, np.int32), np.empty(0, np.int64), np.empty(0),
                           np.empty(0))
    tag_ids, first_seqs, counts, seqs, steps, walls, values, _ = zip(*rows, strict=True)
    lengths = np.array(counts, dtype=np.int64)
    run_of_chunk = np.repeat(np.arange(len(fetched)), per_run)
    tags: dict[str, int] = {}
    chunk_code = np.array([tags.setdefault(fetched[run].names[tag_id], len(tags)) for
                           run, tag_id in zip(run_of_chunk.tolist(), tag_ids, strict=True)],
                          dtype=np.int32)
    first = np.array(first_seqs, dtype=np.int64)
    groups = count_groups(lengths)
    seq_blocks = [decode_block(list(map(seqs.__getitem__, chunks.tolist())), count,
                               floats=False)
                  + first[chunks][:, None] for count, chunks in groups]
    # each run's seqs get their own slot range: [offset, offset + the run's seq span)
    low = np.full(len(fetched), np.iinfo(np.int64).max)
    high = np.full(len(fetched), np.iinfo(np.int64).min)
    for (_, chunks), block in zip(groups, seq_blocks, strict=True):
        np.minimum.at(low, run_of_chunk[chunks], block.min(axis=1))
        np.maximum.at(high, run_of_chunk[chunks], block.max(axis=1))
    spans = np.where(per_run > 0, high - low + 1, 0)
    shift = np.cumsum(spans) - spans - np.where(per_run > 0, low, 0)
    for (_, chunks), block in zip(groups, seq_blocks, strict=True):
        block += shift[run_of_chunk[chunks]][:, None]  # seq -> slot, in place
    slots = seq_blocks
    total = int(lengths.sum())
    tag_code = np.empty(total, dtype=np.int32)
    step = np.empty(total, dtype=np.int64)
    wall, value = np.empty(total), np.empty(total)
    for (count, chunks), where in zip(groups, _positions(slots, int(spans.sum()), total),
                                      strict=True):
        members = chunks.tolist()
        tag_code[where] = chunk_code[chunks][:, None]
        step[where] = decode_block(list(map(steps.__getitem__, members)), count, floats=False)
        wall[where] = decode_block(list(map(walls.__getitem__, members)), count, floats=True)
        value[where] = decode_block(list(map(values.__getitem__, members)), count, floats=True)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(run_of_chunk, weights=lengths,
                                                        minlength=len(fetched)))]
                            ).astype(np.int64)
    low_step, high_step = subset.steps if subset.steps is not None else (None, None)
    if low_step is not None or high_step is not None:  # chunks overlapping the range: cut
        keep = np.ones(total, dtype=bool)
        if low_step is not None:
            keep &= step >= low_step
        if high_step is not None:
            keep &= step <= high_step
        bounds = np.concatenate([[0], np.cumsum(keep)])[bounds]
        step, wall, value, tag_code = step[keep], wall[keep], value[keep], tag_code[keep]
    return ScalarTable([f.name for f in fetched], bounds, list(tags), tag_code, step, wall,
                       value)


def _fast_table(fetched: list[_Fetched], subset: Subset) -> tuple[ScalarTable, set[str]]:
    """The runs decoded together, or (when a checked chunk still cannot be decoded) an
    empty table and every name, for the careful reader."""
    try:
        return _decode(fetched, subset), set()
    except (TypeError, ValueError, OverflowError, zlib.error, struct.error):
        return ScalarTable.empty(), {f.name for f in fetched}


def _careful(name: str, run_dir: Path, subset: Subset, problems: list[str]) -> ScalarTable:
    """One run read by its live tail (rows not yet flushed included) or StoreReader."""
    from nbviz.record.run import live_run_for
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


def _read_batch(items: list[tuple[str, Path]], subset: Subset) -> tuple[ScalarTable, set[str]]:
    """Runs read and decoded together, and the names of those needing the careful reader."""
    got = [(name, _fetch(name, run_dir, subset)) for name, run_dir in items]
    table, careful = _fast_table([f for _, f in got if f is not None], subset)
    return table, careful | {name for name, f in got if f is None}


def read_stores(runs: Mapping[str, Path], subset: Subset, problems: list[str], *,
                threads: int | None = None) -> ScalarTable:
    """The chosen scalars of the stores ``runs`` (name -> run directory, in the order
    wanted), each run's rows in log order; what cannot be read goes to ``problems``.
    ``threads`` batches of runs (default :data:`READ_THREADS`) are read and decoded side
    by side."""
    from nbviz.record.run import live_run_for

    threads = READ_THREADS if threads is None else threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"read_stores(): 'threads' must be an int >= 1, got {threads!r}.")
    quick = [(name, run_dir) for name, run_dir in runs.items() if live_run_for(run_dir) is None]
    size = -(-len(quick) // threads) if quick else 1
    batches = [quick[start:start + size] for start in range(0, len(quick), size)]
    if len(batches) > 1:
        with ThreadPoolExecutor(len(batches)) as pool:
            results = list(pool.map(lambda batch: _read_batch(batch, subset), batches))
    else:
        results = [_read_batch(batch, subset) for batch in batches]
    careful = {name for _, names in results for name in names} | (
        set(runs) - {name for name, _ in quick})
    parts = [table for table, _ in results] + [
        _careful(name, runs[name], subset, problems) for name in runs if name in careful]
    if not careful:
        return ScalarTable.join(parts)
    position = {name: index for index, name in enumerate(runs)}
    return ScalarTable.join(parts).sorted_by(position.__getitem__)
