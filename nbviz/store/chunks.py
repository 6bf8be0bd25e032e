"""Columnar scalar chunks: one tag's values of one flush as four compact arrays.

A chunk holds, for one tag, the ``seq`` (log position), step, wall time and value of
every value of that tag committed by one flush. Each column is one blob whose first
byte names its codec:

* integer columns (seq offsets, steps): ``L`` — an arithmetic sequence, stored as
  (first, stride) in 16 bytes whatever the length (the usual case: steps 0, 1, 2 …);
  ``D`` — first value then deltas, byte-shuffled and zlib-compressed;
* float64 columns (values, wall times), lossless: ``X`` — each value's bits XOR the
  previous value's bits, byte-shuffled (all first bytes, then all second bytes …) and
  zlib-compressed (slowly changing series share their high bytes, which become runs
  of zeros: wall times shrink to ~1.3 bytes); ``R`` — raw little-endian float64 when
  compression saves less than a quarter (typical for a loss curve's values: ~6.7 of 8
  bytes, and inflating them would cost more read time than the bytes saved);
* wall-time columns (new chunks; :func:`encode_walls`): ``1`` / ``2`` / ``4`` — the
  first value's bits (8 bytes), then every value's bits minus the first's as a signed
  integer of that many bytes. Lossless, and read by one numpy add (no inflate, no
  running XOR): the bits of times ~1.1e9–2.1e9 s apart by Δ seconds differ by
  Δ / 2**-22, so 4 bytes cover a chunk spanning 8.5 minutes — a flush's worth by far.
  A column whose span does not fit (a run resumed days later within one flush, wall
  times passed by hand) takes ``X`` / ``R`` as before. Every codec stays readable.

Everything is numpy + zlib: no Python object per value, no pickle.

>>> blob = encode_ints(np.arange(5, dtype=np.int64) * 2)
>>> decode_ints(blob, 5).tolist()
[0, 2, 4, 6, 8]
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "EncodedChunk", "TagSummary", "build_chunks", "build_coded_chunks", "chunk_crc",
    "chunk_crcs", "count_groups", "decode_block", "decode_floats", "decode_ints", "decode_many",
    "encode_floats", "encode_ints", "encode_walls", "summarize",
]

_ZLIB_LEVEL = 1  # measured: level 1 compresses these columns within ~5% of level 6, 3x faster
_SAMPLE = 128  # values tried before compressing a whole float column
_I64 = np.dtype("<i8")
_U64 = np.dtype("<u8")
_F64 = np.dtype("<f8")


def _shuffle(words: np.ndarray) -> bytes:
    """Bytes of 8-byte ``words`` grouped by byte position, zlib-compressed."""
    return zlib.compress(np.ascontiguousarray(words.view(np.uint8).reshape(-1, 8).T).tobytes(),
                         _ZLIB_LEVEL)


def _unshuffle(blob: bytes, count: int) -> np.ndarray:
    raw = np.frombuffer(zlib.decompress(blob), dtype=np.uint8)
    if raw.size != 8 * count:
        raise ValueError(f"chunk column holds {raw.size} bytes, expected {8 * count}")
    return np.ascontiguousarray(raw.reshape(8, count).T).view(_U64).reshape(count)


def encode_ints(values: np.ndarray) -> bytes:
    """A compact blob of an int64 column (see the module docstring for the codecs)."""
    values = np.asarray(values, dtype=_I64)
    if values.size == 0:
        return b"L" + struct.pack("<qq", 0, 0)
    deltas = np.diff(values)
    if deltas.size == 0 or bool((deltas == deltas[0]).all()):
        stride = int(deltas[0]) if deltas.size else 0
        return b"L" + struct.pack("<qq", int(values[0]), stride)
    words = np.concatenate([values[:1], deltas]).astype(_I64, copy=False)
    return b"D" + _shuffle(words)


def decode_ints(blob: bytes, count: int) -> np.ndarray:
    """The int64 column of ``count`` values held by ``blob`` (inverse of :func:`encode_ints`)."""
    codec, body = blob[:1], blob[1:]
    if codec == b"L":
        first, stride = struct.unpack("<qq", body)
        return np.arange(count, dtype=np.int64) * int(stride) + int(first)
    if codec == b"D":
        return np.cumsum(_unshuffle(body, count).view(_I64), dtype=np.int64)
    raise ValueError(f"unknown integer chunk codec {codec!r}")


def encode_floats(values: np.ndarray) -> bytes:
    """A lossless compact blob of a float64 column (NaN and ±Inf bit-exact)."""
    bits = np.ascontiguousarray(values, dtype=_F64).view(_U64)
    xored = bits.copy()
    xored[1:] ^= bits[:-1]
    if bits.size > 2 * _SAMPLE and len(_shuffle(xored[:_SAMPLE])) >= 6 * _SAMPLE:
        return b"R" + bits.tobytes()  # a sample shows it would not pay: skip the work
    packed = _shuffle(xored)
    if len(packed) < 6 * bits.size:
        return b"X" + packed
    return b"R" + bits.tobytes()


# Offset codecs of wall-time columns: codec byte -> the dtype of each value's offset
_OFFSETS: dict[int, np.dtype[np.signedinteger[Any]]] = {
    ord("1"): np.dtype("<i1"), ord("2"): np.dtype("<i2"), ord("4"): np.dtype("<i4")}


def encode_walls(values: np.ndarray) -> bytes:
    """A lossless blob of a wall-time column: the narrowest offset codec (``1``, ``2``,
    ``4``: see the module docstring) its span fits, else :func:`encode_floats`.

    >>> walls = 1.7e9 + np.arange(4) * 0.25
    >>> blob = encode_walls(walls)
    >>> blob[:1], len(blob), decode_floats(blob, 4).tolist() == walls.tolist()
    (b'4', 25, True)
    """
    bits = np.ascontiguousarray(values, dtype=_F64).reshape(-1).view(_I64)
    if bits.size:
        offsets = bits - bits[:1]  # wraps modulo 2**64 as the decoder's add does: lossless
        low, high = int(offsets.min()), int(offsets.max())
        for codec, dtype in _OFFSETS.items():
            limits = np.iinfo(dtype)
            if limits.min <= low and high <= limits.max:
                return bytes([codec]) + bits[:1].tobytes() + offsets.astype(dtype).tobytes()
    return encode_floats(values)


def _offset_block(blobs: Sequence[bytes], count: int, dtype: np.dtype) -> np.ndarray:
    """``[len(blobs), count]`` float64 values of offset-coded blobs (one codec)."""
    raw = _raw_bodies(blobs, 8 + dtype.itemsize * count)
    out = np.empty((len(blobs), count), dtype=_I64)
    np.add(raw[:, :8].view(_I64), raw[:, 8:].view(dtype), out=out)  # wraps as encoded
    return out.view(_F64)


def decode_floats(blob: bytes, count: int) -> np.ndarray:
    """The float64 column of ``count`` values held by ``blob``."""
    codec, body = blob[:1], blob[1:]
    if codec and codec[0] in _OFFSETS:
        column: np.ndarray = _offset_block([blob], count, _OFFSETS[codec[0]])[0]
        return column
    if codec == b"X":
        return np.bitwise_xor.accumulate(_unshuffle(body, count)).view(_F64)
    if codec == b"R":
        if len(body) != 8 * count:
            raise ValueError(f"chunk column holds {len(body)} bytes, expected {8 * count}")
        return np.frombuffer(body, dtype=_F64).copy()
    raise ValueError(f"unknown float chunk codec {codec!r}")


def chunk_crc(seqs: bytes, steps: bytes, walls: bytes, values: bytes) -> int:
    """CRC-32 of a chunk's four blobs: a damaged page inside a blob (SQLite does not check
    blob content) is detected instead of read as wrong numbers."""
    return zlib.crc32(values, zlib.crc32(walls, zlib.crc32(steps, zlib.crc32(seqs))))


def chunk_crcs(seqs: Sequence[bytes], steps: Sequence[bytes], walls: Sequence[bytes],
               values: Sequence[bytes]) -> list[int]:
    """:func:`chunk_crc` of many chunks (their four columns), in C loops: no Python frame
    per chunk. Raises TypeError for a column that is not bytes.

    >>> chunk_crcs([b"L"], [b"L"], [b"R"], [b"R"]) == [chunk_crc(b"L", b"L", b"R", b"R")]
    True
    """
    crc32 = zlib.crc32
    return list(map(crc32, values, map(crc32, walls, map(crc32, steps, map(crc32, seqs)))))


@dataclass(frozen=True)
class EncodedChunk:
    """One tag's values of one flush, encoded, with the figures the summary table needs."""

    tag: str
    count: int
    first_seq: int
    last_seq: int
    min_step: int
    max_step: int
    seqs: bytes  # offsets from first_seq
    steps: bytes
    walls: bytes
    values: bytes
    first_step: int
    last_step: int
    min_value: float | None  # over finite values; None when there is none
    max_value: float | None
    last_value: float
    last_wall: float

    @property
    def crc(self) -> int:
        return chunk_crc(self.seqs, self.steps, self.walls, self.values)


