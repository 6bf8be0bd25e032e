"""Store errors that name the file and the cause (disk full, read-only, corrupt, locked …),
and the problems a reader skipped or repaired."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Problem", "StoreWriteError", "WriterConflictError", "is_content_error", "sqlite_cause"]

@dataclass(frozen=True)
class Problem:
    """Something that was skipped or repaired while reading, and why.

    >>> str(Problem("runs/a/events.out.tfevents.1", 120, "record data CRC mismatch"))
    'runs/a/events.out.tfevents.1 @ byte 120: record data CRC mismatch'
    """

    path: str
    offset: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.offset is None else f"{self.path} @ byte {self.offset}"
        return f"{where}: {self.reason}"



# SQLite primary result codes (https://www.sqlite.org/rescode.html) and what they mean here.
_CAUSES = {
    5: "the database is locked by another process",  # SQLITE_BUSY
    8: "the file or its directory is read-only",  # SQLITE_READONLY
    10: "an I/O error occurred (disk failing, file removed, or no space left)",  # SQLITE_IOERR
    11: "the database file is corrupt",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the file cannot be opened (missing or read-only directory, or no permission)",
    23: "permission denied",  # SQLITE_AUTH
    26: "the file is not an SQLite database (corrupt or overwritten)",  # SQLITE_NOTADB
}


def sqlite_cause(error: BaseException) -> str:
    """A short human cause for ``error`` (an sqlite3/OS error), e.g. "the disk is full".

    >>> sqlite_cause(sqlite3.OperationalError("database or disk is full"))
    'the disk is full (database or disk is full)'
    """
    code = getattr(error, "sqlite_errorcode", None)
    text = str(error)
    cause = _CAUSES.get(code & 0xFF) if isinstance(code, int) else None
    if cause is None:
        lowered = text.lower()
        if "disk is full" in lowered or (isinstance(error, OSError) and error.errno == 28):
            cause = _CAUSES[13]
        elif "readonly" in lowered or "read-only" in lowered:
            cause = _CAUSES[8]
        elif "malformed" in lowered or "not a database" in lowered:
            cause = _CAUSES[11]
        elif isinstance(error, PermissionError):
            cause = "permission denied"
    if cause is None:
        return f"{type(error).__name__}: {text}"
    return f"{cause} ({text})" if text else cause


def is_content_error(error: BaseException) -> bool:
    """True when ``error`` comes from the data of a batch rather than the disk or the file
    (a value SQLite or JSON cannot hold): retrying the same batch can never succeed."""
    if isinstance(error, (UnicodeError, TypeError, ValueError, OverflowError)):
        return not isinstance(error, sqlite3.Error)
    return isinstance(error, (sqlite3.InterfaceError, sqlite3.DataError, sqlite3.IntegrityError,
                              sqlite3.ProgrammingError))


class StoreWriteError(OSError):
    """A run's store could not be written; the message names the file and the cause.

    >>> raise StoreWriteError(Path("runs/a/nbviz.sqlite"), "the disk is full")  # doctest: +SKIP
    """

    def __init__(self, path: Path, cause: str, advice: str = "") -> None:
        self.path = Path(path)
        self.cause = cause
        message = f"nbviz: cannot write {str(self.path)!r}: {cause}"
        super().__init__(message + (f"; {advice}" if advice else ""))

    def __str__(self) -> str:
        return str(self.args[0])


class WriterConflictError(RuntimeError):
    """Another writer (process or Run) is already writing this run directory."""
