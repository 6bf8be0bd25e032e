"""Embedding records → what the projector panel sends: binary parts with a small header.

A metadata column becomes one of (docs/wire.md, "Projector"):

* ``category`` — int32 codes (-1 = missing) + the category names (JSON, at most
  ``MAX_CATEGORIES``): labels, classes, splits, small integer sets;
* ``number`` — float32 values (NaN = missing): continuous values, coloured with a colormap;
* ``text`` — UTF-8 of the values joined by ``"\\n"``: many distinct strings (names, file
  paths), for hover labels and search.

Nothing per point travels as JSON: every per-point array is a binary part of one buffer
(each part 8-byte aligned), described by a header ``{"parts": [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MAX_CATEGORIES", "Column", "Dataset", "encode_columns", "pack_parts"]

MAX_CATEGORIES = 256
SMALL_INT_CATEGORIES = 64  # numeric columns with at most this many distinct values are classes


@dataclass
class Column:
    """One encoded metadata column."""

    name: str
    kind: str  # "category" | "number" | "text"
    data: np.ndarray  # int32 codes | float32 values | uint8 UTF-8 bytes
    categories: list[str] = field(default_factory=list)

    def header(self) -> dict[str, Any]:
        head: dict[str, Any] = {"role": "column", "name": self.name, "kind": self.kind}
        if self.kind == "category":
            head["categories"] = self.categories
        if self.kind == "number":
            finite = self.data[np.isfinite(self.data)]
            head["min"] = float(finite.min()) if finite.size else None
            head["max"] = float(finite.max()) if finite.size else None
        return head


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _encode(name: str, values: Any, count: int) -> Column:
    import pandas as pd

    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if len(series) != count:  # a store written by hand or an old version: pad / cut
        series = series.reindex(range(count))
    numbers = pd.to_numeric(series, errors="coerce")
    present = series.notna() & (series.astype(str).str.len() > 0)
    if numbers.notna().sum() == present.sum() and present.any():  # every value is a number
        array = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        uniques = np.unique(array[np.isfinite(array)])
        integral = bool(np.all(np.mod(uniques, 1) == 0))
        if uniques.size <= SMALL_INT_CATEGORIES and (integral or uniques.size <= 12):
            codes = np.searchsorted(uniques, array).astype(np.int32)
            codes[~np.isfinite(array)] = -1
            return Column(name, "category", codes, [_format_number(u) for u in uniques])
        return Column(name, "number", array.astype(np.float32))
    text = series.astype(object).where(series.notna(), "").astype(str)
    codes_raw, uniques_raw = pd.factorize(text, sort=True)
    if len(uniques_raw) <= MAX_CATEGORIES:
        categories = [str(u) for u in uniques_raw]
        codes = codes_raw.astype(np.int32)
        if "" in categories:  # missing values: code -1, not a category
            empty = categories.index("")
            codes = np.where(codes == empty, -1, np.where(codes > empty, codes - 1, codes))
            categories.pop(empty)
        return Column(name, "category", codes.astype(np.int32), categories)
    joined = "\n".join(text.str.replace("\n", " ", regex=False).tolist())
    return Column(name, "text", np.frombuffer(joined.encode("utf-8"), dtype=np.uint8))


def encode_columns(extra: dict[str, Any], count: int) -> list[Column]:
    """The metadata of an ``embedding`` record's ``extra`` as encoded columns.

    Reads both layouts the store holds: ``{"metadata": {name: [values]}}`` (with
    ``metadata_header`` giving the order) and ``{"metadata": [labels]}`` (one column,
    named "label").

    >>> [c.kind for c in encode_columns({"metadata": {"y": [0, 1, 1]}}, 3)]
    ['category']
    """
    metadata = extra.get("metadata")
    if metadata is None:
        return []
    if isinstance(metadata, dict):
        header = [h for h in extra.get("metadata_header") or [] if h in metadata]
        names = header + [name for name in metadata if name not in header]
        return [_encode(str(name), metadata[name], count) for name in names]
    if isinstance(metadata, list):
        return [_encode("label", metadata, count)]
    return []


def pack_parts(parts: list[tuple[dict[str, Any], np.ndarray]]) -> tuple[list[dict[str, Any]],
                                                                          bytes]:
    """Concatenate arrays into one little-endian buffer, each part 8-byte aligned.

    Returns the headers (each with ``offset``, ``length`` in bytes and ``dtype``) and the
    buffer.

    >>> heads, buf = pack_parts([({"role": "x"}, np.arange(3, dtype=np.float32))])
    >>> heads[0]["offset"], heads[0]["length"], len(buf)
    (0, 12, 16)
    """
    headers: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    offset = 0
    for head, array in parts:
        data = np.ascontiguousarray(array)
        if data.dtype.byteorder == ">":
            data = data.byteswap().view(data.dtype.newbyteorder("<"))
        raw = data.tobytes()
        pad = (-len(raw)) % 8
        headers.append({**head, "offset": offset, "length": len(raw), "dtype": str(data.dtype)})
        chunks.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    return headers, b"".join(chunks)


@dataclass
class Dataset:
    """One embedding (run, tag, step) as the panel holds it."""

    id: int
    group: int
    run: str
    tag: str
    step: int
    wall_time: float
    vectors: np.ndarray  # float32 [N, D]
    columns: list[Column]
    images: np.ndarray | None = None  # uint8 [N, h, w, 3]
    dropped: int = 0

    @property
    def count(self) -> int:
        return int(self.vectors.shape[0])

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id, "group": self.group, "run": self.run, "tag": self.tag,
            "step": self.step, "wall_time": self.wall_time, "n": self.count,
            "d": int(self.vectors.shape[1]),
            "columns": [{"name": c.name, "kind": c.kind} for c in self.columns],
            "images": self.images is not None, "dropped": self.dropped,
        }

    def data_parts(self, max_image_bytes: int) -> list[tuple[dict[str, Any], np.ndarray]]:
        """Metadata columns and (when within ``max_image_bytes``) thumbnails as parts."""
        parts = [(column.header(), column.data) for column in self.columns]
        if self.images is not None and self.images.nbytes <= max_image_bytes:
            _, height, width, _ = self.images.shape
            parts.append(({"role": "images", "width": int(width), "height": int(height)},
                          self.images.reshape(-1)))
        return parts
