"""The run store: one SQLite database per run directory.

Layout of ``<logdir>/<run>/nbviz.sqlite`` (schema version 3, "columnar")::

    meta(key TEXT PRIMARY KEY, value TEXT)          -- JSON values: name, config, created …
    tags(id INTEGER PRIMARY KEY, name, kind)        -- one row per (tag, kind)
    scalar_chunks(id INTEGER PRIMARY KEY, tag_id, first_seq, last_seq, count,
                  min_step, max_step, seqs, steps, walls, vals)
    scalar_tags(tag_id INTEGER PRIMARY KEY, count, first_step, last_step, min, max,
                last_value, last_wall, max_step, last_seq)
    tensors(seq INTEGER PRIMARY KEY, tag_id, step, wall_time, dtype, shape, data, extra)

Scalars are stored in columnar chunks: one row per tag per flush holding that tag's
seqs, steps, wall times and values as compact arrays (:mod:`nbviz.store.chunks`), so a
value costs ~10 bytes and is read with numpy, never as a Python object. Every value
keeps its own ``seq``; a chunk's ``first_seq``/``last_seq`` let a tailing reader fetch
exactly the chunks holding ``seq >= cursor`` and cut them at the cursor, so each value
is returned once. ``scalar_tags`` (the per-tag summary) is updated in the same
transaction as the chunks it summarises.

Stores of schema version 1 hold one row per value in ``scalars(seq INTEGER PRIMARY KEY,
tag_id, step, wall_time, value)`` (NaN as NULL). They are *read in both layouts*, not
migrated: readers merge legacy rows and chunks by seq; a writer appending to an old
store (``if_exists="append"``) adds chunks beside the legacy rows and fills the summary
table from them once, in the transaction that adds the new tables.

``tensors`` holds every non-scalar record (histograms, PR curves, embeddings,
images …): ``data`` is the array's raw little-endian bytes, ``dtype`` its numpy
dtype string (e.g. ``<f4``), ``shape`` and ``extra`` JSON. The record's kind is
the kind of its tag. No pickle anywhere: arrays are rebuilt with
``np.frombuffer``.

Schema versions (``meta['schema_version']``): 1 — one row per scalar value; 2 — columnar
chunks; 3 — the same tables, but chunks may keep wall times in the offset codecs ``1`` /
``2`` / ``4`` (:func:`nbviz.store.chunks.encode_walls`), which an nbviz that knows only
version 2 reports as undecodable chunks. A store this version creates *or appends to* is
stamped :data:`SCHEMA_VERSION` (3: it may now hold such chunks; a version-1 or -2 store
becomes 3 with its first writer), never lowered. A reader that finds a version above
its own reads what it can and says once per store that a newer nbviz wrote it
(:func:`newer_schema`).

``seq`` is assigned by the writer in log order; readers tail a run by asking
for ``seq >= cursor``. NaN and ±Inf are stored bit-exact in chunks.

WAL mode gives one writer and any number of readers in other processes, and
committed batches survive ``kill -9``. On network filesystems (NFS, Lustre …)
WAL's shared memory does not work across hosts, so the store falls back to a
rollback journal there (readers then simply poll).
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import struct
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from operator import itemgetter
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from nbviz._validate import MAX_STEP
from nbviz.store.chunks import (
    EncodedChunk,
    TagSummary,
    build_chunks,
    build_coded_chunks,
    chunk_crc,
    decode_floats,
    decode_ints,
    decode_many,
    summarize,
)
from nbviz.store.errors import Problem, StoreWriteError, is_content_error, sqlite_cause
from nbviz.store.fsinfo import is_network_filesystem
from nbviz.store.open_readers import OPEN_READERS
from nbviz.store.readonly import open_read_only
from nbviz.store.template import create_store_file

__all__ = [
    "DB_FILENAME", "SCHEMA_VERSION", "ScalarColumns", "StoreReader", "StoreWriter", "TensorRecord",
    "decode_array", "encode_array", "newer_schema", "purge_steps", "storable_dtype",
]

DB_FILENAME = "nbviz.sqlite"
# The newest layout this nbviz writes and reads: 3 = chunks whose wall times may use the
# offset codecs (see the module docstring for every version).
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tags(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE(name, kind));
CREATE TABLE IF NOT EXISTS scalar_chunks(
    id INTEGER PRIMARY KEY, tag_id INTEGER NOT NULL, first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL, count INTEGER NOT NULL, min_step INTEGER NOT NULL,
    max_step INTEGER NOT NULL, seqs BLOB NOT NULL, steps BLOB NOT NULL, walls BLOB NOT NULL,
    vals BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS scalar_chunks_by_seq ON scalar_chunks(last_seq);
CREATE INDEX IF NOT EXISTS scalar_chunks_by_tag ON scalar_chunks(tag_id, last_seq);
CREATE TABLE IF NOT EXISTS scalar_tags(
    tag_id INTEGER PRIMARY KEY, count INTEGER NOT NULL, first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL, min REAL, max REAL, last_value REAL,
    last_wall REAL NOT NULL, max_step INTEGER NOT NULL, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tensors(
    seq INTEGER PRIMARY KEY, tag_id INTEGER NOT NULL, step INTEGER NOT NULL,
    wall_time REAL NOT NULL, dtype TEXT NOT NULL, shape TEXT NOT NULL, data BLOB NOT NULL,
    extra TEXT NOT NULL);
"""

