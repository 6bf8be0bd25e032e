"""What ``Run.log_image`` / ``log_audio`` / ``log_text`` / ``log_table`` record.

One ``image`` record per sample (``extra["sample"]`` its index in the batch), PNG-encoded
by default (``image_format="jpeg"`` / ``"webp"`` to trade exactness for size), with an
optional class-index mask (a greyscale PNG appended to the image bytes at
``extra["mask_offset"]``), ``class_names``, and boxes ``[[xmin, ymin, xmax, ymax], …]`` in
pixels with optional labels and scores. Audio: one ``audio`` record per clip, 16-bit PCM
WAV. Text: ``text`` records (UTF-8). Tables: one ``table`` record per call, the columns
as JSON in ``extra`` and image cells as PNG bytes in the array. Every step is kept.

>>> run.log_image("seg", images, masks=pred, class_names=["bg", "digit"], step=3)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nbviz._arrays import to_numpy
from nbviz._recorder import Recorder
from nbviz._validate import check_tag, describe
from nbviz.panels.media.codec import IMAGE_FORMATS, encode_image, encode_mask, encode_wav

__all__ = ["MAX_TABLE_ROWS", "as_array", "image_batch", "log_audio", "log_image", "log_table",
           "log_text", "to_uint8"]

MAX_TABLE_ROWS = 10_000
_CHANNELS = (1, 3, 4)


def as_array(value: Any, *, where: str, argument: str, kinds: str = "biuf") -> np.ndarray:
    """``value`` (numpy array, torch tensor on any device, nested list) as a numpy array."""
    return to_numpy(value, where=where, argument=argument, kinds=kinds)


def to_uint8(array: np.ndarray, *, where: str, argument: str) -> np.ndarray:
    """uint8 as is; bool → 0/255; floats in [0, 1] → ×255 (clipped, like torch); other
    integers must already be in 0..255."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * np.uint8(255)
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{where}: '{argument}' holds NaN or Inf; images must be finite "
                             "(floats in [0, 1] or uint8).")
        return np.clip(array.astype(np.float32) * 255, 0, 255).astype(np.uint8)
    if array.dtype.kind in "iu":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ValueError(f"{where}: '{argument}' has integer values in "
                             f"[{array.min()}, {array.max()}]; pass uint8 0..255 or floats in "
                             "[0, 1].")
        return array.astype(np.uint8)
    raise TypeError(f"{where}: '{argument}' must be uint8, bool or float, got dtype "
                    f"{array.dtype}.")


def image_batch(images: Any, *, where: str, argument: str = "images") -> np.ndarray:
    """Images as uint8 ``[N, H, W, C]`` (C = 1, 3 or 4).

    Accepted: ``(N, C, H, W)``, ``(N, H, W, C)``, ``(C, H, W)``, ``(H, W, C)``, ``(H, W)``
    and ``(N, H, W)`` (a batch of greyscale images: a 3-D array whose first and last
    dimensions are not 1, 3 or 4), uint8/bool or floats in [0, 1].

    >>> image_batch(np.zeros((2, 1, 8, 8)), where="x").shape
    (2, 8, 8, 1)
    """
    array = as_array(images, where=where, argument=argument)
    if array.size == 0:
        raise ValueError(f"{where}: '{argument}' is empty (shape {array.shape}).")
    if array.ndim == 2:
        array = array[None, :, :, None]
    elif array.ndim == 3:
        if array.shape[0] in _CHANNELS and array.shape[2] not in _CHANNELS:
            array = array.transpose(1, 2, 0)[None]
        elif array.shape[2] in _CHANNELS:
            array = array[None]
        else:
            array = array[:, :, :, None]
    elif array.ndim == 4:
        if array.shape[1] in _CHANNELS and array.shape[3] not in _CHANNELS:
            array = array.transpose(0, 2, 3, 1)
        elif array.shape[3] not in _CHANNELS:
            raise ValueError(f"{where}: '{argument}' of shape {array.shape} has no channel "
                             "dimension of 1, 3 or 4; pass (N, C, H, W) or (N, H, W, C).")
    else:
        raise ValueError(f"{where}: '{argument}' must be (N, C, H, W), (N, H, W, C), (C, H, W), "
                         f"(H, W, C), (N, H, W) or (H, W), got shape {array.shape}.")
    return np.ascontiguousarray(to_uint8(array, where=where, argument=argument))


