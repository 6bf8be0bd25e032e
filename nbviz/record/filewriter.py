"""``SummaryWriter.file_writer``: what torch's ``FileWriter`` offers user code, backed by
an nbviz run.

Code written for ``torch.utils.tensorboard`` reaches past the ``add_*`` methods:
``writer.file_writer.get_logdir()``, ``writer.all_writers``, ``writer._get_file_writer()``
and — PyTorch Lightning's ``TensorBoardLogger.log_hyperparams`` among others —
``file_writer.add_summary(summary)`` with a ``Summary`` protobuf built by
``torch.utils.tensorboard.summary`` (``hparams(...)``, ``scalar(...)``, ``image(...)`` …).
:class:`FileWriter` gives those calls nbviz meaning: the protobuf is serialized and decoded
by nbviz's own TensorBoard reader (:meth:`nbviz.store.tfevents.EventRun.feed`), and what it
holds is recorded into the run as the same records a TensorBoard logdir would give.

>>> writer = SummaryWriter("runs/exp1")                          # doctest: +SKIP
>>> writer.file_writer.get_logdir()                              # doctest: +SKIP
'runs/exp1'
>>> from torch.utils.tensorboard.summary import hparams          # doctest: +SKIP
>>> for summary in hparams({"lr": 0.1}, {"hp/acc": 0.0}):        # doctest: +SKIP
...     writer.file_writer.add_summary(summary)
"""

from __future__ import annotations

import math
import struct
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from nbviz._validate import describe
from nbviz.record.run import Run

__all__ = ["FileWriter"]


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1  # negative int64 steps: two's complement, as protobuf writes them
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _event_bytes(wall_time: float, step: int | None, field: int, payload: bytes) -> bytes:
    """An ``Event`` with ``wall_time``, ``step`` and one length-delimited ``field``."""
    head = b"\x09" + struct.pack("<d", wall_time)
    if step is not None:
        head += b"\x10" + _varint(step)
    return head + _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _serialized(message: Any, where: str, argument: str) -> bytes:
    serialize = getattr(message, "SerializeToString", None)
    if not callable(serialize):
        raise TypeError(f"{where}: '{argument}' must be a protobuf message (e.g. from "
                        f"torch.utils.tensorboard.summary), got {describe(message)}.")
    data = serialize()
    if not isinstance(data, bytes):
        raise TypeError(f"{where}: '{argument}'.SerializeToString() returned "
                        f"{describe(data)}, not bytes.")
    return data


def _wall(walltime: Any, where: str) -> float:
    if walltime is None:
        return time.time()
    if isinstance(walltime, bool) or not isinstance(walltime, (int, float)) or not math.isfinite(
        walltime
    ):
        raise ValueError(f"{where}: 'walltime' must be seconds since the epoch, got "
                         f"{describe(walltime)}.")
    return float(walltime)


def _step(step: Any, where: str, argument: str) -> int | None:
    if step is None:
        return None
    try:
        return int(step)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: '{argument}' must be an integer step, got "
                        f"{describe(step)}.") from None