ALLOWED_DTYPES = frozenset(
    ["<f2", "<f4", "<f8", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1"]
)


@dataclass(frozen=True)
class ScalarColumns:
    """Scalar rows as columns: ``tags[tag_index[i]]`` is row i's tag."""

    seq: np.ndarray
    tag_index: np.ndarray
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    tags: list[str]

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @staticmethod
    def empty() -> ScalarColumns:
        return ScalarColumns(
            seq=np.empty(0, np.int64), tag_index=np.empty(0, np.int32),
            step=np.empty(0, np.float64), wall_time=np.empty(0, np.float64),
            value=np.empty(0, np.float64), tags=[],
        )


@dataclass(frozen=True)
class TensorRecord:
    """One non-scalar record: ``kind`` (e.g. "histogram"), tag, step, array and JSON extras."""

    kind: str
    tag: str
    step: int
    wall_time: float
    array: np.ndarray
    extra: dict[str, Any]
    seq: int = -1


def storable_dtype(dtype: np.dtype[Any]) -> bool:
    """True when arrays of ``dtype`` can be stored (numeric or bool, any byte order).

    >>> storable_dtype(np.dtype("<U3")), storable_dtype(np.dtype(">f4"))
    (False, True)
    """
    little = dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype
    return little.str in ALLOWED_DTYPES


def encode_array(array: np.ndarray) -> tuple[str, str, bytes]:
    """(dtype, shape JSON, raw bytes) of a numeric array, little-endian."""
    little = np.ascontiguousarray(array)
    if little.dtype.byteorder == ">":
        little = little.astype(little.dtype.newbyteorder("<"))
    dtype = little.dtype.str
    if dtype not in ALLOWED_DTYPES:
        raise TypeError(f"arrays of dtype {array.dtype} cannot be stored; use a numeric dtype.")
    return dtype, json.dumps(list(little.shape)), little.tobytes()


def decode_array(dtype: str, shape: str, data: bytes) -> np.ndarray:
    """Inverse of :func:`encode_array` (read-only view over ``data``)."""
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"unknown stored dtype {dtype!r}")
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(json.loads(shape))


def _connect(path: Path, *, journal_fallback: bool, synchronous: str = "NORMAL"
             ) -> sqlite3.Connection:
    """A writer's connection to ``path``: WAL (or a rollback journal on network
    filesystems; a no-op for a store whose header already says so) and ``synchronous``."""
    connection = sqlite3.connect(path, timeout=30.0, check_same_thread=False,
                                 isolation_level=None)
    mode = "DELETE" if journal_fallback else "WAL"
    connection.execute(f"PRAGMA journal_mode={mode}")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    return connection


def _step_column(steps: Any) -> np.ndarray:
    """Steps (a sequence or an array) as int64; TypeError/ValueError (content errors) for
    anything else."""
    column = np.asarray(steps)
    if column.dtype.kind not in "iub":
        raise TypeError(f"scalar steps must be integers, got an array of {column.dtype} "
                        f"(first: {steps[0]!r}).")
    column = column.astype(np.int64, copy=False)
    if column.size and (int(column.min()) < 0 or int(column.max()) > MAX_STEP):
        raise ValueError(f"scalar steps must be in 0..{MAX_STEP}, got {int(column.min())}.."
                         f"{int(column.max())}.")
    return column


def _wall_column(walls: Any) -> np.ndarray:
    column = np.asarray(walls, dtype=np.float64)
    if not np.isfinite(column).all():
        raise ValueError("scalar wall times must be finite numbers.")
    return column


def _code_column(codes: Any, names: int, rows: int) -> np.ndarray:
    """Tag codes as int64, each naming one of ``names`` tags, one per row; ValueError (a
    content error) otherwise."""
    column = np.asarray(codes)
    if column.dtype.kind not in "iu" or column.shape != (rows,):
        raise ValueError(f"write_scalar_columns(): 'codes' must be {rows} integers (one per "
                         f"value), got an array of {column.dtype} with shape {column.shape}.")
    if column.size and (int(column.min()) < 0 or int(column.max()) >= names):
        raise ValueError(f"write_scalar_columns(): 'codes' must index the {names} tag "
                         f"name(s), got {int(column.min())}..{int(column.max())}.")
    return column.astype(np.int64, copy=False)


def _stored_version(text: Any) -> int | None:
    """The version in a ``schema_version`` meta value (JSON text), or None when it is not
    a whole number."""
    try:
        version = json.loads(text)
    except (TypeError, ValueError):
        return None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def newer_schema(text: Any) -> str | None:
    """What to tell a reader of a store whose ``schema_version`` meta value is ``text``:
    None when this nbviz knows that version (or the value is unreadable: then the store's
    tables say what they hold), else why some of its values may be missing.

    >>> newer_schema("2") is None
    True
    >>> newer_schema("99")[:56]
    'written by a newer nbviz (schema 99, this one reads ≤ 3)'
    """
    version = _stored_version(text)
    if version is None or version <= SCHEMA_VERSION:
        return None
    return (f"written by a newer nbviz (schema {version}, this one reads ≤ {SCHEMA_VERSION}): "
            "upgrade nbviz; values in chunks it cannot decode are skipped")


def _meta_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True, sort_keys=True)


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    row = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (name,)).fetchone()
    return row is not None


_SUMMARY_COLUMNS = ("tag_id, count, first_step, last_step, min, max, last_value, last_wall, "
                    "max_step, last_seq")


def _load_summaries(connection: sqlite3.Connection) -> dict[int, TagSummary]:
    rows = connection.execute(f"SELECT {_SUMMARY_COLUMNS} FROM scalar_tags").fetchall()
    return {int(row[0]): TagSummary(
        count=int(row[1]), first_step=int(row[2]), last_step=int(row[3]),
        min_value=row[4], max_value=row[5],
        last_value=math.nan if row[6] is None else float(row[6]),
        last_wall=float(row[7]), max_step=int(row[8]), last_seq=int(row[9]),
    ) for row in rows}


def _save_summaries(connection: sqlite3.Connection, summaries: dict[int, TagSummary]) -> None:
    connection.executemany(
        f"INSERT OR REPLACE INTO scalar_tags({_SUMMARY_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(tag_id, s.count, s.first_step, s.last_step, s.min_value, s.max_value,
          None if math.isnan(s.last_value) else s.last_value, s.last_wall, s.max_step,
          s.last_seq) for tag_id, s in summaries.items()],
    )


_MIN_CHUNKS_TO_MERGE = 4  # compact() merges a tag's small chunks once it has this many

_CHUNK_COLUMNS = "last_seq, tag_id, first_seq, count, seqs, steps, walls, vals, crc"


def _insert_chunks(connection: sqlite3.Connection,
                   chunks: Sequence[tuple[int | None, int, EncodedChunk]]) -> None:
    """Insert (chunk id or None for a new one, tag id, chunk) rows."""
    connection.executemany(
        "INSERT INTO scalar_chunks(id, tag_id, first_seq, last_seq, count, min_step, "
        "max_step, seqs, steps, walls, vals, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(chunk_id, tag_id, c.first_seq, c.last_seq, c.count, c.min_step, c.max_step, c.seqs,
          c.steps, c.walls, c.values, c.crc) for chunk_id, tag_id, c in chunks])


