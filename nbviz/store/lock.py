"""One writer per run directory: an OS file lock held for the writer's lifetime.

Two writers appending to one SQLite store would each cache the next sequence
number and collide, so the second writer is refused at ``init()`` instead (see
docs/store.md, "One writer per run"). The lock is an advisory ``flock`` on
``<run>/nbviz.lock`` (``msvcrt.locking`` on Windows): the operating system
releases it when the process exits or is killed, so a crashed run never stays
locked. Readers take no lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = ["LOCK_FILENAME", "WriterLock"]

LOCK_FILENAME = "nbviz.lock"


class WriterLock:
    """An exclusive, non-blocking lock on ``<run_dir>/nbviz.lock``.

    >>> lock = WriterLock.try_acquire(Path("runs/a"))  # doctest: +SKIP
    >>> lock is None  # another writer holds it  # doctest: +SKIP
    """

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self._handle: IO[bytes] | None = handle

    @staticmethod
    def try_acquire(run_dir: Path) -> WriterLock | None:
        """The lock, or None when another writer holds it. Raises OSError if the lock
        file cannot be created (read-only directory …)."""
        path = run_dir / LOCK_FILENAME
        handle = open(path, "a+b")  # noqa: SIM115 - held open for the writer's lifetime
        try:
            if not _lock(handle):
                handle.close()
                return None
        except BaseException:
            handle.close()
            raise
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
        except OSError:
            pass  # the pid is informative only
        return WriterLock(path, handle)

    @staticmethod
    def holder(run_dir: Path) -> str:
        """The pid written by the current holder (informative; may be stale)."""
        try:
            return (run_dir / LOCK_FILENAME).read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor releases the lock
            self._handle = None


def _lock(handle: IO[bytes]) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
