from __future__ import annotations

import numpy as np
import pytest

from nbviz.panels.scalars.decimate import minmax_indices


@pytest.mark.parametrize("count", [1, 2, 10, 999, 10_000, 123_457])
@pytest.mark.parametrize("target", [4, 100, 1000])
def test_keeps_first_last_and_bucket_extremes(count: int, target: int) -> None:
    rng = np.random.default_rng(count + target)
    values = rng.standard_normal(count).cumsum()
    kept = minmax_indices(values, target)
    assert np.all(np.diff(kept) > 0)
    assert kept[0] == 0 and kept[-1] == count - 1
    if count > target:
        assert len(kept) <= target + 2
        assert values.argmax() in kept and values.argmin() in kept
        # every bucket's extremes are kept
        buckets = max(target // 2, 1)
        size = -(-count // buckets)
        for start in range(0, count, size):
            chunk = values[start : start + size]
            assert start + chunk.argmax() in kept and start + chunk.argmin() in kept
    else:
        assert len(kept) == count


def test_non_finite_values_survive() -> None:
    values = np.linspace(0, 1, 100_000)
    values[[10, 50_000, 99_990]] = [np.nan, np.inf, -np.inf]
    kept = minmax_indices(values, 200)
    assert {10, 50_000, 99_990} <= set(kept.tolist())
    assert len(kept) <= 200 + 2 + 3


def test_all_nan_series() -> None:
    kept = minmax_indices(np.full(1000, np.nan), 10)
    assert kept[0] == 0 and kept[-1] == 999 and len(kept) <= 10 + 2