def _masks(masks: Any, count: int, height: int, width: int, where: str) -> np.ndarray:
    array = as_array(masks, where=where, argument="masks")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (count, height, width):
        raise ValueError(f"{where}: 'masks' must hold one class-index map per image, shape "
                         f"({count}, {height}, {width}), got {array.shape}.")
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{where}: 'masks' must be integer class indices (e.g. "
                        f"logits.argmax(1)), got dtype {array.dtype}.")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError(f"{where}: 'masks' class indices must be in 0..255, got "
                         f"[{array.min()}, {array.max()}].")
    return array.astype(np.uint8)


def _class_names(class_names: Any, where: str) -> dict[str, str]:
    if class_names is None:
        return {}
    if isinstance(class_names, Mapping):
        items = list(class_names.items())
    elif isinstance(class_names, Sequence) and not isinstance(class_names, str):
        items = list(enumerate(class_names))
    else:
        raise TypeError(f"{where}: 'class_names' must be a list of names (index = class) or a "
                        f"dict class index -> name, got {describe(class_names)}.")
    out: dict[str, str] = {}
    for key, name in items:
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise TypeError(f"{where}: 'class_names' keys must be class indices, got "
                            f"{describe(key)}.")
        out[str(int(key))] = str(name)
    return out


def _depth(value: Any) -> int:
    """Nesting depth of lists / arrays (an array's ndim)."""
    depth = 0
    while True:
        if hasattr(value, "ndim") and hasattr(value, "shape"):
            return depth + int(value.ndim)
        if isinstance(value, (list, tuple)) and value:
            depth += 1
            value = value[0]
        elif isinstance(value, (list, tuple)):
            return depth + 1
        else:
            return depth


def _per_image(value: Any, count: int, item_depth: int, where: str, argument: str) -> list[Any]:
    """``value`` split per image: a list of ``count`` items (each ``item_depth`` deep), or
    one item when there is one image."""
    if count == 1 and _depth(value) <= item_depth:
        return [value]
    if isinstance(value, (list, tuple)) and len(value) == count:
        return list(value)
    if hasattr(value, "shape") and len(value) == count:
        return list(value)
    raise ValueError(f"{where}: '{argument}' must be a list with one entry per image ({count}), "
                     f"got {describe(value)}.")


def _boxes(boxes: Any, labels: Any, scores: Any, count: int, names: dict[str, str],
           where: str) -> list[dict[str, Any]]:
    per_image = _per_image(boxes, count, 2, where, "boxes")
    label_list = (_per_image(labels, count, 1, where, "box_labels") if labels is not None
                  else [None] * count)
    score_list = (_per_image(scores, count, 1, where, "box_scores") if scores is not None
                  else [None] * count)
    out = []
    for index in range(count):
        array = as_array(per_image[index], where=where, argument="boxes").astype(np.float64)
        if array.size == 0:
            array = array.reshape(0, 4)
        if array.ndim != 2 or array.shape[1] != 4 or not np.isfinite(array).all():
            raise ValueError(f"{where}: 'boxes' of image {index} must be finite [K, 4] "
                             f"(xmin, ymin, xmax, ymax in pixels), got shape {array.shape}.")
        item: dict[str, Any] = {"boxes": array.tolist()}
        if label_list[index] is not None:
            raw = label_list[index]
            values = (as_array(raw, where=where, argument="box_labels").reshape(-1).tolist()
                      if not isinstance(raw, (list, tuple)) else list(raw))
            if len(values) != array.shape[0]:
                raise ValueError(f"{where}: 'box_labels' of image {index} has {len(values)} "
                                 f"entries for {array.shape[0]} boxes.")
            item["box_labels"] = [names.get(str(v), str(v)) if isinstance(v, (int, np.integer))
                                  else str(v) for v in values]
        if score_list[index] is not None:
            values_f = as_array(score_list[index], where=where,
                                argument="box_scores").astype(np.float64).reshape(-1)
            if values_f.size != array.shape[0]:
                raise ValueError(f"{where}: 'box_scores' of image {index} has {values_f.size} "
                                 f"entries for {array.shape[0]} boxes.")
            item["box_scores"] = [float(v) if math.isfinite(v) else 0.0 for v in values_f]
        out.append(item)
    return out


