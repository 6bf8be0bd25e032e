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
    texts = np.array([str(flat[int(i)]) for i in first], dtype=object)
    return list(texts[inverse.reshape(-1)])


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
