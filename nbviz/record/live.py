"""The runs this process is writing, for readers in the same process.

A reader (a panel's tail, ``nbviz.read``) asks here for the unfinished run writing a
directory, so rows logged a moment ago are shown before the flusher has committed them.
Readers depend on :class:`LiveRun` — a run's name, directory and its not-yet-written
rows — not on :class:`nbviz.record.run.Run`, which depends on the panels' recorders.

>>> live_run_for(Path("runs/nothing-here")) is None
True
"""

from __future__ import annotations

import abc
import os
import threading
import weakref
from pathlib import Path

from nbviz.store.sqlite import TensorRecord

__all__ = ["LiveRun", "live_run_dirs", "live_run_for"]

_LIVE_RUNS: weakref.WeakValueDictionary[str, LiveRun] = weakref.WeakValueDictionary()
# held while a run registers or leaves and while the directories are listed: listing
# walks the dictionary in Python, and a run another thread starts or finishes meanwhile
# made it raise "dictionary changed size during iteration" (entries dropped by the
# garbage collector are deferred by the dictionary itself while it is walked)
_LIVE_RUNS_LOCK = threading.Lock()


class LiveRun(abc.ABC):
    """What readers see of a run being written in this process (``nbviz.Run`` is one)."""

    name: str
    dir: Path

    @abc.abstractmethod
    def _pending_since(self, seq: int) -> tuple[int, list[tuple[str, int, float, float]]]:
        """(base seq, scalar rows not yet in the store with seq >= max(seq, base seq))."""

    @abc.abstractmethod
    def _tensor_pending_since(self, seq: int) -> tuple[int, list[TensorRecord]]:
        """(base seq, tensor records not yet in the store with seq >= max(seq, base seq))."""

    def _register_live(self) -> None:
        key = os.path.realpath(self.dir)
        with _LIVE_RUNS_LOCK:
            _LIVE_RUNS[key] = self

    def _unregister_live(self) -> None:
        key = os.path.realpath(self.dir)
        with _LIVE_RUNS_LOCK:
            _LIVE_RUNS.pop(key, None)


def live_run_for(run_dir: Path) -> LiveRun | None:
    """The unfinished run of this process writing to ``run_dir``, if any."""
    return _LIVE_RUNS.get(os.path.realpath(run_dir))


def live_run_dirs() -> list[Path]:
    """Directories of every unfinished run of this process."""
    with _LIVE_RUNS_LOCK:
        paths = list(_LIVE_RUNS.keys())
    return [Path(path) for path in paths]
