"""TensorBoard event files at the wire level: TFRecord framing, CRC32C, protobuf decoding.

nbviz reads TensorBoard logs without the ``tensorboard`` or ``protobuf`` packages.
This module knows just enough of the protobuf wire format (varints, fixed
32/64-bit fields, length-delimited fields, packed repeated scalars) to decode
the messages TensorBoard writes: ``Event``, ``Summary``, ``Summary.Value``,
``HistogramProto``, ``TensorProto``, ``Summary.Image``/``Audio``, the plugin
data of the PR-curve, text, hparams, custom-scalar and mesh plugins, and
``GraphDef``. Unknown fields (a newer TensorBoard) are skipped by wire type,
as protobuf itself does.

TFRecord framing (one record per event)::

    uint64 length | uint32 masked_crc32c(length) | bytes data[length] | uint32 masked_crc32c(data)

CRCs are checked for every record with a vectorised CRC32C (numpy, table
driven, many records in parallel; long records split into chunks whose CRCs
are combined with a precomputed "shift by L zero bytes" operator).

>>> masked_crc32c(b"123456789") == mask_crc(0xE3069283)
True
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CRC_TABLE", "DecodeError", "Framing", "ProtoFields", "crc32c", "crc32c_many", "decode_varint",
    "fields", "frame_records", "mask_crc", "masked_crc32c", "packed_varints", "parse_fields",
]

HEADER_BYTES = 12  # uint64 length + uint32 length CRC
MAX_RECORD_BYTES = 1 << 31  # protobuf messages are < 2 GiB: a longer length is corrupt
FOOTER_BYTES = 4  # uint32 data CRC
_MASK_DELTA = 0xA282EAD8
_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected


class DecodeError(ValueError):
    """A protobuf message or TFRecord frame could not be decoded."""


def _make_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
    return table


CRC_TABLE: np.ndarray = _make_table()
_TABLE_LIST: list[int] = [int(v) for v in CRC_TABLE]


def _shift_tables(nbytes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Byte tables of the linear map "feed ``nbytes`` zero bytes" on a raw CRC state."""
    basis = (np.arange(256, dtype=np.uint32)[None, :]
             << (np.arange(4, dtype=np.uint32) * 8)[:, None]).reshape(-1)
    state = basis.copy()
    for _ in range(nbytes):
        state = CRC_TABLE[state & 0xFF] ^ (state >> 8)
    tables = state.reshape(4, 256)
    return tables[0], tables[1], tables[2], tables[3]


