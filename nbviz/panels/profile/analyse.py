"""Summaries of a profiler capture, on plain numpy arrays (no torch).

:func:`breakdown` splits each captured step into the categories of the
deprecated TensorBoard profiler plugin (Kernel, Memcpy, Memset, Communication,
Runtime, DataLoader, CPU Exec, Other): every instant of a step goes to the
highest-priority category whose events cover it, so the categories add up to
the step time. :func:`top_operators` aggregates self times by operator name.
Both work on event arrays with sort/searchsorted/bincount, no per-event loop.

>>> import numpy as np
>>> spans = breakdown(np.array([0.0]), np.array([10.0]),
...                   np.array([1.0, 2.0]), np.array([4.0, 8.0]), np.array([6, 6]))
>>> spans[0].tolist()
[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 3.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["CATEGORIES", "breakdown", "busy_time", "categorise", "event_depth",
           "memory_curve", "top_operators"]

CATEGORIES = ("Kernel", "Memcpy", "Memset", "Communication", "Runtime", "DataLoader",
              "CPU Exec", "Other")
KERNEL, MEMCPY, MEMSET, COMMUNICATION, RUNTIME, DATALOADER, CPU_EXEC, OTHER = range(8)


def categorise(names: list[str], on_device: np.ndarray) -> np.ndarray:
    """Category index of each event from its name and whether it ran on the device."""
    lowered = np.char.lower(np.asarray(names, dtype=str))
    category = np.full(lowered.shape, CPU_EXEC, np.int64)
    device = np.asarray(on_device, bool)
    category[device] = KERNEL
    category[device & (np.char.find(lowered, "memcpy") >= 0)] = MEMCPY
    category[device & (np.char.find(lowered, "memset") >= 0)] = MEMSET
    runtime = (~device) & (np.char.startswith(lowered, "cuda") | np.char.startswith(lowered, "hip")
                           | np.char.startswith(lowered, "cu"))
    runtime &= ~np.char.startswith(lowered, "cudnn")  # cudnn ops are CPU-side ops
    category[runtime] = RUNTIME
    communication = ((np.char.find(lowered, "nccl") >= 0) | (np.char.find(lowered, "gloo") >= 0)
                     | np.char.startswith(lowered, "c10d::"))
    category[communication] = COMMUNICATION
    category[(~device) & np.char.startswith(lowered, "enumerate(dataloader)")] = DATALOADER
    return category


def breakdown(step_start: np.ndarray, step_end: np.ndarray, start: np.ndarray, end: np.ndarray,
              category: np.ndarray) -> np.ndarray:
    """Time (same unit as the inputs) of each category in each step: shape [steps, 8]."""
    step_start = np.asarray(step_start, np.float64)
    step_end = np.asarray(step_end, np.float64)
    start = np.asarray(start, np.float64)
    end = np.asarray(end, np.float64)
    category = np.asarray(category, np.int64)
    out = np.zeros((step_start.size, len(CATEGORIES)))
    if step_start.size == 0:
        return out
    edges = np.unique(np.concatenate([step_start, step_end, start, end]))
    lengths = np.diff(edges)
    # For each category: how many of its events cover each elementary segment.
    best = np.full(lengths.size, OTHER, np.int64)
    for index in range(OTHER - 1, -1, -1):  # lowest priority first, higher ones overwrite
        rows = category == index
        if not rows.any():
            continue
        cover = np.zeros(edges.size, np.int64)
        np.add.at(cover, np.searchsorted(edges, start[rows]), 1)
        np.add.at(cover, np.searchsorted(edges, end[rows]), -1)
        covered = np.cumsum(cover)[:-1] > 0
        best[covered] = index
    mid = (edges[:-1] + edges[1:]) / 2
    order = np.argsort(step_start)
    which = np.searchsorted(step_start[order], mid, side="right") - 1
    inside = which >= 0
    which_step = order[np.clip(which, 0, None)]
    inside &= mid < step_end[which_step]
    np.add.at(out, (which_step[inside], best[inside]), lengths[inside])
    return out


def busy_time(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> float:
    """Length of the union of intervals [start, end) clipped to [lo, hi)."""
    s = np.clip(np.asarray(start, np.float64), lo, hi)
    e = np.clip(np.asarray(end, np.float64), lo, hi)
    if s.size == 0:
        return 0.0
    order = np.argsort(s)
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)
    # A new block starts where an interval begins after everything before it ended.
    new = np.empty(s.size, bool)
    new[0] = True
    new[1:] = s[1:] > reach[:-1]
    block = np.cumsum(new) - 1
    block_start = s[new]
    block_end = np.zeros(block_start.size)
    np.maximum.at(block_end, block, e)
    return float(np.sum(block_end - block_start))


def event_depth(parent: np.ndarray) -> np.ndarray:
    """Nesting depth of each event from its parent index (-1 for a root), level by level."""
    parent = np.asarray(parent, np.int64)
    depth = np.zeros(parent.size, np.int64)
    current = parent.copy()
    while (current >= 0).any():
        up = current >= 0
        depth[up] += 1
        current[up] = parent[current[up]]
    return depth


def top_operators(names: list[str], self_cpu: np.ndarray, total_cpu: np.ndarray,
                  self_device: np.ndarray, limit: int = 20) -> list[dict[str, float | str | int]]:
    """Operators by self CPU time (then self device time): name, calls, self_cpu_us,
    cpu_total_us, self_device_us — the same grouping as ``key_averages()``."""
    if not names:
        return []
    unique, inverse = np.unique(np.asarray(names, dtype=object), return_inverse=True)
    calls = np.bincount(inverse, minlength=unique.size)
    self_sum = np.bincount(inverse, weights=self_cpu, minlength=unique.size)
    total_sum = np.bincount(inverse, weights=total_cpu, minlength=unique.size)
    device_sum = np.bincount(inverse, weights=self_device, minlength=unique.size)
    order = np.lexsort((-device_sum, -self_sum))[:limit]
    return [{"name": str(unique[i]), "calls": int(calls[i]), "self_cpu_us": float(self_sum[i]),
             "cpu_total_us": float(total_sum[i]), "self_device_us": float(device_sum[i])}
            for i in order]


def memory_curve(start: np.ndarray, delta: np.ndarray, max_points: int = 2000) -> np.ndarray:
    """Memory allocated over time (relative to the capture's start) from per-event self
    allocation deltas: [points, 2] of (time, bytes), at most ``max_points`` (min/max kept)."""
    start = np.asarray(start, np.float64)
    delta = np.asarray(delta, np.float64)
    keep = delta != 0
    if not keep.any():
        return np.zeros((0, 2))
    order = np.argsort(start[keep], kind="stable")
    times = start[keep][order]
    level = np.cumsum(delta[keep][order])
    level -= min(float(level.min()), 0.0)
    if times.size > max_points:
        from nbviz.panels.scalars.decimate import minmax_indices

        index = minmax_indices(level, max_points)
        times, level = times[index], level[index]
    return np.column_stack([times, level])
