"""``SummaryWriter``: a drop-in for ``torch.utils.tensorboard.SummaryWriter`` that writes
into nbviz's store.

Switching costs one import line::

    from nbviz import SummaryWriter        # was: from torch.utils.tensorboard import …
    writer = SummaryWriter("runs/exp1")
    writer.add_scalar("loss/train", loss.item(), step)
    writer.close()

Every public method has torch's exact signature and defaults. ``SummaryWriter(log_dir)``
is the run directory: the run is named after its last path component and its logdir
is the parent (``runs/exp1`` → run ``exp1`` under ``runs``), so ``%nbviz runs`` and
``nbviz.read("runs")`` show it beside older TensorBoard runs. Under the hood each
writer composes an :class:`nbviz.Run`: a call validates its input and appends to
memory, a background flusher commits to the run's SQLite store within a second, and
tensors on any device are converted lazily (scalars without a device sync per call).

What is stored, per method (record kinds of docs/store.md), matches what
TensorBoard would show, value for value:

- ``add_scalar`` / ``add_scalars``: scalar rows, values rounded to float32 like
  TensorBoard's ``simple_value`` (``new_style=True, double_precision=True`` keeps
  float64). ``add_scalars`` writes one child run per key (``<log_dir>/<main_tag>_<key>``),
  as torch does.
- ``add_histogram`` / ``add_histogram_raw``: ``histogram`` records, torch's buckets.
- ``add_pr_curve`` / ``add_pr_curve_raw``: ``pr_curve`` records (float32 values, at most
  127 thresholds, like torch).
- ``add_image`` / ``add_images`` / ``add_image_with_boxes`` / ``add_figure``: ``image``
  records, PNG-encoded (torch's uint8 ``[H, W, C]`` pixels exactly; batches tiled into a
  grid like torch; boxes drawn like torch, their coordinates also kept in the record's extra).
- ``add_video``: ``video`` records (an animated PNG of torch's uint8 frames + ``fps``;
  plays in the browser, no moviepy needed).
- ``add_audio``: ``audio`` records (the 16-bit PCM WAV torch writes + ``sample_rate``).
- ``add_text``: ``text``; ``add_tensor``: ``tensor``; ``add_mesh``: ``mesh`` (one record
  per component); ``add_graph`` / ``add_onnx_graph``: ``graph`` (JSON of the traced graph);
  ``add_embedding``: ``embedding`` (+ ``sprite`` for label images);
  ``add_custom_scalars*``: ``custom_scalars`` (the layout, as JSON).
- ``add_hparams``: like torch, a child run ``<log_dir>/<run_name>`` holding an
  ``hparams`` record and the metric values as scalars.

What user code reads off torch's writer is there too: ``log_dir``, ``get_logdir()``,
``file_writer`` / ``all_writers`` (None after ``close()``, back with the next ``add_*``),
``_get_file_writer()``; ``file_writer.add_summary(summary)`` records what a protobuf built by
``torch.utils.tensorboard.summary`` holds (:mod:`nbviz.record.filewriter`).
``add_embedding`` metadata is stored as the strings torch writes to ``metadata.tsv``.

Accepted and documented, without effect: ``max_queue`` and ``filename_suffix`` (there
are no event files); ``flush_secs`` only ever shortens nbviz's one-second commit
interval. ``purge_step`` deletes the run's stored rows with ``step >= purge_step``
(what TensorBoard hides after a restart). ``global_step=None`` means step 0, as in
TensorBoard.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import socket
import sqlite3
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from nbviz._arrays import is_tensor as _is_tensor
from nbviz._arrays import to_numpy
from nbviz._validate import check_step, check_tag, describe
from nbviz.record.embedding_meta import embedding_metadata
from nbviz.record.filewriter import FileWriter
from nbviz.record.run import Run, live_run_for
from nbviz.store.errors import WriterConflictError
from nbviz.store.sqlite import DB_FILENAME, purge_steps

__all__ = ["SummaryWriter"]

_MAX_PR_THRESHOLDS = 127  # torch clamps num_thresholds to 127

# -- shared runs: several writers (or nbviz.init) on one directory share one Run ----------

_SHARED_LOCK = threading.Lock()
_SHARED: dict[str, tuple[Run, int]] = {}  # realpath -> (run, number of writers using it)


def _acquire_run(run_dir: Path, flush_secs: float) -> tuple[Run, bool]:
    """The Run writing ``run_dir`` (created when needed) and whether a writer owns it."""
    key = os.path.realpath(run_dir)
    with _SHARED_LOCK:
        if key in _SHARED:
            run, count = _SHARED[key]
            if not run.finished:
                _SHARED[key] = (run, count + 1)
                return run, True
        live = live_run_for(run_dir)
        if isinstance(live, Run):  # a Run of nbviz.init() writes there: log into it, not own it
            return live, False
        try:
            run = Run(run_dir.name, run_dir.parent, if_exists="append", flush_secs=flush_secs)
        except WriterConflictError as error:  # another process writes there: never lose
            # its rows or stop this script (torch allows it); record into a sibling run.
            run = Run(run_dir.name, run_dir.parent, if_exists="new", flush_secs=flush_secs)
            warnings.warn(f"SummaryWriter: {error} This writer records into run "
                          f"{run.name!r} ({run.dir}) instead.", RuntimeWarning, stacklevel=3)
        _SHARED[key] = (run, 1)
        return run, True


def _release_run(run: Run) -> None:
    with _SHARED_LOCK:
        # The key is the directory asked for (the run may write a sibling, see above).
        key = next((k for k, (shared, _) in _SHARED.items() if shared is run), "")
        entry = _SHARED.get(key)
        if entry is None:
            return
        count = entry[1] - 1
        if count > 0:
            _SHARED[key] = (run, count)
            return
        del _SHARED[key]
    run.finish()


# -- conversions (torch imported lazily, only for tensors) ------------------------------------


def _to_numpy(value: Any, *, where: str, argument: str) -> np.ndarray:
    """``value`` (numpy array, torch tensor on any device, number, nested list) as numpy;
    complex values pass (``add_tensor`` reports them)."""
    return to_numpy(value, where=where, argument=argument, kinds="biufc")


def _step(global_step: Any, where: str) -> int:
    """torch's ``global_step``: None means 0; ints, integral floats, 1-element tensors."""
    if global_step is None:
        return 0
    if _is_tensor(global_step) or isinstance(global_step, np.ndarray):
        array = _to_numpy(global_step, where=where, argument="global_step")
        if array.size != 1:
            raise ValueError(
                f"{where}: 'global_step' must be one integer, got an array of {array.size} "
                "values."
            )
        global_step = array.reshape(-1)[0].item()
    return check_step(global_step, where=where)