def build_chunks(tags: Sequence[str], seqs: np.ndarray, steps: np.ndarray,
                 walls: np.ndarray, values: np.ndarray) -> list[EncodedChunk]:
    """Group rows (seq order) by tag into encoded chunks, in order of first appearance.

    >>> [c.tag for c in build_chunks(["a", "b", "a"], np.arange(3), np.zeros(3, np.int64),
    ...                              np.zeros(3), np.ones(3))]
    ['a', 'b']
    """
    codes, names = pd.factorize(np.array(tags, dtype=object))  # hashed in C, appearance order
    return build_coded_chunks(codes, names.tolist(), seqs, steps, walls, values)


def _periodic_groups(codes: np.ndarray, width: int) -> list[np.ndarray | slice] | None:
    """The rows of each code as strided slices when ``codes`` repeats one ordering of all
    ``width`` codes call after call (every call logging the same dict: the usual case),
    else None. Measured: one comparison pass instead of a stable argsort and a gather
    per tag (dict3 finish, 450 k values: argsort alone 14 ms)."""
    if width == 1:  # one tag: every row, already in seq order
        return [slice(None)]
    if codes.size % width or not codes.size:
        return None
    first = codes[:width]
    if not np.array_equal(np.sort(first), np.arange(width)):
        return None
    if not bool((codes.reshape(-1, width) == first).all()):
        return None
    return [slice(int(start), None, width) for start in np.argsort(first).tolist()]


