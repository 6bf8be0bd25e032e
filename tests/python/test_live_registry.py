"""The registry of this process's unfinished runs (nbviz/record/live.py) under threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from nbviz.record.live import LiveRun, live_run_dirs
from nbviz.store.sqlite import TensorRecord


class _Stub(LiveRun):
    def __init__(self, run_dir: Path) -> None:
        self.name, self.dir = run_dir.name, run_dir

    def _pending_since(self, seq: int) -> tuple[int, list[tuple[str, int, float, float]]]:
        return seq, []

    def _tensor_pending_since(self, seq: int) -> tuple[int, list[TensorRecord]]:
        return seq, []


def test_listing_while_another_thread_starts_and_finishes_runs(tmp_path: Path) -> None:
    """Listing the live runs while runs come and go in another thread never raises
    (without the registry's lock it raised "dictionary changed size during iteration"
    within half a second)."""
    steady = [_Stub(tmp_path / f"steady{i}") for i in range(2000)]
    for run in steady:
        run._register_live()
    coming = [_Stub(tmp_path / f"coming{i}") for i in range(50)]
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set():
            run = coming[i % len(coming)]
            run._register_live()
            run._unregister_live()
            i += 1

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        deadline = time.monotonic() + 2.0
        listings = 0
        while time.monotonic() < deadline:
            listed = live_run_dirs()  # raised RuntimeError here without the lock
            listings += 1
        assert listings > 10
        assert {str(r.dir.resolve()) for r in steady} <= {str(p) for p in listed}
    finally:
        stop.set()
        worker.join(timeout=10)
        for run in steady:
            run._unregister_live()
