"""Profile findings: data-bound steps, memory growth, step-time jumps, host-bound GPU.

numpy only (no torch). Each rule looks at a window of recent per-step phase
times (or meter samples, or a profiler capture) and returns a
:class:`~nbviz.panels.health.rules.Finding` — the same records, severities and
``run.health()`` table as the other health rules. Thresholds live in
:class:`~nbviz.panels.health.rules.Thresholds` (``data_bound_share``,
``memory_growth_mb``, ``step_jump``, ``host_idle_share``).

>>> import numpy as np
>>> step = np.full(20, 0.050); data = np.full(20, 0.040)
>>> data_bound(19, data, step, Thresholds()).rule
'data_bound'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nbviz.panels.health.rules import Finding, Thresholds

__all__ = ["MIN_WINDOW", "data_bound", "data_remedies", "host_bound", "memory_growth",
           "step_jump"]

MIN_WINDOW = 5  # steps (after warm-up) a rule needs before it may fire



def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


def data_remedies(loader: Any = None) -> str:
    """The usual DataLoader remedies, leaving out those ``loader`` already uses.

    >>> data_remedies()[:35]
    'set DataLoader(num_workers=N) (this'
    """
    import os

    cores = os.cpu_count() or 1
    settings: Mapping[str, Any] = {}
    if loader is not None:
        settings = {name: getattr(loader, name) for name in
                    ("num_workers", "pin_memory", "persistent_workers", "prefetch_factor")
                    if hasattr(loader, name)}
    advice: list[str] = []
    workers = settings.get("num_workers", 0) or 0
    if workers < cores:
        now = f" (now {workers})" if "num_workers" in settings else ""
        advice.append(f"set DataLoader(num_workers=N) (this machine has {cores} cores){now}")
    if not settings.get("pin_memory", False):
        advice.append("pin_memory=True when training on a GPU")
    if workers > 0 and not settings.get("persistent_workers", False):
        advice.append("persistent_workers=True so workers survive between epochs")
    prefetch = settings.get("prefetch_factor")
    if workers > 0 and (prefetch is None or prefetch < 4):
        advice.append("prefetch_factor=4 to keep more batches ready")
    advice.append("move per-item work (decoding, augmentation) out of __getitem__, or cache it")
    return "; ".join(advice)


def data_bound(step: int, data: np.ndarray, total: np.ndarray, thresholds: Thresholds,
               loader: Any = None, exact: bool = True) -> Finding | None:
    """Data-bound when the median share of the step spent waiting for data exceeds
    ``thresholds.data_bound_share`` over the window (``data`` and ``total`` in seconds).
    """
    data = np.asarray(data, np.float64)
    total = np.asarray(total, np.float64)
    if data.size < MIN_WINDOW:
        return None
    valid = total > 0
    if valid.sum() < MIN_WINDOW:
        return None
    share = float(np.median(data[valid] / total[valid]))
    if share <= thresholds.data_bound_share:
        return None
    how = "waiting for the next batch" if exact else "before the forward pass (data loading)"
    message = (
        f"data-bound: {share:.0%} of each step is spent {how} ({_ms(float(np.median(data)))} of "
        f"{_ms(float(np.median(total)))}, median of the last {data.size} steps) at step {step}; "
        f"the model waits for data. Remedies: {data_remedies(loader)}.")
    return Finding(step, "", "data_bound", "warning", message, share,
                   thresholds.data_bound_share, "profile")


def step_jump(step: int, total: np.ndarray, phases: Mapping[str, np.ndarray],
              thresholds: Thresholds, recent: int = 10) -> Finding | None:
    """The last ``recent`` step times all exceed ``step_jump`` × the median of the steps
    before them (at least ``2 * MIN_WINDOW`` of those); names the phase that grew most."""
    total = np.asarray(total, np.float64)
    baseline_count = total.size - recent
    if baseline_count < 2 * MIN_WINDOW:
        return None
    base = float(np.median(total[:baseline_count]))
    last = total[baseline_count:]
    if not (base > 0 and bool(np.all(last > thresholds.step_jump * base))):
        return None
    growth = {name: float(np.median(np.asarray(values)[baseline_count:])
                          - np.median(np.asarray(values)[:baseline_count]))
              for name, values in phases.items()}
    phase = max(growth, key=lambda name: growth[name]) if growth else ""
    ratio = float(np.median(last)) / base
    where = (f"; most of it in {phase} (+{_ms(growth[phase])})"
             if phase and growth[phase] > 0 else "")
    message = (
        f"step time jumped {ratio:.3g}× at step {step - recent + 1}: from {_ms(base)} to "
        f"{_ms(float(np.median(last)))} per step{where}. Look for what changed then (a larger "
        "batch, a slower data source, another process on the machine, thermal throttling).")
    return Finding(step - recent + 1, phase, "step_time_jump", "warning", message, ratio,
                   thresholds.step_jump, "profile")


def memory_growth(steps: np.ndarray, used: np.ndarray, thresholds: Thresholds,
                  what: str = "process RSS", window: int = 10) -> Finding | None:
    """Memory that keeps growing step over step: over the last ``window`` samples (at
    distinct steps) memory rose by more than ``memory_growth_mb`` and in at least 80 % of
    consecutive pairs (a leak, e.g. keeping losses with their graphs)."""
    steps = np.asarray(steps, np.float64)
    used = np.asarray(used, np.float64)
    if steps.size < window:
        return None
    steps, used = steps[-window:], used[-window:]
    if steps[-1] <= steps[0]:
        return None
    growth_mb = float(used[-1] - used[0]) / 2**20
    rising = float(np.mean(np.diff(used) > 0))
    if growth_mb <= thresholds.memory_growth_mb or rising < 0.8:
        return None
    per_step = growth_mb / float(steps[-1] - steps[0])
    step = int(steps[-1])
    message = (
        f"memory keeps growing: {what} rose {growth_mb:.0f} MB from step {int(steps[0])} to "
        f"{step} ({per_step:.3g} MB/step) — a leak. Look for tensors kept across steps: "
        "append loss.item() rather than loss, detach() what you store, clear lists of outputs.")
    return Finding(step, "", "memory_growth", "warning", message, growth_mb,
                   thresholds.memory_growth_mb, "profile")


def host_bound(step: int, busy_us: float, span_us: float,
               thresholds: Thresholds) -> Finding | None:
    """Host-bound: the GPU was idle between kernels for more than ``host_idle_share`` of
    the captured steps (``busy_us``: union of kernel/memcpy time, ``span_us``: step time)."""
    if not (span_us > 0 and busy_us > 0 and math.isfinite(busy_us)):
        return None
    idle = 1.0 - busy_us / span_us
    if idle <= thresholds.host_idle_share:
        return None
    message = (
        f"host-bound: the GPU was idle {idle:.0%} of the captured steps (busy "
        f"{busy_us / 1e3:.3g} ms of {span_us / 1e3:.3g} ms): kernels are launched faster than "
        "Python issues them. Use larger batches, torch.compile or CUDA graphs, fuse small "
        "operations, and avoid .item()/.cpu() synchronisations inside the step.")
    return Finding(step, "", "host_bound", "warning", message, idle, thresholds.host_idle_share,
                   "profile")