class FileWriter:
    """torch's ``FileWriter`` interface over one nbviz :class:`~nbviz.Run`.

    ``get_logdir()`` is the directory as given to the writer; ``add_summary`` /
    ``add_event`` / ``add_graph`` / ``add_onnx_graph`` record what the protobufs hold;
    ``flush()`` commits the run. The run's lifetime belongs to the ``SummaryWriter``
    (``writer.close()`` finishes it and sets ``writer.file_writer`` to None, like torch), so
    ``close()`` here commits and ``reopen()`` has nothing to reopen.

    >>> writer.file_writer.add_summary(scalar("loss", 0.5), global_step=3)  # doctest: +SKIP
    """

    def __init__(self, run: Run, log_dir: str) -> None:
        if not isinstance(run, Run):
            raise TypeError(f"FileWriter(): 'run' must be an nbviz Run, got {describe(run)}.")
        self._run = run
        self._log_dir = str(log_dir)
        self._lock = threading.Lock()
        self._decoder: Any = None  # EventRun fed with this writer's events, made on first use

    @property
    def run(self) -> Run:
        """The nbviz run this writer records into."""
        return self._run

    def get_logdir(self) -> str:
        """The directory this writer's data goes to, as given to the ``SummaryWriter``."""
        return self._log_dir

    def add_event(self, event: Any, step: Any = None, walltime: float | None = None) -> None:
        """Record what an ``Event`` protobuf holds (its summary values, a graph …); like
        torch, sets its ``wall_time`` (now unless ``walltime``) and ``step`` when given."""
        where = "FileWriter.add_event()"
        _serialized(event, where, "event")
        wall = _wall(walltime, where)
        number = _step(step, where, "step")
        event.wall_time = wall
        if number is not None:
            event.step = number
        self._decode(_serialized(event, where, "event"))

    def add_summary(self, summary: Any, global_step: Any = None,
                    walltime: float | None = None) -> None:
        """Record the values of a ``Summary`` protobuf (scalars, histograms, images, text,
        hparams … as ``torch.utils.tensorboard.summary`` builds them) at ``global_step``."""
        where = "FileWriter.add_summary()"
        payload = _serialized(summary, where, "summary")
        self._decode(_event_bytes(_wall(walltime, where),
                                  _step(global_step, where, "global_step"), 5, payload))

    def add_graph(self, graph_profile: Any, walltime: float | None = None) -> None:
        """Record a ``(GraphDef, RunMetadata)`` pair (what torch's graph tracer returns) or a
        lone ``GraphDef`` as a ``graph`` record."""
        where = "FileWriter.add_graph()"
        graph = graph_profile[0] if isinstance(graph_profile, (tuple, list)) else graph_profile
        self._decode(_event_bytes(_wall(walltime, where), None, 4,
                                  _serialized(graph, where, "graph_profile")))

    def add_onnx_graph(self, graph: Any, walltime: float | None = None) -> None:
        """Record a ``GraphDef`` (torch's ONNX import) as a ``graph`` record."""
        where = "FileWriter.add_onnx_graph()"
        self._decode(_event_bytes(_wall(walltime, where), None, 4,
                                  _serialized(graph, where, "graph")))

    def flush(self) -> None:
        """Commit what was recorded to the run's store."""
        if not self._run.finished:
            self._run.flush()

    def close(self) -> None:
        """Commit what was recorded (the run itself is closed by ``SummaryWriter.close``)."""
        self.flush()

    def reopen(self) -> None:
        """Nothing to reopen: the run stays open until ``SummaryWriter.close()``."""

    def __repr__(self) -> str:
        return f"FileWriter(log_dir={self._log_dir!r}, run={self._run.name!r})"

    def _decode(self, event: bytes) -> None:
        from nbviz.store.tfevents import EventRun

        with self._lock:
            if self._decoder is None:
                self._decoder = EventRun(Path(self._run.dir))
            decoder = self._decoder
            decoder.feed([event], source=f"{self._log_dir} (add_summary)")
            columns, _ = decoder.scalars_since(0)
            records, _ = decoder.tensors_since(0)
            problems = list(decoder.problems)
            decoder.discard_decoded()  # recorded into the run below: hold nothing twice
        for tag_index, step, wall, value in zip(columns.tag_index.tolist(), columns.step.tolist(),
                                                columns.wall_time.tolist(),
                                                columns.value.tolist(), strict=True):
            self._run.log({columns.tags[tag_index]: value}, step=int(step), wall_time=wall)
        for record in records:
            self._run.log_tensor(record.kind, record.tag, record.array, record.step,
                                 record.extra, wall_time=record.wall_time)
        for problem in problems:
            warnings.warn(f"SummaryWriter.file_writer: {problem.reason}; not recorded.",
                          RuntimeWarning, stacklevel=3)
