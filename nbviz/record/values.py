"""Turn user values into floats cheaply; defer device syncs of accelerator tensors.

``coerce_scalar`` runs on every ``log()`` call, so Python floats and ints take
a fast path. CPU tensors are converted at once (no sync involved); tensors on
an accelerator are kept (detached) and converted in one batch per device by
``materialize`` from the background flusher, so the training loop never pays a
device synchronisation per logged value.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from typing import Any

from nbviz._validate import describe

__all__ = ["DeferredTensor", "coerce_scalar", "materialize"]


class DeferredTensor:
    """A detached 1-element tensor on an accelerator, converted to float at flush."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Any) -> None:
        self.tensor = tensor


# torch.Tensor once coerce_scalar has seen torch imported (nbviz never imports it itself)
TENSOR_TYPE: Any = None
# True once coerce_scalar has seen torch imported, if that torch has no accelerator (nor
# torch_xla): every tensor is then on the CPU (or on "meta", whose item() raises), so
# log() reads a tensor without asking its device (``is_cpu`` costs ~0.1 µs per call).
CPU_ONLY = False


def _torch_tensor_type() -> Any:
    global TENSOR_TYPE, CPU_ONLY
    if TENSOR_TYPE is None:
        torch = sys.modules.get("torch")
        if torch is not None:
            CPU_ONLY = _no_accelerator(torch)
            TENSOR_TYPE = torch.Tensor
    return TENSOR_TYPE


def _no_accelerator(torch: Any) -> bool:
    """True when this torch was built with no accelerator (``current_accelerator()`` is
    None: a CPU wheel; the check reads the build, touches no driver and does not poison
    fork) and torch_xla is not imported. Unknown (older torch, an error): False, so each
    tensor's device is checked. Only speed depends on it: ``item()`` reads a tensor on
    any device correctly, a device tensor with a sync the deferral avoids."""
    if "torch_xla" in sys.modules:
        return False
    accelerator = getattr(torch, "accelerator", None)
    try:
        return accelerator is not None and accelerator.current_accelerator() is None
    except Exception:  # an unusual build: check every tensor's device instead
        return False


def coerce_scalar(tag: str, value: Any, *, where: str) -> float | DeferredTensor:
    """Convert a logged value to ``float`` (or a deferred device tensor).

    >>> coerce_scalar("loss", 0.5, where="log()")
    0.5
    """
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return float(value)
    # (log() reads the usual 0-d CPU float tensor itself, with one item(), before calling
    # this: nbviz.record.run._number)
    tensor_type = _torch_tensor_type()
    if tensor_type is not None and isinstance(value, tensor_type):
        return _coerce_tensor(tag, value, where=where)
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"{where}: value for {tag!r} is {describe(value)}; log numbers only "
            "(use log_text for text)."
        )
    if isinstance(value, complex) or (isinstance(value, numbers.Complex) and not isinstance(
        value, numbers.Real
    )):
        raise TypeError(f"{where}: value for {tag!r} is complex ({value!r}); log a real number.")
    if isinstance(value, numbers.Real):
        return float(value)
    size = getattr(value, "size", None)
    if size is not None and hasattr(value, "dtype") and hasattr(value, "reshape"):
        # numpy arrays (and array-likes with numpy's protocol)
        if size != 1:
            raise ValueError(
                f"{where}: value for {tag!r} is an array with {size} elements; pass a "
                "scalar (e.g. arr.mean()) or use log_histogram for distributions."
            )
        dtype_kind = getattr(value.dtype, "kind", "")
        if dtype_kind not in "biuf":
            raise TypeError(
                f"{where}: value for {tag!r} is an array of dtype {value.dtype}; log real numbers."
            )
        return float(value.reshape(()))
    raise TypeError(
        f"{where}: value for {tag!r} is {describe(value)}; pass a Python/numpy number or a "
        "1-element tensor."
    )


def _coerce_tensor(tag: str, value: Any, *, where: str) -> float | DeferredTensor:
    numel = value.numel()
    if numel != 1:
        raise ValueError(
            f"{where}: value for {tag!r} is a tensor with {numel} elements; pass a scalar "
            "(e.g. loss.mean()) or use log_histogram for distributions."
        )
    if value.is_complex():
        raise TypeError(f"{where}: value for {tag!r} is a complex tensor; log a real number.")
    if value.is_cpu:
        return float(value.item())
    # A copy on the device (queued, no sync): the flusher reads the value logged, even if
    # the caller updates the tensor in place afterwards (a running sum zeroed each epoch).
    return DeferredTensor(value.detach().reshape(()).clone())


def materialize(values: Sequence[float | DeferredTensor]) -> list[float]:
    """Return floats for ``values``: one transfer per device for deferred tensors.

    >>> materialize([1.0, 2.0])
    [1.0, 2.0]
    """
    out = list(values)
    by_device: dict[Any, list[int]] = {}
    for index, value in enumerate(out):
        if type(value) is DeferredTensor:
            by_device.setdefault(value.tensor.device, []).append(index)
    if not by_device:
        return out  # type: ignore[return-value]
    import torch

    for indices in by_device.values():
        stacked = torch.stack([out[i].tensor.to(torch.float64) for i in indices])  # type: ignore[union-attr]
        for i, number in zip(indices, stacked.cpu().tolist(), strict=True):
            out[i] = float(number)
    return out  # type: ignore[return-value]
