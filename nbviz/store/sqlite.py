"""The run store: one SQLite database per run directory.

Layout of ``<logdir>/<run>/nbviz.sqlite``::

    meta(key TEXT PRIMARY KEY, value TEXT)          -- JSON values: name, config, created …
    tags(id INTEGER PRIMARY KEY, name, kind)        -- one row per (tag, kind)
    scalars(seq INTEGER PRIMARY KEY, tag_id, step, wall_time, value)

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

__all__ = ["DB_FILENAME", "SCHEMA_VERSION", "ScalarColumns", "StoreReader", "StoreWriter"]

DB_FILENAME = "nbviz.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tags(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE(name, kind));
CREATE TABLE IF NOT EXISTS scalars(
    seq INTEGER PRIMARY KEY, tag_id INTEGER NOT NULL, step INTEGER NOT NULL,
    wall_time REAL NOT NULL, value REAL);
"""


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
        self._connection.executescript(_SCHEMA)
        self._tag_ids: dict[tuple[str, str], int] = {
            (name, kind): tag_id
            for tag_id, name, kind in self._connection.execute("SELECT id, name, kind FROM tags")
        }
        self.set_meta("schema_version", SCHEMA_VERSION)

    def next_seq(self) -> int:
        """The seq the next scalar row will get (1 + the largest stored)."""
        with self._lock:
            row = self._connection.execute("SELECT MAX(seq) FROM scalars").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

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
                    if (tag, "scalar") not in ids:
                        cursor = connection.execute(
                            "INSERT INTO tags(name, kind) VALUES (?, 'scalar')", (tag,)
                        )
                        ids[(tag, "scalar")] = int(cursor.lastrowid or 0)
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
                # Forget tag ids that the rollback undid.
                self._tag_ids = {
                    (name, kind): tag_id
                    for tag_id, name, kind in connection.execute("SELECT id, name, kind FROM tags")
                }
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
            self._connection = sqlite3.connect(
                self.path, timeout=30.0, check_same_thread=False, isolation_level=None
            )
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

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
