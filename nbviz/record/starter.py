"""Start a thread without making the caller wait until the thread runs.

``threading.Thread.start()`` returns only once the new thread has been scheduled and has
run its first instructions: ~0.2 ms on an idle machine, several milliseconds when the
cores are busy (a 2-core machine at load 7 measured a median of 2.8 ms per
``nbviz.init()``, a third of what creating a run costs besides its syncs). A run's
flusher is not needed before its first flush interval ends, so :func:`start_soon`
hands the thread to one long-lived starter thread per process, which pays that wait
instead of the training loop. The thread starts within the starter's own scheduling
delay (the same delay ``start()`` would have waited through), and a caller that must
know when it runs checks ``thread.is_alive()`` / ``thread.ident`` as usual.

A child made by ``os.fork()`` gets its own starter on first use (the parent's is not
copied by ``fork``).

>>> import threading
>>> done = threading.Event()
>>> start_soon(threading.Thread(target=done.set, daemon=True))
>>> done.wait(10)
True
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading

__all__ = ["start_soon"]

_LOCK = threading.Lock()
_QUEUE: queue.SimpleQueue[threading.Thread] = queue.SimpleQueue()
_STARTER: threading.Thread | None = None


def _serve(requests: queue.SimpleQueue[threading.Thread]) -> None:
    while True:
        thread = requests.get()
        with contextlib.suppress(RuntimeError):  # started already, or the interpreter exits
            thread.start()


def start_soon(thread: threading.Thread) -> None:
    """Start ``thread`` from the process's starter thread; returns at once.

    >>> start_soon(threading.Thread(target=print, args=("hi",)))  # doctest: +SKIP
    """
    if not isinstance(thread, threading.Thread):
        raise TypeError(f"start_soon(): 'thread' must be a threading.Thread, got "
                        f"{type(thread).__name__}; create it with threading.Thread(target=...).")
    global _STARTER
    with _LOCK:
        if _STARTER is None or not _STARTER.is_alive():
            _STARTER = threading.Thread(target=_serve, args=(_QUEUE,), name="nbviz-starter",
                                        daemon=True)
            _STARTER.start()
        _QUEUE.put(thread)


def _after_fork_in_child() -> None:
    """The parent's starter does not exist in a forked child, and its queue may have been
    copied mid-``get``: the child starts afresh."""
    global _LOCK, _QUEUE, _STARTER
    _LOCK = threading.Lock()
    _QUEUE = queue.SimpleQueue()
    _STARTER = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
