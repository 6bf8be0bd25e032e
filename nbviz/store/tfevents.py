"""Read TensorBoard logdirs (tfevents files) into nbviz records — fast, incremental, forgiving.

A TensorBoard *run* is a directory holding ``*tfevents*`` files (read in name
order); :class:`EventRun` follows one such directory: each :meth:`EventRun.refresh`
reads only the bytes appended since the last call, so a file still being written
is tailed (a record cut short at the end is read on the next refresh).

What is read, and the nbviz record kind it becomes (docs/store.md):

======================================  ====================================================
TensorBoard data                        nbviz
======================================  ====================================================
``simple_value``, ``scalars`` tensors   scalar rows (``tag, step, wall_time, value``)
``histo`` / ``histograms`` tensors      ``histogram`` ``[2, B]`` + min/max/num/sum/sum_squares
``pr_curves`` tensors                   ``pr_curve`` ``[6, T]`` + ``num_thresholds``
``text`` tensors                        ``text`` (UTF-8 bytes; torch's ``/text_summary`` tag
                                        suffix removed)
``image`` (PNG/JPEG; GIF = video)       ``image`` uint8 ``[H, W, C]`` / ``video`` ``[T, H, W, C]``
``audio`` (WAV)                         ``audio`` float32 ``[N]`` / ``[N, C]`` + ``sample_rate``
``hparams`` plugin                      ``hparams`` (hparams dict, metric names)
``mesh`` plugin                         ``mesh`` float32 ``[B, N, 3]`` per component
``graph_def``                           ``graph`` (JSON of the GraphDef's nodes)
``graph_keras_model`` (Keras callback)  ``graph`` (the model's layers, ``format`` "keras")
``graph_run_metadata_graph``            ``graph`` (``trace_export``: the function graphs)
``custom_scalars`` layout               ``custom_scalars`` (the layout as UTF-8 JSON)
``projector_config.pbtxt`` + TSV        ``embedding`` float32 ``[N, D]`` + metadata;
                                        sprite images → ``sprite`` uint8 ``[N, h, w, 3]``
other tensors (``add_tensor``)          ``tensor``
======================================  ====================================================

Nothing here raises on bad data: a corrupt record (CRC mismatch), an
undecodable message, an unknown plugin or a non-UTF-8 tag is skipped or
repaired, and reported as a :class:`Problem` (``EventRun.problems``).

Scalars written by ``torch.utils.tensorboard`` (``simple_value`` events) are
decoded for all records at once with numpy (a template match on the bytes);
everything else goes through a small protobuf decoder
(:mod:`nbviz.store.tfevents_proto`).

>>> run = EventRun(Path("runs/exp1"))                    # doctest: +SKIP
>>> run.refresh(); columns = run.scalars_since(0)[0]     # doctest: +SKIP
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
import math
import os
import re
import struct
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nbviz.store import tfevents_proto as proto
from nbviz.store.discover import discover_runs, is_event_file
from nbviz.store.errors import Problem
from nbviz.store.keras_graph import keras_model_graph
from nbviz.store.kinds import TB_KINDS, TB_PLUGIN_KINDS
from nbviz.store.sqlite import ScalarColumns, TensorRecord

__all__ = [
    "ALL_KINDS", "SESSION_KEY", "EventRun", "Problem", "find_event_runs", "is_event_file",
    "shared_event_run",
]

ALL_KINDS = TB_KINDS  # the record kinds a TensorBoard logdir can hold
READ_BLOCK = 64 << 20  # bytes read per step from an event file
TEXT_SUFFIX = "/text_summary"  # torch's add_text appends this to the tag
# ``extra`` flag of an hparams record whose experiment (``hparams_config``) is not in its own
# run: a session of TensorFlow's layout, one row of its own (torch's add_hparams sub-run
# carries its experiment, and joins its writer's run).
SESSION_KEY = "tb_session"

_MESH_COMPONENTS = {1: "vertices", 2: "faces", 3: "colors"}


def find_event_runs(logdir: Path) -> dict[str, Path]:
    """Map run name -> directory for every directory under ``logdir`` holding event files
    (or a ``projector_config.pbtxt``), sorted by name. Hidden directories are skipped.
    Wanting the nbviz stores too, call :func:`~nbviz.store.discover.discover_runs` (the
    same walk finds both).

    >>> find_event_runs(Path("runs"))  # doctest: +SKIP
    {'exp1': PosixPath('runs/exp1'), 'exp1/loss_train': PosixPath('runs/exp1/loss_train')}
    """
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"find_event_runs(): 'logdir' must be a path, got "
                        f"{type(logdir).__name__}.")
    return discover_runs(logdir).events


# -- decoded pieces ----------------------------------------------------------------------------

_DTYPES: dict[int, tuple[str, str, int]] = {
    # DataType enum -> (numpy dtype, value kind for get_packed, *_val field number)
    1: ("<f4", "float", 5), 2: ("<f8", "double", 6), 3: ("<i4", "int32", 7),
    4: ("|u1", "int32", 7), 5: ("<i2", "int32", 7), 6: ("|i1", "int32", 7),
    9: ("<i8", "int64", 10), 10: ("|b1", "bool", 11), 17: ("<u2", "int32", 7),
    22: ("<u4", "uint32", 16), 23: ("<u8", "uint64", 17),
}
_DT_STRING = 7
_DT_HALF = 19
_DT_BFLOAT16 = 14


def decode_tensor(data: bytes, span: tuple[int, int]) -> np.ndarray | list[bytes]:
    """A ``TensorProto`` as a numpy array (numeric dtypes) or a list of bytes (DT_STRING).

    >>> decode_tensor(bytes.fromhex("0801 2a04 0000c03f"), (0, 8))
    array(1.5, dtype=float32)
    """
    start, end = span
    msg = proto.parse_fields(data, start, end)
    dtype = proto.get_int(msg, 1)
    shape: list[int] = []
    shape_span = proto.get_span(msg, 2)
    if shape_span is not None:
        shape_msg = proto.parse_fields(data, *shape_span)
        for dim_span in proto.get_spans(shape_msg, 2):
            dim = proto.parse_fields(data, *dim_span)
            shape.append(proto.get_int(dim, 1))
    size = int(np.prod(shape)) if shape else 1
    if dtype == _DT_STRING:
        strings = [data[a:b] for a, b in proto.get_spans(msg, 8)]
        return strings
    content = proto.get_bytes(data, msg, 4)
    if dtype in (_DT_HALF, _DT_BFLOAT16):
        if content:
            bits = np.frombuffer(content, dtype="<u2")
        else:
            bits = proto.get_packed(data, msg, 13, "int32").astype(np.uint16)
        array: np.ndarray
        if dtype == _DT_HALF:
            array = bits.view(np.float16)
        else:
            array = (bits.astype(np.uint32) << 16).view(np.float32)
    elif dtype in _DTYPES:
        numpy_dtype, kind, number = _DTYPES[dtype]
        if content:
            array = np.frombuffer(content, dtype=numpy_dtype)
        else:
            array = proto.get_packed(data, msg, number, kind).astype(numpy_dtype)
    else:
        raise proto.DecodeError(f"tensor dtype {dtype} is not supported")
    if shape_span is None and array.size != 1:  # no shape given: a plain list of values
        return array
    if array.size == size:
        return array.reshape(shape)
    if array.size == 1 and size > 1:  # TensorFlow: a single value fills the tensor
        return np.full(shape, array[0], dtype=array.dtype)
    if array.size == 0 and size == 0:
        return array.reshape(shape)
    raise proto.DecodeError(f"tensor has {array.size} value(s) for shape {shape}")


def _google_value(data: bytes, span: tuple[int, int]) -> Any:
    """A ``google.protobuf.Value`` as a plain Python value."""
    msg = proto.parse_fields(data, *span)
    if 2 in msg:
        return proto.get_double(msg, 2)
    if 3 in msg:
        return proto.get_string(data, msg, 3, errors="replace")
    if 4 in msg:
        return bool(proto.get_int(msg, 4))
    if 5 in msg:
        struct_msg = proto.parse_fields(data, *proto.get_span(msg, 5) or (0, 0))
        out: dict[str, Any] = {}
        for entry_span in proto.get_spans(struct_msg, 1):
            entry = proto.parse_fields(data, *entry_span)
            key = proto.get_string(data, entry, 1, errors="replace")
            value_span = proto.get_span(entry, 2)
            out[key] = None if value_span is None else _google_value(data, value_span)
        return out
    if 6 in msg:
        list_msg = proto.parse_fields(data, *proto.get_span(msg, 6) or (0, 0))
        return [_google_value(data, s) for s in proto.get_spans(list_msg, 1)]
    return None


@functools.lru_cache(maxsize=4096)
def _hparam_entry(entry: bytes) -> tuple[str, Any]:
    """One ``map<string, Value>`` entry of a session's hparams, memoised on its bytes: in a
    sweep most entries (a categorical, a bool, a grid value) repeat from trial to trial."""
    msg = proto.parse_fields(entry, 0, len(entry))
    value_span = proto.get_span(msg, 2)
    return (proto.get_string(entry, msg, 1, errors="replace"),
            None if value_span is None else _google_value(entry, value_span))


def decode_hparams_plugin(content: bytes) -> dict[str, Any]:
    """``HParamsPluginData`` → dict with any of "experiment", "session_start_info",
    "session_end_info".

    >>> decode_hparams_plugin(b"")
    {}
    """
    msg = proto.parse_fields(content, 0, len(content))
    out: dict[str, Any] = {}
    experiment = proto.get_span(msg, 2)
    if experiment is not None:
        exp = proto.parse_fields(content, *experiment)
        hparam_infos = []
        for info_span in proto.get_spans(exp, 4):
            info = proto.parse_fields(content, *info_span)
            item: dict[str, Any] = {"name": proto.get_string(content, info, 1, errors="replace"),
                                    "type": proto.get_int(info, 4)}
            discrete = proto.get_span(info, 5)
            if discrete is not None:
                values = proto.parse_fields(content, *discrete)
                item["domain_discrete"] = [_google_value(content, s)
                                           for s in proto.get_spans(values, 1)]
            interval = proto.get_span(info, 6)
            if interval is not None:
                bounds = proto.parse_fields(content, *interval)
                item["domain_interval"] = [proto.get_double(bounds, 1),
                                           proto.get_double(bounds, 2)]
            hparam_infos.append(item)
        metric_names = []
        for info_span in proto.get_spans(exp, 5):
            info = proto.parse_fields(content, *info_span)
            name_span = proto.get_span(info, 1)
            if name_span is None:
                continue
            name = proto.parse_fields(content, *name_span)
            group = proto.get_string(content, name, 1, errors="replace")
            tag = proto.get_string(content, name, 2, errors="replace")
            metric_names.append(f"{group}/{tag}" if group else tag)
        out["experiment"] = {"hparam_infos": hparam_infos, "metric_names": metric_names}
    start = proto.get_span(msg, 3)
    if start is not None:
        ssi = proto.parse_fields(content, *start)
        hparams: dict[str, Any] = {}
        for entry_start, entry_stop in proto.get_spans(ssi, 1):
            key, value = _hparam_entry(content[entry_start:entry_stop])
            hparams[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        out["session_start_info"] = {
            "hparams": hparams,
            "group_name": proto.get_string(content, ssi, 4, errors="replace"),
            "start_time_secs": proto.get_double(ssi, 5),
        }
    end = proto.get_span(msg, 4)
    if end is not None:
        sei = proto.parse_fields(content, *end)
        out["session_end_info"] = {"status": proto.get_int(sei, 1)}
    return out


@functools.lru_cache(maxsize=128)
def _decode_hparams_shared(content: bytes) -> dict[str, Any]:
    """:func:`decode_hparams_plugin`, memoised on the bytes: a sweep written by torch's
    ``add_hparams`` repeats the same experiment and session-end summaries in every trial's
    run, decoded once here. Callers treat the result as read-only."""
    return decode_hparams_plugin(content)


def decode_custom_scalars_layout(data: bytes) -> dict[str, dict[str, list[Any]]]:
    """A custom-scalars ``Layout`` in ``SummaryWriter.add_custom_scalars``'s dict form.

    >>> decode_custom_scalars_layout(b"")
    {}
    """
    msg = proto.parse_fields(data, 0, len(data))
    layout: dict[str, dict[str, list[Any]]] = {}
    for category_span in proto.get_spans(msg, 2):
        category = proto.parse_fields(data, *category_span)
        title = proto.get_string(data, category, 1, errors="replace")
        charts = layout.setdefault(title, {})
        for chart_span in proto.get_spans(category, 2):
            chart = proto.parse_fields(data, *chart_span)
            chart_title = proto.get_string(data, chart, 1, errors="replace")
            multiline = proto.get_span(chart, 2)
            margin = proto.get_span(chart, 3)
            if margin is not None:
                margin_msg = proto.parse_fields(data, *margin)
                series = [proto.parse_fields(data, *s) for s in proto.get_spans(margin_msg, 1)]
                tags = [proto.get_string(data, s, n, errors="replace")
                        for s in series[:1] for n in (1, 2, 3)]
                charts[chart_title] = ["Margin", tags]
            else:
                tags = []
                if multiline is not None:
                    line = proto.parse_fields(data, *multiline)
                    tags = [data[a:b].decode("utf-8", "replace")
                            for a, b in proto.get_spans(line, 1)]
                charts[chart_title] = ["Multiline", tags]
    return layout


def _attr_value(data: bytes, span: tuple[int, int]) -> Any:
    msg = proto.parse_fields(data, *span)
    if 2 in msg:
        return proto.get_bytes(data, msg, 2).decode("utf-8", "replace")
    if 3 in msg:
        return proto.get_int(msg, 3)
    if 4 in msg:
        return proto.get_double(msg, 4)
    if 5 in msg:
        return bool(proto.get_int(msg, 5))
    if 6 in msg:
        return {"type": proto.get_int(msg, 6)}
    if 7 in msg:
        return {"shape": _shape(data, proto.get_span(msg, 7))}
    if 1 in msg:
        list_msg = proto.parse_fields(data, *(proto.get_span(msg, 1) or (0, 0)))
        out: dict[str, Any] = {}
        if 2 in list_msg:
            out["s"] = [data[a:b].decode("utf-8", "replace")
                        for a, b in proto.get_spans(list_msg, 2)]
        if 3 in list_msg:
            out["i"] = proto.get_packed(data, list_msg, 3, "int64").tolist()
        if 4 in list_msg:
            out["f"] = proto.get_packed(data, list_msg, 4, "float").tolist()
        if 7 in list_msg:
            out["shape"] = [_shape(data, s) for s in proto.get_spans(list_msg, 7)]
        return {"list": out}
    return None


def _shape(data: bytes, span: tuple[int, int] | None) -> list[int] | None:
    if span is None:
        return None
    msg = proto.parse_fields(data, *span)
    if proto.get_int(msg, 3):
        return None
    return [proto.get_int(proto.parse_fields(data, *d), 1) for d in proto.get_spans(msg, 2)]


def decode_graph_def(data: bytes) -> dict[str, Any]:
    """A ``GraphDef`` as JSON-ready ``{"nodes": [{name, op, inputs, device, attrs}]}``.

    >>> decode_graph_def(b"")
    {'nodes': []}
    """
    msg = proto.parse_fields(data, 0, len(data))
    nodes = []
    for node_span in proto.get_spans(msg, 1):
        node = proto.parse_fields(data, *node_span)
        attrs: dict[str, Any] = {}
        for entry_span in proto.get_spans(node, 5):
            entry = proto.parse_fields(data, *entry_span)
            key = proto.get_string(data, entry, 1, errors="replace")
            value_span = proto.get_span(entry, 2)
            attrs[key] = None if value_span is None else _attr_value(data, value_span)
        nodes.append({
            "name": proto.get_string(data, node, 1, errors="replace"),
            "op": proto.get_string(data, node, 2, errors="replace"),
            "inputs": [data[a:b].decode("utf-8", "replace") for a, b in proto.get_spans(node, 3)],
            "device": proto.get_string(data, node, 4, errors="replace"),
            "attrs": attrs,
        })
    return {"nodes": nodes}


def decode_run_metadata_graph(data: bytes) -> dict[str, Any]:
    """The graph of a ``RunMetadata`` (``tf.summary.trace_export``, plugin
    ``graph_run_metadata_graph``): the ``pre_optimization_graph`` of each function graph,
    merged like TensorBoard's graph plugin (node names prefixed ``graph_<i>/`` when there
    are several), in :func:`decode_graph_def`'s form.

    >>> decode_run_metadata_graph(b"")
    {'nodes': []}
    """
    msg = proto.parse_fields(data, 0, len(data))
    graphs = []
    for function_span in proto.get_spans(msg, 4):  # RunMetadata.function_graphs
        function = proto.parse_fields(data, *function_span)
        graph_span = proto.get_span(function, 2)  # FunctionGraphs.pre_optimization_graph
        if graph_span is not None:
            graphs.append(decode_graph_def(data[graph_span[0] : graph_span[1]]))
    if len(graphs) == 1:
        return graphs[0]
    nodes = []
    for index, graph in enumerate(graphs):
        prefix = f"graph_{index + 1}/"
        for node in graph["nodes"]:
            inputs = [("^" + prefix + i[1:]) if i.startswith("^") else prefix + i
                      for i in node["inputs"]]
            nodes.append({**node, "name": prefix + node["name"], "inputs": inputs})
    return {"nodes": nodes}


def decode_image(encoded: bytes) -> tuple[str, np.ndarray, dict[str, Any]]:
    """Decode PNG/JPEG/GIF bytes with Pillow: ("image", uint8 [H, W, C]) or, for an
    animated GIF (torch's ``add_video``), ("video", uint8 [T, H, W, C]) with ``fps``.

    >>> kind, pixels, extra = decode_image(png_bytes)  # doctest: +SKIP
    >>> kind, pixels.shape, extra                      # doctest: +SKIP
    ('image', (32, 32, 3), {'format': 'png'})
    """
    try:
        from PIL import Image, ImageSequence
    except ImportError as error:  # pragma: no cover - pillow comes with matplotlib
        raise proto.DecodeError("images need the 'pillow' package (pip install pillow)") from error
    try:
        image = Image.open(io.BytesIO(encoded))
        image_format = (image.format or "").lower()
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            duration = float(image.info.get("duration", 0) or 0)
            stack = np.stack([np.asarray(frame.convert("RGB"))
                              for frame in ImageSequence.Iterator(image)])
            extra: dict[str, Any] = {"format": image_format}
            if duration > 0:
                extra["fps"] = 1000.0 / duration
            return "video", stack, extra
        mode = image.mode
        if mode in ("RGB", "RGBA", "L"):
            array = np.asarray(image)
        elif mode in ("LA", "PA") or (mode == "P" and "transparency" in image.info):
            array = np.asarray(image.convert("RGBA"))
        elif mode in ("I;16", "I;16B", "I", "F"):
            array = np.asarray(image.convert("L"))
        else:
            array = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as error:
        raise proto.DecodeError(f"undecodable image: {error}") from None
    if array.ndim == 2:
        array = array[:, :, None]
    return "image", np.ascontiguousarray(array, dtype=np.uint8), {"format": image_format}


def decode_wav(encoded: bytes) -> tuple[np.ndarray, float]:
    """WAV bytes → (float32 samples in [-1, 1] ``[N]`` or ``[N, channels]``, sample rate).

    >>> samples, rate = decode_wav(wav_bytes)  # doctest: +SKIP
    """
    import wave

    try:
        with wave.open(io.BytesIO(encoded), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = float(reader.getframerate())
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as error:
        raise proto.DecodeError(f"undecodable WAV audio: {error}") from None
    # Scaled by 2**(bits - 1), as tf.audio.decode_wav (and soundfile, scipy) read PCM:
    # TensorFlow's encode_wav writes round(x * 32768) clipped, so 0.5 reads back as 0.5.
    if width == 1:
        samples = (np.frombuffer(frames, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        samples = (np.frombuffer(frames, dtype="<i4").astype(np.float64)
                   / 2147483648.0).astype(np.float32)
    else:
        raise proto.DecodeError(f"WAV sample width {width} bytes is not supported")
    if channels > 1:
        samples = samples.reshape(-1, channels)
    return samples, rate


# -- the scalar fast path --------------------------------------------------------------------


def _varints(buf: np.ndarray, pos: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode one varint at each position: (uint64 values, byte lengths; 0 = invalid).

    Byte k is only read for the varints still continuing after byte k - 1, so the usual
    one- or two-byte varints cost one or two passes.
    """
    first = buf[pos]
    value = (first & 0x7F).astype(np.uint64)
    length = np.ones(pos.shape[0], dtype=np.int64)
    going = np.flatnonzero(first >= 0x80)
    for k in range(1, max_len):
        if going.size == 0:
            break
        byte = buf[pos[going] + k]
        value[going] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
        length[going] = k + 1
        going = going[byte >= 0x80]
    length[going] = 0
    return value, length


# Fewer records than this are decoded one by one: for a handful (a sweep's run holds a few
# events) the ~40 numpy calls of the vectorised match cost more than decoding them in Python.
_FAST_SCALARS_MIN = 24


def _fast_scalars(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> dict[str, Any]:
    """Match torch's ``simple_value`` event layout on every record at once.

    ``09 <wall f64> [10 <step varint>] 2a <len> 0a <len> 0a <taglen> <tag> 15 <value f32>``
    Returns the mask of matching records and their decoded columns.
    """
    ends = starts + lengths
    ok = (lengths >= 17) & (buf[starts] == 0x09)
    wall = buf[(starts + 1)[:, None] + np.arange(8)].copy().view("<f8").reshape(-1)
    position = starts + 9
    has_step = ok & (buf[position] == 0x10)
    step = np.zeros(starts.shape[0], dtype=np.uint64)
    if has_step.any():
        values, step_len = _varints(buf, position + 1, 10)
        ok &= ~has_step | (step_len > 0)
        step = np.where(has_step, values, 0)
        position = np.where(has_step, position + 1 + step_len, position)
    ok &= buf[position] == 0x2A
    summary_len, n1 = _varints(buf, position + 1, 3)
    position = position + 1 + n1
    ok &= (n1 > 0) & (position + summary_len.astype(np.int64) == ends)
    ok &= buf[position] == 0x0A
    value_len, n2 = _varints(buf, position + 1, 3)
    position = position + 1 + n2
    ok &= (n2 > 0) & (position + value_len.astype(np.int64) == ends)
    ok &= buf[position] == 0x0A
    tag_len, n3 = _varints(buf, position + 1, 3)
    tag_start = position + 1 + n3
    tag_end = tag_start + tag_len.astype(np.int64)
    ok &= (n3 > 0) & (tag_end + 5 == ends)
    ok &= buf[np.minimum(tag_end, buf.shape[0] - 1)] == 0x15
    value_pos = np.where(ok, tag_end + 1, 0)
    value = buf[value_pos[:, None] + np.arange(4)].copy().view("<f4").reshape(-1)
    return {"ok": ok, "wall": wall, "step": step.astype(np.int64), "value": value,
            "tag_start": tag_start, "tag_len": tag_len.astype(np.int64)}


def _group_tags(buf: np.ndarray, tag_start: np.ndarray, tag_len: np.ndarray
                ) -> tuple[list[bytes], np.ndarray]:
    """Unique tag byte strings and each row's index into them (vectorised).

    Tags are hashed (64-bit polynomial over their zero-padded 8-byte words and length),
    grouped by hash, and every row is compared with its group's first row; a hash
    collision (never seen in practice) falls back to an exact grouping.
    """
    if tag_start.size == 0:
        return [], np.zeros(0, np.int32)
    width = max(int(tag_len.max()), 1)
    width = (width + 7) // 8 * 8
    matrix = buf[tag_start[:, None] + np.arange(width)]
    matrix[np.arange(width)[None, :] >= tag_len[:, None]] = 0
    words = matrix.view("<u8")
    digest = tag_len.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for column in range(words.shape[1]):
        digest = (digest ^ words[:, column]) * np.uint64(0x100000001B3)
        digest ^= digest >> np.uint64(29)
    _, first, inverse = np.unique(digest, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not (np.array_equal(words, words[first[inverse]])
            and np.array_equal(tag_len, tag_len[first[inverse]])):
        rows = np.ascontiguousarray(matrix).view(np.dtype((np.void, width))).reshape(-1)
        keyed = np.empty(rows.shape[0], dtype=[("len", "<i8"), ("bytes", rows.dtype)])
        keyed["len"] = tag_len
        keyed["bytes"] = rows
        _, first, inverse = np.unique(keyed, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    tags = [bytes(buf[int(tag_start[i]) : int(tag_start[i] + tag_len[i])]) for i in first]
    return tags, inverse.astype(np.int32)


# -- one run ------------------------------------------------------------------------------------


@dataclass
class _FileState:
    path: Path
    offset: int = 0
    size: int = 0


@dataclass
class _Scalars:
    """Scalar rows parsed so far (growing column chunks)."""

    tags: list[str] = field(default_factory=list)
    tag_ids: dict[str, int] = field(default_factory=dict)
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list)
    count: int = 0

    def tag_id(self, tag: str) -> int:
        index = self.tag_ids.get(tag)
        if index is None:
            index = self.tag_ids[tag] = len(self.tags)
            self.tags.append(tag)
        return index

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.chunks:
            return (np.zeros(0, np.int32), np.zeros(0, np.float64), np.zeros(0, np.float64),
                    np.zeros(0, np.float64))
        if len(self.chunks) > 1:
            merged = tuple(np.concatenate([c[i] for c in self.chunks]) for i in range(4))
            self.chunks = [merged]  # type: ignore[list-item]
        return self.chunks[0]


class EventRun:
    """Follow the event files of one TensorBoard run directory.

    ``wanted`` limits which record kinds are decoded (None: all of :data:`ALL_KINDS`);
    reading only scalars skips image decoding and the like.

    >>> run = EventRun(Path("runs/exp1"), wanted=frozenset({"scalar"}))  # doctest: +SKIP
    >>> run.refresh()                                                    # doctest: +SKIP
    >>> columns, cursor = run.scalars_since(0)                           # doctest: +SKIP
    """

    def __init__(self, run_dir: Path, wanted: frozenset[str] | None = None) -> None:
        if not isinstance(run_dir, (str, os.PathLike)):
            raise TypeError(f"EventRun(): 'run_dir' must be a path, got "
                            f"{type(run_dir).__name__}.")
        self.dir = Path(run_dir)
        self.wanted = ALL_KINDS if wanted is None else frozenset(wanted)
        unknown = self.wanted - ALL_KINDS
        if unknown:
            raise ValueError(f"EventRun(): unknown record kind(s) {sorted(unknown)}; "
                             f"known: {sorted(ALL_KINDS)}.")
        self.lock = threading.RLock()
        self.problems: list[Problem] = []
        self.meta: dict[str, Any] = {}
        self.purges: list[tuple[int, int, int]] = []  # (scalar count, tensor count, step)
        self._files: dict[str, _FileState] = {}
        self._scalars = _Scalars()
        self._tensors: list[TensorRecord] = []
        self._plugins: dict[str, tuple[str, bytes]] = {}  # tag -> (plugin name, content)
        self._pending_purges: list[tuple[int, int, int]] = []  # (record in batch, tensors, step)
        self._reported: set[str] = set()
        self._experiment: dict[str, Any] | None = None
        self._projector_mtime: float | None = None
        self._last_refresh = -1e9

    # -- public reading API ----------------------------------------------------------------

    @property
    def scalar_count(self) -> int:
        return self._scalars.count

    @property
    def tensor_count(self) -> int:
        return len(self._tensors)

    def kinds(self) -> set[str]:
        """Record kinds present so far ("scalar" included when there are scalar rows)."""
        with self.lock:
            kinds = {record.kind for record in self._tensors}
            if self._scalars.count:
                kinds.add("scalar")
            return kinds

    def scalars_since(self, cursor: int) -> tuple[ScalarColumns, int]:
        """Scalar rows from row ``cursor`` on, and the new cursor."""
        with self.lock:
            total = self._scalars.count
            if cursor >= total:
                return ScalarColumns.empty(), total
            tag_index, step, wall, value = self._scalars.columns()
            part = slice(cursor, total)
            used, local = np.unique(tag_index[part], return_inverse=True)
            tags = [self._scalars.tags[int(i)] for i in used]
            return ScalarColumns(
                seq=np.arange(cursor, total, dtype=np.int64),
                tag_index=local.reshape(-1).astype(np.int32), step=step[part].copy(),
                wall_time=wall[part].copy(), value=value[part].copy(), tags=tags,
            ), total

    def tensors_since(self, cursor: int, kinds: frozenset[str] | None = None
                      ) -> tuple[list[TensorRecord], int]:
        """Tensor records from index ``cursor`` on (optionally of some kinds), new cursor."""
        with self.lock:
            total = len(self._tensors)
            records = self._tensors[cursor:total]
        if kinds is not None:
            records = [r for r in records if r.kind in kinds]
        return records, total

    def refresh(self, *, min_interval: float = 0.0, final: bool = False) -> bool:
        """Read what was appended to the run's files since the last call.

        Returns True if anything new was read. ``min_interval`` skips the call when the
        previous refresh is more recent (several tails share one run). With ``final``,
        a record cut short at the end of a file is reported instead of waited for.
        """
        with self.lock:
            now = time.monotonic()
            if now - self._last_refresh < min_interval:
                return False
            self._last_refresh = now
            before = (self._scalars.count, len(self._tensors))
            try:
                names = sorted(n for n in os.listdir(self.dir) if is_event_file(n))
            except OSError as error:
                self._report(str(self.dir), None, f"cannot list the run directory: {error}",
                             key=f"listdir:{error}")
                return False
            for name in names:
                state = self._files.get(name)
                if state is None:
                    state = self._files[name] = _FileState(self.dir / name)
                self._read_file(state, final=final)
            if "embedding" in self.wanted:
                self._read_projector()
            return (self._scalars.count, len(self._tensors)) != before

    def feed(self, events: Iterable[bytes], source: str = "<memory>") -> bool:
        """Decode serialized ``Event`` messages given in memory (not read from a file), as
        if they were the next records of the run; ``source`` names them in problems.
        Returns True if anything new was decoded. Used by ``SummaryWriter.file_writer``'s
        ``add_event`` / ``add_summary``.

        >>> run = EventRun(Path("runs/exp1"), wanted=frozenset({"scalar"}))  # doctest: +SKIP
        >>> run.feed([event.SerializeToString()])                           # doctest: +SKIP
        """
        payloads = [bytes(event) for event in events]
        if not payloads:
            return False
        lengths = np.array([len(p) for p in payloads], dtype=np.int64)
        starts = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)[:-1]])
        with self.lock:
            before = (self._scalars.count, len(self._tensors))
            self._parse(b"".join(payloads), starts, lengths, _FileState(Path(source)))
            return (self._scalars.count, len(self._tensors)) != before

    def discard_decoded(self) -> None:
        """Forget the scalar rows, tensor records and problems decoded so far (cursors start
        again at 0), keeping what later events need: each tag's plugin metadata and the
        hparams experiment. For a caller that moves records elsewhere as they are fed.

        >>> run.feed(events); move(run.tensors_since(0)[0]); run.discard_decoded()  # doctest: +SKIP
        """
        with self.lock:
            self._scalars = _Scalars()
            self._tensors = []
            self.problems = []
            self.purges = []

    # -- reading files -----------------------------------------------------------------------

    def _report(self, path: str, offset: int | None, reason: str, *, key: str | None = None
                ) -> None:
        if key is not None:
            if key in self._reported:
                return
            self._reported.add(key)
        if len(self.problems) < 10_000:
            self.problems.append(Problem(path, offset, reason))

    def _read_file(self, state: _FileState, *, final: bool) -> None:
        try:
            size = state.path.stat().st_size
        except OSError as error:
            self._report(str(state.path), None, f"cannot read: {error}", key=f"stat:{state.path}")
            return
        if size < state.offset:
            self._report(str(state.path), None,
                         f"file shrank from {state.offset} to {size} bytes; read again from "
                         "the start", key=None)
            state.offset = 0
        if size == state.offset and not final:
            return
        block = READ_BLOCK
        try:
            with open(state.path, "rb") as handle:
                while state.offset < size:
                    handle.seek(state.offset)
                    data = handle.read(min(block, size - state.offset))
                    if not data:
                        break
                    at_end = state.offset + len(data) >= size
                    framing = proto.frame_records(data, 0, final=final and at_end)
                    for offset, reason in framing.problems:
                        self._report(str(state.path), state.offset + offset, reason)
                    if framing.starts.size:
                        self._parse(data, framing.starts, framing.lengths, state)
                    if framing.consumed == 0 and not at_end:
                        block *= 2  # a record bigger than the block: read more at once
                        continue
                    state.offset += framing.consumed
                    if at_end or framing.consumed == 0:
                        break
        except OSError as error:
            self._report(str(state.path), state.offset, f"read error: {error}")
        state.size = size

    def _parse(self, data: bytes, starts: np.ndarray, lengths: np.ndarray,
               state: _FileState) -> None:
        want_scalars = "scalar" in self.wanted
        n = starts.shape[0]
        buf = np.frombuffer(data + bytes(32), dtype=np.uint8)
        fast_ok = np.zeros(n, dtype=bool)
        fast: dict[str, Any] = {}
        if want_scalars and n >= _FAST_SCALARS_MIN:
            fast = _fast_scalars(buf, starts, lengths)
            fast_ok = fast["ok"]
        slow = np.flatnonzero(~fast_ok)
        # generic path, in record order
        rows: list[tuple[int, int, int, float, float]] = []  # (record, tag id, step, wall, v)
        for index in slow.tolist():
            start = int(starts[index])
            self._parse_event(data, start, start + int(lengths[index]), index, rows, state)
        # merge fast and generic scalar rows by record index
        parts_record: list[np.ndarray] = []
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        if fast_ok.any():
            fast_index = np.flatnonzero(fast_ok)
            tag_bytes, inverse = _group_tags(buf, fast["tag_start"][fast_index],
                                             fast["tag_len"][fast_index])
            remap = np.array([self._scalars.tag_id(self._tag_text(raw, state))
                              for raw in tag_bytes], dtype=np.int32)
            parts_record.append(fast_index)
            parts.append((remap[inverse], fast["step"][fast_index].astype(np.float64),
                          fast["wall"][fast_index].astype(np.float64),
                          fast["value"][fast_index].astype(np.float64)))
        if rows:
            record, tag_id, step, wall, value = zip(*rows, strict=True)
            parts_record.append(np.array(record, dtype=np.int64))
            parts.append((np.array(tag_id, np.int32), np.array(step, np.float64),
                          np.array(wall, np.float64), np.array(value, np.float64)))
        row_records = (np.sort(np.concatenate(parts_record)) if parts_record
                       else np.zeros(0, np.int64))
        for purge_record, tensor_count, purge_step in self._pending_purges:
            before = self._scalars.count + int(np.searchsorted(row_records, purge_record))
            self.purges.append((before, tensor_count, purge_step))
        self._pending_purges.clear()
        if not parts:
            return
        if len(parts) == 1:
            merged = parts[0]
        else:
            order = np.argsort(np.concatenate(parts_record), kind="stable")
            tag_ids, steps, walls, values = (np.concatenate([p[i] for p in parts])[order]
                                             for i in range(4))
            merged = (tag_ids, steps, walls, values)
        self._scalars.chunks.append(merged)
        self._scalars.count += int(merged[0].shape[0])

    def _tag_text(self, raw: bytes, state: _FileState) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="backslashreplace")
            self._report(str(state.path), None,
                         f"tag {raw!r} is not valid UTF-8; shown as {text!r}", key=f"tag:{raw!r}")
            return text

    def _parse_event(self, data: bytes, start: int, end: int, index: int,
                     rows: list[tuple[int, int, int, float, float]], state: _FileState) -> None:
        try:
            event = proto.parse_fields(data, start, end)
            wall = proto.get_double(event, 1)
            step = proto.get_int(event, 2)
            summary = proto.get_span(event, 5)
            if summary is not None:
                summary_msg = proto.parse_fields(data, *summary)
                for value_span in proto.get_spans(summary_msg, 1):
                    self._parse_value(data, value_span, index, step, wall, rows, state)
            graph = proto.get_span(event, 4)
            if graph is not None and "graph" in self.wanted:
                graph_json = decode_graph_def(data[graph[0] : graph[1]])
                self._add_tensor("graph", "graph", step, wall,
                                 np.frombuffer(json.dumps(graph_json).encode(), np.uint8),
                                 {"format": "tensorboard.GraphDef"})
            session = proto.get_span(event, 7)
            if session is not None:
                status = proto.get_int(proto.parse_fields(data, *session), 1)
                if status == 1:  # START: TensorBoard purges earlier events with step >= this
                    self._pending_purges.append((index, len(self._tensors), step))
            if 8 in event and "graph" in self.wanted:
                self._report(str(state.path), None, "run metadata (profiling traces) is not "
                             "read by nbviz; skipped", key="run_metadata")
            if 9 in event and "graph" in self.wanted:
                self._report(str(state.path), None, "meta graph defs are not read by nbviz; "
                             "skipped", key="meta_graph")
        except (proto.DecodeError, ValueError, struct.error, IndexError) as error:
            self._report(str(state.path), start - proto.HEADER_BYTES,
                         f"undecodable event ({error}); record skipped")

    def _parse_value(self, data: bytes, span: tuple[int, int], index: int, step: int,
                     wall: float, rows: list[tuple[int, int, int, float, float]],
                     state: _FileState) -> None:
        value = proto.parse_fields(data, *span)
        raw_tag = proto.get_bytes(data, value, 1) or proto.get_bytes(data, value, 7)
        tag = self._tag_text(raw_tag, state)
        metadata = proto.get_span(value, 9)
        if metadata is not None:
            meta_msg = proto.parse_fields(data, *metadata)
            plugin_span = proto.get_span(meta_msg, 1)
            if plugin_span is not None:
                plugin_msg = proto.parse_fields(data, *plugin_span)
                plugin = proto.get_string(data, plugin_msg, 1, errors="replace")
                content = proto.get_bytes(data, plugin_msg, 2)
                self._plugins[tag] = (plugin, content)
                if plugin == "hparams":
                    self._hparams(content, tag, step, wall)
        if 2 in value:  # simple_value
            if "scalar" in self.wanted:
                rows.append((index, self._scalars.tag_id(tag), step, wall,
                             proto.get_float(value, 2)))
            return
        histo = proto.get_span(value, 5)
        if histo is not None:
            if "histogram" in self.wanted:
                h = proto.parse_fields(data, *histo)
                limits = proto.get_packed(data, h, 6, "double")
                counts = proto.get_packed(data, h, 7, "double")
                if limits.size != counts.size:
                    raise proto.DecodeError(f"histogram {tag!r} has {limits.size} limits and "
                                            f"{counts.size} counts")
                extra = {"min": proto.get_double(h, 1), "max": proto.get_double(h, 2),
                         "num": proto.get_double(h, 3), "sum": proto.get_double(h, 4),
                         "sum_squares": proto.get_double(h, 5)}
                self._add_tensor("histogram", tag, step, wall,
                                 np.stack([limits, counts]).astype(np.float64), extra)
            return
        image = proto.get_span(value, 4)
        if image is not None:
            if self.wanted & {"image", "video"}:
                msg = proto.parse_fields(data, *image)
                kind, array, extra = decode_image(proto.get_bytes(data, msg, 4))
                if kind in self.wanted:
                    self._add_tensor(kind, tag, step, wall, array, extra)
            return
        audio = proto.get_span(value, 6)
        if audio is not None:
            if "audio" in self.wanted:
                msg = proto.parse_fields(data, *audio)
                content_type = proto.get_string(data, msg, 5, errors="replace")
                if content_type and content_type not in ("audio/wav", "audio/x-wav"):
                    self._report(str(state.path), None, f"audio {tag!r} is {content_type}; only "
                                 "WAV is read; skipped", key=f"audio:{tag}")
                    return
                samples, rate = decode_wav(proto.get_bytes(data, msg, 4))
                self._add_tensor("audio", tag, step, wall, samples, {"sample_rate": rate})
            return
        tensor = proto.get_span(value, 8)
        if tensor is not None:
            plugin, content = self._plugins.get(tag, ("", b""))
            self._parse_tensor(data, tensor, tag, plugin, content, step, wall, index, rows, state)
            return
        if 3 in value and "histogram" in self.wanted:
            self._report(str(state.path), None, f"{tag!r}: old-style histogram summaries are not "
                         "read; skipped", key=f"oldhist:{tag}")

    def _parse_tensor(self, data: bytes, span: tuple[int, int], tag: str, plugin: str,
                      content: bytes, step: int, wall: float, index: int,
                      rows: list[tuple[int, int, int, float, float]], state: _FileState) -> None:
        if plugin == "scalars":
            if "scalar" in self.wanted:
                array = decode_tensor(data, span)
                if isinstance(array, list) or array.size != 1:
                    raise proto.DecodeError(f"scalar {tag!r} is not a single number")
                rows.append((index, self._scalars.tag_id(tag), step, wall,
                             float(array.reshape(-1)[0])))
            return
        kind = TB_PLUGIN_KINDS.get(plugin)
        if kind is None:
            # Reported only where the data would have shown: profiling run metadata with
            # the graphs, anything else with the plain tensors.
            shown_as = "graph" if plugin.startswith("graph_") else "tensor"
            if shown_as in self.wanted:
                self._report(str(state.path), None, f"{tag!r}: data of the TensorBoard plugin "
                             f"{plugin!r} is not read by nbviz; skipped",
                             key=f"plugin:{plugin}:{tag}")
            return
        if kind == "graph":
            if "graph" in self.wanted:
                self._graph_plugin(data, span, tag, plugin, step, wall)
            return
        if kind == "hparams":
            return
        if kind == "meta":
            strings = decode_tensor(data, span)
            if isinstance(strings, list) and strings:
                layout = decode_custom_scalars_layout(strings[0])
                self.meta["custom_scalars"] = layout
                self._add_tensor("custom_scalars", "custom_scalars", step, wall,
                                 np.frombuffer(json.dumps(layout).encode(), np.uint8).copy(), {})
            return
        if kind not in self.wanted and not (kind == "image" and "video" in self.wanted):
            return
        array = decode_tensor(data, span)
        if kind == "histogram":
            if isinstance(array, list) or array.ndim != 2 or array.shape[1] != 3:
                raise proto.DecodeError(f"histogram tensor {tag!r} is not [k, 3]")
            values = array.astype(np.float64)
            counts = values[:, 2]
            self._add_tensor("histogram", tag, step, wall, np.stack([values[:, 1], counts]), {
                "min": float(values[0, 0]) if len(values) else math.nan,
                "max": float(values[-1, 1]) if len(values) else math.nan,
                "num": float(counts.sum()), "sum": math.nan, "sum_squares": math.nan})
        elif kind == "pr_curve":
            if isinstance(array, list) or array.ndim != 2 or array.shape[0] != 6:
                raise proto.DecodeError(f"PR-curve tensor {tag!r} is not [6, T]")
            plugin_msg = proto.parse_fields(content, 0, len(content))
            thresholds = proto.get_int(plugin_msg, 2, default=array.shape[1], signed=False)
            self._add_tensor("pr_curve", tag, step, wall, array.astype(np.float64),
                             {"num_thresholds": int(thresholds)})
        elif kind == "text":
            if not isinstance(array, list):
                raise proto.DecodeError(f"text {tag!r} is not a string tensor")
            texts = [raw.decode("utf-8", errors="replace") for raw in array]
            text = texts[0] if len(texts) == 1 else "\n".join(texts)
            shown = tag[: -len(TEXT_SUFFIX)] if tag.endswith(TEXT_SUFFIX) else tag
            self._add_tensor("text", shown, step, wall,
                             np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy(), {})
        elif kind == "image":
            if not isinstance(array, list) or len(array) < 3:
                raise proto.DecodeError(f"image tensor {tag!r} is not [w, h, images…]")
            images = array[2:]
            for position, encoded in enumerate(images):
                image_kind, pixels, extra = decode_image(encoded)
                if len(images) > 1:
                    extra["index"] = position
                if image_kind in self.wanted:
                    self._add_tensor(image_kind, tag, step, wall, pixels, extra)
        elif kind == "audio":
            if not isinstance(array, list):
                raise proto.DecodeError(f"audio tensor {tag!r} is not a string tensor")
            clips = array[0::2] if len(array) % 2 == 0 else array
            for position, encoded in enumerate(clips):
                samples, rate = decode_wav(encoded)
                extra = {"sample_rate": rate}
                if len(clips) > 1:
                    extra["index"] = position
                self._add_tensor("audio", tag, step, wall, samples, extra)
        elif kind == "mesh":
            if isinstance(array, list):
                raise proto.DecodeError(f"mesh tensor {tag!r} is not numeric")
            mesh = proto.parse_fields(content, 0, len(content))
            name = proto.get_string(content, mesh, 2, errors="replace") or tag
            component = _MESH_COMPONENTS.get(proto.get_int(mesh, 3), "vertices")
            config_text = proto.get_string(content, mesh, 5, errors="replace")
            try:
                config = json.loads(config_text) if config_text else {}
            except ValueError:
                config = {}
            self._add_tensor("mesh", name, step, wall, array.astype(np.float32), {
                "component": component, "config": config,
                "components": proto.get_int(mesh, 7, signed=False)})
        else:  # plain tensor (add_tensor)
            if isinstance(array, list):
                text = "\n".join(raw.decode("utf-8", errors="replace") for raw in array)
                self._add_tensor("text", tag, step, wall,
                                 np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy(), {})
            else:
                stored = array if array.dtype != np.float16 else array.astype(np.float32)
                self._add_tensor("tensor", tag, step, wall, np.ascontiguousarray(stored), {})

    def _graph_plugin(self, data: bytes, span: tuple[int, int], tag: str, plugin: str,
                      step: int, wall: float) -> None:
        """A graph summary: Keras' model config JSON or a ``trace_export`` RunMetadata."""
        strings = decode_tensor(data, span)
        if not isinstance(strings, list) or not strings:
            raise proto.DecodeError(f"graph summary {tag!r} is not a string tensor")
        graph: dict[str, Any]
        if plugin == "graph_keras_model":
            try:
                config = json.loads(strings[0].decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise proto.DecodeError(f"Keras model {tag!r} is not JSON: {error}") from None
            try:
                graph = keras_model_graph(config)
            except (TypeError, ValueError) as error:
                raise proto.DecodeError(f"Keras model {tag!r}: {error}") from None
            graph_format = "keras"
        else:
            graph = decode_run_metadata_graph(strings[0])
            graph_format = "tensorboard.RunMetadata"
        self._add_tensor("graph", tag, step, wall,
                         np.frombuffer(json.dumps(graph).encode("utf-8"), np.uint8).copy(),
                         {"format": graph_format})

    def _hparams(self, content: bytes, tag: str, step: int, wall: float) -> None:
        try:
            decoded = _decode_hparams_shared(content)
        except (proto.DecodeError, ValueError, struct.error) as error:
            self._report(str(self.dir), None, f"undecodable hparams ({error}); skipped",
                         key=f"hparams:{error}")
            return
        if "experiment" in decoded:
            self._experiment = decoded["experiment"]
            self.meta["hparams_experiment"] = decoded["experiment"]
        if "session_start_info" in decoded and "hparams" in self.wanted:
            start = decoded["session_start_info"]
            experiment = self._experiment or {}
            metric_names = list(experiment.get("metric_names", []))
            order = [info["name"] for info in experiment.get("hparam_infos", [])]
            values = start["hparams"]
            ordered = {name: values[name] for name in order if name in values}
            ordered.update({k: v for k, v in values.items() if k not in ordered})
            extra: dict[str, Any] = {"hparams": ordered, "metric_names": metric_names}
            if self._experiment is None:  # TF's layout: the experiment is in a parent dir,
                extra[SESSION_KEY] = True  # this run is one session of it (its own row)
            discrete = {info["name"]: info["domain_discrete"]
                        for info in experiment.get("hparam_infos", [])
                        if "domain_discrete" in info}
            if discrete:
                extra["hparam_domain_discrete"] = discrete
            self._add_tensor("hparams", "hparams", step, wall,
                             np.full(len(metric_names), np.nan, dtype=np.float64), extra)
        if "session_end_info" in decoded:
            self.meta["hparams_status"] = decoded["session_end_info"]["status"]

    def _add_tensor(self, kind: str, tag: str, step: int, wall: float, array: np.ndarray,
                    extra: dict[str, Any]) -> None:
        if kind not in self.wanted:
            return
        self._tensors.append(TensorRecord(kind=kind, tag=tag, step=int(step), wall_time=wall,
                                          array=array, extra=extra, seq=len(self._tensors)))

    # -- projector ------------------------------------------------------------------------

    def _read_projector(self) -> None:
        config = self.dir / "projector_config.pbtxt"
        try:
            mtime = config.stat().st_mtime
        except OSError:
            return
        if mtime == self._projector_mtime:
            return
        self._projector_mtime = mtime
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
            entries = parse_projector_config(text)
        except (OSError, ValueError) as error:
            self._report(str(config), None, f"unreadable projector config: {error}")
            return
        seen = {(r.tag, r.step) for r in self._tensors if r.kind == "embedding"}
        for entry in entries:
            name = str(entry.get("tensor_name", "embedding"))
            match = re.fullmatch(r"(.*):(\d+)", name)
            tag, step = (match.group(1), int(match.group(2))) if match else (name, 0)
            if (tag, step) in seen or "tensor_path" not in entry:
                continue
            try:
                array, extra = _read_embedding(self.dir, entry)
            except (OSError, ValueError) as error:
                self._report(str(self.dir / str(entry["tensor_path"])), None,
                             f"embedding {name!r} not read: {error}")
                continue
            self._add_tensor("embedding", tag, step, mtime, array, extra)
            if "sprite" in extra and "sprite" in self.wanted:
                try:
                    thumbs = _read_sprite(self.dir, extra["sprite"], array.shape[0])
                except (OSError, ValueError, proto.DecodeError) as error:
                    self._report(str(self.dir / extra["sprite"]["image_path"]), None,
                                 f"sprite of embedding {name!r} not read: {error}")
                    continue
                self._add_tensor("sprite", tag, step, mtime, thumbs, {})


def parse_projector_config(text: str) -> list[dict[str, Any]]:
    """The ``embeddings { … }`` entries of a ``projector_config.pbtxt`` (protobuf text format).

    >>> parse_projector_config('embeddings { tensor_name: "default:00000" '
    ...                        'tensor_path: "00000/default/tensors.tsv" }')
    [{'tensor_name': 'default:00000', 'tensor_path': '00000/default/tensors.tsv'}]
    """
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[{}:]|[^\s{}:"\']+', text)
    stack: list[dict[str, Any]] = [{}]
    key: str | None = None
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if token == "}":
            if len(stack) < 2:
                raise ValueError("unbalanced '}'")
            stack.pop()
            continue
        if token == ":":
            continue
        if token == "{":
            if key is None:
                raise ValueError("'{' without a field name")
            child: dict[str, Any] = {}
            stack[-1].setdefault(key, []).append(child)
            stack.append(child)
            key = None
            continue
        if key is None:
            key = token
            continue
        value: Any
        if token[:1] in ('"', "'"):
            value = bytes(token[1:-1], "utf-8").decode("unicode_escape")
        else:
            try:
                value = int(token)
            except ValueError:
                try:
                    value = float(token)
                except ValueError:
                    value = token
        current = stack[-1]
        if key in current:
            existing = current[key]
            current[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            current[key] = value
        key = None
    if len(stack) != 1:
        raise ValueError("unbalanced '{'")
    embeddings = stack[0].get("embeddings", [])
    out = []
    for entry in embeddings if isinstance(embeddings, list) else [embeddings]:
        flat = {k: (v[0] if isinstance(v, list) and len(v) == 1 and k != "sprite" else v)
                for k, v in entry.items()}
        out.append(flat)
    return out


def _read_embedding(run_dir: Path, entry: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    import pandas as pd

    tensor_path = run_dir / str(entry["tensor_path"])
    matrix = pd.read_csv(tensor_path, sep="\t", header=None, dtype=np.float32,
                         engine="c").to_numpy(dtype=np.float32)
    extra: dict[str, Any] = {}
    metadata_path = entry.get("metadata_path")
    if metadata_path:
        table = pd.read_csv(run_dir / str(metadata_path), sep="\t", header=None, dtype=str,
                            keep_default_na=False, quoting=csv.QUOTE_NONE, engine="c",
                            encoding_errors="replace", skip_blank_lines=False)
        if table.shape[1] > 1:  # several columns: the first line is the header
            header = [str(h) for h in table.iloc[0].tolist()]
            extra["metadata_header"] = header
            extra["metadata"] = {name: table.iloc[1:, i].tolist()
                                 for i, name in enumerate(header)}
        else:
            extra["metadata"] = table.iloc[:, 0].tolist()
    sprite = entry.get("sprite")
    if isinstance(sprite, list) and sprite and isinstance(sprite[0], dict):
        info = sprite[0]
        dims = info.get("single_image_dim", [])
        extra["sprite"] = {"image_path": str(info.get("image_path", "")),
                           "single_image_dim": dims if isinstance(dims, list) else [dims]}
    return matrix, extra


def _read_sprite(run_dir: Path, sprite: dict[str, Any], count: int) -> np.ndarray:
    """Cut a projector sprite sheet (thumbnails row-major on a square grid) into
    ``[count, h, w, 3]``."""
    dims = [int(d) for d in sprite.get("single_image_dim", [])]
    if len(dims) != 2 or min(dims) < 1:
        raise ValueError(f"single_image_dim {dims} is not [width, height]")
    width, height = dims
    _, sheet, _ = decode_image((run_dir / sprite["image_path"]).read_bytes())
    sheet = sheet[:, :, :3] if sheet.shape[2] >= 3 else np.repeat(sheet, 3, axis=2)
    per_row = max(sheet.shape[1] // width, 1)
    rows = -(-count // per_row)
    if rows * height > sheet.shape[0]:
        raise ValueError(f"the sprite sheet {sheet.shape[:2]} is too small for {count} "
                         f"thumbnails of {width}x{height}")
    grid = sheet[: rows * height, : per_row * width]
    thumbs = grid.reshape(rows, height, per_row, width, 3).transpose(0, 2, 1, 3, 4)
    return np.ascontiguousarray(thumbs.reshape(-1, height, width, 3)[:count])


# -- sharing one parsed run between panels ------------------------------------------------------

_SHARED: weakref.WeakValueDictionary[str, EventRun] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared_event_run(run_dir: Path) -> EventRun:
    """The process-wide :class:`EventRun` (all kinds) of ``run_dir``, so several panels
    following the same logdir parse each file once. Held weakly: freed with its last tail.

    >>> shared_event_run(Path("runs/exp1")) is shared_event_run(Path("runs/exp1"))  # doctest: +SKIP
    True
    """
    key = os.path.realpath(run_dir)
    with _SHARED_LOCK:
        run = _SHARED.get(key)
        if run is None:
            run = EventRun(Path(run_dir))
            _SHARED[key] = run
        return run


def apply_purges(run: EventRun, columns: ScalarColumns, records: Iterable[TensorRecord]
                 ) -> tuple[ScalarColumns, list[TensorRecord]]:
    """Drop what TensorBoard hides after a restart (``purge_step``): rows written before
    a ``SessionLog.START`` at step T whose step is >= T.

    >>> columns, records = apply_purges(run, *run.scalars_since(0)[:1], [])  # doctest: +SKIP
    """
    records = list(records)
    if not run.purges:
        return columns, records
    keep = np.ones(len(columns), dtype=bool)
    position = columns.seq if columns.seq.size == len(columns) else np.arange(len(columns))
    drop_records: set[int] = set()
    for scalar_count, tensor_count, step in run.purges:
        keep &= ~((position < scalar_count) & (columns.step >= step))
        drop_records.update(r.seq for r in records if r.seq < tensor_count and r.step >= step)
    if not keep.all():
        used, local = np.unique(columns.tag_index[keep], return_inverse=True)
        columns = ScalarColumns(seq=columns.seq[keep] if columns.seq.size else columns.seq,
                                tag_index=local.reshape(-1).astype(np.int32),
                                step=columns.step[keep], wall_time=columns.wall_time[keep],
                                value=columns.value[keep],
                                tags=[columns.tags[int(i)] for i in used])
    return columns, [r for r in records if r.seq not in drop_records]