def build_coded_chunks(codes: np.ndarray, names: Sequence[str], seqs: np.ndarray,
                       steps: np.ndarray, walls: np.ndarray, values: np.ndarray
                       ) -> list[EncodedChunk]:
    """:func:`build_chunks` of rows whose tag is ``names[codes[i]]`` (codes in 0..len(names)-1;
    names every code uses, in the order their chunks are made): no Python object per row.

    >>> [(c.tag, c.count) for c in build_coded_chunks(
    ...     np.array([1, 0, 1]), ["a", "b"], np.arange(3), np.zeros(3, np.int64),
    ...     np.zeros(3), np.ones(3))]
    [('a', 1), ('b', 2)]
    """
    groups = _periodic_groups(codes, len(names))
    if groups is None:
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1)).tolist()
        groups = [order[bounds[code]:bounds[code + 1]] for code in range(len(names))]
    chunks = []
    for tag, rows in zip(names, groups, strict=True):
        chunk_seqs, chunk_steps = seqs[rows], steps[rows]
        if not chunk_seqs.size:
            continue
        chunk_walls, chunk_values = walls[rows], values[rows]
        finite = chunk_values[np.isfinite(chunk_values)]
        chunks.append(EncodedChunk(
            tag=tag, count=int(chunk_seqs.size), first_seq=int(chunk_seqs[0]),
            last_seq=int(chunk_seqs[-1]), min_step=int(chunk_steps.min()),
            max_step=int(chunk_steps.max()),
            seqs=encode_ints(chunk_seqs - chunk_seqs[0]), steps=encode_ints(chunk_steps),
            walls=encode_walls(chunk_walls), values=encode_floats(chunk_values),
            first_step=int(chunk_steps[0]), last_step=int(chunk_steps[-1]),
            min_value=float(finite.min()) if finite.size else None,
            max_value=float(finite.max()) if finite.size else None,
            last_value=float(chunk_values[-1]), last_wall=float(chunk_walls[-1]),
        ))
    return chunks


