"""What the Profile panel holds per run, built from the store's rows (numpy only).

Per run: the step timer's series (``profile/*``) aligned on steps, the system
meter's samples (``system/*``), profile findings and the latest capture. Packed
for the page as little-endian float64 columns (docs/wire.md, "Profile").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbviz.panels.health.rules import Finding
from nbviz.panels.scalars.columns import SeriesColumns

__all__ = ["PROFILE_RULES", "STEP_COLUMNS", "SYSTEM_COLUMNS", "RunProfile", "bucket_means"]

PROFILE_RULES = frozenset({"data_bound", "memory_growth", "step_time_jump", "host_bound"})
STEP_COLUMNS = ("data_ms", "forward_ms", "backward_ms", "optimizer_ms", "other_ms", "step_ms",
                "samples_per_s")
SYSTEM_COLUMNS = ("cpu_percent", "rss_mb", "cuda_allocated_mb", "cuda_reserved_mb",
                  "cuda_peak_mb", "gpu_util")


def _aligned(base: np.ndarray, series: SeriesColumns | None) -> np.ndarray:
    """Values of ``series`` at the steps ``base`` (NaN where it has none; last one wins)."""
    out = np.full(base.size, np.nan)
    if series is None or series.count == 0 or base.size == 0:
        return out
    steps = series.step
    order = np.argsort(steps, kind="stable")
    sorted_steps = steps[order]
    last = np.searchsorted(sorted_steps, base, side="right") - 1
    ok = (last >= 0) & (sorted_steps[np.clip(last, 0, None)] == base)
    out[ok] = series.value[order][last[ok]]
    return out


def bucket_means(columns: np.ndarray, limit: int) -> np.ndarray:
    """Average consecutive rows of ``columns`` [n, k] into at most ``limit`` buckets, so a
    stacked breakdown keeps its totals (NaN-aware).

    >>> bucket_means(np.arange(8.0).reshape(4, 2), 2).tolist()
    [[1.0, 2.0], [5.0, 6.0]]
    """
    n = columns.shape[0]
    if n <= limit:
        return columns
    edges = np.linspace(0, n, limit + 1).astype(np.int64)
    starts = np.unique(edges[:-1])
    finite = np.isfinite(columns)
    sums = np.add.reduceat(np.where(finite, columns, 0.0), starts, axis=0)
    counts = np.add.reduceat(finite.astype(np.float64), starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


@dataclass
class RunProfile:
    """Everything the panel knows of one run."""

    name: str
    color: int
    series: dict[str, SeriesColumns] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    capture: dict[str, Any] | None = None  # the summary extra of the latest capture
    memory: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    timeline: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    timeline_extra: dict[str, Any] = field(default_factory=dict)
    capture_version: int = 0

    def add(self, tag: str, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        grow = self.series.get(tag)
        if grow is None:
            grow = self.series[tag] = SeriesColumns()
        grow.append(step.astype(np.float64), wall, value)

    @property
    def has_timer(self) -> bool:
        step = self.series.get("profile/step_ms")
        return step is not None and step.count > 0

    def steps_table(self) -> np.ndarray:
        """[n, 1 + len(STEP_COLUMNS)]: step then the timer's columns, sorted by step."""
        base_series = self.series.get("profile/step_ms")
        if base_series is None or base_series.count == 0:
            return np.zeros((0, 1 + len(STEP_COLUMNS)))
        base = np.unique(base_series.step)
        columns = [base] + [_aligned(base, self.series.get(f"profile/{name}"))
                            for name in STEP_COLUMNS]
        return np.column_stack(columns)

    def system_table(self) -> np.ndarray:
        """[n, 2 + len(SYSTEM_COLUMNS)]: step, wall time, then the meter's columns."""
        cpu = self.series.get("system/cpu_percent")
        if cpu is None or cpu.count == 0:
            return np.zeros((0, 2 + len(SYSTEM_COLUMNS)))
        order = np.argsort(cpu.wall_time, kind="stable")
        wall = cpu.wall_time[order]
        columns = [cpu.step[order], wall]
        for name in SYSTEM_COLUMNS:
            grow = self.series.get(f"system/{name}")
            if grow is None or grow.count == 0:
                columns.append(np.full(wall.size, np.nan))
                continue
            index = np.searchsorted(grow.wall_time, wall)  # samples of one tick share a wall time
            ok = index < grow.count
            ok[ok] &= grow.wall_time[index[ok]] == wall[ok]
            values = np.full(wall.size, np.nan)
            values[ok] = grow.value[index[ok]]
            columns.append(values)
        return np.column_stack(columns)
