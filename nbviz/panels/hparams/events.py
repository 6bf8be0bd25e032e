"""The TensorBoard runs of one logdir, followed for the HParams panel: new scalar rows and
hparams records of every run, the runs that appear read in one bulk pass.

A sweep written by ``torch.utils.tensorboard`` is one run directory per trial: 10,000
directories of a few events each. A run found by a scan is read with the others found
with it by :func:`~nbviz.store.tfevents_bulk.preload_shared` (one buffer, vectorised
checks; the runs are registered for the other panels of the process), then each poll
refreshes the known runs (new bytes only) and hands over what is new since the last
poll — what a :class:`~nbviz.sources.LogdirSource`'s event tails hand over, without two
tails per run.

>>> follower = EventRunsFollower(Path("sweep"))  # doctest: +SKIP
>>> scalars, records = follower.poll()           # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from nbviz._validate import describe
from nbviz.store.sqlite import ScalarColumns, TensorRecord
from nbviz.store.tfevents import EventRun
from nbviz.store.tfevents_bulk import preload_shared

__all__ = ["EventRunsFollower"]


@dataclass
class _Followed:
    run: EventRun
    scalar_cursor: int = 0
    record_cursor: int = 0


class EventRunsFollower:
    """Every TensorBoard run under ``logdir`` (rescanned every ``rescan_interval`` s, each
    run's files re-read at most every ``poll_interval`` s); ``kinds``: the record kinds
    handed over beside the scalar rows."""

    def __init__(self, logdir: str | os.PathLike[str], kinds: frozenset[str], *,
                 rescan_interval: float = 2.0, poll_interval: float = 0.5) -> None:
        if not isinstance(logdir, (str, os.PathLike)):
            raise TypeError(f"EventRunsFollower(): 'logdir' must be a path, got "
                            f"{describe(logdir)}.")
        self.logdir = Path(logdir)
        self.kinds = frozenset(kinds)
        self.rescan_interval = rescan_interval
        self.poll_interval = poll_interval
        self._runs: dict[str, _Followed] = {}
        self._last_scan = -1e9
        self._scanned = False

    def names(self) -> list[str]:
        """The runs found so far."""
        return list(self._runs)

    def poll(self) -> tuple[list[tuple[str, ScalarColumns]], list[tuple[str, list[TensorRecord]]]]:
        """New scalar rows and new records of ``kinds``, per run, since the last poll."""
        from nbviz.sources import scan_logdir

        fresh: set[str] = set()
        now = time.monotonic()
        if now - self._last_scan >= self.rescan_interval:
            self._last_scan = now
            found = scan_logdir(self.logdir, reuse=not self._scanned)[1]
            self._scanned = True
            new = {name: run_dir for name, run_dir in found.items() if name not in self._runs}
            for name, run in zip(new, preload_shared(new), strict=True):
                self._runs[name] = _Followed(run)
            fresh = set(new)
        scalars: list[tuple[str, ScalarColumns]] = []
        records: list[tuple[str, list[TensorRecord]]] = []
        for name, followed in self._runs.items():
            run = followed.run
            if name not in fresh:  # read just now otherwise
                run.refresh(min_interval=self.poll_interval)
            columns, followed.scalar_cursor = run.scalars_since(followed.scalar_cursor)
            if len(columns):
                scalars.append((name, columns))
            new_records, followed.record_cursor = run.tensors_since(followed.record_cursor,
                                                                    self.kinds)
            if new_records:
                records.append((name, new_records))
        return scalars, records