@dataclass(frozen=True)
class TagSummary:
    """What the summary table keeps per scalar tag (min/max over finite values, else None)."""

    count: int
    first_step: int
    last_step: int
    min_value: float | None
    max_value: float | None
    last_value: float
    last_wall: float
    max_step: int
    last_seq: int

    def merged(self, chunk: EncodedChunk) -> TagSummary:
        """This summary extended by a later ``chunk`` of the same tag."""
        return TagSummary(
            count=self.count + chunk.count, first_step=self.first_step,
            last_step=chunk.last_step,
            min_value=_extreme(min, self.min_value, chunk.min_value),
            max_value=_extreme(max, self.max_value, chunk.max_value),
            last_value=chunk.last_value, last_wall=chunk.last_wall,
            max_step=max(self.max_step, chunk.max_step), last_seq=chunk.last_seq,
        )

    @staticmethod
    def of(chunk: EncodedChunk) -> TagSummary:
        return TagSummary(
            count=chunk.count, first_step=chunk.first_step, last_step=chunk.last_step,
            min_value=chunk.min_value, max_value=chunk.max_value,
            last_value=chunk.last_value, last_wall=chunk.last_wall,
            max_step=chunk.max_step, last_seq=chunk.last_seq,
        )


def _extreme(pick: Callable[[float, float], float], a: float | None, b: float | None
             ) -> float | None:
    if a is None:
        return b
    return a if b is None else pick(a, b)


def summarize(tag_ids: np.ndarray, seqs: np.ndarray, steps: np.ndarray, walls: np.ndarray,
              values: np.ndarray) -> dict[int, TagSummary]:
    """Per-tag summaries of rows in any order (vectorised: one sort, reductions per group).

    >>> s = summarize(np.array([1, 1]), np.array([5, 2]), np.array([9, 3]), np.zeros(2),
    ...               np.array([0.5, np.inf]))
    >>> s[1].count, s[1].first_step, s[1].last_value, s[1].max_value
    (2, 3, 0.5, 0.5)
    """
    if tag_ids.size == 0:
        return {}
    order = np.lexsort((seqs, tag_ids))
    ids, seqs, steps = tag_ids[order], seqs[order], steps[order]
    walls, values = walls[order], values[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], ids.size] - 1
    finite = np.where(np.isfinite(values), values, np.nan)
    with np.errstate(invalid="ignore"):
        lows = np.fmin.reduceat(finite, starts)
        highs = np.fmax.reduceat(finite, starts)
    max_steps = np.maximum.reduceat(steps, starts)
    out = {}
    for index, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        low, high = float(lows[index]), float(highs[index])
        out[int(ids[start])] = TagSummary(
            count=end - start + 1, first_step=int(steps[start]), last_step=int(steps[end]),
            min_value=None if np.isnan(low) else low, max_value=None if np.isnan(high) else high,
            last_value=float(values[end]), last_wall=float(walls[end]),
            max_step=int(max_steps[index]), last_seq=int(seqs[end]),
        )
    return out


