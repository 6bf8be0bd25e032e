"""The system meter: process CPU %, RSS and accelerator memory, once a second.

Runs on its own daemon thread, never inside the training step. Each sample is
recorded as scalars (``system/cpu_percent``, ``system/rss_mb``, and on CUDA
``system/cuda_allocated_mb``, ``system/cuda_reserved_mb``, ``system/cuda_peak_mb``,
``system/gpu_util`` when NVML is available) at the step the timer is on, with
the sample's wall time. The thread stops when the timer is removed or the run
finishes (at the next tick) or is garbage-collected.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from nbviz.panels.health.rules import Finding, Thresholds
from nbviz.panels.profile import rules

__all__ = ["SystemMeter", "rss_bytes"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> float:
    """Resident set size of this process in bytes (/proc on Linux, else the peak RSS).

    >>> rss_bytes() > 0
    True
    """
    try:
        with open("/proc/self/statm", "rb") as handle:
            return float(int(handle.read().split()[1]) * _PAGE)
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return float(peak if os.uname().sysname == "Darwin" else peak * 1024)


def _cuda_sample() -> dict[str, float]:
    """torch.cuda memory (MB) and NVML utilisation, only if torch is loaded and CUDA is up."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return {}
    mb = 2.0**20
    out = {
        "system/cuda_allocated_mb": torch.cuda.memory_allocated() / mb,
        "system/cuda_reserved_mb": torch.cuda.memory_reserved() / mb,
        "system/cuda_peak_mb": torch.cuda.max_memory_allocated() / mb,
    }
    with contextlib.suppress(Exception):  # no NVML (pynvml) on this machine
        out["system/gpu_util"] = float(torch.cuda.utilization())
    return out


class SystemMeter:
    """Sample the process once per ``interval`` seconds on a background thread.

    >>> meter = SystemMeter(run, timer, interval=1.0); meter.start()  # doctest: +SKIP
    >>> meter.stop()                                                  # doctest: +SKIP
    """

    def __init__(self, run: Any, timer: Any, *, interval: float = 1.0,
                 thresholds: Thresholds | None = None,
                 on_finding: Callable[[Finding], None] | None = None) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not (
                0.01 <= interval <= 3600):
            raise ValueError(
                f"SystemMeter: 'interval' must be seconds in [0.01, 3600], got {interval!r}.")
        self.interval = float(interval)
        self.thresholds = thresholds or Thresholds()
        self.samples = 0
        self._run = weakref.ref(run)
        self._timer = weakref.ref(timer)
        self._on_finding = on_finding
        self._stop = threading.Event()
        self._memory: deque[tuple[int, float]] = deque(maxlen=64)
        self._thread = threading.Thread(target=self._loop, name="nbviz-meter", daemon=True)
        self._last_cpu = time.process_time()
        self._last_wall = time.monotonic()

    @property
    def alive(self) -> bool:
        """True while the sampling thread runs."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start sampling (once)."""
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop sampling; wait up to ``timeout`` seconds for the thread unless called from it."""
        self._stop.set()
        if (timeout is not None and self._thread.is_alive()
                and threading.current_thread() is not self._thread):
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            run = self._run()
            timer = self._timer()
            if run is None or timer is None or run.finished or not timer.active:
                break
            try:
                self.sample(run, timer)
            except Exception:  # a meter never disturbs training: sampling just ends
                break
            del run, timer
        self._stop.set()

    def sample(self, run: Any, timer: Any) -> dict[str, float]:
        """Take one sample now, record it, and apply the memory-growth rule."""
        wall = time.monotonic()
        cpu = time.process_time()
        elapsed = wall - self._last_wall
        cpu_percent = 100.0 * (cpu - self._last_cpu) / elapsed if elapsed > 0 else 0.0
        self._last_cpu, self._last_wall = cpu, wall
        rss = rss_bytes()
        values = {"system/cpu_percent": cpu_percent, "system/rss_mb": rss / 2**20}
        cuda = _cuda_sample()
        values.update(cuda)
        step = max(int(timer.step) - 1, 0)  # the last step that ended
        run._log_floats(dict(values), step, time.time())  # values is returned: a copy
        self.samples += 1
        used, what = ((cuda["system/cuda_allocated_mb"] * 2**20, "CUDA memory allocated")
                      if cuda else (rss, "process RSS"))
        if not self._memory or self._memory[-1][0] != step:
            self._memory.append((step, used))
            history = np.asarray(self._memory, np.float64)
            finding = rules.memory_growth(history[:, 0], history[:, 1], self.thresholds, what)
            if finding is not None and self._on_finding is not None:
                self._on_finding(finding)
        return values
