"""Open a run's store read-only: the one opener of every reader (StoreReader, the bulk
read of ``nbviz.read``, the per-tag summaries of many stores).

``mode=ro`` never writes and never creates the file, and sees what a live writer has
committed. ``immutable=1`` in addition tells SQLite the file cannot change: it takes no
lock and skips the WAL and its shared-memory index — right for a settled store
(:func:`nbviz.store.settled.is_settled`) or for a store in a directory this process cannot
write (where the WAL index cannot be made, so ``mode=ro`` alone fails).

>>> connection = open_read_only(Path("runs/a/nbviz.sqlite"))  # doctest: +SKIP
>>> connection.execute("SELECT value FROM meta WHERE key = 'name'").fetchone()  # doctest: +SKIP
('"a"',)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

__all__ = ["open_read_only", "read_only_uri"]


def read_only_uri(db_path: str | os.PathLike[str], *, immutable: bool = False) -> str:
    """``db_path`` as a read-only SQLite URI: absolute, percent-encoded ('?', '#', '%' and
    spaces in names are safe), ``mode=ro`` and, when ``immutable``, ``immutable=1``.

    >>> read_only_uri("/runs/a b/nbviz.sqlite", immutable=True)
    'file:/runs/a%20b/nbviz.sqlite?mode=ro&immutable=1'
    """
    if not isinstance(db_path, (str, os.PathLike)):
        raise TypeError(f"read_only_uri(): 'db_path' must be a path (str or Path), got "
                        f"{type(db_path).__name__}; pass the store file, e.g. "
                        "Path('runs/a/nbviz.sqlite').")
    uri = "file:" + quote(os.path.abspath(db_path)) + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


def open_read_only(db_path: Path, *, immutable: bool = False, timeout: float = 5.0
                   ) -> sqlite3.Connection:
    """A read-only connection to a store (:func:`read_only_uri`), usable from any thread,
    in autocommit mode (each read is its own snapshot). ``timeout``: seconds to wait for a
    lock a writer holds. Raises :class:`sqlite3.Error` when the file cannot be opened."""
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
        raise ValueError(f"open_read_only(): 'timeout' must be seconds >= 0, got {timeout!r}.")
    return sqlite3.connect(read_only_uri(db_path, immutable=immutable), uri=True,
                           timeout=timeout, isolation_level=None, check_same_thread=False)