class _Columns:
    """Scalar values as arrays (seq, tag id, step, wall time, value), appended in parts."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.bad_chunks = 0

    def add(self, seq: np.ndarray, tag_id: np.ndarray, step: np.ndarray, wall: np.ndarray,
            value: np.ndarray) -> None:
        if seq.size:
            self.parts.append((seq, tag_id, step, wall, value))

    def add_chunks(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Decode chunk rows (``_CHUNK_COLUMNS``), all at once (:func:`decode_many`); when
        that fails, chunk by chunk, counting the undecodable ones."""
        if not rows:
            return
        try:
            _, tag_ids, first_seqs, counts, seqs, steps, walls, values, crcs = zip(
                *rows, strict=True)
            lengths = np.array(counts, dtype=np.int64)
            if (lengths <= 0).any():
                raise ValueError("a chunk without values")
            if list(map(chunk_crc, seqs, steps, walls, values)) != list(crcs):
                raise ValueError("a chunk's checksum does not match its content")
            self.add(np.repeat(np.array(first_seqs, dtype=np.int64), lengths)
                     + decode_many(seqs, lengths, floats=False),
                     np.repeat(np.array(tag_ids, dtype=np.int64), lengths),
                     decode_many(steps, lengths, floats=False),
                     decode_many(walls, lengths, floats=True),
                     decode_many(values, lengths, floats=True))
            return
        except (TypeError, ValueError, OverflowError, zlib.error, struct.error):
            pass  # a damaged chunk: find it below
        for _, tag_id, first_seq, count, seqs, steps, walls, values, crc in rows:
            try:
                if chunk_crc(seqs, steps, walls, values) != crc:
                    raise ValueError("checksum mismatch")
                count = int(count)
                self.add(first_seq + decode_ints(seqs, count), np.full(count, tag_id, np.int64),
                         decode_ints(steps, count), decode_floats(walls, count),
                         decode_floats(values, count))
            except (TypeError, ValueError, OverflowError, zlib.error, struct.error):
                self.bad_chunks += 1

    def add_legacy(self, rows: list[tuple[Any, ...]]) -> int:
        """Add rows of the version-1 ``scalars`` table (seq, tag id, step, wall, value; NULL
        value = NaN); returns how many lacked a readable seq, tag id or step (left out)."""
        if not rows:
            return 0
        try:
            table = np.array(rows, dtype=np.float64)  # NULL -> nan
        except (TypeError, ValueError):
            table = _numeric_rows(rows)
        valid = np.isfinite(table[:, :4]).all(axis=1)
        table = table[valid]
        self.add(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64),
                 table[:, 2].astype(np.int64), table[:, 3].copy(), table[:, 4].copy())
        return int(valid.size - valid.sum())

    def joined(self) -> tuple[np.ndarray, ...]:
        """(seq, tag id, step, wall, value), in seq order."""
        if not self.parts:
            return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64),
                    np.empty(0), np.empty(0))
        columns = tuple(np.concatenate(part) for part in zip(*self.parts, strict=True))
        order = _seq_order(columns[0])
        return columns if order is None else tuple(column[order] for column in columns)