# Bytes of blob bodies joined into one bytes object at most (bulk reads decode tiles of
# 2 MB a column; measured: a join and a strided view 40 ms per 10 M float64 values, a copy
# per blob into numpy 58 ms)
_JOINED = 1 << 23


def _raw_bodies(blobs: Sequence[bytes], size: int) -> np.ndarray:
    """``[len(blobs), size]`` bytes: each blob's body (after its codec byte), checked to
    hold exactly ``size`` bytes. The rows may be strided views (their bytes contiguous)."""
    if set(map(len, blobs)) != {size + 1}:
        raise ValueError("a chunk column does not hold as many values as its chunk")
    if len(blobs) * size <= _JOINED:  # one join (in C) and a strided view past the codecs
        return np.ndarray((len(blobs), size), dtype=np.uint8, buffer=b"".join(blobs),
                          offset=1, strides=(size + 1, 1))
    # large: copied into a numpy array (a joined bytes object of ~100 MB costs a page
    # fault per 4 KiB; numpy's buffer is backed by huge pages)
    out = np.empty((len(blobs), size), dtype=np.uint8)
    view = out.reshape(-1).data
    for row, blob in enumerate(blobs):
        view[row * size:(row + 1) * size] = memoryview(blob)[1:]
    return out


def _bodies(blobs: Sequence[bytes], width: int, dtype: np.dtype) -> np.ndarray:
    """``[len(blobs), width]`` words of ``dtype`` (8 bytes): each blob's body (after its
    codec byte), checked to hold exactly ``width`` words."""
    return _raw_bodies(blobs, 8 * width).view(dtype)


_HEADER = itemgetter(slice(1, 3))  # a zlib blob's two header bytes, after the codec byte


def _plain_zlib_header(header: bytes) -> bool:
    """A zlib header (RFC 1950) of deflate with a window of at most 32 KiB, no preset
    dictionary, its check bits right."""
    if len(header) != 2:
        return False
    method, flags = header
    return (method & 0x0F == 8 and method >> 4 <= 7 and not flags & 0x20
            and (method * 256 + flags) % 31 == 0)


def _unshuffled(blobs: Sequence[bytes], count: int) -> np.ndarray:
    """The byte-shuffled, compressed 8-byte words of ``blobs`` (``count`` each), inflated
    and unshuffled together: uint64 ``[len(blobs), count]``. Each blob is inflated
    straight into one numpy buffer (zlib releases the GIL meanwhile)."""
    size = 8 * count
    raw = np.empty((len(blobs), size), dtype=np.uint8)
    view = raw.reshape(-1).data
    inflate = zlib.decompress
    # The deflate stream alone when every zlib header is plain (no preset dictionary, a
    # window zlib's raw mode takes): its Adler-32 trailer goes unchecked — the stored
    # blob's CRC-32 (chunk_crc) has already vouched for every byte.
    raw_deflate = all(_plain_zlib_header(header) for header in set(map(_HEADER, blobs)))
    skip, wbits = (3, -zlib.MAX_WBITS) if raw_deflate else (1, zlib.MAX_WBITS)
    for row, blob in enumerate(blobs):
        body = inflate(memoryview(blob)[skip:], wbits, size)
        if len(body) != size:
            raise ValueError("a chunk column does not hold as many values as its chunk")
        view[row * size:(row + 1) * size] = body
    words = raw.reshape(len(blobs), 8, count)
    return np.ascontiguousarray(words.transpose(0, 2, 1)).view(_U64).reshape(len(blobs), count)


