"""Checks of PR inputs shared by :mod:`nbviz.panels.pr.compute` and
:mod:`nbviz.panels.pr.record` (the conversion to numpy is :func:`nbviz._arrays.to_numpy`).
Every check names the function, the argument, what was received and how to fix it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nbviz._validate import describe

__all__ = ["check_num_thresholds", "check_probabilities"]


def check_num_thresholds(value: Any, *, where: str, maximum: int) -> int:
    """A threshold count: an int in [2, maximum].

    >>> check_num_thresholds(127, where="log_pr()", maximum=4097)
    127
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{where}: 'num_thresholds' must be an int, got {describe(value)}; "
            "use e.g. num_thresholds=127."
        )
    count = int(value)
    if not 2 <= count <= maximum:
        raise ValueError(
            f"{where}: 'num_thresholds' must be between 2 and {maximum}, got {count}."
        )
    return count


def _first_index(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask.reshape(-1))[0])


def check_probabilities(array: np.ndarray, *, where: str, name: str) -> None:
    """Raise unless every value of ``array`` is a probability (finite, in [0, 1]).

    Vectorised: two reductions over the array (NaN makes min/max NaN).

    >>> check_probabilities(np.array([0.1, 0.9]), where="log_pr()", name="predictions")
    """
    if array.size == 0:
        return
    if array.dtype.kind == "b":
        return
    low = array.min()
    high = array.max()
    if np.isnan(low) or np.isnan(high):
        nan = np.isnan(array)
        raise ValueError(
            f"{where}: '{name}' holds {int(nan.sum())} NaN value(s) (first at flat index "
            f"{_first_index(nan)}); the model produced NaN — fix the model or drop those rows."
        )
    if low < 0 or high > 1:
        bad = (array < 0) | (array > 1)
        raise ValueError(
            f"{where}: '{name}' must be probabilities in [0, 1], but {int(bad.sum())} value(s) "
            f"lie outside (min {float(low):.6g}, max {float(high):.6g}, first at flat index "
            f"{_first_index(bad)}); apply torch.sigmoid (binary) or softmax (multiclass) to "
            "logits first."
        )