_SHIFT_CACHE: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def mask_crc(crc: int) -> int:
    """TFRecord's CRC masking: rotate right by 15 bits and add a constant."""
    crc &= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def crc32c(data: bytes | bytearray | memoryview) -> int:
    """CRC-32C of ``data`` (table driven; long inputs use the vectorised path).

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    view = memoryview(data).cast("B")
    if len(view) > 256:
        buf = np.frombuffer(view, dtype=np.uint8)
        return int(crc32c_many(buf, np.array([0]), np.array([len(view)]))[0])
    return _crc32c_loop(view.tobytes())


def masked_crc32c(data: bytes | bytearray | memoryview) -> int:
    """The masked CRC-32C TFRecord stores after the length and after the data."""
    return mask_crc(crc32c(data))


def _slice4_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tables = [CRC_TABLE]
    for _ in range(3):
        previous = tables[-1]
        tables.append((previous >> 8) ^ CRC_TABLE[previous & 0xFF])
    return tables[0], tables[1], tables[2], tables[3]


_SLICE4 = _slice4_tables()
_LONG_CHUNK = 1024  # records longer than _SINGLE_MAX are cut into chunks of this size
_SINGLE_MAX = 4096
_SMALL_TOTAL = 16 * 1024  # bytes: below this crc32c_many checks record by record
_INIT_SHIFT: np.ndarray | None = None  # _INIT_SHIFT[f] = 0xFFFFFFFF fed through f zero bytes


def _init_shift() -> np.ndarray:
    global _INIT_SHIFT
    if _INIT_SHIFT is None:
        values = [0xFFFFFFFF]
        table = _TABLE_LIST
        for _ in range(_SINGLE_MAX):
            state = values[-1]
            values.append(table[state & 0xFF] ^ (state >> 8))
        _INIT_SHIFT = np.array(values, dtype=np.uint32)
    return _INIT_SHIFT


def _width(length: np.ndarray) -> np.ndarray:
    """Padded matrix width for a chunk length: multiples of 8 up to 128, then powers of two."""
    small = ((length + 7) // 8) * 8
    big = np.left_shift(1, np.ceil(np.log2(np.maximum(length, 1))).astype(np.int64))
    return np.maximum(np.where(length <= 128, small, big), 8)


def _raw_crcs(padded: np.ndarray, pad: int, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Zero-initialised raw CRC (no final xor) of each chunk: linear, so left zero padding is free.

    Chunks of similar length are stacked right-aligned into a zero-padded byte matrix and
    processed four bytes (one little-endian word) per numpy step (slicing-by-4 tables).
    """
    out = np.zeros(starts.shape[0], dtype=np.uint32)
    if starts.size == 0:
        return out
    widths = _width(lengths)
    t0, t1, t2, t3 = _SLICE4
    for width in np.unique(widths):
        w = int(width)
        members = np.flatnonzero(widths == width)
        windows = np.lib.stride_tricks.sliding_window_view(padded, w)
        rows_per_block = max(1, (4 << 20) // w)
        column = np.arange(w)
        for first in range(0, members.size, rows_per_block):
            index = members[first : first + rows_per_block]
            length = lengths[index]
            matrix = windows[starts[index] + length + pad - w]  # right-aligned rows (a copy)
            matrix[column[None, :] < (w - length)[:, None]] = 0
            words = matrix.view("<u4").T.copy()  # (w / 4) rows of one word per chunk
            crc = np.zeros(index.size, dtype=np.uint32)
            for word in words:
                x = crc ^ word
                crc = t3[x & 0xFF] ^ t2[(x >> 8) & 0xFF] ^ t1[(x >> 16) & 0xFF] ^ t0[x >> 24]
            out[index] = crc
    return out


def _slice8_lists() -> tuple[list[int], ...]:
    tables = [_TABLE_LIST]
    for _ in range(7):
        tables.append([(v >> 8) ^ _TABLE_LIST[v & 0xFF] for v in tables[-1]])
    return tuple(tables)


_SLICE8_LISTS = _slice8_lists()
_WORD_PAIRS = struct.Struct("<II").iter_unpack


def _crc32c_loop(data: bytes) -> int:
    """CRC-32C in plain Python, eight bytes per step (slicing-by-8: ~2x a byte loop)."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _SLICE8_LISTS
    crc = 0xFFFFFFFF
    whole = len(data) & ~7
    for low, high in _WORD_PAIRS(data[:whole]):
        x = crc ^ low
        crc = (t7[x & 0xFF] ^ t6[(x >> 8) & 0xFF] ^ t5[(x >> 16) & 0xFF] ^ t4[x >> 24]
               ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF] ^ t1[(high >> 16) & 0xFF]
               ^ t0[high >> 24])
    for byte in data[whole:]:
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_many(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC-32C of ``buf[starts[i] : starts[i] + lengths[i]]`` for every i, vectorised.

    The CRC register update is linear over GF(2), so each record's CRC is the
    zero-initialised ("raw") CRC of its bytes xor the initial value fed through
    as many zero bytes. Raw CRCs of many records are computed at once (see
    :func:`_raw_crcs`); records longer than 4 KiB are cut into 1 KiB chunks whose
    raw CRCs are combined with the "feed 1 KiB of zero bytes" operator
    (``state = shift(state) ^ crc(chunk)``), so the Python loops run a bounded
    number of times whatever the number and size of the records.
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    count = starts.shape[0]
    if count == 0:
        return np.zeros(0, dtype=np.uint32)
    if np.any(lengths < 0) or np.any(starts < 0) or np.any(starts + lengths > buf.shape[0]):
        raise ValueError("crc32c_many(): a record lies outside the buffer")
    if int(lengths.sum()) <= _SMALL_TOTAL:  # few bytes (a small event file): numpy's
        # per-call overhead would dominate; a byte loop is ~10x faster here
        data = np.asarray(buf, dtype=np.uint8)
        return np.array([_crc32c_loop(data[s:s + n].tobytes())
                         for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)],
                        dtype=np.uint32)
    if int(lengths.max()) <= _SINGLE_MAX:  # common case: one chunk per record
        pad = int(_width(np.array([int(lengths.max())]))[0])
        padded = np.concatenate([np.zeros(pad, dtype=np.uint8), np.asarray(buf, dtype=np.uint8)])
        raw = _raw_crcs(padded, pad, starts, lengths)
        return np.asarray(raw ^ _init_shift()[lengths] ^ np.uint32(0xFFFFFFFF), dtype=np.uint32)
    long = lengths > _SINGLE_MAX
    nchunks = np.where(long, (lengths + _LONG_CHUNK - 1) // _LONG_CHUNK, 1)
    first_len = np.where(long, lengths - (nchunks - 1) * _LONG_CHUNK, lengths)
    total = int(nchunks.sum())
    chunk0 = np.cumsum(nchunks) - nchunks  # index of each record's first chunk
    record_of = np.repeat(np.arange(count), nchunks)
    chunk_index = np.arange(total) - chunk0[record_of]
    is_first = chunk_index == 0
    c_len = np.where(is_first, first_len[record_of], _LONG_CHUNK)
    c_start = starts[record_of] + np.where(
        is_first, 0, first_len[record_of] + (chunk_index - 1) * _LONG_CHUNK)
    pad = int(_width(np.array([int(c_len.max())]))[0])
    padded = np.concatenate([np.zeros(pad, dtype=np.uint8), np.asarray(buf, dtype=np.uint8)])
    raw = _raw_crcs(padded, pad, c_start, c_len)
    state = raw[chunk0] ^ _init_shift()[first_len]
    max_chunks = int(nchunks.max())
    if max_chunks > 1:
        if _LONG_CHUNK not in _SHIFT_CACHE:
            _SHIFT_CACHE[_LONG_CHUNK] = _shift_tables(_LONG_CHUNK)
        t0, t1, t2, t3 = _SHIFT_CACHE[_LONG_CHUNK]
        multi = np.flatnonzero(nchunks > 1)
        order = multi[np.argsort(-nchunks[multi], kind="stable")]
        sorted_chunks = nchunks[order]
        s = state[order]
        first = chunk0[order]
        for k in range(1, max_chunks):
            n = int(np.searchsorted(-sorted_chunks, -(k + 1), side="right"))
            head = s[:n]
            s[:n] = (t0[head & 0xFF] ^ t1[(head >> 8) & 0xFF] ^ t2[(head >> 16) & 0xFF]
                     ^ t3[head >> 24] ^ raw[first[:n] + k])
        state[order] = s
    return np.asarray(state ^ np.uint32(0xFFFFFFFF), dtype=np.uint32)


def _mask_many(crc: np.ndarray) -> np.ndarray:
    crc = crc.astype(np.uint32)
    return (((crc >> 15) | (crc << 17)) + np.uint32(_MASK_DELTA)).astype(np.uint32)


# -- TFRecord framing -------------------------------------------------------------------------


@dataclass
class Framing:
    """Result of framing a byte buffer into TFRecords.

    ``starts``/``lengths`` locate the data of every record whose CRCs are valid;
    ``consumed`` is where the next read must start (a truncated last record is left
    for the next poll); ``problems`` lists (offset, reason) of skipped bytes.
    """

    starts: np.ndarray
    lengths: np.ndarray
    consumed: int
    problems: list[tuple[int, str]] = field(default_factory=list)


_U64 = struct.Struct("<Q")


def _walk(data: bytes, offset: int, end: int) -> tuple[list[int], int]:
    """Header offsets of consecutive records from ``offset`` (trusting the lengths)."""
    headers: list[int] = []
    append = headers.append
    unpack = _U64.unpack_from
    limit = end - HEADER_BYTES
    while offset <= limit:
        length = unpack(data, offset)[0]
        stop = offset + HEADER_BYTES + length + FOOTER_BYTES
        if stop > end:
            break
        append(offset)
        offset = stop
    return headers, offset


def _header_ok(buf: np.ndarray, headers: np.ndarray) -> np.ndarray:
    if headers.size == 0:
        return np.zeros(0, dtype=bool)
    crc = _mask_many(crc32c_many(buf, headers, np.full(headers.shape, 8, np.int64)))
    idx = headers[:, None] + np.arange(8, 12)
    stored = buf[idx].copy().view("<u4").reshape(-1)
    return np.asarray(crc == stored)


def _resync(buf: np.ndarray, begin: int, end: int, *, complete: bool = False) -> int | None:
    """First offset >= begin where a valid record header starts (None: none complete yet);
    ``complete``: only a whole record with a valid data CRC counts."""
    window = 1 << 16
    position = begin
    while position + HEADER_BYTES <= end:
        stop = min(end - HEADER_BYTES, position + window)
        candidates = np.arange(position, stop + 1, dtype=np.int64)
        good = np.flatnonzero(_header_ok(buf, candidates))
        for index in good:
            candidate = int(candidates[index])
            length = int(buf[candidate : candidate + 8].copy().view("<u8")[0])
            if candidate + HEADER_BYTES + length + FOOTER_BYTES > end:
                if length <= MAX_RECORD_BYTES and not complete:
                    return candidate  # plausible record still being written
                continue
            data_crc = _mask_many(crc32c_many(buf, np.array([candidate + HEADER_BYTES]),
                                              np.array([length])))[0]
            stored = int(buf[candidate + HEADER_BYTES + length:
                             candidate + HEADER_BYTES + length + 4].copy().view("<u4")[0])
            if int(data_crc) == stored:
                return candidate
        position = stop + 1
    return None


_U32 = struct.Struct("<I")


def _masked_crc_at(data: bytes, first: int, count: int) -> int:
    return mask_crc(_crc32c_loop(data[first:first + count]))


def _frame_small(data: bytes, offset: int) -> Framing | None:
    """:func:`frame_records` of a few KiB of whole, intact records, in plain Python (a
    sweep's event files hold a handful of events: numpy's per-call cost would dominate).
    None when anything is off — a bad CRC, a record cut short — for the general path."""
    headers, stop = _walk(data, offset, len(data))
    if stop != len(data):
        return None
    lengths = [_U64.unpack_from(data, header)[0] for header in headers]
    for header, length in zip(headers, lengths, strict=True):
        start = header + HEADER_BYTES
        if (_masked_crc_at(data, header, 8) != _U32.unpack_from(data, header + 8)[0]
                or _masked_crc_at(data, start, length)
                != _U32.unpack_from(data, start + length)[0]):
            return None
    return Framing(np.array(headers, dtype=np.int64) + HEADER_BYTES,
                   np.array(lengths, dtype=np.int64), stop)


def frame_records(data: bytes, offset: int = 0, *, final: bool = False) -> Framing:
    """Frame ``data[offset:]`` into TFRecords, checking both CRCs of every record.

    A record cut short at the end of ``data`` (a writer still running) is not an
    error: ``consumed`` stops before it so the next poll reads it whole, unless
    ``final`` is true (then it is reported). A record whose data CRC is wrong is
    skipped and reported; a header whose length CRC is wrong is skipped by
    searching forward for the next valid header.

    >>> import struct
    >>> payload = b"hello"
    >>> header = struct.pack("<Q", len(payload))
    >>> record = (header + struct.pack("<I", masked_crc32c(header)) + payload
    ...           + struct.pack("<I", masked_crc32c(payload)))
    >>> framing = frame_records(record)
    >>> int(framing.starts[0]), int(framing.lengths[0]), framing.consumed
    (12, 5, 21)
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"frame_records(): 'data' must be bytes, got {type(data).__name__}.")
    if not 0 <= offset <= len(data):
        raise ValueError(f"frame_records(): 'offset' {offset} is outside the {len(data)} bytes "
                         "of 'data'.")
    data = bytes(data)
    end = len(data)
    if end - offset <= _SMALL_TOTAL:
        clean = _frame_small(data, offset)
        if clean is not None:
            return clean
    buf = np.frombuffer(data, dtype=np.uint8)
    problems: list[tuple[int, str]] = []
    all_headers: list[np.ndarray] = []
    position = offset
    while True:
        headers_list, stop = _walk(data, position, end)
        headers = np.asarray(headers_list, dtype=np.int64)
        ok = _header_ok(buf, headers)
        bad = np.flatnonzero(~ok)
        if bad.size:
            first_bad = int(headers[bad[0]])
            all_headers.append(headers[: bad[0]])
            resume = _resync(buf, first_bad + 1, end)
            if resume is None:
                problems.append((first_bad, f"corrupt record header (length CRC mismatch); "
                                            f"skipped {end - first_bad} byte(s) to the end"))
                position = end
                break
            problems.append((first_bad, f"corrupt record header (length CRC mismatch); "
                                        f"skipped {resume - first_bad} byte(s)"))
            position = resume
            continue
        all_headers.append(headers)
        position = stop
        if position >= end:
            break
        # Not enough bytes for the record at `position`: wait for it, unless its header is
        # bad, or whole records follow it (a writer appends in order, so its length lies).
        if end - position < HEADER_BYTES:
            break
        claimed = _U64.unpack_from(data, position)[0]
        header_bad = (not _header_ok(buf, np.array([position], dtype=np.int64))[0]
                      or claimed > MAX_RECORD_BYTES)
        later = None if header_bad else _resync(buf, position + HEADER_BYTES, end,
                                                complete=True)
        if header_bad or later is not None:
            resume = later if later is not None else _resync(buf, position + 1, end)
            skipped_to = end if resume is None else resume
            reason = ("corrupt record header (length CRC mismatch)" if header_bad else
                      f"record header claims {claimed} byte(s), more than the file holds, "
                      "yet whole records follow it (corrupt length)")
            problems.append((position, f"{reason}; skipped {skipped_to - position} byte(s)"))
            position = skipped_to
            if resume is None:
                break
            continue
        break
    if final and position < end:
        problems.append((position, f"truncated record at the end of the file "
                                   f"({end - position} byte(s))"))
        position = end
    headers = np.concatenate(all_headers) if all_headers else np.zeros(0, np.int64)
    if headers.size == 0:
        return Framing(np.zeros(0, np.int64), np.zeros(0, np.int64), position, problems)
    lengths = buf[headers[:, None] + np.arange(8)].copy().view("<u8").reshape(-1).astype(np.int64)
    starts = headers + HEADER_BYTES
    crc = _mask_many(crc32c_many(buf, starts, lengths))
    stored = buf[(starts + lengths)[:, None] + np.arange(4)].copy().view("<u4").reshape(-1)
    valid = crc == stored
    if not valid.all():
        for index in np.flatnonzero(~valid)[:100]:
            problems.append((int(headers[index]), "record data CRC mismatch; record skipped"))
        extra = int((~valid).sum()) - 100
        if extra > 0:
            problems.append((int(headers[np.flatnonzero(~valid)[100]]),
                             f"{extra} more record(s) with a data CRC mismatch skipped"))
        starts, lengths = starts[valid], lengths[valid]
    return Framing(starts, lengths, position, problems)


