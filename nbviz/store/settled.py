"""Is a run's store settled — no writer at work, every commit inside the database file?

A settled store can be opened with SQLite's ``immutable=1``: no lock, no look at the
WAL or its shared-memory index (measured: opening a store and two small queries cost
0.36 ms of CPU instead of 0.57 ms, over 500 stores). Two signs, both required:

* its WAL (``nbviz.sqlite-wal``) is absent or empty: nothing committed waits outside
  the database file (a writer that has committed once keeps a non-empty WAL until its
  connection closes, which folds the WAL into the file);
* no process holds a lock on its ``nbviz.lock`` (the writer's lifetime lock,
  :mod:`nbviz.store.lock`), as the kernel lists it in ``/proc/locks`` — read once for
  all runs, taking no lock itself (a reader never gets in a writer's way). Where the
  system does not list locks (not Linux), no store counts as settled.

What remains is a writer starting on a settled run while it is read: that writer
appends to the WAL and leaves the database file alone until its first checkpoint
(1000 pages), so the read sees the store as it was.

>>> locked = locked_inodes()
>>> is_settled(Path("runs/a"), locked)  # doctest: +SKIP
True
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from nbviz.store.lock import LOCK_FILENAME
from nbviz.store.readonly import open_read_only
from nbviz.store.sqlite import DB_FILENAME

# Threads reading many stores' per-tag summaries side by side (the Dashboard's catalog and
# Scalars tab: nbviz.run_overview.overviews, nbviz.store.query.tag_summaries_many) — one
# small query per store, so threads pay off here, unlike the bulk value read
# (nbviz.store.bulk.BULK_READ_THREADS): the machine's cores, at most 2 (measured on the
# shared 2-core machine, 500 runs x 50 tags x 400 steps, same process, load 7: 1 thread
# 4.07 s wall / 1.76 s CPU, 2 threads 3.75 s / 1.56 s; more were not measured).
SUMMARY_READ_THREADS = max(1, min(2, os.cpu_count() or 1))

__all__ = [
    "SUMMARY_READ_THREADS", "is_settled", "locked_inodes", "select_read_only",
]

_LOCKS = Path("/proc/locks")


def locked_inodes() -> frozenset[int] | None:
    """Inode numbers of every file locked now (any device: a false match only costs
    speed), or None when the system does not list them.

    >>> isinstance(locked_inodes(), (frozenset, type(None)))
    True
    """
    try:
        text = _LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    inodes = set()
    for line in text.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 1234 fe:00:2154565 0 EOF" ("1: -> FLOCK …" waits)
        for field in line.split():
            if field.count(":") == 2:
                inode = field.rsplit(":", 1)[1]
                if inode.isdigit():
                    inodes.add(int(inode))
                break
    return frozenset(inodes)


def is_settled(run_dir: Path, locked: frozenset[int] | None) -> bool:
    """True when ``run_dir``'s store has an empty or no WAL and no one holds its writer
    lock (``locked``: :func:`locked_inodes`; None means unknown, so False)."""
    if locked is None:
        return False
    try:
        if os.stat(run_dir / f"{DB_FILENAME}-wal").st_size:
            return False
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        return os.stat(run_dir / LOCK_FILENAME).st_ino not in locked
    except FileNotFoundError:
        return True  # no writer ever took the lock here (a copied or imported store)
    except OSError:
        return False


def select_read_only(db_path: Path, query: str, *, immutable: bool = False
                     ) -> list[tuple[Any, ...]] | None:
    """All rows of one ``query`` on a store opened read-only
    (:func:`~nbviz.store.readonly.open_read_only`),
    the connection closed again; None when the store cannot be opened or the query fails
    (no such table — a version-1 store —, damaged, not UTF-8 …): the caller then uses
    the careful reader."""
    try:
        connection = open_read_only(db_path, immutable=immutable)
    except sqlite3.Error:
        return None
    try:
        return connection.execute(query).fetchall()
    except (sqlite3.Error, ValueError):
        return None
    finally:
        connection.close()
