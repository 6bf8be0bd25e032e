"""``add_embedding`` metadata as ``torch.utils.tensorboard`` writes it to ``metadata.tsv``.

torch's ``make_tsv`` writes ``str(label)`` for each item of ``metadata`` (without a
header) or ``str(cell)`` for each cell of each row (with ``metadata_header``) — so a tensor
of labels becomes ``tensor(33.)``, a numpy array ``33.0`` and a list of floats ``33.0``.
:func:`embedding_metadata` gives exactly those strings, so ``nbviz.read`` returns the
same labels for a script run with torch's writer (read back from its ``metadata.tsv``) and
with nbviz's. Tensors and arrays are formatted once per distinct value (``str`` of the
same element torch would format), so 100k class labels cost a handful of ``str`` calls.

A 2-D tensor or array with ``metadata_header`` (which torch rejects with a TypeError) is
read as rows, giving the strings torch gives for the equivalent list of rows.

>>> embedding_metadata([1, 2.5, "x"], None, 3, "add_embedding()")
{'metadata': ['1', '2.5', 'x']}
>>> embedding_metadata([[1, "a"], [2, "b"]], ["id", "name"], 2, "add_embedding()")
{'metadata_header': ['id', 'name'], 'metadata': {'id': ['1', '2'], 'name': ['a', 'b']}}
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nbviz._validate import describe

__all__ = ["embedding_metadata"]


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _str_cells(values: Any) -> list[str] | None:
    """``str`` of every element of a numeric tensor / array, in row-major order, computed
    once per distinct value (by bit pattern, so -0.0 and NaN payloads stay apart); None
    when ``values`` is not a plain numeric tensor or array."""
    if _is_tensor(values):
        if values.requires_grad:  # str() shows the grad_fn of iteration: format one by one
            return None
        flat = values.reshape(-1)
        host = flat.detach().cpu().contiguous()
        if host.is_complex() or host.numel() == 0:
            return None
        import torch

        raw = host.view(torch.uint8).numpy().reshape(host.numel(), -1)
    elif isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        flat = values.reshape(-1)
        raw = np.ascontiguousarray(flat).view(np.uint8).reshape(flat.size, -1)
    else:
        return None
    keys = raw.view(np.dtype((np.void, raw.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts: list[str] | None = None
    if _is_tensor(values) and len(first) > _CHECKED:
        texts = _tensor_strs(flat, host, first)
    if texts is None:
        texts = [str(flat[int(i)]) for i in first]
    return list(np.array(texts, dtype=object)[inverse.reshape(-1)])


_CHECKED = 64  # distinct values formatted by str() itself before the fast path is trusted


def _tensor_strs(flat: Any, host: Any, first: np.ndarray) -> list[str] | None:
    """``str(flat[i])`` for each ``i`` in ``first``, without formatting one tensor per value:
    torch's repr of a 0-d CPU tensor (``tensor(33.)``, ``tensor(1.5000)``,
    ``tensor(1.0000e-05)``, ``tensor(3, dtype=torch.int32)`` …) written with Python's
    number formatting. Trusted only when it equals ``str()`` on a spread of the values
    (so changed print options, devices or dtypes fall back to ``str()``); else None."""
    import torch

    kind = _torch_kinds().get(host.dtype)
    if flat.device.type != "cpu" or kind is None:
        return None
    numbers = (host.float() if host.dtype == torch.bfloat16 else host).numpy()[first].tolist()
    default = (torch.get_default_dtype(), torch.int64, torch.bool)
    suffix = "" if host.dtype in default else f", dtype={host.dtype}"
    formatted = [_format_number(value, kind) for value in numbers]
    texts = [f"tensor({text}{suffix})" for text, _ in formatted]
    # check against str() itself: a spread of the values plus the first and last few of
    # every formatting branch taken (so each rule used is seen to agree with torch)
    branches = np.array([branch for _, branch in formatted])
    checks = set(np.linspace(0, len(first) - 1, _CHECKED).astype(np.int64).tolist())
    for branch in np.unique(branches).tolist():
        where = np.flatnonzero(branches == branch)
        checks.update(where[:4].tolist() + where[-4:].tolist())
    if any(texts[i] != str(flat[int(first[i])]) for i in sorted(checks)):
        return None
    return texts


def _format_number(value: Any, kind: str) -> tuple[str, int]:
    """One value as torch's ``_Formatter`` prints a 0-d tensor (default print options), and
    which formatting rule gave it."""
    if kind != "float":
        return str(value), 0
    if value != value or value in (math.inf, -math.inf):
        return str(value), 1  # nan, inf, -inf
    if value == 0:
        return ("-0." if math.copysign(1.0, value) < 0 else "0."), 2
    magnitude = abs(value)
    if value == math.ceil(value):
        return (f"{value:.4e}", 3) if magnitude > 1e8 else (f"{value:.0f}.", 4)
    if magnitude > 1e8 or magnitude < 1e-4:
        return f"{value:.4e}", 5
    return f"{value:.4f}", 6


@functools.cache
def _torch_kinds() -> dict[Any, str]:
    """torch dtype -> "float" / "int" / "bool" (torch imported on first use, for tensors)."""
    import torch

    floats = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
    kinds: dict[Any, str] = {dtype: "float" for dtype in floats}
    kinds.update({dtype: "int" for dtype in (torch.uint8, torch.int8, torch.int16,
                                             torch.int32, torch.int64)})
    kinds[torch.bool] = "bool"
    return kinds


def _labels(metadata: Any) -> list[str]:
    if (_is_tensor(metadata) or isinstance(metadata, np.ndarray)) and metadata.ndim == 1:
        cells = _str_cells(metadata)
        if cells is not None:
            return cells
    return [str(item) for item in metadata]


def _rows(metadata: Any, width: int) -> list[list[str]] | None:
    if (_is_tensor(metadata) or isinstance(metadata, np.ndarray)) and metadata.ndim == 2:
        if metadata.shape[1] != width:
            return None
        cells = _str_cells(metadata)
        if cells is not None:
            return [cells[i:i + width] for i in range(0, len(cells), width)]
    rows = []
    for row in metadata:
        if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
            return None
        cells_of_row = [str(cell) for cell in row]
        if len(cells_of_row) != width:
            return None
        rows.append(cells_of_row)
    return rows


def embedding_metadata(metadata: Any, metadata_header: Sequence[Any] | None, count: int,
                       where: str) -> dict[str, Any]:
    """The ``embedding`` record's metadata extra for ``add_embedding(metadata=…,
    metadata_header=…)`` with ``count`` points: ``{"metadata": [labels]}`` or
    ``{"metadata_header": [names], "metadata": {name: [values]}}``, every value the string
    torch writes to ``metadata.tsv``.

    >>> embedding_metadata(np.array([0.0, 1.5]), None, 2, "add_embedding()")
    {'metadata': ['0.0', '1.5']}
    """
    if isinstance(metadata, (str, bytes)) or not hasattr(metadata, "__len__"):
        raise TypeError(f"{where}: 'metadata' must be a list of labels (one per point), got "
                        f"{describe(metadata)}.")
    if len(metadata) != count:
        raise ValueError(f"{where}: 'metadata' has {len(metadata)} entries but 'mat' has "
                         f"{count} rows; pass one label per point.")
    if not metadata_header:
        return {"metadata": _labels(metadata)}
    if isinstance(metadata_header, (str, bytes)) or not hasattr(metadata_header, "__iter__"):
        raise TypeError(f"{where}: 'metadata_header' must be a list of column names, got "
                        f"{describe(metadata_header)}.")
    header = [str(name) for name in metadata_header]
    rows = _rows(metadata, len(header))
    if rows is None:
        raise ValueError(f"{where}: every 'metadata' row must be a list of {len(header)} "
                         f"values to match 'metadata_header' {header}.")
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [
        [] for _ in header]
    return {"metadata_header": header, "metadata": dict(zip(header, columns, strict=True))}
