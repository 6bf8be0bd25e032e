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

import contextlib
import json
import math
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nbviz.store.errors import Problem, StoreWriteError, is_content_error, sqlite_cause
from nbviz.store.fsinfo import is_network_filesystem

__all__ = [
    "DB_FILENAME", "SCHEMA_VERSION", "ScalarColumns", "StoreReader", "StoreWriter", "TensorRecord",
    "decode_array", "encode_array", "storable_dtype",
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


def _connect(path: Path, *, journal_fallback: bool) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30.0, check_same_thread=False,
                                 isolation_level=None)
    mode = "DELETE" if journal_fallback else "WAL"
    connection.execute(f"PRAGMA journal_mode={mode}")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


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

    Every write is one transaction. A failed write (disk full, I/O error …) raises
    :class:`~nbviz.store.errors.StoreWriteError` naming the file and the cause and
    leaves the store and this writer's caches as they were before the call, so the
    same batch can be written again later.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / DB_FILENAME
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            self.journal_fallback = is_network_filesystem(run_dir)
            self._connection = _connect(self.path, journal_fallback=self.journal_fallback)
            # One transaction: readers never see a half-made schema.
            self._connection.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
            self._tag_ids: dict[tuple[str, str], int] = {}
            self._reload_tag_ids()
        except (sqlite3.Error, OSError) as error:
            connection = getattr(self, "_connection", None)
            if connection is not None:
                connection.close()
            raise StoreWriteError(self.path, sqlite_cause(error)) from error
        self._lock = threading.Lock()
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

    def _transaction(self, insert: Any) -> None:
        """Run ``insert(new_tag_ids)`` in one IMMEDIATE transaction; on any failure roll back
        (unless SQLite already did: disk full, I/O errors) and forget the new tag ids."""
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
        text = json.dumps(value, allow_nan=True, sort_keys=True)
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
        ``seqs``), atomically."""
        if not rows:
            return
        seq_of = list(seqs) if seqs is not None else range(first_seq, first_seq + len(rows))

        def insert(new: dict[tuple[str, str], int]) -> None:
            ids = [self._tag_id(tag, "scalar", new) for tag, _, _, _ in rows]
            self._connection.executemany(
                "INSERT INTO scalars(seq, tag_id, step, wall_time, value) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (seq, tag_id, step, wall, value)
                    for seq, tag_id, (_, step, wall, value) in zip(seq_of, ids, rows, strict=True)
                ],
            )

        self._transaction(insert)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class StoreReader:
    """Read one run's database, possibly while another process writes it.

    Nothing here raises on a damaged store: a file that is not a database, corrupt
    pages, undecodable text, rows with unknown tags or broken arrays are skipped
    (the readable rows are kept — SQLite's b-tree is searched past a corrupt page)
    and listed in :meth:`problems` with the file's path and the cause. The store is
    opened read-only; a store in a read-only directory is opened ``immutable``.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / DB_FILENAME
        self._connection: sqlite3.Connection | None = None
        self._tags: dict[int, str] = {}
        self._problems: dict[str, None] = {}  # reasons, in order, each once
        self._bad_text = False

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
        flags = "immutable=1" if immutable else "mode=ro"
        connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?{flags}", uri=True,
                                     timeout=30.0, check_same_thread=False,
                                     isolation_level=None)
        connection.text_factory = self._decode_text
        return connection

    def _conn(self) -> sqlite3.Connection | None:
        if self._connection is not None:
            return self._connection
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
                    "SELECT 1 FROM meta WHERE key = 'schema_version'").fetchone()
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

    def scalars_between(self, start_seq: int, stop_seq: int | None = None) -> ScalarColumns:
        """Scalar rows with ``start_seq <= seq < stop_seq`` (no upper bound when None)."""
        connection = self._conn()
        if connection is None:
            return ScalarColumns.empty()
        query = "SELECT seq, tag_id, step, wall_time, value FROM scalars WHERE seq >= ?"
        params: list[Any] = [start_seq]
        if stop_seq is not None:
            query += " AND seq < ?"
            params.append(stop_seq)
        rows = self._select(query + " ORDER BY seq", params, "scalars table")
        if not rows:
            return ScalarColumns.empty()
        try:
            table = np.array(rows, dtype=np.float64)  # NULL (NaN in the store) -> nan
        except (TypeError, ValueError):
            table = _numeric_rows(rows)
        valid = np.isfinite(table[:, :3]).all(axis=1)  # seq, tag id, step must be numbers
        tag_ids = np.where(valid, table[:, 1], -1).astype(np.int64)
        unique_ids = np.unique(tag_ids[valid])
        if any(int(tag_id) not in self._tags for tag_id in unique_ids):
            self._tag_names(connection)
        known = np.isin(tag_ids, np.fromiter(self._tags, np.int64, len(self._tags)))
        unnamed = np.unique(tag_ids[valid & ~known])
        if unnamed.size:  # the rows are fine, only their tag's name is lost: keep them
            self._problem(f"{int((valid & ~known).sum())} scalar row(s) of {unnamed.size} "
                          "tag(s) whose name cannot be read are shown as '(unknown tag #id)'")
            self._tags.update({int(i): f"(unknown tag #{int(i)})" for i in unnamed})
        dropped = int(len(rows) - valid.sum())
        if dropped:
            self._problem(f"{dropped} scalar row(s) without a readable seq, tag id or step "
                          "were left out")
            table, tag_ids = table[valid], tag_ids[valid]
            if not len(table):
                return ScalarColumns.empty()
        unique_ids, tag_index = np.unique(tag_ids, return_inverse=True)
        self._note_bad_text()
        return ScalarColumns(
            seq=table[:, 0].astype(np.int64),
            tag_index=tag_index.astype(np.int32).reshape(-1),
            step=table[:, 2].copy(),
            wall_time=table[:, 3].copy(),
            value=table[:, 4].copy(),
            tags=[self._tags[int(tag_id)] for tag_id in unique_ids],
        )

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

    def kinds(self) -> set[str]:
        """Record kinds of the store's tags ("scalar" for scalar tags)."""
        return {str(kind) for (kind,) in self._select("SELECT DISTINCT kind FROM tags", [],
                                                      "tags table", by_seq=False)}

    def max_seq(self, table: str = "tensors") -> int:
        """Largest stored seq of ``table`` (-1 when empty)."""
        if table not in ("scalars", "tensors"):
            return -1
        rows = self._select(f"SELECT MAX(seq) FROM {table}", [], f"{table} table", by_seq=False)
        if not rows or not isinstance(rows[0][0], int):
            return -1
        return int(rows[0][0])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


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