# -- protobuf wire format ------------------------------------------------------------------------


def decode_varint(data: bytes | memoryview, position: int, end: int) -> tuple[int, int]:
    """Decode one varint at ``position``; returns (value, next position)."""
    result = 0
    shift = 0
    while True:
        if position >= end:
            raise DecodeError("truncated varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, position
        shift += 7
        if shift >= 70:
            raise DecodeError("varint longer than 10 bytes")


def fields(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, Any]]:
    """Yield (field number, wire type, value) of the message in ``data[start:end]``.

    Values: int for varints (wire type 0); ``bytes`` of 8 / 4 bytes for fixed64 /
    fixed32 (wire types 1 / 5); a (start, end) tuple for length-delimited fields
    (wire type 2), so nested messages are decoded without copying.

    >>> list(fields(bytes.fromhex("0896011203616263"), 0, 8))
    [(1, 0, 150), (2, 2, (5, 8))]
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"fields(): 'data' must be bytes, got {type(data).__name__}.")
    if not 0 <= start <= end <= len(data):
        raise ValueError(f"fields(): [start, end) = [{start}, {end}) is outside the "
                         f"{len(data)} bytes of 'data'.")
    position = start
    while position < end:
        key, position = decode_varint(data, position, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise DecodeError("field number 0")
        if wire == 0:
            value, position = decode_varint(data, position, end)
            yield number, 0, value
        elif wire == 2:
            length, position = decode_varint(data, position, end)
            stop = position + length
            if stop > end:
                raise DecodeError("length-delimited field runs past the end of its message")
            yield number, 2, (position, stop)
            position = stop
        elif wire == 1:
            if position + 8 > end:
                raise DecodeError("truncated fixed64 field")
            yield number, 1, data[position : position + 8]
            position += 8
        elif wire == 5:
            if position + 4 > end:
                raise DecodeError("truncated fixed32 field")
            yield number, 5, data[position : position + 4]
            position += 4
        else:
            raise DecodeError(f"unsupported wire type {wire} (field {number})")


ProtoFields = dict[int, list[tuple[int, Any]]]


def parse_fields(data: bytes, start: int, end: int) -> ProtoFields:
    """All fields of a message, grouped by number: {number: [(wire type, value), …]}.

    >>> parse_fields(bytes.fromhex("08010802"), 0, 4)
    {1: [(0, 1), (0, 2)]}
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_fields(): 'data' must be bytes, got {type(data).__name__}.")
    if not 0 <= start <= end <= len(data):
        raise ValueError(f"parse_fields(): [start, end) = [{start}, {end}) is outside the "
                         f"{len(data)} bytes of 'data'.")
    # The loop of :func:`fields`, inlined (no generator, one-byte varints read in place):
    # decoding small messages is the per-event cost of every event file.
    out: ProtoFields = {}
    position = start
    while position < end:
        key = data[position]
        if key < 0x80:
            position += 1
        else:
            key, position = decode_varint(data, position, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise DecodeError("field number 0")
        value: Any
        if wire == 2:
            if position >= end:
                raise DecodeError("truncated varint")
            length = data[position]
            if length < 0x80:
                position += 1
            else:
                length, position = decode_varint(data, position, end)
            stop = position + length
            if stop > end:
                raise DecodeError("length-delimited field runs past the end of its message")
            value = (position, stop)
            position = stop
        elif wire == 0:
            value, position = decode_varint(data, position, end)
        elif wire == 1:
            if position + 8 > end:
                raise DecodeError("truncated fixed64 field")
            value = data[position : position + 8]
            position += 8
        elif wire == 5:
            if position + 4 > end:
                raise DecodeError("truncated fixed32 field")
            value = data[position : position + 4]
            position += 4
        else:
            raise DecodeError(f"unsupported wire type {wire} (field {number})")
        entries = out.get(number)
        if entries is None:
            out[number] = [(wire, value)]
        else:
            entries.append((wire, value))
    return out


def as_int64(value: int) -> int:
    """A varint read as a (two's complement) signed 64-bit integer."""
    return value - (1 << 64) if value >= 1 << 63 else value


def get_int(msg: ProtoFields, number: int, default: int = 0, signed: bool = True) -> int:
    """Last varint value of field ``number`` (proto3: last one wins)."""
    entries = msg.get(number)
    if not entries:
        return default
    wire, value = entries[-1]
    if wire != 0:
        raise DecodeError(f"field {number}: expected a varint, got wire type {wire}")
    return as_int64(value) if signed else int(value)


def get_double(msg: ProtoFields, number: int, default: float = 0.0) -> float:
    entries = msg.get(number)
    if not entries:
        return default
    wire, value = entries[-1]
    if wire == 1:
        return float(struct.unpack("<d", value)[0])
    if wire == 5:
        return float(struct.unpack("<f", value)[0])
    raise DecodeError(f"field {number}: expected a double, got wire type {wire}")


def get_float(msg: ProtoFields, number: int, default: float = 0.0) -> float:
    return get_double(msg, number, default)


def get_bytes(data: bytes, msg: ProtoFields, number: int, default: bytes = b"") -> bytes:
    entries = msg.get(number)
    if not entries:
        return default
    wire, value = entries[-1]
    if wire != 2:
        raise DecodeError(f"field {number}: expected bytes, got wire type {wire}")
    return data[value[0] : value[1]]


def get_span(msg: ProtoFields, number: int) -> tuple[int, int] | None:
    """(start, end) of the last length-delimited field ``number`` (a nested message)."""
    entries = msg.get(number)
    if not entries:
        return None
    wire, value = entries[-1]
    if wire != 2:
        raise DecodeError(f"field {number}: expected a message, got wire type {wire}")
    return (int(value[0]), int(value[1]))


def get_spans(msg: ProtoFields, number: int) -> list[tuple[int, int]]:
    """Spans of every occurrence of a repeated message / bytes field."""
    spans = []
    for wire, value in msg.get(number, []):
        if wire != 2:
            raise DecodeError(f"field {number}: expected a message, got wire type {wire}")
        spans.append((int(value[0]), int(value[1])))
    return spans


def get_string(data: bytes, msg: ProtoFields, number: int, default: str = "",
               errors: str = "strict") -> str:
    raw = get_bytes(data, msg, number, default.encode())
    return raw.decode("utf-8", errors=errors)


_FIXED_DTYPES = {"double": ("<f8", 1), "float": ("<f4", 5), "fixed64": ("<u8", 1),
                 "fixed32": ("<u4", 5)}


def get_packed(data: bytes, msg: ProtoFields, number: int, kind: str) -> np.ndarray:
    """A repeated numeric field, packed or not, as a numpy array.

    ``kind``: "double", "float" (fixed width), "int32", "int64", "uint32", "uint64",
    "sint64", "bool" (varints).
    """
    entries = msg.get(number, [])
    if kind in _FIXED_DTYPES:
        dtype, wire_single = _FIXED_DTYPES[kind]
        parts: list[np.ndarray] = []
        for wire, value in entries:
            if wire == 2:
                raw = data[value[0] : value[1]]
                width = np.dtype(dtype).itemsize
                if len(raw) % width:
                    raise DecodeError(f"field {number}: packed {kind} length {len(raw)} "
                                      f"is not a multiple of {width}")
                parts.append(np.frombuffer(raw, dtype=dtype))
            elif wire == wire_single:
                parts.append(np.frombuffer(value, dtype=dtype))
            else:
                raise DecodeError(f"field {number}: unexpected wire type {wire} for {kind}")
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
    chunks: list[np.ndarray] = []
    for wire, value in entries:
        if wire == 2:
            chunks.append(packed_varints(data[value[0] : value[1]]))
        elif wire == 0:
            chunks.append(np.array([value], dtype=np.uint64))
        else:
            raise DecodeError(f"field {number}: unexpected wire type {wire} for {kind}")
    varints: np.ndarray = (np.concatenate(chunks) if chunks
                           else np.zeros(0, dtype=np.uint64))
    if kind == "bool":
        return np.asarray(varints != 0)
    if kind == "sint64":
        halves = (varints >> np.uint64(1)).view(np.int64)
        return np.asarray(halves ^ -(varints & np.uint64(1)).view(np.int64))
    if kind in ("uint32", "uint64"):
        return varints.astype(np.uint64 if kind == "uint64" else np.uint32)
    signed = varints.view(np.int64)  # two's complement, as protobuf encodes negative ints
    return signed if kind == "int64" else signed.astype(np.int32)


def packed_varints(raw: bytes) -> np.ndarray:
    """Decode a packed run of varints at once (numpy): uint64 values.

    >>> packed_varints(bytes([1, 0x96, 0x01, 0x7F])).tolist()
    [1, 150, 127]
    """
    byte = np.frombuffer(raw, dtype=np.uint8)
    if byte.size == 0:
        return np.zeros(0, dtype=np.uint64)
    ends = np.flatnonzero(byte < 0x80)
    if ends.size == 0 or ends[-1] != byte.size - 1:
        raise DecodeError("truncated packed varint field")
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts + 1
    if lengths.max() > 10:
        raise DecodeError("varint longer than 10 bytes")
    position = np.arange(byte.size) - np.repeat(starts, lengths)
    payload = (byte & 0x7F).astype(np.uint64) << (7 * position).astype(np.uint64)
    return np.asarray(np.bitwise_or.reduceat(payload, starts), dtype=np.uint64)