def image_payload(pixels: np.ndarray, image_format: str = "png", quality: int = 90,
                  mask: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """One image (uint8 ``[H, W, C]``) and its optional mask as a record's array + extra."""
    data, extra = encode_image(pixels, image_format, quality)
    if mask is not None:
        extra["mask_offset"] = len(data)
        data += encode_mask(mask)
    return np.frombuffer(data, dtype=np.uint8).copy(), extra


def log_image(run: Recorder, tag: str, images: Any, masks: Any = None, class_names: Any = None,
              boxes: Any = None, box_labels: Any = None, box_scores: Any = None,
              step: int | None = None, *, image_format: str = "png", quality: int = 90) -> None:
    """Record a batch of images (one record per image) with optional masks and boxes."""
    where = "log_image()"
    check_tag(tag, where=where)
    step_value = run.resolve_step(step, where=where)
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"{where}: 'image_format' must be one of {IMAGE_FORMATS}, got "
                         f"{describe(image_format)}.")
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"{where}: 'quality' must be an int in 1..100, got {describe(quality)}.")
    batch = image_batch(images, where=where)
    count, height, width, _ = batch.shape
    names = _class_names(class_names, where)
    mask_array = None if masks is None else _masks(masks, count, height, width, where)
    if boxes is None and (box_labels is not None or box_scores is not None):
        raise ValueError(f"{where}: 'box_labels' / 'box_scores' need 'boxes'.")
    box_items = (_boxes(boxes, box_labels, box_scores, count, names, where)
                 if boxes is not None else [{}] * count)
    for index in range(count):
        array, extra = image_payload(batch[index], image_format, quality,
                                     None if mask_array is None else mask_array[index])
        extra.update({"sample": index, "samples": count, **box_items[index]})
        if names:
            extra["class_names"] = names
        run.log_tensor("image", tag, array, step_value, extra)


def log_audio(run: Recorder, tag: str, waveform: Any, sample_rate: Any = 16000,
              step: int | None = None) -> None:
    """Record clips ``[L]``, ``[1, L]`` or a batch ``[N, L]`` (floats in [-1, 1], louder values
    clipped; int16 PCM is scaled by 1/32767) as 16-bit WAV, one record per clip."""
    where = "log_audio()"
    check_tag(tag, where=where)
    step_value = run.resolve_step(step, where=where)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)) or not (
        1 <= sample_rate <= 1_000_000
    ):
        raise ValueError(f"{where}: 'sample_rate' must be a number of Hz in 1..1e6, got "
                         f"{describe(sample_rate)}.")
    array = as_array(waveform, where=where, argument="waveform")
    if array.dtype == np.int16:
        array = array.astype(np.float32) / 32767.0
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{where}: 'waveform' must be float samples in [-1, 1], got dtype "
                        f"{array.dtype}.")
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f"{where}: 'waveform' must be [L], [1, L] or a batch [N, L] of mono "
                         f"clips, got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: 'waveform' holds NaN or Inf.")
    for index, clip in enumerate(array):
        data, extra = encode_wav(clip, float(sample_rate))
        extra.update({"sample": index, "samples": int(array.shape[0])})
        run.log_tensor("audio", tag, np.frombuffer(data, np.uint8).copy(), step_value, extra)