def _small_int_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` in O(n) for small non-negative ints (tag
    ids); falls back to the sort for anything else."""
    if values.size and int(values.min()) >= 0 and int(values.max()) <= 4 * values.size + 1024:
        present = np.zeros(int(values.max()) + 1, dtype=bool)
        present[values] = True
        codes = np.cumsum(present) - 1
        return np.flatnonzero(present), codes[values]
    unique, inverse = np.unique(values, return_inverse=True)
    return unique, inverse.reshape(-1)


def _seq_order(seq: np.ndarray) -> np.ndarray | None:
    """Indices putting ``seq`` in order (None when it already is). Chunks interleave tags,
    so seqs are a permutation of a near-dense range: scatter in O(n) when they are."""
    if seq.size < 2 or bool((seq[1:] > seq[:-1]).all()):
        return None
    low = int(seq.min())
    span = int(seq.max()) - low + 1
    if span > 4 * seq.size:
        return np.argsort(seq, kind="stable")
    slots = np.full(span, -1, dtype=np.int64)
    slots[seq - low] = np.arange(seq.size)
    order = slots[slots >= 0]
    if order.size != seq.size:  # a seq twice (never written so): keep every row
        return np.argsort(seq, kind="stable")
    return order


def _all_scalars(connection: sqlite3.Connection) -> tuple[np.ndarray, ...]:
    """Every scalar of a writable store (chunks and legacy rows), in seq order."""
    columns = _Columns()
    columns.add_chunks(connection.execute(f"SELECT {_CHUNK_COLUMNS} FROM scalar_chunks")
                       .fetchall())
    if _has_table(connection, "scalars"):
        rows = connection.execute(
            "SELECT seq, tag_id, step, wall_time, value FROM scalars").fetchall()
        columns.add_legacy(rows)
    return columns.joined()


def rebuild_summaries(connection: sqlite3.Connection) -> dict[int, TagSummary]:
    """Recompute the whole summary table from the stored values (inside the caller's
    transaction): after filling it for an old store, or after a purge."""
    seq, tag_id, step, wall, value = _all_scalars(connection)
    summaries = summarize(tag_id, seq, step, wall, value)
    connection.execute("DELETE FROM scalar_tags")
    _save_summaries(connection, summaries)
    return summaries


def purge_steps(connection: sqlite3.Connection, step: int) -> None:
    """Delete stored values and records with ``step >= step`` (TensorBoard's purge_step),
    inside the caller's transaction: chunks past ``step`` are dropped, chunks straddling it
    rewritten, the summary table recomputed.

    >>> purge_steps(connection, 100)  # doctest: +SKIP
    """
    if not isinstance(step, int) or step < 0:
        raise ValueError(f"purge_steps(): 'step' must be an int >= 0, got {step!r}.")
    connection.execute("DELETE FROM tensors WHERE step >= ?", (step,))
    if _has_table(connection, "scalars"):
        connection.execute("DELETE FROM scalars WHERE step >= ?", (step,))
    if not _has_table(connection, "scalar_chunks"):
        return  # a version-1 store: its readers compute summaries from the rows
    straddling = connection.execute(
        f"SELECT {_CHUNK_COLUMNS}, id FROM scalar_chunks WHERE max_step >= ? AND min_step < ?",
        (step, step)).fetchall()
    connection.execute("DELETE FROM scalar_chunks WHERE max_step >= ?", (step,))
    tag_names = dict(connection.execute("SELECT id, name FROM tags").fetchall())
    for row in straddling:
        columns = _Columns()
        columns.add_chunks([row[:-1]])
        seqs, _, steps, walls, values = columns.joined()
        keep = steps < step
        _insert_chunks(connection, [
            (row[-1], row[1], chunk)
            for chunk in build_chunks([tag_names[row[1]]] * int(keep.sum()), seqs[keep],
                                      steps[keep], walls[keep], values[keep])])
    rebuild_summaries(connection)


def _write_error(path: Path, error: BaseException) -> BaseException:
    """``error`` as nbviz's StoreWriteError naming ``path`` and the cause; content errors
    (a value the store cannot hold) are returned unchanged."""
    if is_content_error(error) or isinstance(error, StoreWriteError):
        return error
    if isinstance(error, (sqlite3.Error, OSError)):
        return StoreWriteError(path, sqlite_cause(error))
    return error


class StoreWriter:
    """The single writer of one run's database. Thread-safe (one internal lock).

    Opening a store, new or old, stamps ``meta['schema_version']`` with
    :data:`SCHEMA_VERSION` (3: the chunks it adds may use the wall-time offset codecs), or
    keeps a higher version already there.

    Every write is one transaction. A failed write (disk full, I/O error …) raises
    :class:`~nbviz.store.errors.StoreWriteError` naming the file and the cause and
    leaves the store and this writer's caches as they were before the call, so the
    same batch can be written again later.
    """

    def __init__(self, run_dir: Path, meta: Mapping[str, Any] | None = None) -> None:
        """Open (or create) the store of ``run_dir`` and write ``meta`` (JSON values by
        key, with ``schema_version``) in the same transaction as the schema.

        A new store is written in one go from a prebuilt image of the empty schema
        (:mod:`nbviz.store.template`) and its first transaction (the meta entries) skips
        ``fsync``: an empty store has nothing to lose, and the first checkpoint syncs the
        WAL, its directory and the database file before anything is copied into it. Only
        this tiny transaction runs so (no automatic checkpoint can happen inside it);
        every later one is ``synchronous=NORMAL`` as before. Crash safety is unchanged:
        a ``kill -9`` loses nothing the OS has been handed.
        """
        self.path = run_dir / DB_FILENAME
        if meta is not None and not isinstance(meta, Mapping):
            raise TypeError(f"StoreWriter(): 'meta' must be a dict of JSON values by key, got "
                            f"{type(meta).__name__}; pass e.g. meta={{'name': 'run1'}}.")
        try:
            entries = [(str(key), _meta_text(value)) for key, value in (meta or {}).items()
                       if key != "schema_version"]
        except (TypeError, ValueError) as error:
            raise TypeError(f"StoreWriter(): 'meta' must hold JSON values (numbers, strings, "
                            f"lists, dicts): {error}") from None
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            self.journal_fallback = is_network_filesystem(run_dir)
            self.created = create_store_file(self.path, _SCHEMA,
                                             wal=not self.journal_fallback)
            relaxed = self.created and not self.journal_fallback  # WAL only: see above
            self._connection = _connect(self.path, journal_fallback=self.journal_fallback,
                                        synchronous="OFF" if relaxed else "NORMAL")
            # One transaction: readers never see a half-made schema or a store without its
            # meta, and an old store's summary table is filled from its legacy rows
            # together with its creation.
            self._connection.executescript("BEGIN IMMEDIATE;" if self.created else
                                           f"BEGIN IMMEDIATE;{_SCHEMA}")
            # this writer may add chunks of the newest layout: the store says so (never
            # lowered below what a newer nbviz stamped)
            stamped = None if self.created else self._connection.execute(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'"
            ).fetchone()  # an integer: no text to decode
            known = stamped[0] if stamped is not None and isinstance(stamped[0], int) else 0
            entries.append(("schema_version", _meta_text(max(SCHEMA_VERSION, known))))
            self._legacy = not self.created and _has_table(self._connection, "scalars")
            self._summary = {} if self.created else _load_summaries(self._connection)
            if self._legacy and not self._summary:
                self._summary = rebuild_summaries(self._connection)
            self._connection.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", entries)
            self._connection.execute("COMMIT")
            if relaxed:
                self._connection.execute("PRAGMA synchronous=NORMAL")
            self._tag_ids: dict[tuple[str, str], int] = {}
            if not self.created:
                self._reload_tag_ids()
        except (sqlite3.Error, OSError) as error:
            connection = getattr(self, "_connection", None)
            if connection is not None:
                connection.close()
            raise StoreWriteError(self.path, sqlite_cause(error)) from error
        self._lock = threading.Lock()
        self._chunks_written = 0  # by this writer: compact() of a new store may skip

    def next_seq(self, table: str = "scalars") -> int:
        """The seq the next value of ``table`` ("scalars" or "tensors") will get."""
        if table not in ("scalars", "tensors"):
            raise ValueError(f"next_seq(): 'table' must be 'scalars' or 'tensors', got "
                             f"{table!r}.")
        with self._lock:
            if table == "tensors":
                queries = ["SELECT MAX(seq) FROM tensors"]
            else:
                queries = ["SELECT MAX(last_seq) FROM scalar_chunks"]
                queries += ["SELECT MAX(seq) FROM scalars"] if self._legacy else []
            found = [self._connection.execute(query).fetchone()[0] for query in queries]
        known = [int(value) for value in found if value is not None]
        return max(known) + 1 if known else 0

    def next_step(self) -> int:
        """1 + the largest stored scalar step (0 for a new run): where auto-steps continue."""
        with self._lock:
            steps = [summary.max_step for summary in self._summary.values()]
        return max(steps) + 1 if steps else 0

    def _tag_id(self, name: str, kind: str, new: dict[tuple[str, str], int]) -> int:
        """The id of tag (name, kind); ids inserted by the open transaction go to ``new``
        and become known to the writer only once that transaction commits."""
        key = (name, kind)
        known = self._tag_ids.get(key)
        if known is not None:
            return known
        if key not in new:
            cursor = self._connection.execute("INSERT INTO tags(name, kind) VALUES (?, ?)", key)
            new[key] = int(cursor.lastrowid or 0)
        return new[key]

    def _transaction(self, insert: Any, committed: Callable[[], None] | None = None) -> None:
        """Run ``insert(new_tag_ids)`` in one IMMEDIATE transaction; on any failure roll back
        (unless SQLite already did: disk full, I/O errors) and forget the new tag ids.
        ``committed()`` runs under the lock once the transaction is durable."""
        with self._lock:
            connection = self._connection
            new: dict[tuple[str, str], int] = {}
            try:
                connection.execute("BEGIN IMMEDIATE")
                insert(new)
                connection.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                raise _write_error(self.path, error) from error
            self._tag_ids.update(new)
            if committed is not None:
                committed()

    def write_tensors(self, first_seq: int, records: Sequence[TensorRecord],
                      seqs: Sequence[int] | None = None) -> None:
        """Append tensor ``records`` with seqs from ``first_seq`` (or ``seqs``), atomically."""
        if not records:
            return
        seq_of = list(seqs) if seqs is not None else range(first_seq, first_seq + len(records))
        encoded = [encode_array(record.array) for record in records]
        extras = [json.dumps(record.extra, allow_nan=True) for record in records]

        def insert(new: dict[tuple[str, str], int]) -> None:
            self._connection.executemany(
                "INSERT INTO tensors(seq, tag_id, step, wall_time, dtype, shape, data, extra) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (seq, self._tag_id(record.tag, record.kind, new), record.step,
                     record.wall_time, dtype, shape, data, extra)
                    for seq, record, (dtype, shape, data), extra
                    in zip(seq_of, records, encoded, extras, strict=True)
                ],
            )

        self._transaction(insert)

    def _reload_tag_ids(self) -> None:
        self._tag_ids = {
            (name, kind): tag_id
            for tag_id, name, kind in self._connection.execute("SELECT id, name, kind FROM tags")
        }

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value under ``key`` (replacing any old one)."""
        text = _meta_text(value)
        with self._lock:
            try:
                self._connection.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, text)
                )
            except sqlite3.Error as error:
                raise _write_error(self.path, error) from error

    def write_scalars(
        self, first_seq: int, rows: Sequence[tuple[str, int, float, float]],
        seqs: Sequence[int] | None = None,
    ) -> None:
        """Append ``rows`` (tag, step, wall_time, value), seqs from ``first_seq`` (or
        ``seqs``), atomically: one columnar chunk per tag plus the tags' summary rows.
        A row the store cannot hold (a step outside 0..2**53, a value that is not a
        number, a non-finite wall time) raises TypeError/ValueError and writes nothing."""
        if not rows:
            return
        tags, steps, walls, values = (list(map(itemgetter(i), rows)) for i in range(4))
        seq_array = (np.asarray(seqs, dtype=np.int64) if seqs is not None
                     else np.arange(first_seq, first_seq + len(rows), dtype=np.int64))
        if seq_array.shape != (len(rows),):
            raise ValueError(f"write_scalars(): {len(rows)} rows but {seq_array.size} seqs.")
        self.write_scalar_columns(seq_array, tags, steps, walls,
                                  np.array(values, dtype=np.float64))

    def write_scalar_columns(self, seqs: np.ndarray, tags: Sequence[str], steps: Any,
                             walls: Any, values: np.ndarray, *,
                             codes: np.ndarray | None = None) -> None:
        """Append values given as columns (seq order), atomically: one chunk per tag plus
        the tags' summary rows (what :meth:`write_scalars` does with rows, without a Python
        object per value). ``tags`` names each value's tag, or, with ``codes``, the tags
        once each (value ``i`` is of tag ``tags[codes[i]]``). Content that the store cannot
        hold raises TypeError/ValueError and writes nothing.

        >>> writer.write_scalar_columns(np.arange(2), ["loss", "loss"], np.arange(2),
        ...                             np.full(2, 1.7e9), np.array([0.5, 0.4]))  # doctest: +SKIP
        >>> writer.write_scalar_columns(np.arange(2, 4), ["loss"], np.arange(2, 4),
        ...                             np.full(2, 1.7e9), np.array([0.3, 0.2]),
        ...                             codes=np.zeros(2, np.int64))  # doctest: +SKIP
        """
        seq_column = np.asarray(seqs, dtype=np.int64)
        lengths = {seq_column.size, len(steps), len(walls), len(values)}
        if len(lengths) > 1 or (codes is None and len(tags) != seq_column.size):
            raise ValueError(f"write_scalar_columns(): the columns must be equally long, got "
                             f"{seq_column.size} seqs, {len(tags)} tags, {len(steps)} steps, "
                             f"{len(walls)} wall times and {len(values)} values.")
        if codes is None:
            if not len(tags):
                return
            chunks = build_chunks(tags, seq_column, _step_column(steps), _wall_column(walls),
                                  np.asarray(values, dtype=np.float64))
        else:
            code_column = _code_column(codes, len(tags), seq_column.size)
            if not code_column.size:
                return
            chunks = build_coded_chunks(code_column, tags, seq_column, _step_column(steps),
                                        _wall_column(walls),
                                        np.asarray(values, dtype=np.float64))
        for chunk in chunks:
            if not isinstance(chunk.tag, str):
                raise TypeError(f"write_scalars(): tags must be str, got {chunk.tag!r}.")
        summaries: dict[int, TagSummary] = {}

        def insert(new: dict[tuple[str, str], int]) -> None:
            rows_out: list[tuple[int | None, int, EncodedChunk]] = []
            for chunk in chunks:
                tag_id = self._tag_id(chunk.tag, "scalar", new)
                rows_out.append((None, tag_id, chunk))
                old = summaries.get(tag_id) or self._summary.get(tag_id)
                summaries[tag_id] = TagSummary.of(chunk) if old is None else old.merged(chunk)
            _insert_chunks(self._connection, rows_out)
            _save_summaries(self._connection, summaries)

        def committed() -> None:
            self._summary.update(summaries)
            self._chunks_written += len(chunks)

        self._transaction(insert, committed)

    def compact(self, *, small: int = 512, target: int = 8192) -> int:
        """Merge each tag's small chunks (fewer than ``small`` values: a slow logger's
        one-second flushes) into chunks of up to ``target`` values, atomically; returns how
        many chunks were merged away. Every value keeps its seq, so a reader tailing by
        seq sees nothing change. The summary table is unaffected. A store this writer
        created, holding fewer chunks than that, has nothing to merge: no query is made."""
        if self.created and self._chunks_written < _MIN_CHUNKS_TO_MERGE:
            return 0
        merged = 0

        def rewrite(new: dict[tuple[str, str], int]) -> None:
            nonlocal merged
            connection = self._connection
            rows = connection.execute(
                f"SELECT {_CHUNK_COLUMNS}, id FROM scalar_chunks WHERE count < ? "
                "ORDER BY tag_id, last_seq", (small,)).fetchall()
            by_tag: dict[int, list[tuple[Any, ...]]] = {}
            for row in rows:
                by_tag.setdefault(int(row[1]), []).append(row)
            names = {tag_id: name for (name, kind), tag_id in self._tag_ids.items()
                     if kind == "scalar"}
            for tag_id, chunks in by_tag.items():
                if len(chunks) < _MIN_CHUNKS_TO_MERGE or tag_id not in names:
                    continue
                columns = _Columns()
                columns.add_chunks([row[:-1] for row in chunks])
                if columns.bad_chunks:
                    continue  # leave a damaged chunk (and its tag) as it is
                seqs, _, steps, walls, values = columns.joined()
                connection.executemany("DELETE FROM scalar_chunks WHERE id = ?",
                                       [(row[-1],) for row in chunks])
                parts = [slice(start, start + target) for start in range(0, seqs.size, target)]
                _insert_chunks(connection, [
                    (None, tag_id, build_chunks([names[tag_id]] * seqs[part].size, seqs[part],
                                                steps[part], walls[part], values[part])[0])
                    for part in parts])
                merged += len(chunks) - len(parts)

        self._transaction(rewrite)
        return merged

    def checkpoint_at_close_only(self, defer: bool = True) -> None:
        """With ``defer``, commits no longer fold the WAL into the database file on the way
        (SQLite's automatic checkpoint past 1000 pages); :meth:`close` folds it all once.
        For a writer about to close: the checkpoint's two fsyncs are paid once, not twice
        (measured, dict3 finish of 450 k values: ~20 ms less). ``defer=False`` restores the
        default (a writer that goes on writing).

        >>> writer.checkpoint_at_close_only()  # doctest: +SKIP
        """
        if not isinstance(defer, bool):
            raise TypeError(f"checkpoint_at_close_only(): 'defer' must be True or False, got "
                            f"{defer!r}.")
        with self._lock:
            try:
                self._connection.execute(f"PRAGMA wal_autocheckpoint={0 if defer else 1000}")
            except sqlite3.Error as error:
                raise _write_error(self.path, error) from error

    def close(self) -> None:
        with self._lock:
            self._connection.close()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _holding_connection(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a :class:`StoreReader` method under the reader's lock, so that the pool of open
    readers never closes the connection while the method reads through it."""
    @wraps(method)
    def locked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        reader = args[0]
        assert isinstance(reader, StoreReader)
        with reader._lock:
            return method(*args, **kwargs)
    return locked


class StoreReader:
    """Read one run's database, possibly while another process writes it.

    Nothing here raises on a damaged store: a file that is not a database, corrupt
    pages, undecodable text, rows with unknown tags or broken arrays are skipped
    (the readable rows are kept — SQLite's b-tree is searched past a corrupt page)
    and listed in :meth:`problems` with the file's path and the cause. The store is
    opened read-only; a store in a read-only directory is opened ``immutable``. At most
    :data:`~nbviz.store.open_readers.OPEN_READERS`'s cap of readers keep their connection
    open at once (the least recently used idle one closes it and reopens on its next read),
    so following 500 runs does not run out of file descriptors.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / DB_FILENAME
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()  # held while a method reads through the connection
        self._tags: dict[int, str] = {}
        self._problems: dict[str, None] = {}  # reasons, in order, each once
        self._bad_text = False
        self._has_chunks = False
        self._has_legacy = False

    def problems(self) -> list[Problem]:
        """What could not be read, and why."""
        return [Problem(str(self.path), None, reason) for reason in self._problems]

    def _problem(self, reason: str) -> None:
        self._problems.setdefault(reason, None)

    def _decode_text(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._bad_text = True
            return raw.decode("utf-8", "replace")

    def _open(self, immutable: bool) -> sqlite3.Connection:
        connection = open_read_only(self.path, immutable=immutable, timeout=30.0)
        connection.text_factory = self._decode_text
        return connection

    def _conn(self) -> sqlite3.Connection | None:
        if self._connection is not None:
            OPEN_READERS.used(self)
            return self._connection
        connection = self._connect()
        if connection is not None:
            OPEN_READERS.opened(self)
        return connection

    def release_if_idle(self) -> bool:
        """Close the connection unless a read holds it (the pool of open readers asks);
        the next read reopens it. True when no connection is left open."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            return True
        finally:
            self._lock.release()

    def _connect(self) -> sqlite3.Connection | None:
        if not self.path.exists():
            return None
        error: sqlite3.Error | None = None
        # Read-only first; "immutable" when even that cannot work (a read-only directory
        # where the WAL index cannot be created): safe, since no writer can write there.
        for immutable in (False, True):
            try:
                connection = self._open(immutable)
            except sqlite3.Error as open_error:
                error = open_error
                continue
            try:
                ready = connection.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            except sqlite3.Error as query_error:
                if _schema_missing(query_error):
                    connection.close()
                    return None  # a writer has not yet created the schema: empty for now
                error = query_error
                if _read_only_error(query_error) or _not_a_database(query_error):
                    connection.close()
                    continue
                # Corrupt, yet a database: keep it open and salvage what each table holds.
                self._problem(f"cannot read the store's meta table: {sqlite_cause(error)}")
                self._connection = connection
                return connection
            if ready is None:
                connection.close()
                return None
            newer = newer_schema(ready[0])
            if newer is not None:  # said first, and once (reopening finds the same reason)
                self._problem(newer)
            if immutable:
                self._problem("opened read-only (immutable: the directory cannot be written), "
                              "so rows a live writer adds later are not seen")
            self._connection = connection
            return connection
        if error is not None:
            self._problem(f"cannot read the store: {sqlite_cause(error)}")
        return None

    def _select(self, query: str, params: Sequence[Any], what: str, *, by_seq: bool = True
                ) -> list[tuple[Any, ...]]:
        """Rows of ``query``; on a corrupt database, the rows SQLite can still deliver.
        ``by_seq``: the query is ``... WHERE <first column> >= ? ... ORDER BY`` it, so a
        damaged stretch can be skipped by searching from a larger first parameter."""
        connection = self._conn()
        if connection is None:
            return []
        try:
            return connection.execute(query, params).fetchall()
        except sqlite3.Error as error:
            self._problem(f"{what}: {sqlite_cause(error)}; the readable rows were kept")
            if not by_seq:
                rows: list[tuple[Any, ...]] = []
                with contextlib.suppress(sqlite3.Error):
                    for row in connection.execute(query, params):
                        rows.append(row)
                return rows
            return self._salvage(connection, query, params)

    def _salvage(self, connection: sqlite3.Connection, query: str, params: Sequence[Any]
                 ) -> list[tuple[Any, ...]]:
        """Rows one by one up to a failure, then skip past the damaged part: the first
        ``seq`` from which a search succeeds again (binary search), repeatedly."""
        rows: list[tuple[Any, ...]] = []
        start = int(params[0])
        for _ in range(64):  # each round skips one damaged stretch
            last = self._rows_until_error(connection, query, [start, *params[1:]], rows)
            if last is None:
                return rows
            low, high = last + 1, last + 2
            while self._fails_at(connection, query, [high, *params[1:]]):
                low, high = high, last + 1 + 2 * (high - last)
                if high > 2**62:
                    return rows
            while low + 1 < high:  # first start that works lies in (low, high]
                middle = (low + high) // 2
                if self._fails_at(connection, query, [middle, *params[1:]]):
                    low = middle
                else:
                    high = middle
            start = high
        return rows

    @staticmethod
    def _rows_until_error(connection: sqlite3.Connection, query: str, params: list[Any],
                          rows: list[tuple[Any, ...]]) -> int | None:
        """Append rows to ``rows``; None when all were read, else the last good seq."""
        last = int(params[0]) - 1
        try:
            for row in connection.execute(query, params):
                rows.append(row)
                last = int(row[0])
        except (sqlite3.Error, TypeError, ValueError):
            return last
        return None

    @staticmethod
    def _fails_at(connection: sqlite3.Connection, query: str, params: list[Any]) -> bool:
        try:
            connection.execute(query, params).fetchone()
        except sqlite3.Error:
            return True
        return False

    @_holding_connection
    def meta(self) -> dict[str, Any]:
        """All meta entries, JSON-decoded (entries that do not decode are left out)."""
        out: dict[str, Any] = {}
        for key, value in self._select("SELECT key, value FROM meta", [], "meta table",
                                       by_seq=False):
            try:
                out[str(key)] = json.loads(value)
            except (TypeError, ValueError):
                self._problem(f"meta entry {str(key)[:80]!r} is not valid JSON; left out")
        self._note_bad_text()
        return out

    def _note_bad_text(self) -> None:
        if self._bad_text:
            self._problem("text that is not UTF-8 (shown with U+FFFD replacement characters)")

    def _tag_names(self, connection: sqlite3.Connection) -> None:
        rows = self._select("SELECT id, name FROM tags WHERE id >= ? ORDER BY id",
                            [-(2**63)], "tags table")
        self._tags = {int(tag_id): str(name) for tag_id, name in rows
                      if isinstance(tag_id, int)}

    def _layout(self, connection: sqlite3.Connection) -> tuple[bool, bool]:
        """(has chunk tables, has the version-1 ``scalars`` table); a table once seen is
        remembered (tables are never dropped)."""
        if not (self._has_chunks and self._has_legacy):
            for name, in self._select("SELECT name FROM sqlite_master WHERE type = 'table'",
                                      [], "schema", by_seq=False):
                self._has_chunks = self._has_chunks or name == "scalar_chunks"
                self._has_legacy = self._has_legacy or name == "scalars"
        return self._has_chunks, self._has_legacy

    @_holding_connection
    def scalar_arrays(self, start_seq: int = 0, stop_seq: int | None = None, *,
                      tag_ids: Sequence[int] | None = None,
                      step_range: tuple[int | None, int | None] | None = None,
                      ) -> tuple[np.ndarray, ...]:
        """(seq, tag id, step, wall time, value) arrays of the scalars with ``start_seq <=
        seq < stop_seq``, of some tags and steps (``lo <= step <= hi``) only, in seq order.
        Only the chunks that can hold such values are read and decoded."""
        connection = self._conn()
        columns = _Columns()
        if connection is None:
            return columns.joined()
        has_chunks, has_legacy = self._layout(connection)
        where, params = "", []
        if stop_seq is not None:
            where += " AND first_seq < ?"
            params.append(stop_seq)
        if tag_ids is not None:
            where += f" AND tag_id IN ({', '.join('?' * len(tag_ids))})"
            params.extend(int(tag_id) for tag_id in tag_ids)
        low, high = step_range if step_range is not None else (None, None)
        if low is not None:
            where += " AND max_step >= ?"
            params.append(low)
        if high is not None:
            where += " AND min_step <= ?"
            params.append(high)
        if not (has_chunks or has_legacy):
            self._problem("no such table: the store holds neither scalar chunks nor scalar "
                          "rows (damaged); no scalars were read")
        if has_chunks:
            columns.add_chunks(self._select(
                f"SELECT {_CHUNK_COLUMNS} FROM scalar_chunks WHERE last_seq >= ?{where} "
                "ORDER BY last_seq", [start_seq, *params], "scalar chunks"))
        if columns.bad_chunks:
            self._problem(f"{columns.bad_chunks} scalar chunk(s) that cannot be decoded were "
                          "left out")
        if has_legacy:
            legacy_where = where.replace("first_seq", "seq").replace("max_step >=", "step >=")
            legacy_where = legacy_where.replace("min_step <=", "step <=")
            dropped = columns.add_legacy(self._select(
                "SELECT seq, tag_id, step, wall_time, value FROM scalars WHERE seq >= ?"
                f"{legacy_where} ORDER BY seq", [start_seq, *params], "scalars table"))
            if dropped:
                self._problem(f"{dropped} scalar row(s) without a readable seq, tag id or step "
                              "were left out")
        seq, tag, step, wall, value = columns.joined()
        keep = seq >= start_seq
        if stop_seq is not None:
            keep &= seq < stop_seq
        if low is not None:
            keep &= step >= low
        if high is not None:
            keep &= step <= high
        if not keep.all():
            seq, tag, step, wall, value = seq[keep], tag[keep], step[keep], wall[keep], value[keep]
        return seq, tag, step, wall, value

    @_holding_connection
    def tag_names(self) -> dict[int, str]:
        """Scalar tag id -> name (names that cannot be read are left out)."""
        connection = self._conn()
        if connection is None:
            return {}
        rows = self._select("SELECT id, name FROM tags WHERE kind = 'scalar' AND id >= ? "
                            "ORDER BY id", [-(2**63)], "tags table")
        self._note_bad_text()
        return {int(tag_id): str(name) for tag_id, name in rows if isinstance(tag_id, int)}

    @_holding_connection
    def tag_summaries(self) -> dict[int, TagSummary]:
        """Per scalar tag id: its summary — from the summary table, or computed from the
        legacy rows of a version-1 store."""
        connection = self._conn()
        if connection is None:
            return {}
        has_chunks, _ = self._layout(connection)
        if has_chunks:
            try:
                return _load_summaries(connection)
            except (sqlite3.Error, TypeError, ValueError) as error:
                self._problem(f"cannot read the tag summary table ({error}); computed from "
                              "the values instead")
        seq, tag, step, wall, value = self.scalar_arrays(0)
        return summarize(tag, seq, step, wall, value)

    @_holding_connection
    def scalars_between(self, start_seq: int, stop_seq: int | None = None, *,
                        tag_ids: Sequence[int] | None = None,
                        step_range: tuple[int | None, int | None] | None = None,
                        ) -> ScalarColumns:
        """Scalar values with ``start_seq <= seq < stop_seq`` (no upper bound when None),
        optionally of some tag ids and steps only (see :meth:`scalar_arrays`)."""
        connection = self._conn()
        if connection is None or (tag_ids is not None and not tag_ids):
            return ScalarColumns.empty()
        seq, ids, step, wall, value = self.scalar_arrays(start_seq, stop_seq, tag_ids=tag_ids,
                                                         step_range=step_range)
        if not seq.size:
            return ScalarColumns.empty()
        unique_ids, tag_index = _small_int_codes(ids)
        if any(int(tag_id) not in self._tags for tag_id in unique_ids):
            self._tag_names(connection)
        unnamed = [int(i) for i in unique_ids if int(i) not in self._tags]
        if unnamed:  # the values are fine, only their tag's name is lost: keep them
            count = int(np.isin(ids, unnamed).sum())
            self._problem(f"{count} scalar row(s) of {len(unnamed)} tag(s) whose name cannot "
                          "be read are shown as '(unknown tag #id)'")
            self._tags.update({i: f"(unknown tag #{i})" for i in unnamed})
        self._note_bad_text()
        return ScalarColumns(
            seq=seq, tag_index=tag_index.astype(np.int32).reshape(-1),
            step=step.astype(np.float64), wall_time=wall, value=value,
            tags=[self._tags[int(tag_id)] for tag_id in unique_ids],
        )

    @_holding_connection
    def tensors_between(
        self, start_seq: int, stop_seq: int | None = None, kinds: frozenset[str] | None = None
    ) -> list[TensorRecord]:
        """Tensor records with ``start_seq <= seq < stop_seq``, optionally of some kinds only."""
        query = ("SELECT t.seq, g.name, g.kind, t.step, t.wall_time, t.dtype, t.shape, t.data, "
                 "t.extra FROM tensors t JOIN tags g ON g.id = t.tag_id WHERE t.seq >= ?")
        params: list[Any] = [start_seq]
        if stop_seq is not None:
            query += " AND t.seq < ?"
            params.append(stop_seq)
        if kinds is not None:
            query += f" AND g.kind IN ({', '.join('?' * len(kinds))})"
            params.extend(sorted(kinds))
        records = []
        bad = 0
        for seq, tag, kind, step, wall, dtype, shape, data, extra in self._select(
            query + " ORDER BY t.seq", params, "tensors table"
        ):
            try:
                array = decode_array(dtype, shape, data)
                extras = json.loads(extra)
                if not isinstance(extras, dict):
                    raise ValueError("extra is not a JSON object")
                records.append(TensorRecord(kind=str(kind), tag=str(tag), step=int(step),
                                            wall_time=float(wall), array=array,
                                            extra=extras, seq=int(seq)))
            except (TypeError, ValueError, OverflowError):
                bad += 1
        if bad:
            self._problem(f"{bad} tensor record(s) with an undecodable array or extra "
                          "were left out")
        self._note_bad_text()
        return records

    @_holding_connection
    def kinds(self) -> set[str]:
        """Record kinds of the store's tags ("scalar" for scalar tags)."""
        return {str(kind) for (kind,) in self._select("SELECT DISTINCT kind FROM tags", [],
                                                      "tags table", by_seq=False)}

    @_holding_connection
    def max_seq(self, table: str = "tensors") -> int:
        """Largest stored seq of ``table`` ("scalars" or "tensors"; -1 when empty)."""
        connection = self._conn()
        if table not in ("scalars", "tensors") or connection is None:
            return -1
        queries = ["SELECT MAX(seq) FROM tensors"]
        if table == "scalars":
            has_chunks, has_legacy = self._layout(connection)
            queries = (["SELECT MAX(last_seq) FROM scalar_chunks"] if has_chunks else []) + (
                ["SELECT MAX(seq) FROM scalars"] if has_legacy else [])
        found = [row[0] for query in queries
                 for row in self._select(query, [], f"{table} table", by_seq=False)]
        known = [int(value) for value in found if isinstance(value, int)]
        return max(known) if known else -1

    @_holding_connection
    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            OPEN_READERS.closed(self)


def _schema_missing(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "no such table" in str(error)


def _not_a_database(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == 26 or "not a database" in str(error)


def _read_only_error(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    return code in (8, 14) or "readonly" in str(error) or "unable to open" in str(error)


def _numeric_rows(rows: list[tuple[Any, ...]]) -> np.ndarray:
    """Rows as float64, a cell that is not a number (text, blob) becoming NaN."""
    def number(cell: Any) -> float:
        return float(cell) if isinstance(cell, (int, float)) else math.nan

    table = np.array([[number(cell) for cell in row] for row in rows], dtype=np.float64)
    return table.reshape(len(rows), -1)
