"""A new run store in one file write: a prebuilt SQLite image of the empty schema.

Letting SQLite create a database file costs a dozen small writes and several ``fsync``
calls (switching a new file to WAL mode syncs a rollback journal, the database and the
directory; the first schema commit syncs the new WAL and the directory again): about
30 ms of an 85 ms ``nbviz.init()`` on a loaded 2-core machine. An empty store has
nothing to lose, so a new store is instead written as one image of the empty schema,
built once per process in memory (``sqlite3.Connection.serialize``) with its journal
mode already in the header (file format read/write versions, bytes 18 and 19: 2 for
WAL, 1 for a rollback journal; sqlite.org/fileformat.html, "File format version numbers"),
and published atomically: written to a private temporary name, then hard-linked to
``nbviz.sqlite``, so a reader scanning the logdir never sees a half-made store and an
existing store is never replaced. The first checkpoint (at the latest when the writer
closes) syncs the file, as it does for every store.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "nbviz.sqlite"
>>> create_store_file(path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);", wal=True)
True
>>> sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
'wal'
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from pathlib import Path

__all__ = ["create_store_file", "schema_image"]

_HEADER = b"SQLite format 3\x00"
_FORMAT_VERSIONS = slice(18, 20)  # file format write / read version: 2 = WAL, 1 = rollback


@functools.lru_cache(maxsize=4)
def schema_image(schema: str, *, wal: bool) -> bytes | None:
    """The bytes of an SQLite database holding ``schema`` (SQL statements) and nothing
    else, in WAL mode (``wal``) or rollback-journal mode; None when this Python's sqlite3
    cannot serialize a database (then SQLite creates the file itself).

    >>> image = schema_image("CREATE TABLE t(x);", wal=True)
    >>> image[:16], image[18:20]
    (b'SQLite format 3\\x00', b'\\x02\\x02')
    """
    if not isinstance(schema, str) or not schema.strip():
        raise ValueError(f"schema_image(): 'schema' must be SQL statements, got {schema!r}.")
    connection = sqlite3.connect(":memory:")
    try:
        if not hasattr(connection, "serialize"):  # Python < 3.11 or SQLite without it
            return None
        connection.executescript(schema)
        image = bytearray(connection.serialize())
    finally:
        connection.close()
    if image[:16] != _HEADER:
        return None
    version = 2 if wal else 1
    image[_FORMAT_VERSIONS] = bytes((version, version))
    return bytes(image)


def create_store_file(path: Path, schema: str, *, wal: bool) -> bool:
    """Create the database ``path`` holding ``schema`` in one write, when there is none.

    Returns True when this call created it; False when ``path`` exists (even empty), when
    a ``-wal`` or ``-journal`` file of a former store lies beside it (SQLite decides what
    to do with those), when the directory cannot hard-link (some network or FAT
    filesystems) or when no image can be built: the caller then opens ``path`` as
    usual and SQLite creates or recovers it. Raises OSError when the directory cannot be
    written.

    >>> create_store_file(Path("runs/a/nbviz.sqlite"), "CREATE TABLE t(x);",
    ...                   wal=True)  # doctest: +SKIP
    True
    """
    if not isinstance(path, Path):
        raise TypeError(f"create_store_file(): 'path' must be a pathlib.Path, got "
                        f"{type(path).__name__}.")
    if any(os.path.lexists(f"{path}{suffix}") for suffix in ("", "-wal", "-journal")):
        return False
    image = schema_image(schema, wal=wal)
    if image is None:
        return False
    temporary = path.with_name(f".{path.name}.new-{os.getpid()}-{threading.get_ident()}")
    try:  # the name is this thread's alone: a leftover of a killed process is overwritten
        with open(temporary, "wb") as handle:
            handle.write(image)
        try:
            os.link(temporary, path)  # atomic, and never replaces a store made meanwhile
        except OSError:  # made meanwhile (FileExistsError), or no hard links here
            return False
    finally:
        with contextlib.suppress(OSError):  # never hides why the write failed
            temporary.unlink(missing_ok=True)
    return True
