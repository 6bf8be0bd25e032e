"""One background thread that drives every live panel at a bounded rate.

The training loop never waits for a panel: it only appends to memory. This
thread wakes every ``INTERVAL`` seconds, asks each live panel to poll its
source and send at most one message. A panel whose tick raises is warned about
once; a one-off error (a store being created, a locked file) does not stop it,
but ``MAX_CONSECUTIVE_FAILURES`` failures in a row do. Other panels keep going.
"""

from __future__ import annotations

import threading
import time
import warnings
import weakref
from typing import Protocol

__all__ = ["INTERVAL", "Tickable", "register", "unregister"]

INTERVAL = 0.05  # seconds: at most 20 messages per second per panel
MAX_CONSECUTIVE_FAILURES = 100  # ~5 s of failing ticks: the panel stops updating


class Tickable(Protocol):
    def _tick(self) -> None: ...


_panels: weakref.WeakSet[Tickable] = weakref.WeakSet()
_warned: set[int] = set()
_failures: dict[int, int] = {}
_lock = threading.Lock()
_thread: threading.Thread | None = None


def _loop() -> None:
    while True:
        started = time.monotonic()
        with _lock:
            panels = list(_panels)
        for panel in panels:
            key = id(panel)
            try:
                panel._tick()
            except Exception as error:
                failures = _failures.get(key, 0) + 1
                _failures[key] = failures
                if key not in _warned:
                    _warned.add(key)
                    warnings.warn(
                        f"nbviz: a live panel could not update ({type(error).__name__}: "
                        f"{error}); retrying",
                        RuntimeWarning,
                        stacklevel=1,
                    )
                if failures >= MAX_CONSECUTIVE_FAILURES:
                    warnings.warn(
                        f"nbviz: a live panel stopped updating after {failures} failed "
                        f"updates in a row ({type(error).__name__}: {error})",
                        RuntimeWarning,
                        stacklevel=1,
                    )
                    unregister(panel)
            else:
                _failures.pop(key, None)
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))


def register(panel: Tickable) -> None:
    """Start ticking ``panel`` (held weakly)."""
    global _thread
    with _lock:
        _panels.add(panel)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="nbviz-ticker", daemon=True)
            _thread.start()


def unregister(panel: Tickable) -> None:
    """Stop ticking ``panel``."""
    with _lock:
        _panels.discard(panel)
