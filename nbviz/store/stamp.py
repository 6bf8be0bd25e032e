"""When to query a run's store again: a stamp of its files that changes with every commit.

>>> store_stamp(Path("no/such/run"))
(-1, -1, -1, -1)
"""

from __future__ import annotations

import os
from pathlib import Path

from nbviz.store.sqlite import DB_FILENAME

__all__ = ["UNCHANGED_RECHECK_SECS", "store_stamp"]


UNCHANGED_RECHECK_SECS = 5.0  # a store whose files look unchanged is still queried this often


def store_stamp(run_dir: Path) -> tuple[int, ...]:
    """What changes when a writer commits to a run's store: size and mtime of its database
    and its WAL (two ``stat`` calls, where a query costs a connection's round trip).

    >>> store_stamp(Path("no/such/run"))
    (-1, -1, -1, -1)
    """
    stamp: list[int] = []
    for name in (DB_FILENAME, DB_FILENAME + "-wal"):
        try:
            info = os.stat(run_dir / name)
        except OSError:
            stamp += [-1, -1]
        else:
            stamp += [info.st_size, info.st_mtime_ns]
    return tuple(stamp)