def _float32(value: float) -> float:
    """A number as TensorBoard stores ``simple_value`` (float32)."""
    return float(np.float32(value))


def _scalar_number(value: Any, *, where: str, argument: str, keep_double: bool) -> Any:
    """A scalar for Run.log: a float (rounded to float32 unless ``keep_double``), or a
    float32 device tensor (its conversion is deferred to the flusher: no sync per call)."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value) if keep_double else _float32(value)
    if _is_tensor(value):
        if value.numel() != 1:
            raise ValueError(
                f"{where}: '{argument}' must hold one number, got a tensor of shape "
                f"{tuple(value.shape)}; use add_histogram for many values."
            )
        tensor = value.detach().reshape(())
        if not keep_double and str(tensor.dtype) in ("torch.float64",):
            tensor = tensor.float()
        if not tensor.is_floating_point():
            tensor = tensor.double() if keep_double else tensor.float()
        return tensor
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (np.number, np.bool_)) or (
        isinstance(value, np.ndarray) and value.size == 1
    ):
        number = float(np.asarray(value).reshape(-1)[0])
        return number if keep_double else _float32(number)
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"{where}: '{argument}' must be a number, got {describe(value)} (caffe2 blob "
            "names are not supported)."
        )
    array = _to_numpy(value, where=where, argument=argument)
    if array.size != 1:
        raise ValueError(
            f"{where}: '{argument}' must hold one number, got {array.size} values "
            f"({describe(value)}); use add_histogram for many values."
        )
    number = float(array.reshape(-1)[0])
    return number if keep_double else _float32(number)


_VALID_TAGS: set[str] = set()  # tags that passed check_tag: add_scalar's hot path skips it


def _check_tag(tag: Any, where: str, argument: str = "tag") -> str:
    if type(tag) is str and tag in _VALID_TAGS:
        return tag
    check_tag(tag, where=where, argument=argument)
    if len(_VALID_TAGS) < 100_000:
        _VALID_TAGS.add(tag)
    return str(tag)


# -- images (torch.utils.tensorboard._utils, vectorised) -------------------------------------


def _make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """``[N, C, H, W]`` (C = 1 or 3) tiled row-major into ``[3, H·rows, W·cols]``."""
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    count, _, height, width = images.shape
    ncols = min(count, ncols)
    nrows = math.ceil(count / ncols)
    padded = np.zeros((nrows * ncols, 3, height, width), dtype=images.dtype)
    padded[:count] = images
    grid = padded.reshape(nrows, ncols, 3, height, width).transpose(2, 0, 3, 1, 4)
    return grid.reshape(3, nrows * height, ncols * width)


def _to_hwc(array: np.ndarray, dataformats: Any, where: str) -> np.ndarray:
    """torch's ``convert_to_HWC``: any of NCHW/NHWC/CHW/HWC/HW/WH … → ``[H, W, C]``."""
    if not isinstance(dataformats, str):
        raise TypeError(f"{where}: 'dataformats' must be a string such as 'CHW', got "
                        f"{describe(dataformats)}.")
    layout = dataformats.upper()
    if len(set(layout)) != len(layout) or not set(layout) <= set("NCHW"):
        raise ValueError(f"{where}: 'dataformats' {dataformats!r} must use each of N, C, H, W "
                         "at most once, e.g. 'CHW', 'HWC', 'NCHW' or 'HW'.")
    if array.ndim != len(layout):
        raise ValueError(
            f"{where}: the image has {array.ndim} dimension(s) (shape {array.shape}) but "
            f"dataformats={dataformats!r} describes {len(layout)}; pass the matching layout."
        )
    if len(layout) == 4:
        nchw = array.transpose([layout.find(c) for c in "NCHW"])
        if nchw.shape[1] not in (1, 3):
            raise ValueError(f"{where}: a batch of images needs 1 or 3 channels, got "
                             f"{nchw.shape[1]} (shape {array.shape}, {dataformats!r}).")
        return _make_grid(nchw).transpose(1, 2, 0)
    if len(layout) == 3:
        if "N" in layout:
            raise ValueError(f"{where}: 3-D dataformats must be made of C, H and W, got "
                             f"{dataformats!r}.")
        hwc = array.transpose([layout.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        if hwc.shape[2] not in (3, 4):
            raise ValueError(f"{where}: an image needs 1, 3 or 4 channels, got {hwc.shape[2]} "
                             f"(shape {array.shape}, {dataformats!r}).")
        return hwc
    if len(layout) == 2 and set(layout) == {"H", "W"}:
        hw = array.transpose([layout.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    raise ValueError(f"{where}: dataformats {dataformats!r} is not an image layout; use e.g. "
                     "'CHW', 'HWC', 'HW' or 'NCHW'.")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """torch's scaling: uint8 as is, anything else x255; clipped to [0, 255]."""
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    scaled = array.astype(np.float32) * 255
    return np.ascontiguousarray(np.clip(scaled, 0, 255).astype(np.uint8))


def _image_array(img_tensor: Any, dataformats: Any, where: str) -> np.ndarray:
    array = _to_numpy(img_tensor, where=where, argument="img_tensor")
    if array.size == 0:
        raise ValueError(f"{where}: 'img_tensor' is empty (shape {array.shape}).")
    return _to_uint8(_to_hwc(array, dataformats, where))


def _encoded(image: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """uint8 ``[H, W, C]`` → (PNG bytes as uint8, the record's encoding extra)."""
    from nbviz.panels.media.codec import encode_image

    data, extra = encode_image(image)
    return np.frombuffer(data, dtype=np.uint8).copy(), extra


def _figure_to_chw(figure: Any, close: bool, where: str) -> np.ndarray:
    try:
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency of nbviz
        raise ImportError(f"{where} needs matplotlib: pip install matplotlib") from None
    if not isinstance(figure, Figure):
        raise TypeError(f"{where}: 'figure' must be a matplotlib Figure or a list of them, got "
                        f"{describe(figure)}.")
    canvas: Any = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = figure.canvas.get_width_height()
    rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(height, width, 4)
    if close:
        plt.close(figure)
    return np.moveaxis(rgba[:, :, :3], 2, 0).copy()


def _prepare_video(video: np.ndarray) -> np.ndarray:
    """torch's ``_prepare_video``: ``[B, T, C, H, W]`` → ``[T, H', W', C]`` (batch tiled)."""
    batch, frames, channels, height, width = video.shape
    if batch & (batch - 1):
        extra = 2 ** batch.bit_length() - batch
        video = np.concatenate([video, np.zeros((extra, frames, channels, height, width),
                                                dtype=video.dtype)], axis=0)
    n_rows = 2 ** ((batch.bit_length() - 1) // 2)
    n_cols = video.shape[0] // n_rows
    video = video.reshape(n_rows, n_cols, frames, channels, height, width)
    video = video.transpose(2, 0, 4, 1, 5, 3)
    return video.reshape(frames, n_rows * height, n_cols * width, channels)


def _draw_boxes(image: np.ndarray, boxes: np.ndarray, labels: Sequence[str] | None,
                where: str) -> np.ndarray:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:  # pragma: no cover - pillow comes with matplotlib
        raise ImportError(f"{where} needs the 'pillow' package to draw boxes: "
                          "pip install pillow") from None
    picture = Image.fromarray(image)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    for index, (left, top, right, bottom) in enumerate(boxes.tolist()):
        draw.line([(left, top), (left, bottom), (right, bottom), (right, top), (left, top)],
                  width=2, fill="Red")
        text = None if labels is None else str(labels[index])
        if text:
            x0, y0, x1, y1 = font.getbbox(text)
            text_width, text_height = x1 - x0, y1 - y0
            margin = math.ceil(0.05 * text_height)
            draw.rectangle([(left, bottom - text_height - 2 * margin),
                            (left + text_width, bottom)], fill="Red")
            draw.text((left + margin, bottom - text_height - margin), text, fill="black",
                      font=font)
    return np.asarray(picture)


# -- graphs ------------------------------------------------------------------------------------


def _jit_graph(model: Any, inputs: Any, verbose: bool, strict: bool) -> dict[str, Any]:
    import torch

    was_training = bool(getattr(model, "training", False))
    model.eval()
    try:
        with torch.no_grad():
            jit: Any = torch.jit
            traced = jit.trace(model, inputs, strict=strict)
    finally:
        model.train(was_training)
    graph = traced.graph
    torch._C._jit_pass_inline(graph)
    if verbose:
        print(graph)

    def value_info(value: Any) -> dict[str, Any]:
        info: dict[str, Any] = {"name": value.debugName()}
        kind = value.type()
        sizes = getattr(kind, "sizes", None)
        if callable(sizes):
            try:
                info["shape"] = sizes()
                info["dtype"] = str(kind.scalarType())
            except RuntimeError:
                pass
        return info

    nodes = [{"name": value_info(v)["name"], "op": "input", "inputs": [],
              "outputs": [value_info(v)]} for v in graph.inputs()]
    for node in graph.nodes():
        outputs = [value_info(v) for v in node.outputs()]
        nodes.append({
            "name": outputs[0]["name"] if outputs else node.kind(),
            "op": node.kind(),
            "scope": node.scopeName(),
            "inputs": [v.debugName() for v in node.inputs()],
            "outputs": outputs,
        })
    return {"nodes": nodes, "outputs": [v.debugName() for v in graph.outputs()]}


def _module_graph(model: Any) -> dict[str, Any]:
    nodes = []
    for name, module in model.named_modules():
        parent = name.rsplit(".", 1)[0] if "." in name else ("" if name else None)
        nodes.append({
            "name": name or type(model).__name__,
            "op": type(module).__name__,
            "inputs": [] if parent is None else [parent or type(model).__name__],
            "attrs": {"parameters": int(sum(p.numel() for p in module.parameters(
                recurse=False)))},
        })
    return {"nodes": nodes}


# -- the writer --------------------------------------------------------------------------------


class SummaryWriter:
    """Drop-in for ``torch.utils.tensorboard.SummaryWriter`` writing nbviz runs.

    >>> from nbviz import SummaryWriter                        # doctest: +SKIP
    >>> with SummaryWriter("runs/exp1") as writer:             # doctest: +SKIP
    ...     for step in range(100):
    ...         writer.add_scalar("loss/train", 1 / (step + 1), step)
    >>> nbviz.read("runs").groupby("run").size()               # doctest: +SKIP
    """

    def __init__(
        self,
        log_dir: Any = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        where = "SummaryWriter()"
        if not isinstance(comment, str):
            raise TypeError(f"{where}: 'comment' must be a string, got {describe(comment)}.")
        if not log_dir:
            current_time = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", current_time + "_" + socket.gethostname() + comment)
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"{where}: 'log_dir' must be a path such as 'runs/exp1', got "
                            f"{describe(log_dir)}.")
        if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"{where}: 'max_queue' must be a positive int, got "
                             f"{describe(max_queue)}.")
        if isinstance(flush_secs, bool) or not isinstance(flush_secs, (int, float)) or not (
            flush_secs > 0 and math.isfinite(flush_secs)
        ):
            raise ValueError(f"{where}: 'flush_secs' must be a positive number of seconds, got "
                             f"{describe(flush_secs)}.")
        if not isinstance(filename_suffix, str):
            raise TypeError(f"{where}: 'filename_suffix' must be a string, got "
                            f"{describe(filename_suffix)}.")
        if purge_step is not None:
            purge_step = check_step(purge_step, where=where)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._lock = threading.RLock()
        self._runs: dict[str, Run] = {}  # run dir realpath -> Run (main + add_scalars children)
        self._owned: set[str] = set()
        self._run: Run | None = None
        # torch's all_writers: logdir string -> FileWriter (main run + add_scalars children);
        # None once closed, like torch.
        self._writers: dict[str, FileWriter] | None = None
        self.default_bins = self._default_bins()
        self._open()

    @staticmethod
    def _default_bins() -> list[float]:
        value = 1e-12
        buckets = []
        while value < 1e20:
            buckets.append(value)
            value *= 1.1
        return [-b for b in buckets[::-1]] + [0] + buckets

    # -- runs ------------------------------------------------------------------------------

    @property
    def _dir(self) -> Path:
        return Path(os.path.abspath(os.fspath(self.log_dir)))

    def _open(self) -> Run:
        with self._lock:
            if self._run is None or self._run.finished:
                if self.purge_step is not None:
                    _purge(self._dir, self.purge_step)
                    self.purge_step = None
                self._run = self._child(self._dir, str(self.log_dir))
            return self._run

    def _child(self, run_dir: Path, name: str) -> Run:
        """The run of ``run_dir``, opened when needed; ``name`` is its ``all_writers`` key."""
        key = os.path.realpath(run_dir)
        run = self._runs.get(key)
        if run is None or run.finished:
            run, owned = _acquire_run(run_dir, min(float(self.flush_secs), 1.0))
            self._runs[key] = run
            if owned:
                self._owned.add(key)
        if self._writers is None:
            self._writers = {}
        writer = self._writers.get(name)
        if writer is None or writer.run is not run:
            self._writers[name] = FileWriter(run, name)
        return run

    @property
    def run(self) -> Run:
        """The nbviz :class:`~nbviz.Run` this writer records into."""
        return self._open()

    def get_logdir(self) -> Any:
        """Return the directory where this writer's data is written (``log_dir``)."""
        return self.log_dir

    @property
    def file_writer(self) -> FileWriter | None:
        """torch's ``file_writer``: the writer of the main run (``get_logdir()``,
        ``add_summary`` …), or None after ``close()`` until the next ``add_*`` call.

        >>> writer.file_writer.get_logdir()  # doctest: +SKIP
        'runs/exp1'
        """
        with self._lock:
            if self._run is None or self._run.finished or self._writers is None:
                return None
            return self._writers.get(str(self.log_dir))

    @property
    def all_writers(self) -> dict[str, FileWriter] | None:
        """torch's ``all_writers``: logdir -> writer, for the main run and each
        ``add_scalars`` child run (``<log_dir>/<main_tag>_<key>``); None after ``close()``.

        >>> sorted(writer.all_writers)  # doctest: +SKIP
        ['runs/exp1', 'runs/exp1/loss_train', 'runs/exp1/loss_val']
        """
        with self._lock:
            if self._run is None or self._run.finished or self._writers is None:
                return None
            return dict(self._writers)

    def _get_file_writer(self) -> FileWriter:
        """torch's (private, but used by PyTorch Lightning) accessor: the main run's
        writer, reopened after ``close()``."""
        self._open()
        writer = self.file_writer
        if writer is None:  # pragma: no cover - _open() just registered it
            raise RuntimeError("SummaryWriter: the run could not be opened.")
        return writer

    # -- scalars ---------------------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: Any = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Add scalar data (rounded to float32 like TensorBoard unless ``new_style`` and
        ``double_precision``).

        >>> writer.add_scalar("loss/train", 0.25, 10)  # doctest: +SKIP
        """
        where = "add_scalar()"
        _check_tag(tag, where)
        number = _scalar_number(scalar_value, where=where, argument="scalar_value",
                                keep_double=bool(new_style and double_precision))
        step = 0 if global_step is None else (
            global_step if type(global_step) is int and global_step >= 0
            else _step(global_step, where))
        self._open().log({tag: number}, step=step, wall_time=walltime)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Add several scalars under ``main_tag``: one child run per key
        (``<log_dir>/<main_tag>_<key>``), as torch does, so they share one chart.

        >>> writer.add_scalars("loss", {"train": 0.3, "val": 0.4}, 10)  # doctest: +SKIP
        """
        where = "add_scalars()"
        _check_tag(main_tag, where, "main_tag")
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(f"{where}: 'tag_scalar_dict' must be a dict of name -> number, got "
                            f"{describe(tag_scalar_dict)}.")
        step = _step(global_step, where)
        wall = time.time() if walltime is None else walltime
        values = {}
        for key, value in tag_scalar_dict.items():
            _check_tag(key, where, "tag_scalar_dict key")
            values[key] = _scalar_number(value, where=where, argument=f"tag_scalar_dict[{key!r}]",
                                         keep_double=False)
        base = self._dir
        self._open()
        for key, number in values.items():
            name = main_tag.replace("/", "_") + "_" + key
            child = self._child(base / name, str(self.log_dir) + "/" + name)
            child.log({main_tag: number}, step=step, wall_time=wall)

    def add_tensor(self, tag: str, tensor: Any, global_step: Any = None,
                   walltime: float | None = None) -> None:
        """Add a whole tensor (stored as a ``tensor`` record).

        >>> writer.add_tensor("x", torch.tensor([1, 2, 3]))  # doctest: +SKIP
        """
        where = "add_tensor()"
        _check_tag(tag, where)
        array = _to_numpy(tensor, where=where, argument="tensor")
        if array.dtype.kind == "c":
            raise TypeError(f"{where}: complex tensors cannot be stored; log .real and .imag.")
        if array.dtype == bool:
            array = array.astype(np.uint8)
        self._log_tensor("tensor", tag, np.ascontiguousarray(array), global_step, walltime,
                         {}, where)

    def _log_tensor(self, kind: str, tag: str, array: np.ndarray, global_step: Any,
                    walltime: float | None, extra: Mapping[str, Any], where: str) -> None:
        step = _step(global_step, where)
        self._open().log_tensor(kind, tag, array, step, extra, wall_time=walltime)

    # -- histograms --------------------------------------------------------------------------

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: Any = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Add a histogram of ``values`` with torch's buckets (``bins="tensorflow"``: the
        ~1,549 exponential TensorBoard buckets; or a numpy rule, an int, edges).

        >>> writer.add_histogram("weights/fc1", model.fc1.weight, epoch)  # doctest: +SKIP
        """
        from nbviz.panels.histograms.compute import tb_histogram

        where = "add_histogram()"
        _check_tag(tag, where)
        array, extra = tb_histogram(values, bins, max_bins)
        self._log_tensor("histogram", tag, array, global_step, walltime, extra, where)

    def add_histogram_raw(
        self,
        tag: str,
        min: Any,
        max: Any,
        num: Any,
        sum: Any,
        sum_squares: Any,
        bucket_limits: Any,
        bucket_counts: Any,
        global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Add a histogram from its raw statistics and buckets (upper limits + counts).

        >>> writer.add_histogram_raw("h", 0, 2, 3, 3.5, 4.75, [1, 2], [1, 2], 0)  # doctest: +SKIP
        """
        from nbviz.panels.histograms.compute import tb_histogram_raw

        where = "add_histogram_raw()"
        _check_tag(tag, where)
        array, extra = tb_histogram_raw(min, max, num, sum, sum_squares, bucket_limits,
                                        bucket_counts)
        self._log_tensor("histogram", tag, array, global_step, walltime, extra, where)

    # -- images, video, audio, text --------------------------------------------------------------

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Add an image (floats in [0, 1] or uint8 in [0, 255]; ``dataformats`` e.g. CHW, HWC).

        >>> writer.add_image("input", np.random.rand(3, 32, 32), 0)  # doctest: +SKIP
        """
        where = "add_image()"
        _check_tag(tag, where)
        image = _image_array(img_tensor, dataformats, where)
        array, encoding = _encoded(image)
        self._log_tensor("image", tag, array, global_step, walltime, encoding, where)

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Add a batch of images, tiled into one grid image (8 per row) like torch.

        >>> writer.add_images("batch", np.random.rand(16, 3, 32, 32), 0)  # doctest: +SKIP
        """
        where = "add_images()"
        _check_tag(tag, where)
        image = _image_array(img_tensor, dataformats, where)
        array, encoding = _encoded(image)
        self._log_tensor("image", tag, array, global_step, walltime, encoding, where)

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: Any,
        box_tensor: Any,
        global_step: Any = None,
        walltime: float | None = None,
        rescale: float = 1,
        dataformats: str = "CHW",
        labels: Any = None,
    ) -> None:
        """Add an image with boxes ``[N, 4]`` (xmin, ymin, xmax, ymax) drawn on it (like
        torch; needs pillow). The boxes and labels are kept in the record too.

        >>> boxes = torch.tensor([[5, 5, 20, 20]])  # doctest: +SKIP
        >>> writer.add_image_with_boxes("det", img, boxes)  # doctest: +SKIP
        """
        where = "add_image_with_boxes()"
        _check_tag(tag, where)
        boxes = _to_numpy(box_tensor, where=where, argument="box_tensor").astype(np.float64)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"{where}: 'box_tensor' must have shape [N, 4] (xmin, ymin, xmax, "
                             f"ymax), got shape {boxes.shape}.")
        if isinstance(rescale, bool) or not isinstance(rescale, (int, float)) or rescale <= 0:
            raise ValueError(f"{where}: 'rescale' must be a positive number, got "
                             f"{describe(rescale)}.")
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            labels = [str(label) for label in labels]
            if len(labels) != boxes.shape[0]:  # torch silently drops mismatched labels
                labels = None
        image = _image_array(img_tensor, dataformats, where)
        drawn = _draw_boxes(image, boxes, labels, where)
        if rescale != 1:
            from PIL import Image

            height, width = drawn.shape[:2]
            drawn = np.asarray(Image.fromarray(drawn).resize(
                (int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS))
        extra: dict[str, Any] = {"boxes": boxes.tolist()}
        if labels is not None:
            extra["labels"] = labels
        array, encoding = _encoded(np.ascontiguousarray(drawn))
        self._log_tensor("image", tag, array, global_step, walltime, {**encoding, **extra},
                         where)

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """Render a matplotlib figure (or a list of them, tiled) into an image.

        >>> writer.add_figure("confusion", fig, epoch)  # doctest: +SKIP
        """
        where = "add_figure()"
        _check_tag(tag, where)
        if isinstance(figure, list):
            if not figure:
                raise ValueError(f"{where}: 'figure' is an empty list.")
            images = np.stack([_figure_to_chw(f, close, where) for f in figure])
            self.add_image(tag, images, global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, _figure_to_chw(figure, close, where), global_step, walltime,
                           dataformats="CHW")

    def add_video(self, tag: str, vid_tensor: Any, global_step: Any = None, fps: Any = 4,
                  walltime: float | None = None) -> None:
        """Add a video ``[N, T, C, H, W]`` (uint8 or floats in [0, 1]); a batch is tiled.

        Stored as uint8 frames ``[T, H, W, C]`` with ``fps`` (no moviepy needed).

        >>> writer.add_video("rollout", torch.rand(1, 16, 3, 32, 32), 0, fps=8)  # doctest: +SKIP
        """
        where = "add_video()"
        _check_tag(tag, where)
        video = _to_numpy(vid_tensor, where=where, argument="vid_tensor")
        if video.ndim != 5:
            raise ValueError(f"{where}: 'vid_tensor' must have shape [N, T, C, H, W], got "
                             f"shape {video.shape}.")
        if video.shape[2] not in (1, 3, 4):
            raise ValueError(f"{where}: 'vid_tensor' must have 1, 3 or 4 channels (dim 2), got "
                             f"{video.shape[2]}.")
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
            raise ValueError(f"{where}: 'fps' must be a positive number, got {describe(fps)}.")
        frames = _to_uint8(_prepare_video(video))
        if frames.shape[3] == 1:
            frames = np.repeat(frames, 3, axis=3)
        from nbviz.panels.media.codec import encode_video

        data, extra = encode_video(frames, float(fps))
        self._log_tensor("video", tag, np.frombuffer(data, np.uint8).copy(), global_step,
                         walltime, extra, where)

    def add_audio(self, tag: str, snd_tensor: Any, global_step: Any = None,
                  sample_rate: int = 44100, walltime: float | None = None) -> None:
        """Add a mono sound clip ``[1, L]`` (values in [-1, 1]; louder values are clipped).

        >>> clip = torch.rand(1, 16000) * 2 - 1  # doctest: +SKIP
        >>> writer.add_audio("speech", clip, 0, sample_rate=16000)  # doctest: +SKIP
        """
        where = "add_audio()"
        _check_tag(tag, where)
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float)) or (
            not sample_rate > 0
        ):
            raise ValueError(f"{where}: 'sample_rate' must be a positive number of Hz, got "
                             f"{describe(sample_rate)}.")
        samples = _to_numpy(snd_tensor, where=where, argument="snd_tensor").squeeze()
        if samples.ndim != 1:
            raise ValueError(f"{where}: 'snd_tensor' must be one channel of samples (shape [1, L] "
                             f"or [L]), got shape {samples.shape}.")
        if samples.dtype.kind not in "fiu":
            raise TypeError(f"{where}: 'snd_tensor' must be numeric, got dtype {samples.dtype}.")
        from nbviz.panels.media.codec import encode_wav

        data, extra = encode_wav(samples.astype(np.float32), float(sample_rate))
        self._log_tensor("audio", tag, np.frombuffer(data, np.uint8).copy(), global_step,
                         walltime, extra, where)

    def add_text(self, tag: str, text_string: str, global_step: Any = None,
                 walltime: float | None = None) -> None:
        """Add text (markdown in TensorBoard; stored as UTF-8 and shown as plain text).

        >>> writer.add_text("notes", "lr warmup done", 100)  # doctest: +SKIP
        """
        where = "add_text()"
        _check_tag(tag, where)
        if not isinstance(text_string, str):
            raise TypeError(f"{where}: 'text_string' must be a string, got "
                            f"{describe(text_string)}.")
        data = np.frombuffer(text_string.encode("utf-8"), dtype=np.uint8).copy()
        self._log_tensor("text", tag, data, global_step, walltime, {}, where)

    # -- graphs and embeddings ---------------------------------------------------------------

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Add the graph of a model: traced with ``torch.jit.trace`` when ``input_to_model``
        is given (like torch), else the module tree (torch needs an input for that). Where
        torch's trace fails (dict / dataclass inputs, a forward that raises) nbviz captures
        the graph with torch.fx, a module-hook trace or torch.export instead (format
        ``nbviz.graph``, see ``nbviz.panels.graph.capture``) and warns.

        >>> writer.add_graph(model, torch.rand(1, 3, 32, 32))  # doctest: +SKIP
        """
        where = "add_graph()"
        if not (hasattr(model, "named_modules") and callable(model)):
            raise TypeError(f"{where}: 'model' must be a torch.nn.Module, got {describe(model)}.")
        if input_to_model is None:
            graph, graph_format = _module_graph(model), "torch.nn.Module"
        else:
            try:
                graph = _jit_graph(model, input_to_model, bool(verbose), bool(use_strict_trace))
                graph_format = "torch.jit"
            except Exception as error:  # torch would stop here; nbviz captures another way
                from nbviz.panels.graph.capture import FORMAT, capture_graph
                from nbviz.panels.graph.record import warn_capture

                graph = capture_graph(model, input_to_model, where=where,
                                      inputs_name="input_to_model",
                                      methods=("torch.fx", "torch.export", "hooks"))
                graph["capture"]["fallbacks"].insert(
                    0, {"method": "torch.jit", "reason": f"{type(error).__name__}: {error}"[:400]})
                warn_capture(graph, where)
                graph_format = FORMAT
        data = np.frombuffer(json.dumps(graph).encode("utf-8"), dtype=np.uint8).copy()
        self._log_tensor("graph", "graph", data, None, None, {"format": graph_format}, where)

    def add_onnx_graph(self, prototxt: Any) -> None:
        """Add the graph of an ONNX model file (needs the ``onnx`` package, like torch).

        >>> writer.add_onnx_graph("model.onnx")  # doctest: +SKIP
        """
        where = "add_onnx_graph()"
        if not isinstance(prototxt, (str, os.PathLike)):
            raise TypeError(f"{where}: 'prototxt' must be the path of an ONNX file, got "
                            f"{describe(prototxt)}.")
        try:
            onnx: Any = importlib.import_module("onnx")
        except ImportError:
            raise ImportError(f"{where} needs the 'onnx' package: pip install onnx") from None
        model = onnx.load(os.fspath(prototxt))
        nodes = [{"name": node.name or node.output[0], "op": node.op_type,
                  "inputs": list(node.input), "outputs": list(node.output)}
                 for node in model.graph.node]
        data = np.frombuffer(json.dumps({"nodes": nodes}).encode("utf-8"), np.uint8).copy()
        self._log_tensor("graph", "graph", data, None, None, {"format": "onnx"}, where)

    def add_embedding(
        self,
        mat: Any,
        metadata: Any = None,
        label_img: Any = None,
        global_step: Any = None,
        tag: str = "default",
        metadata_header: Any = None,
    ) -> None:
        """Add an embedding ``[N, D]`` for the projector, with optional per-point metadata
        (labels, or rows matching ``metadata_header``) and label images ``[N, C, H, W]``.

        >>> writer.add_embedding(features, metadata=labels, label_img=images)  # doctest: +SKIP
        """
        where = "add_embedding()"
        _check_tag(tag, where)
        matrix = _to_numpy(mat, where=where, argument="mat")
        if matrix.ndim != 2:
            raise ValueError(f"{where}: 'mat' must be 2-D [N points, D dims], got shape "
                             f"{matrix.shape}.")
        count = matrix.shape[0]
        extra: dict[str, Any] = {}
        if metadata is not None:
            extra.update(embedding_metadata(metadata, metadata_header, count, where))
        step = _step(global_step, where)
        run = self._open()
        run.log_tensor("embedding", tag, np.ascontiguousarray(matrix, dtype=np.float32), step,
                       extra)
        if label_img is not None:
            images = _to_numpy(label_img, where=where, argument="label_img")
            if images.ndim != 4 or images.shape[0] != count:
                raise ValueError(f"{where}: 'label_img' must have shape [N={count}, C, H, W], "
                                 f"got shape {images.shape}.")
            if images.shape[1] not in (1, 3):
                raise ValueError(f"{where}: 'label_img' must have 1 or 3 channels, got "
                                 f"{images.shape[1]}.")
            if images.shape[1] == 1:
                images = np.concatenate([images, images, images], 1)
            # float64 like torch's make_sprite, so the pixels equal its sprite.png's
            thumbs = np.clip(images.transpose(0, 2, 3, 1).astype(np.float64) * 255, 0, 255)
            run.log_tensor("sprite", tag, np.ascontiguousarray(thumbs.astype(np.uint8)), step,
                           {})

    # -- PR curves ---------------------------------------------------------------------------

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: Any = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Add a precision-recall curve from 0/1 ``labels`` and ``predictions`` in [0, 1]
        (torch's computation, float32 values, at most 127 thresholds).

        >>> writer.add_pr_curve("pr/cat", labels == 3, probs[:, 3], epoch)  # doctest: +SKIP
        """
        from nbviz.panels.pr.compute import tb_pr_curve

        where = "add_pr_curve()"
        _check_tag(tag, where)
        curve = tb_pr_curve(labels, predictions, num_thresholds, weights)
        self._log_tensor("pr_curve", tag, curve.astype(np.float32).astype(np.float64),
                         global_step, walltime,
                         {"num_thresholds": int(min(num_thresholds, _MAX_PR_THRESHOLDS))}, where)

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: Any,
        false_positive_counts: Any,
        true_negative_counts: Any,
        false_negative_counts: Any,
        precision: Any,
        recall: Any,
        global_step: Any = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Add a precision-recall curve from raw counts and rates (one value per threshold).
        ``weights`` is accepted and unused, as in torch.

        >>> writer.add_pr_curve_raw("pr", tp, fp, tn, fn, precision, recall, 0)  # doctest: +SKIP
        """
        from nbviz.panels.pr.compute import tb_pr_curve_raw

        where = "add_pr_curve_raw()"
        _check_tag(tag, where)
        curve = tb_pr_curve_raw(true_positive_counts, false_positive_counts,
                                true_negative_counts, false_negative_counts, precision, recall,
                                num_thresholds)
        self._log_tensor("pr_curve", tag, curve.astype(np.float32).astype(np.float64),
                         global_step, walltime,
                         {"num_thresholds": int(min(num_thresholds, _MAX_PR_THRESHOLDS))}, where)

    # -- custom scalars, meshes, hparams -----------------------------------------------------

    def add_custom_scalars_multilinechart(self, tags: Sequence[str], category: str = "default",
                                          title: str = "untitled") -> None:
        """Shorthand for a layout with one multi-line chart of ``tags``.

        >>> writer.add_custom_scalars_multilinechart(["loss/train", "loss/val"])  # doctest: +SKIP
        """
        self.add_custom_scalars({category: {title: ["Multiline", list(tags)]}})

    def add_custom_scalars_marginchart(self, tags: Sequence[str], category: str = "default",
                                       title: str = "untitled") -> None:
        """Shorthand for a layout with one margin chart: ``tags`` = [value, lower, upper].

        >>> writer.add_custom_scalars_marginchart(["acc", "acc_lo", "acc_hi"])  # doctest: +SKIP
        """
        if len(tags) != 3:
            raise ValueError(f"add_custom_scalars_marginchart(): 'tags' must name exactly 3 "
                             f"scalars (value, lower, upper), got {len(tags)}.")
        self.add_custom_scalars({category: {title: ["Margin", list(tags)]}})

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, Sequence[Any]]]) -> None:
        """Define custom charts: ``{category: {chart title: ["Multiline" | "Margin", tags]}}``.
        A later call replaces the layout (as in TensorBoard).

        >>> layout = {"loss": {"all": ["Multiline", ["loss/train", "loss/val"]]}}
        >>> writer.add_custom_scalars(layout)  # doctest: +SKIP
        """
        where = "add_custom_scalars()"
        if not isinstance(layout, Mapping):
            raise TypeError(f"{where}: 'layout' must be a dict {{category: {{title: [type, "
                            f"tags]}}}}, got {describe(layout)}.")
        clean: dict[str, dict[str, list[Any]]] = {}
        for category, charts in layout.items():
            if not isinstance(category, str) or not isinstance(charts, Mapping):
                raise TypeError(f"{where}: each category must map a string to a dict of charts, "
                                f"got {describe(category)} -> {describe(charts)}.")
            for title, spec in charts.items():
                if (not isinstance(spec, (list, tuple)) or len(spec) != 2
                        or not isinstance(spec[1], (list, tuple))):
                    raise ValueError(f"{where}: chart {title!r} must be [type, [tags…]], got "
                                     f"{describe(spec)}.")
                kind = "Margin" if spec[0] == "Margin" else "Multiline"
                tags = [str(t) for t in spec[1]]
                if kind == "Margin" and len(tags) != 3:
                    raise ValueError(f"{where}: margin chart {title!r} needs 3 tags (value, "
                                     f"lower, upper), got {len(tags)}.")
                clean.setdefault(str(category), {})[str(title)] = [kind, tags]
        data = np.frombuffer(json.dumps(clean).encode("utf-8"), dtype=np.uint8).copy()
        self._log_tensor("custom_scalars", "custom_scalars", data, None, None, {}, where)

    def add_mesh(
        self,
        tag: str,
        vertices: Any,
        colors: Any = None,
        faces: Any = None,
        config_dict: Any = None,
        global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Add a mesh or point cloud: ``vertices`` ``[B, N, 3]``, optional ``colors`` and
        ``faces`` ``[B, M, 3]``, and a three.js ``config_dict`` (one record per component).

        >>> writer.add_mesh("cloud", vertices=torch.rand(1, 100, 3))  # doctest: +SKIP
        """
        where = "add_mesh()"
        _check_tag(tag, where)
        if config_dict is not None and not isinstance(config_dict, Mapping):
            raise TypeError(f"{where}: 'config_dict' must be a dict, got "
                            f"{describe(config_dict)}.")
        try:
            config = json.loads(json.dumps(dict(config_dict or {}), sort_keys=True))
        except (TypeError, ValueError) as error:
            raise TypeError(f"{where}: 'config_dict' must be JSON-like: {error}") from None
        parts = [("vertices", vertices, 1), ("faces", faces, 2), ("colors", colors, 3)]
        present = [(name, value, code) for name, value, code in parts if value is not None]
        if vertices is None:
            raise ValueError(f"{where}: 'vertices' is required ([B, N, 3]).")
        components = sum(1 << code for _, _, code in present)
        arrays = []
        for name, value, _ in present:
            array = _to_numpy(value, where=where, argument=name)
            if array.ndim != 3 or array.shape[2] != 3:
                raise ValueError(f"{where}: '{name}' must have shape [B, N, 3], got "
                                 f"{array.shape}.")
            arrays.append((name, np.ascontiguousarray(array, dtype=np.float32)))
        for name, array in arrays:
            self._log_tensor("mesh", tag, array, global_step, walltime,
                             {"component": name, "config": config, "components": components},
                             where)

    def add_hparams(
        self,
        hparam_dict: dict[str, Any],
        metric_dict: dict[str, Any],
        hparam_domain_discrete: dict[str, list[Any]] | None = None,
        run_name: str | None = None,
        global_step: Any = None,
    ) -> None:
        """Add a set of hyperparameters and their final metrics, compared across runs.

        Like torch, writes a child run ``<log_dir>/<run_name>`` (default: the current time)
        holding an ``hparams`` record and each metric as a scalar.

        >>> writer.add_hparams({"lr": 0.1, "bsize": 32}, {"hparam/accuracy": 0.9})  # doctest: +SKIP
        """
        where = "add_hparams()"
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError(f"{where}: 'hparam_dict' and 'metric_dict' must be dicts, got "
                            f"{describe(hparam_dict)} and {describe(metric_dict)}.")
        domain = hparam_domain_discrete or {}
        if not isinstance(domain, dict):
            raise TypeError(f"{where}: 'hparam_domain_discrete' must be a dict of name -> list "
                            f"of values, got {describe(domain)}.")
        for key, values in domain.items():
            if key not in hparam_dict or not isinstance(values, list) or not all(
                isinstance(v, type(hparam_dict[key])) for v in values
            ):
                raise TypeError(f"{where}: hparam_domain_discrete[{key!r}] must be a list of "
                                f"values of the same type as hparam_dict[{key!r}].")
        hparams: dict[str, Any] = {}
        discrete: dict[str, list[Any]] = {}
        for key, value in hparam_dict.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: hyperparameter names must be strings, got "
                                f"{describe(key)}.")
            if value is None:
                continue
            if isinstance(value, (int, float)):  # bools too: TensorBoard stores them as numbers
                hparams[key] = float(value)
            elif isinstance(value, str):
                hparams[key] = value
            elif _is_tensor(value) or isinstance(value, np.ndarray | np.number):
                hparams[key] = float(_to_numpy(value, where=where,
                                               argument=f"hparam_dict[{key!r}]").reshape(-1)[0])
            else:
                raise ValueError(f"{where}: hparam_dict[{key!r}] must be an int, float, str, bool "
                                 f"or tensor, got {describe(value)}.")
            if key in domain:
                discrete[key] = [float(v) if isinstance(v, (int, float)) else v
                                 for v in domain[key]]
        metric_names = []
        metric_values = []
        for key, value in metric_dict.items():
            _check_tag(key, where, "metric_dict key")
            number = _scalar_number(value, where=where, argument=f"metric_dict[{key!r}]",
                                    keep_double=False)
            if not isinstance(number, float):
                number = _float32(float(number.item()))
            metric_names.append(key)
            metric_values.append(number)
        if not run_name:
            run_name = str(time.time())
        if not isinstance(run_name, str):
            raise TypeError(f"{where}: 'run_name' must be a string, got {describe(run_name)}.")
        step = _step(global_step, where)
        extra: dict[str, Any] = {"hparams": hparams, "metric_names": metric_names}
        if discrete:
            extra["hparam_domain_discrete"] = discrete
        self._open()
        child_dir = self._dir / run_name
        child, owned = _acquire_run(child_dir, min(float(self.flush_secs), 1.0))
        try:
            child.log_tensor("hparams", "hparams", np.array(metric_values, dtype=np.float64),
                             step, extra)
            for key, number in zip(metric_names, metric_values, strict=True):
                child.log({key: number}, step=step)
        finally:
            if owned:
                _release_run(child)
            else:
                child.flush()

    # -- lifecycle ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Commit everything recorded so far to the store (blocks until written)."""
        with self._lock:
            runs = [run for run in self._runs.values() if not run.finished]
        for run in runs:
            run.flush()

    def close(self) -> None:
        """Flush and close the writer's runs. A later ``add_*`` call reopens them."""
        with self._lock:
            runs = list(self._runs.items())
            owned = set(self._owned)
            self._runs.clear()
            self._owned.clear()
            self._run = None
            self._writers = None
        for key, run in runs:
            if run.finished:
                continue
            if key in owned:
                _release_run(run)
            else:
                run.flush()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None,
                 exc_tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SummaryWriter(log_dir={os.fspath(self.log_dir)!r})"


def _purge(run_dir: Path, purge_step: int) -> None:
    """Delete stored rows with ``step >= purge_step`` (TensorBoard's restart semantics)."""
    path = run_dir / DB_FILENAME
    if not path.exists() or live_run_for(run_dir) is not None:
        return
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        purge_steps(connection, purge_step)
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        connection.execute("ROLLBACK") if connection.in_transaction else None
        raise RuntimeError(f"SummaryWriter(): could not purge steps >= {purge_step} from "
                           f"{path}: {error}") from None
    finally:
        connection.close()
