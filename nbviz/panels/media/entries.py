"""What the Media panels know of a record without its bytes: one JSON-able *entry* per
stored image / video / audio clip / text / table (the wire's ``entries``), and the bytes
that go to the page on demand (:func:`media_blob`).

>>> entry_meta("text", np.frombuffer(b"hi", np.uint8), {})
{'text': 'hi'}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nbviz.panels.media.codec import is_encoded, split_mask, to_png_bytes

__all__ = ["MAX_TEXT_CHARS", "entry_meta", "media_blob"]

MAX_TEXT_CHARS = 100_000  # text longer than this is cut on the wire (the store keeps all)

_IMAGE_KEYS = ("boxes", "box_labels", "box_scores", "class_names", "labels", "fps", "frames")


def entry_meta(kind: str, array: np.ndarray, extra: dict[str, Any]) -> dict[str, Any]:
    """The JSON metadata of one record the page needs before (or instead of) its bytes."""
    meta: dict[str, Any] = {}
    if kind in ("image", "video"):
        if is_encoded(extra):
            meta.update(width=int(extra["width"]), height=int(extra["height"]),
                        channels=int(extra["channels"]), encoding=extra["encoding"])
        else:
            shape = array.shape[-3:]
            meta.update(height=int(shape[0]), width=int(shape[1]), channels=int(shape[2]))
        meta["has_mask"] = extra.get("mask_offset") is not None
        for key in _IMAGE_KEYS:
            if key in extra:
                meta[key] = extra[key]
        if "labels" in meta and "box_labels" not in meta:  # add_image_with_boxes
            meta["box_labels"] = meta.pop("labels")
    elif kind == "audio":
        rate = float(extra.get("sample_rate", 44100.0))
        count = int(extra["length"]) if is_encoded(extra) else int(array.shape[0])
        meta.update(sample_rate=rate, samples=count)
    elif kind == "text":
        text = np.asarray(array, np.uint8).tobytes().decode("utf-8", "replace")
        meta["text"] = text[:MAX_TEXT_CHARS]
        if len(text) > MAX_TEXT_CHARS:
            meta["truncated"] = len(text)
    elif kind == "table":
        for key in ("columns", "types", "data", "image_offsets", "rows"):
            meta[key] = extra.get(key)
    return meta


def media_blob(kind: str, array: np.ndarray, extra: dict[str, Any]
               ) -> tuple[bytes, str, bytes | None]:
    """(media bytes, MIME type, mask PNG bytes or None) sent to the page for one record."""
    if kind == "table":
        return np.asarray(array, np.uint8).tobytes(), "application/octet-stream", None
    data, mime = to_png_bytes(kind, array, extra)
    mask = None
    if kind == "image" and is_encoded(extra):
        mask_array = split_mask(np.asarray(array, np.uint8), extra)[1]
        mask = None if mask_array is None else mask_array.tobytes()
    return data, mime, mask
