"""A cap on the SQLite connections that store readers keep open, process-wide.

A panel following a logdir keeps one reader per run, and an open read-only connection to
a WAL store holds three file descriptors (database, WAL, shared memory). 500 runs are
1,500 descriptors for one panel: over the default limit of many systems (1,024 on Linux,
256 on macOS), where the next ``open`` of anything in the kernel fails with "Too many open
files". So readers register their open connection here; past the cap, the least recently
used idle reader closes its connection, and reopens it on its next read (a few hundred
microseconds, paid only by a run whose store changed: idle stores are not queried).

>>> pool = ReaderPool(cap=2)
>>> pool.cap
2
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Protocol


class Releasable(Protocol):
    """What the pool needs of a reader."""

    def release_if_idle(self) -> bool:
        """Close the open connection unless a read is using it; True when closed."""
        ...


def default_cap() -> int:
    """Open readers allowed at once: an eighth of the soft open-file limit (each holds ~3
    descriptors, and the kernel needs the rest), between 8 and 128.

    >>> 8 <= default_cap() <= 128
    True
    """
    try:
        import resource
    except ImportError:  # Windows: no RLIMIT_NOFILE; the C runtime allows thousands
        return 128
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 128
    return max(8, min(128, soft // 8))


class ReaderPool:
    """Least-recently-used set of readers holding an open connection, at most ``cap``.

    ``opened`` and ``used`` mark a reader as most recent; past the cap, the oldest idle
    readers are asked to close (a reader busy in another thread is skipped, and asked
    again next time). Readers are held weakly: a reader nobody holds is not kept alive.
    """

    def __init__(self, cap: int | None = None) -> None:
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
            raise ValueError(f"ReaderPool: 'cap' must be a positive int, got {cap!r}")
        self.cap = default_cap() if cap is None else cap
        self._lock = threading.Lock()
        self._open: OrderedDict[int, weakref.ref[Releasable]] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for ref in self._open.values() if ref() is not None)

    def used(self, reader: Releasable) -> None:
        """``reader`` read through its open connection: it is the most recent now."""
        with self._lock:
            key = id(reader)
            if key in self._open:
                self._open.move_to_end(key)

    def opened(self, reader: Releasable) -> None:
        """``reader`` opened a connection: track it, and close the oldest idle ones
        while more than ``cap`` are open."""
        with self._lock:
            self._open[id(reader)] = weakref.ref(reader)
            self._open.move_to_end(id(reader))
            excess = len(self._open) - self.cap
            if excess <= 0:
                return
            victims = list(self._open.items())[:-1]  # never the reader that just opened
        for key, ref in victims:
            if excess <= 0:
                break
            victim = ref()
            # a collected reader's connection went with it
            closed = True if victim is None else victim.release_if_idle()
            if closed:
                with self._lock:
                    if self._open.get(key) is ref:
                        del self._open[key]
                excess -= 1

    def closed(self, reader: Releasable) -> None:
        """``reader`` closed its connection (by itself or when asked)."""
        with self._lock:
            ref = self._open.get(id(reader))
            if ref is not None and ref() is reader:
                del self._open[id(reader)]


OPEN_READERS = ReaderPool()
"""The process-wide pool every :class:`~nbviz.store.sqlite.StoreReader` registers with."""
