"""The run store: one SQLite database per run directory.

Layout of ``<logdir>/<run>/nbviz.sqlite``::

    meta(key TEXT PRIMARY KEY, value TEXT)          -- JSON values: name, config, created …
    tags(id INTEGER PRIMARY KEY, name, kind)        -- one row per (tag, kind)
    scalars(seq INTEGER PRIMARY KEY, tag_id, step, wall_time, value)
    tensors(seq INTEGER PRIMARY KEY, tag_id, step, wall_time, dtype, shape, data, extra)

``tensors`` holds every non-scalar record (histograms, PR curves, embeddings,
images …): ``data`` is the array's raw little-endian bytes, ``dtype`` its numpy
dtype string (e.g. ``<f4``), ``shape`` and ``extra`` JSON. The record's kind is
the kind of its tag. No pickle anywhere: arrays are rebuilt with
``np.frombuffer``.

``seq`` is assigned by the writer in log order; readers tail a run by asking
for ``seq >= cursor``. A NaN value is stored as NULL (SQLite has no NaN) and
read back as NaN; ±Inf are stored as they are.

WAL mode gives one writer and any number of readers in other processes, and
committed batches survive ``kill -9``. On network filesystems (NFS, Lustre …)
WAL's shared memory does not work across hosts, so the store falls back to a
rollback journal there (readers then simply poll).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nbviz.store.fsinfo import is_network_filesystem

__all__ = [
    "DB_FILENAME", "SCHEMA_VERSION", "ScalarColumns", "StoreReader", "StoreWriter", "TensorRecord",
    "decode_array", "encode_array",
]

DB_FILENAME = "nbviz.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tags(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE(name, kind));
CREATE TABLE IF NOT EXISTS scalars(
    seq INTEGER PRIMARY KEY, tag_id INTEGER NOT NULL, step INTEGER NOT NULL,
    wall_time REAL NOT NULL, value REAL);
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


def _connect(path: Path, *, journal_fallback: bool) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30.0, check_same_thread=False,
                                 isolation_level=None)
    mode = "DELETE" if journal_fallback else "WAL"
    connection.execute(f"PRAGMA journal_mode={mode}")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


class StoreWriter:
    """The single writer of one run's database. Thread-safe (one internal lock)."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / DB_FILENAME
        self.journal_fallback = is_network_filesystem(run_dir)
        self._lock = threading.Lock()
        self._connection = _connect(self.path, journal_fallback=self.journal_fallback)
        # One transaction: readers never see a half-made schema.
        self._connection.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        self._tag_ids: dict[tuple[str, str], int] = {
            (name, kind): tag_id
            for tag_id, name, kind in self._connection.execute("SELECT id, name, kind FROM tags")
        }
        self.set_meta("schema_version", SCHEMA_VERSION)

    def next_seq(self, table: str = "scalars") -> int:
        """The seq the next row of ``table`` ("scalars" or "tensors") will get."""
        if table not in ("scalars", "tensors"):
            raise ValueError(f"unknown table {table!r}")
        with self._lock:
            row = self._connection.execute(f"SELECT MAX(seq) FROM {table}").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def next_step(self) -> int:
        """1 + the largest stored scalar step (0 for a new run): where auto-steps continue."""
        with self._lock:
            row = self._connection.execute("SELECT MAX(step) FROM scalars").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def _tag_id(self, name: str, kind: str) -> int:
        key = (name, kind)
        if key not in self._tag_ids:
            cursor = self._connection.execute(
                "INSERT INTO tags(name, kind) VALUES (?, ?)", key
            )
            self._tag_ids[key] = int(cursor.lastrowid or 0)
        return self._tag_ids[key]

    def write_tensors(self, first_seq: int, records: Sequence[TensorRecord]) -> None:
        """Append tensor ``records`` with seqs from ``first_seq``, atomically."""
        if not records:
            return
        encoded = [encode_array(record.array) for record in records]
        extras = [json.dumps(record.extra, allow_nan=True) for record in records]
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT INTO tensors(seq, tag_id, step, wall_time, dtype, shape, data, extra) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (first_seq + offset, self._tag_id(record.tag, record.kind), record.step,
                         record.wall_time, dtype, shape, data, extra)
                        for offset, (record, (dtype, shape, data), extra)
                        in enumerate(zip(records, encoded, extras, strict=True))
                    ],
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                self._reload_tag_ids()
                raise

    def _reload_tag_ids(self) -> None:
        self._tag_ids = {
            (name, kind): tag_id
            for tag_id, name, kind in self._connection.execute("SELECT id, name, kind FROM tags")
        }

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value under ``key`` (replacing any old one)."""
        text = json.dumps(value, allow_nan=True, sort_keys=True)
        with self._lock:
            self._connection.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, text)
            )

    def write_scalars(
        self, first_seq: int, rows: Sequence[tuple[str, int, float, float]]
    ) -> None:
        """Append ``rows`` (tag, step, wall_time, value), seqs from ``first_seq``, atomically."""
        if not rows:
            return
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                ids = self._tag_ids
                for tag, _, _, _ in rows:
                    self._tag_id(tag, "scalar")
                connection.executemany(
                    "INSERT INTO scalars(seq, tag_id, step, wall_time, value) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [
                        (first_seq + offset, ids[(tag, "scalar")], step, wall, value)
                        for offset, (tag, step, wall, value) in enumerate(rows)
                    ],
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                self._reload_tag_ids()  # forget tag ids that the rollback undid
                raise

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class StoreReader:
    """Read one run's database, possibly while another process writes it."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / DB_FILENAME
        self._connection: sqlite3.Connection | None = None
        self._tags: dict[int, str] = {}

    def _conn(self) -> sqlite3.Connection | None:
        if self._connection is None:
            if not self.path.exists():
                return None
            # A plain connection (not mode=ro): a read-only open of a WAL database
            # fails when its -shm file does not exist yet. Only SELECTs are issued.
            connection = sqlite3.connect(
                self.path, timeout=30.0, check_same_thread=False, isolation_level=None
            )
            try:  # a store whose writer has not yet created the schema reads as empty
                ready = connection.execute(
                    "SELECT 1 FROM meta WHERE key = 'schema_version'"
                ).fetchone()
            except sqlite3.OperationalError:
                ready = None
            if ready is None:
                connection.close()
                return None
            self._connection = connection
        return self._connection

    def meta(self) -> dict[str, Any]:
        """All meta entries, JSON-decoded."""
        connection = self._conn()
        if connection is None:
            return {}
        rows = connection.execute("SELECT key, value FROM meta").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def scalars_between(self, start_seq: int, stop_seq: int | None = None) -> ScalarColumns:
        """Scalar rows with ``start_seq <= seq < stop_seq`` (no upper bound when None)."""
        connection = self._conn()
        if connection is None:
            return ScalarColumns.empty()
        query = "SELECT seq, tag_id, step, wall_time, value FROM scalars WHERE seq >= ?"
        params: tuple[int, ...] = (start_seq,)
        if stop_seq is not None:
            query += " AND seq < ?"
            params = (start_seq, stop_seq)
        rows = connection.execute(query + " ORDER BY seq", params).fetchall()
        if not rows:
            return ScalarColumns.empty()
        table = np.array(rows, dtype=np.float64)  # NULL (NaN in the store) -> nan
        tag_ids = table[:, 1].astype(np.int64)
        unique_ids, tag_index = np.unique(tag_ids, return_inverse=True)
        if any(int(tag_id) not in self._tags for tag_id in unique_ids):
            self._tags = dict(connection.execute("SELECT id, name FROM tags").fetchall())
        return ScalarColumns(
            seq=table[:, 0].astype(np.int64),
            tag_index=tag_index.astype(np.int32),
            step=table[:, 2].copy(),
            wall_time=table[:, 3].copy(),
            value=table[:, 4].copy(),
            tags=[self._tags[int(tag_id)] for tag_id in unique_ids],
        )

    def tensors_between(
        self, start_seq: int, stop_seq: int | None = None, kinds: frozenset[str] | None = None
    ) -> list[TensorRecord]:
        """Tensor records with ``start_seq <= seq < stop_seq``, optionally of some kinds only."""
        connection = self._conn()
        if connection is None:
            return []
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
        for seq, tag, kind, step, wall, dtype, shape, data, extra in connection.execute(
            query + " ORDER BY t.seq", params
        ):
            records.append(TensorRecord(kind=kind, tag=tag, step=int(step), wall_time=wall,
                                        array=decode_array(dtype, shape, data),
                                        extra=json.loads(extra), seq=int(seq)))
        return records

    def max_seq(self, table: str = "tensors") -> int:
        """Largest stored seq of ``table`` (-1 when empty)."""
        connection = self._conn()
        if connection is None or table not in ("scalars", "tensors"):
            return -1
        row = connection.execute(f"SELECT MAX(seq) FROM {table}").fetchone()
        return -1 if row[0] is None else int(row[0])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
