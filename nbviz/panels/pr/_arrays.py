"""Turn user inputs (numpy arrays, lists, torch tensors on any device) into numpy arrays.

Shared by :mod:`nbviz.panels.pr.compute` and :mod:`nbviz.panels.pr.record`. Every check names
the function, the argument, what was received and how to fix it. No torch import:
tensors are recognised by duck typing through ``sys.modules``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from nbviz._validate import describe

__all__ = ["check_num_thresholds", "check_probabilities", "to_numpy"]


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def to_numpy(value: Any, *, where: str, name: str, like_torch: bool = False) -> np.ndarray:
    """``value`` as a real-valued numpy array (no copy for numpy input).

    Tensors are detached and copied to the CPU. ``like_torch`` mirrors
    ``torch.utils.tensorboard``'s conversion exactly (bfloat16 → float16);
    otherwise bfloat16 / float16 become float32.

    >>> to_numpy([0, 1, 1], where="log_pr()", name="labels").tolist()
    [0, 1, 1]
    """
    if value is None:
        raise TypeError(f"{where}: '{name}' is None; pass a numpy array, a list or a tensor.")
    if _is_tensor(value):
        torch = sys.modules["torch"]
        if value.is_complex():
            raise TypeError(f"{where}: '{name}' is a complex tensor; pass real numbers.")
        tensor = value.detach()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.to(torch.float16 if like_torch else torch.float32)
        elif tensor.dtype == torch.float16 and not like_torch:
            tensor = tensor.to(torch.float32)
        array = np.asarray(tensor.cpu().numpy())
    elif isinstance(value, np.ndarray):
        array = value
    elif isinstance(value, (str, bytes, dict, set)):
        raise TypeError(
            f"{where}: '{name}' must be an array of numbers, got {describe(value)}."
        )
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{where}: '{name}' must be an array of numbers, got {describe(value)} ({error})."
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: '{name}' must hold real numbers, got an array of dtype {array.dtype}"
            f" ({describe(value)}); convert it with np.asarray(..., dtype=float)."
        )
    if array.dtype == np.float16 and not like_torch:
        array = array.astype(np.float32)
    return array


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