def _decode_codec(codec: int, blobs: Sequence[bytes], count: int, floats: bool) -> np.ndarray:
    """``[len(blobs), count]`` values of blobs that all use ``codec`` (its byte value)."""
    if codec == ord("X") and floats:
        words = _unshuffled(blobs, count)  # a fresh array: accumulate in place
        return np.bitwise_xor.accumulate(words, axis=1, out=words).view(_F64)
    if codec == ord("R") and floats:
        return _bodies(blobs, count, _F64)
    if codec in _OFFSETS and floats:
        return _offset_block(blobs, count, _OFFSETS[codec])
    if codec == ord("L") and not floats:
        pairs = _bodies(blobs, 2, _I64)
        block = pairs[:, 1:] * np.arange(count, dtype=np.int64)
        block += pairs[:, :1]
        return block
    if codec == ord("D") and not floats:
        deltas = _unshuffled(blobs, count).view(_I64)
        return np.cumsum(deltas, axis=1, out=deltas)
    raise ValueError(f"unknown {'float' if floats else 'integer'} chunk codec "
                     f"{bytes([codec])!r}")


def decode_block(blobs: Sequence[bytes], count: int, floats: bool) -> np.ndarray:
    """The columns of chunks of ``count`` values each, as one ``[len(blobs), count]`` array
    (row i: ``decode_floats`` / ``decode_ints`` of ``blobs[i]``), one numpy call per codec.
    The result may be read-only.

    >>> decode_block([encode_ints(np.arange(3)), encode_ints(np.array([7, 1, 4]))], 3,
    ...              floats=False).tolist()
    [[0, 1, 2], [7, 1, 4]]
    """
    if not blobs:
        return np.empty((0, count), dtype=_F64 if floats else _I64)
    if b"" in blobs:
        raise ValueError("an empty chunk column")
    codecs = set(map(itemgetter(0), blobs))
    if len(codecs) == 1:  # the usual case: no regrouping
        return _decode_codec(codecs.pop(), blobs, count, floats)
    out = np.empty((len(blobs), count), dtype=_F64 if floats else _I64)
    for codec in codecs:
        rows = [row for row, blob in enumerate(blobs) if blob[0] == codec]
        out[rows] = _decode_codec(codec, [blobs[row] for row in rows], count, floats)
    return out


def count_groups(counts: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(count, indices of the chunks holding that many values), one entry per distinct
    count (ascending): chunks of one length are decoded as one block.

    >>> [(c, rows.tolist()) for c, rows in count_groups(np.array([4, 2, 4]))]
    [(2, [1]), (4, [0, 2])]
    """
    counts = np.asarray(counts, dtype=np.int64)
    order = np.argsort(counts, kind="stable")
    distinct, starts = np.unique(counts[order], return_index=True)
    bounds = np.r_[starts, order.size]
    return [(int(count), order[bounds[i]:bounds[i + 1]])
            for i, count in enumerate(distinct.tolist())]


def decode_many(blobs: Sequence[bytes], counts: np.ndarray, floats: bool) -> np.ndarray:
    """The columns of many chunks (``counts[i]`` values each), concatenated in order: the
    same as concatenating :func:`decode_floats` / :func:`decode_ints` of each, with one
    numpy call per codec and chunk length instead of several per chunk.

    >>> decode_many([encode_ints(np.arange(3)), encode_ints(np.array([7, 1]))],
    ...             np.array([3, 2]), floats=False).tolist()
    [0, 1, 2, 7, 1]
    """
    counts = np.asarray(counts, dtype=np.int64)
    if (counts < 0).any():
        raise ValueError("a chunk with a negative count")
    starts = np.cumsum(counts) - counts
    out = np.empty(int(counts.sum()), dtype=_F64 if floats else _I64)
    groups = count_groups(counts)
    if len(groups) == 1 and groups[0][0] > 0:  # every chunk as long: already in place
        out.reshape(-1, groups[0][0])[:] = decode_block(blobs, groups[0][0], floats)
        return out
    for count, rows in groups:
        block = decode_block(list(map(blobs.__getitem__, rows.tolist())), count, floats)
        out[starts[rows][:, None] + np.arange(count)] = block
    return out
