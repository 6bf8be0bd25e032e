"""User arrays (numpy arrays, lists, torch tensors on any device) as numpy: the one
conversion every recorder and the SummaryWriter facade use.

No torch import: a value is a tensor only if torch is already imported (no tensor
can exist otherwise). Every error names the function, the argument, what was
received and how to fix it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from nbviz._validate import describe

__all__ = ["is_tensor", "numpy_if_tensor", "to_numpy"]


def is_tensor(value: Any) -> bool:
    """True for a ``torch.Tensor`` (parameters included), without importing torch.

    >>> is_tensor([1.0])
    False
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def numpy_if_tensor(value: Any) -> Any:
    """A tensor as a numpy array (detached, copied to the CPU); anything else unchanged.

    >>> numpy_if_tensor(["a", "b"])
    ['a', 'b']
    """
    return value.detach().cpu().numpy() if is_tensor(value) else value


def to_numpy(value: Any, *, where: str, argument: str, kinds: str = "biuf",
             like_torch: bool = False, widen_half: bool = False) -> np.ndarray:
    """``value`` as a numpy array whose dtype kind is one of ``kinds`` (no copy for numpy).

    Tensors are detached and copied to the CPU; bfloat16 (which numpy lacks) becomes
    float32, or float16 with ``like_torch`` (``torch.utils.tensorboard``'s conversion).
    ``widen_half`` turns float16 into float32.

    >>> to_numpy([0, 1, 1], where="log_pr()", argument="labels").tolist()
    [0, 1, 1]
    """
    if value is None:
        raise TypeError(f"{where}: '{argument}' is None; pass a numpy array, a list or a tensor.")
    if is_tensor(value):
        torch = sys.modules["torch"]
        if value.is_complex() and "c" not in kinds:
            raise TypeError(f"{where}: '{argument}' is a complex tensor; pass real numbers.")
        tensor = value.detach()
        if tensor.device.type == "meta":
            raise ValueError(f"{where}: '{argument}' is a meta tensor; it holds no data.")
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.to(torch.float16 if like_torch else torch.float32)
        array = np.asarray(tensor.cpu().numpy())
    elif isinstance(value, np.ndarray):
        array = value
    elif isinstance(value, (str, bytes, dict, set)):
        raise TypeError(
            f"{where}: '{argument}' must be numbers (a numpy array, torch tensor or list), "
            f"got {describe(value)}."
        )
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{where}: '{argument}' must be numbers (a numpy array, torch tensor or list), "
                f"got {describe(value)}: {error}"
            ) from None
    if array.dtype.kind not in kinds:
        raise TypeError(
            f"{where}: '{argument}' must hold real numbers, got an array of dtype {array.dtype}"
            f" ({describe(value)}); convert it with np.asarray(..., dtype=float)."
        )
    if widen_half and array.dtype == np.float16:
        array = array.astype(np.float32)
    return array
