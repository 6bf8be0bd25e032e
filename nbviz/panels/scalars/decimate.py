"""Min/max-per-bucket decimation that keeps first, last, extreme and non-finite points."""

from __future__ import annotations

import numpy as np

__all__ = ["minmax_budget", "minmax_indices"]


def minmax_indices(values: np.ndarray, target: int) -> np.ndarray:
    """Indices (sorted) of at most ~``target`` points that keep the shape of ``values``.

    ``values`` is split into ``target // 2`` buckets of consecutive points; each
    bucket keeps its smallest and largest finite point and its first non-finite
    point (NaN/±Inf must stay visible). The first and last points are always kept.
    Vectorised: no Python loop over points.

    >>> minmax_indices(np.arange(10.0), 4).tolist()
    [0, 4, 5, 9]
    """
    count = int(values.shape[0])
    if count <= max(target, 2):
        return np.arange(count)
    buckets = max(target // 2, 1)
    size = -(-count // buckets)  # ceil
    padded = buckets * size
    finite = np.isfinite(values)
    low = np.full(padded, np.inf)
    high = np.full(padded, -np.inf)
    low[:count] = np.where(finite, values, np.inf)
    high[:count] = np.where(finite, values, -np.inf)
    offsets = np.arange(buckets) * size
    arg_low = low.reshape(buckets, size).argmin(axis=1) + offsets
    arg_high = high.reshape(buckets, size).argmax(axis=1) + offsets
    nonfinite = np.zeros(padded, dtype=bool)
    nonfinite[:count] = ~finite
    grid = nonfinite.reshape(buckets, size)
    has_nonfinite = grid.any(axis=1)
    arg_nonfinite = grid.argmax(axis=1) + offsets
    keep = np.concatenate(
        [
            [0, count - 1],
            arg_low[np.isfinite(low[arg_low])],
            arg_high[np.isfinite(high[arg_high])],
            arg_nonfinite[has_nonfinite],
        ]
    )
    keep = keep[keep < count]
    return np.unique(keep)


def minmax_budget(values: np.ndarray, budget: int) -> np.ndarray:
    """Like :func:`minmax_indices`, but never more than ``budget`` indices (``budget`` ≥ 2).

    ``minmax_indices(values, t)`` may keep up to about 1.5·t points (a non-finite point
    per bucket besides its min and max); this lowers ``t`` until the result fits, which
    a static snapshot's size budget needs.

    >>> len(minmax_budget(np.sin(np.arange(10_000.0)), 100)) <= 100
    True
    """
    budget = max(int(budget), 2)
    target = budget
    for _ in range(4):
        keep = minmax_indices(values, target)
        if keep.size <= budget:
            return keep
        target = max(2, target * budget // keep.size - 1)
    keep = minmax_indices(values, max(2, 2 * ((budget - 2) // 3)))
    if keep.size <= budget:
        return keep
    return np.unique(np.linspace(0, values.shape[0] - 1, budget).astype(np.int64))
