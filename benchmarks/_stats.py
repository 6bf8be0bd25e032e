"""Robust same-run estimates for the benchmarks: median with a bootstrap 95 % CI.

A benchmark on a shared machine compares two sides measured in many short interleaved
chunks; each chunk gives one ratio (or difference). The median of those is the
estimate, and resampling the chunks (the bootstrap) says how far it can be trusted:
a goal is *met* only when the whole interval is within it, *missed* when the whole
interval is outside, and *inconclusive* otherwise.

>>> est = median_ci([1.0, 1.02, 0.99, 1.01, 1.0] * 20, seed=0)
>>> round(est.median, 3), est.low <= est.median <= est.high, est.n
(1.0, True, 100)
>>> est.verdict(goal=1.05)
'met'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["Estimate", "median_ci"]


@dataclass(frozen=True)
class Estimate:
    """The median of ``n`` samples and its bootstrap 95 % confidence interval."""

    median: float
    low: float
    high: float
    n: int

    def verdict(self, goal: float) -> str:
        """'met' (the CI is at most ``goal``), 'missed' (the CI is above it) or
        'inconclusive' (the CI straddles it)."""
        if self.high <= goal:
            return "met"
        if self.low > goal:
            return "missed"
        return "inconclusive"

    def fmt(self, digits: int = 4, unit: str = "×", noun: str = "chunks") -> str:
        return (f"{self.median:.{digits}f}{unit} (95% CI {self.low:.{digits}f}–"
                f"{self.high:.{digits}f}, {self.n} {noun})")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median_ci(samples: Sequence[float], *, resamples: int = 10_000, seed: int = 0
              ) -> Estimate:
    """Median of ``samples`` with a percentile-bootstrap 95 % CI (``resamples`` medians of
    samples drawn with replacement, vectorised)."""
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"median_ci(): 'samples' must hold at least 2 numbers, got "
                         f"{values.size}.")
    rng = np.random.default_rng(seed)
    draws = values[rng.integers(0, values.size, size=(resamples, values.size))]
    medians = np.median(draws, axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return Estimate(float(np.median(values)), float(low), float(high), int(values.size))
