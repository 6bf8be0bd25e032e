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
from collections import deque
from typing import Protocol

__all__ = ["INTERVAL", "SendBudget", "Tickable", "register", "unregister"]

INTERVAL = 0.05  # seconds: at most 20 messages per second per panel
MAX_CONSECUTIVE_FAILURES = 100  # ~5 s of failing ticks: the panel stops updating


class SendBudget:
    """At most ``per_second`` messages in any sliding one-second window.

    >>> budget = SendBudget(2)
    >>> budget.ready(0.0), budget.spend(0.0), budget.spend(0.1), budget.ready(0.5)
    (True, None, None, False)
    """

    def __init__(self, per_second: int = round(1 / INTERVAL)) -> None:
        self._sent: deque[float] = deque(maxlen=per_second)

    def ready(self, now: float) -> bool:
        """True if a message may go out at time ``now`` (``time.monotonic()`` seconds)."""
        return len(self._sent) < (self._sent.maxlen or 0) or now - self._sent[0] >= 1.0

    def spend(self, now: float) -> None:
        """Record a message sent at ``now``."""
        self._sent.append(now)

    def reset(self) -> None:
        """Forget past messages (tests use this to force the next send)."""
        self._sent.clear()


class Tickable(Protocol):
    def _tick(self) -> None: ...


_panels: weakref.WeakSet[Tickable] = weakref.WeakSet()
_warned: set[int] = set()
_failures: dict[int, int] = {}
_removals: deque[Tickable] = deque()  # filled without a lock: see unregister()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def _loop() -> None:
    while True:
        started = time.monotonic()
        with _lock:
            while _removals:
                _panels.discard(_removals.popleft())
            panels = list(_panels)
        removed_meanwhile = {id(panel) for panel in list(_removals)}
        for panel in panels:
            key = id(panel)
            if key in removed_meanwhile:
                continue
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
        if panel in _removals:
            _removals.remove(panel)
        _panels.add(panel)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="nbviz-ticker", daemon=True)
            _thread.start()


def unregister(panel: Tickable) -> None:
    """Stop ticking ``panel`` (from the next tick on).

    Takes no lock: a widget's ``__del__`` calls ``close()`` and so this, possibly from
    a garbage collection that runs inside the ticker thread while it holds ``_lock``.
    """
    _removals.append(panel)
