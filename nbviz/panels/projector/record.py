"""``Run.log_embedding``: validate an embedding and write ``embedding`` (+ ``sprite``) records.

Store contract (docs/store.md): the matrix is an ``embedding`` record, float32
``[N, D]``, with ``extra = {"metadata": {column: [N values]}, "metadata_header": [...]}``;
label images are a separate ``sprite`` record, uint8 ``[N, h, w, 3]``, with the same tag
and step (what ``SummaryWriter.add_embedding`` writes too). Rows holding NaN/Inf are
dropped with a warning, together with their metadata and images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nbviz._arrays import numpy_if_tensor
from nbviz._validate import check_tag, describe
from nbviz.reduce import as_matrix, drop_nonfinite
from nbviz.store.kinds import EMBEDDING, SPRITE

if TYPE_CHECKING:
    from nbviz._recorder import Recorder

__all__ = ["MAX_THUMBNAIL", "log_embedding", "metadata_columns", "thumbnails"]

MAX_THUMBNAIL = 64  # pixels: larger label images are shrunk (block mean) to at most this side


def _column_values(name: str, values: Any, count: int, where: str) -> list[Any]:
    values = numpy_if_tensor(values)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{where}: metadata column {name!r} must be a list or array with one "
                        f"value per point, got {describe(values)}.")
    array = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if array.ndim != 1 and array.dtype != object:
        raise ValueError(f"{where}: metadata column {name!r} must be 1-D (one value per "
                             f"point), got shape {array.shape}.")
    if len(values) != count:
        raise ValueError(f"{where}: metadata column {name!r} has {len(values)} values but "
                         f"'features' has {count} rows; pass one value per point.")
    if array.dtype.kind in "biuf":
        numbers: list[Any] = array.tolist()  # C speed; NaN stays NaN (JSON NaN)
        return numbers
    if array.dtype.kind in "US":
        strings: list[Any] = array.astype(str).tolist()
        return strings
    out = np.empty(count, dtype=object)
    out[:] = list(values)
    return out.astype(str).tolist()


def metadata_columns(metadata: Any, count: int, *, where: str) -> dict[str, list[Any]]:
    """``metadata`` (a dict of columns, a pandas DataFrame, or one list of labels) as a
    dict ``{column name: list of N values}``.

    >>> metadata_columns({"label": [1, 2]}, 2, where="f()")
    {'label': [1, 2]}
    >>> metadata_columns(["cat", "dog"], 2, where="f()")
    {'label': ['cat', 'dog']}
    """
    if metadata is None:
        return {}
    if hasattr(metadata, "to_dict") and hasattr(metadata, "columns"):  # pandas DataFrame
        metadata = {str(c): metadata[c].to_numpy() for c in metadata.columns}
    if isinstance(metadata, Mapping):
        if not metadata:
            return {}
        columns: dict[str, list[Any]] = {}
        for name, values in metadata.items():
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"{where}: metadata column names must be non-empty strings, "
                                f"got {describe(name)}.")
            columns[name] = _column_values(name, values, count, where)
        return columns
    if isinstance(metadata, (str, bytes)) or not isinstance(
            numpy_if_tensor(metadata), (Sequence, np.ndarray)):
        raise TypeError(f"{where}: 'metadata' must be a dict of columns {{'label': [...]}}, a "
                        f"DataFrame or a list of labels, got {describe(metadata)}.")
    return {"label": _column_values("label", metadata, count, where)}


def _shrink(images: np.ndarray) -> np.ndarray:
    """Block-mean ``[N, H, W, C]`` float images so the longer side is <= MAX_THUMBNAIL."""
    factor = int(np.ceil(max(images.shape[1], images.shape[2]) / MAX_THUMBNAIL))
    if factor <= 1:
        return images
    n, h, w, c = images.shape
    h2, w2 = h // factor, w // factor
    cropped = images[:, : h2 * factor, : w2 * factor]
    shrunk: np.ndarray = cropped.reshape(n, h2, factor, w2, factor, c).mean(axis=(2, 4))
    return shrunk


def thumbnails(images: Any, count: int, *, where: str) -> np.ndarray:
    """Label images as uint8 thumbnails ``[N, h, w, 3]`` (sides <= MAX_THUMBNAIL).

    Accepts ``[N, C, H, W]`` (torch's layout, C = 1 or 3), ``[N, H, W, C]`` (C = 1, 3
    or 4) or ``[N, H, W]`` (grey); floats in [0, 1] or integers in [0, 255].

    >>> thumbnails(np.zeros((2, 8, 8)), 2, where="f()").shape
    (2, 8, 8, 3)
    """
    array = np.asarray(numpy_if_tensor(images))
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == np.bool_):
        raise TypeError(f"{where}: 'images' must be a numeric array, got {describe(images)}.")
    if array.ndim == 3:
        array = array[..., None]
    elif array.ndim == 4 and array.shape[1] in (1, 3) and array.shape[3] not in (1, 3, 4):
        array = array.transpose(0, 2, 3, 1)
    if array.ndim != 4 or array.shape[3] not in (1, 3, 4):
        raise ValueError(f"{where}: 'images' must have shape [N, C, H, W] (C = 1 or 3), "
                         f"[N, H, W, C] (C = 1, 3 or 4) or [N, H, W], got shape "
                         f"{np.shape(numpy_if_tensor(images))}.")
    if array.shape[0] != count:
        raise ValueError(f"{where}: 'images' holds {array.shape[0]} images but 'features' has "
                         f"{count} rows; pass one image per point.")
    if min(array.shape[1:3]) < 1:
        raise ValueError(f"{where}: 'images' are empty (shape {array.shape}).")
    values = array.astype(np.float32)
    if np.issubdtype(array.dtype, np.floating) or array.dtype == np.bool_:
        values = values * 255.0
    values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
    values = values[..., :3] if values.shape[3] >= 3 else np.repeat(values, 3, axis=3)
    return np.ascontiguousarray(np.clip(np.rint(_shrink(values)), 0, 255).astype(np.uint8))


def log_embedding(run: Recorder, tag: str, features: Any, metadata: Any = None, images: Any = None,
                  step: Any = None) -> None:
    """Record ``features`` ``[N, D]`` with per-point ``metadata`` and label ``images``.

    >>> run.log_embedding("penultimate", feats, metadata={"label": y}, step=3)  # doctest: +SKIP
    """
    where = "log_embedding()"
    check_tag(tag, where=where)
    matrix = as_matrix(features, where=where, argument="features")
    count = matrix.shape[0]
    columns = metadata_columns(metadata, count, where=where)
    thumbs = None if images is None else thumbnails(images, count, where=where)
    step_value = run.resolve_step(step, where=where)
    matrix, kept = drop_nonfinite(matrix, where=where, argument="features")
    if kept is not None:
        columns = {name: np.asarray(values, dtype=object)[kept].tolist()
                   for name, values in columns.items()}
        thumbs = None if thumbs is None else np.ascontiguousarray(thumbs[kept])
    extra: dict[str, Any] = {}
    if columns:
        extra["metadata"] = columns
        extra["metadata_header"] = list(columns)
    if kept is not None:
        extra["dropped_nonfinite"] = count - int(kept.size)
    run.log_tensor(EMBEDDING, tag, matrix, step_value, extra)
    if thumbs is not None:
        run.log_tensor(SPRITE, tag, thumbs, step_value, {})