def log_text(run: Recorder, tag: str, text: Any, step: int | None = None) -> None:
    """Record Markdown ``text`` (a string, or a list of strings: one record each)."""
    where = "log_text()"
    check_tag(tag, where=where)
    step_value = run.resolve_step(step, where=where)
    items = [text] if isinstance(text, str) else text
    if not isinstance(items, (list, tuple)) or not items or not all(
        isinstance(item, str) for item in items
    ):
        raise TypeError(f"{where}: 'text' must be a string or a non-empty list of strings, got "
                        f"{describe(text)}.")
    for index, item in enumerate(items):
        data = np.frombuffer(item.encode("utf-8"), dtype=np.uint8).copy()
        extra = {"sample": index, "samples": len(items)} if len(items) > 1 else {}
        run.log_tensor("text", tag, data, step_value, extra)


def _table_column(name: str, value: Any, where: str) -> tuple[str, list[Any] | np.ndarray]:
    """(type, values): "image" (uint8 [N, H, W, C]), "number" (floats) or "text"."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return "text", [str(v) for v in value]
    array = as_array(value, where=where, argument=f"columns[{name!r}]", kinds="biufUS")
    if array.dtype.kind in "US":
        return "text", [str(v) for v in array.reshape(-1).tolist()]
    if array.ndim >= 3:
        # a table's image column is always a batch: (N, H, W) is N greyscale images
        batch = image_batch(array if array.ndim == 4 else array[:, None], where=where,
                            argument=f"columns[{name!r}]")
        return "image", batch
    if array.ndim != 1 or array.dtype.kind not in "biuf":
        raise ValueError(f"{where}: column {name!r} must be 1-D numbers or strings, or images "
                         f"[N, C, H, W] / [N, H, W], got shape {array.shape} dtype {array.dtype}.")
    values = array.astype(np.float64)
    return "number", [float(v) if math.isfinite(v) else None for v in values.tolist()]


def log_table(run: Recorder, tag: str, columns: Any, step: int | None = None) -> None:
    """Record a table: ``{"column": 1-D numbers / strings, or images [N, ...]}`` (N rows)."""
    where = "log_table()"
    check_tag(tag, where=where)
    step_value = run.resolve_step(step, where=where)
    if not isinstance(columns, Mapping) or not columns:
        raise TypeError(f"{where}: 'columns' must be a non-empty dict column name -> values, "
                        f"got {describe(columns)}.")
    names: list[str] = []
    types: dict[str, str] = {}
    data: dict[str, Any] = {}
    offsets: dict[str, list[int]] = {}
    blobs: list[bytes] = []
    position = 0
    rows: int | None = None
    for key, value in columns.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{where}: column names must be non-empty strings, got "
                            f"{describe(key)}.")
        kind, values = _table_column(key, value, where)
        count = len(values)
        if rows is None:
            rows = count
        if count != rows:
            raise ValueError(f"{where}: column {key!r} has {count} rows, the first column has "
                             f"{rows}; every column needs the same length.")
        if count > MAX_TABLE_ROWS:
            raise ValueError(f"{where}: {count} rows is more than {MAX_TABLE_ROWS}; log a "
                             "sample of the rows.")
        names.append(key)
        types[key] = kind
        if kind == "image":
            cell_offsets = []
            for pixels in values:
                encoded, _ = encode_image(pixels)
                cell_offsets.append(position)
                blobs.append(encoded)
                position += len(encoded)
            cell_offsets.append(position)
            offsets[key] = cell_offsets
        else:
            data[key] = values
    extra = {"columns": names, "types": types, "data": data, "image_offsets": offsets,
             "rows": int(rows or 0)}
    array = np.frombuffer(b"".join(blobs), dtype=np.uint8).copy()
    run.log_tensor("table", tag, array, step_value, extra)
