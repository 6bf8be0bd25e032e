"""``Run``: the recording facade. ``log()`` appends to memory; a flusher commits.

A log call validates its input, converts values to floats (deferring device
tensors) and appends rows to an in-memory list under a lock: it never touches
the disk or the frontend. A background flusher materialises deferred tensors
(one transfer per device) and commits rows to the run's SQLite store at least
once per ``flush_secs`` (default 1 s), so at most that much data is at risk if
the process dies.

Rows carry a sequence number (``seq``): rows below ``_base_seq`` are committed
to the store, rows from ``_base_seq`` on are still in ``_pending``. Readers in
this process (``nbviz.sources``) read both and so see a value as soon as it is
logged.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import threading
import time
import warnings
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np

from nbviz._validate import check_run_name, check_step, check_tag, describe
from nbviz.record.values import DeferredTensor, coerce_scalar, materialize
from nbviz.store.sqlite import DB_FILENAME, StoreWriter, TensorRecord

__all__ = ["Run", "current_run", "finish", "init", "live_run_dirs", "live_run_for", "log"]

PendingRow = tuple[str, int, float, "float | DeferredTensor"]
IfExists = Literal["new", "append", "overwrite"]

_LIVE_RUNS: weakref.WeakValueDictionary[str, Run] = weakref.WeakValueDictionary()
_CURRENT: Run | None = None


def live_run_for(run_dir: Path) -> Run | None:
    """The unfinished ``Run`` of this process writing to ``run_dir``, if any."""
    return _LIVE_RUNS.get(os.path.realpath(run_dir))


def live_run_dirs() -> list[Path]:
    """Directories of every unfinished ``Run`` of this process."""
    return [Path(path) for path in list(_LIVE_RUNS.keys())]


def _json_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise TypeError(
            f"init(): 'config' must be a dict of hyperparameters, got {describe(config)}."
        )

    def default(value: Any) -> Any:
        if hasattr(value, "item") and getattr(value, "size", 1) == 1:
            return value.item()
        if hasattr(value, "tolist"):
            return value.tolist()
        return str(value)

    try:
        return dict(json.loads(json.dumps(dict(config), default=default, allow_nan=True)))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"init(): 'config' must hold JSON-like values (numbers, strings, lists, dicts): {error}"
        ) from None


def _check_wall_time(wall_time: Any, where: str) -> float:
    """A finite unix time in seconds (``walltime=`` arguments)."""
    if isinstance(wall_time, bool) or not isinstance(wall_time, (int, float, np.number)) or (
        not np.isfinite(float(wall_time))
    ):
        raise TypeError(f"{where}: 'wall_time' must be a finite number of seconds since the "
                        f"epoch (like time.time()), got {describe(wall_time)}.")
    return float(wall_time)


class Run:
    """One training run: a directory ``<logdir>/<name>`` holding its store.

    Create runs with :func:`nbviz.init`. Use as a context manager to finish on exit::

        with nbviz.init("lr=0.1", logdir="runs", config={"lr": 0.1}) as run:
            for step in range(100):
                run.log({"loss": 1 / (step + 1)}, step=step)
    """

    def __init__(
        self,
        name: str,
        logdir: str | os.PathLike[str] = "runs",
        config: Mapping[str, Any] | None = None,
        *,
        if_exists: IfExists = "new",
        flush_secs: float = 1.0,
    ) -> None:
        name = check_run_name(name)
        if not isinstance(logdir, (str, os.PathLike)):
            raise TypeError(f"init(): 'logdir' must be a path, got {describe(logdir)}.")
        if if_exists not in ("new", "append", "overwrite"):
            raise ValueError(
                f"init(): 'if_exists' must be 'new', 'append' or 'overwrite', got {if_exists!r}."
            )
        if not (isinstance(flush_secs, (int, float)) and 0 < flush_secs <= 3600):
            raise ValueError(f"init(): 'flush_secs' must be in (0, 3600], got {flush_secs!r}.")
        config_json = _json_config(config)
        self.logdir = Path(logdir)
        run_dir = self.logdir / name
        if (run_dir / DB_FILENAME).exists():
            if if_exists == "new":
                name = self._free_name(name)
                run_dir = self.logdir / name
            elif if_exists == "overwrite":
                if live_run_for(run_dir) is not None:
                    raise RuntimeError(
                        f"init(): run {name!r} is still being written in this process; "
                        "finish() it before overwriting."
                    )
                for suffix in ("", "-wal", "-shm", "-journal"):
                    (run_dir / (DB_FILENAME + suffix)).unlink(missing_ok=True)
        self.name = name
        self.dir = run_dir
        self.config = config_json
        self.flush_secs = float(flush_secs)
        self._store = StoreWriter(run_dir)
        created = time.time()
        self._store.set_meta("name", name)
        self._store.set_meta("config", config_json)
        self._store.set_meta("created", created)
        self._lock = threading.Lock()
        self._materialize_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._pending: list[PendingRow] = []
        self._base_seq = self._store.next_seq()
        self._materialized_seq = self._base_seq
        self._tensor_pending: list[TensorRecord] = []
        self._tensor_base_seq = self._store.next_seq("tensors")
        self._next_step = self._store.next_step()  # 0, or after the last stored step (append)
        self._finished = False
        self._flush_error: BaseException | None = None
        self._wake = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_loop, name=f"nbviz-flusher[{name}]", daemon=True
        )
        _LIVE_RUNS[os.path.realpath(run_dir)] = self
        _ALL_RUNS.add(self)
        self._flusher.start()

    def _free_name(self, name: str) -> str:
        index = 1
        while (self.logdir / f"{name}-{index}" / DB_FILENAME).exists():
            index += 1
        return f"{name}-{index}"

    # -- recording ---------------------------------------------------------------------------

    def log(self, data: Mapping[str, Any], step: int | None = None, *,
            wall_time: float | None = None) -> None:
        """Record scalar values at ``step`` (auto-incremented from the last step when omitted).

        Values may be Python/numpy numbers or 1-element tensors on any device. NaN and
        ±Inf are kept. Nothing is written if any value is invalid. ``wall_time`` (unix
        seconds) overrides the time of the values (default: now).

        >>> run.log({"loss/train": 0.31, "acc": 0.9}, step=10)  # doctest: +SKIP
        """
        if self._finished:
            raise RuntimeError(
                f"log(): run {self.name!r} is finished; start a new one with init()."
            )
        if not isinstance(data, Mapping):
            raise TypeError(
                f"log(): 'data' must be a dict of metric name -> number, got {describe(data)}; "
                "use e.g. run.log({'loss': 0.5}, step=3)."
            )
        step_value = self._next_step if step is None else check_step(step, where="log()")
        wall = time.time() if wall_time is None else _check_wall_time(wall_time, "log()")
        rows: list[PendingRow] = []
        for tag, value in data.items():
            if type(tag) is not str or not tag.strip():
                check_tag(tag, where="log()")
            kind = type(value)
            number = (
                float(value) if kind is float or kind is int
                else coerce_scalar(tag, value, where="log()")
            )
            rows.append((tag, step_value, wall, number))
        with self._lock:
            self._pending.extend(rows)
            self._next_step = step_value + 1

    def resolve_step(self, step: Any, *, where: str) -> int:
        """``step`` validated, or the current step (last ``log()`` step) when None."""
        if step is None:
            return max(self._next_step - 1, 0)
        return check_step(step, where=where)

    def log_tensor(
        self, kind: str, tag: str, array: np.ndarray, step: int,
        extra: Mapping[str, Any] | None = None, *, wall_time: float | None = None,
    ) -> None:
        """Record a non-scalar ``array`` of ``kind`` (histogram, pr_curve …) — for nbviz's own
        recorders (``log_pr``, ``watch`` …), which validate their input first."""
        if self._finished:
            raise RuntimeError(f"run {self.name!r} is finished; start a new one with init().")
        check_tag(tag, where=f"log ({kind})")
        wall = time.time() if wall_time is None else _check_wall_time(wall_time, "log_tensor()")
        record = TensorRecord(kind=kind, tag=tag, step=int(step), wall_time=wall,
                              array=np.ascontiguousarray(array), extra=dict(extra or {}))
        with self._lock:
            self._tensor_pending.append(record)

    def log_pr(
        self, tag: str, labels: Any, predictions: Any, step: int | None = None, *,
        class_names: Any = None, num_thresholds: int = 127, weights: Any = None,
    ) -> None:
        """Record precision–recall curves (binary, or multiclass one-vs-rest) at ``step``.

        Binary: 0/1 ``labels`` and probabilities ``predictions``; multiclass:
        ``predictions`` of shape (N, C) with class-index ``labels`` (and optional
        ``class_names``). Numpy arrays, lists or tensors on any device. Nothing is
        written if an input is invalid. See :mod:`nbviz.panels.pr.record`.

        >>> run.log_pr("val/pr", labels, probs, step=epoch)  # doctest: +SKIP
        """
        from nbviz.panels.pr.record import log_pr

        log_pr(self, tag, labels, predictions, step, class_names=class_names,
               num_thresholds=num_thresholds, weights=weights)

    def log_histogram(self, tag: str, values: Any, step: int | None = None,
                      bins: Any = 64) -> None:
        """Record a histogram of ``values`` (tensor on any device, numpy array, list).

        ``bins`` an int: that many equal bins over the values' range, computed on the
        tensor's device (only the counts travel). ``"tensorflow"``, a numpy rule name
        or explicit edges: exactly what ``torch.utils.tensorboard``'s ``add_histogram``
        stores. Shown by ``nbviz.Histograms`` / ``nbviz.Distributions``.

        >>> run.log_histogram("weights/fc1", model.fc1.weight, step=10)  # doctest: +SKIP
        """
        from nbviz.panels.histograms.compute import tb_histogram, uniform_histogram

        where = "log_histogram()"
        check_tag(tag, where=where)
        step_value = self.resolve_step(step, where=where)
        if isinstance(bins, int) and not isinstance(bins, bool):
            if not 1 <= bins <= 10_000:
                raise ValueError(f"{where}: 'bins' must be in 1..10000, got {bins}.")
            if hasattr(values, "detach") and hasattr(values, "device"):
                from nbviz.hooks.stats import tensor_histogram

                array, extra = tensor_histogram(values, bins)
            else:
                array, extra = uniform_histogram(values, bins)
        else:
            array, extra = tb_histogram(values, bins=bins)
        self.log_tensor("histogram", tag, array, step_value, {**extra, "source": "user"})

    def log_embedding(self, tag: str, features: Any, metadata: Any = None, images: Any = None,
                      step: int | None = None) -> None:
        """Record an embedding ``features`` [N, D] for ``nbviz.Projector`` at ``step``.

        ``metadata``: a dict of columns (``{"label": y, "split": split}``), a DataFrame or
        one list of labels; ``images``: label images [N, C, H, W], [N, H, W, C] or [N, H, W]
        shown on hover. Rows with NaN/Inf are dropped with a warning. See
        :mod:`nbviz.panels.projector.record`.

        >>> run.log_embedding("penultimate", feats, metadata={"label": y}, step=3)  # doctest: +SKIP
        """
        from nbviz.panels.projector.record import log_embedding

        log_embedding(self, tag, features, metadata, images, step)

    def log_image(self, tag: str, images: Any, masks: Any = None, class_names: Any = None,
                  boxes: Any = None, box_labels: Any = None, box_scores: Any = None,
                  step: int | None = None, *, image_format: str = "png",
                  quality: int = 90) -> None:
        """Record images (N, C, H, W) / (N, H, W, C) / (H, W) …, uint8 or floats in [0, 1],
        stored PNG-encoded (``image_format="jpeg"``/``"webp"`` on request), every step kept;
        optional class-index ``masks`` with ``class_names`` and pixel ``boxes`` with
        ``box_labels`` / ``box_scores``. Shown by ``nbviz.Images``.
        See :mod:`nbviz.panels.media.record`.

        >>> run.log_image("seg", x, masks=pred, class_names=names, step=3)  # doctest: +SKIP
        """
        from nbviz.panels.media.record import log_image

        log_image(self, tag, images, masks, class_names, boxes, box_labels, box_scores, step,
                  image_format=image_format, quality=quality)

    def log_audio(self, tag: str, waveform: Any, sample_rate: Any = 16000,
                  step: int | None = None) -> None:
        """Record mono clips ``[L]`` / ``[N, L]`` in [-1, 1] as 16-bit WAV (``nbviz.Audio``).

        >>> run.log_audio("speech", wave, sample_rate=16000, step=3)  # doctest: +SKIP
        """
        from nbviz.panels.media.record import log_audio

        log_audio(self, tag, waveform, sample_rate, step)

    def log_text(self, tag: str, text: Any, step: int | None = None) -> None:
        """Record Markdown text (shown safely by ``nbviz.Text``).

        >>> run.log_text("sample", "**pred:** cat", step=3)  # doctest: +SKIP
        """
        from nbviz.panels.media.record import log_text

        log_text(self, tag, text, step)

    def log_table(self, tag: str, columns: Any, step: int | None = None) -> None:
        """Record a table ``{"column": numbers | strings | images}`` (``nbviz.Table``).

        >>> run.log_table("val", {"image": x, "true": y, "pred": p}, step=3)  # doctest: +SKIP
        """
        from nbviz.panels.media.record import log_table

        log_table(self, tag, columns, step)

    def health(self, thresholds: Any = None) -> Any:
        """Training-health findings of this run as a DataFrame with columns step, layer,
        rule, severity, message, value, threshold (see ``nbviz.panels.health.rules``).

        >>> run.health()  # doctest: +SKIP
        """
        from nbviz.panels.health.rules import Thresholds, run_findings

        return run_findings(self, Thresholds.coerce(thresholds))

    def _tensor_pending_since(self, seq: int) -> tuple[int, list[TensorRecord]]:
        """(base seq, pending tensor records with seq >= max(seq, base), seqs filled in)."""
        with self._lock:
            base = self._tensor_base_seq
            start = max(seq, base) - base
            records = self._tensor_pending[start:]
        return base, [dataclasses.replace(r, seq=base + start + i) for i, r in enumerate(records)]

    # -- reading what is not yet in the store --------------------------------------------------

    def _materialize(self) -> None:
        """Convert deferred device tensors in pending rows to floats (batched per device)."""
        with self._materialize_lock:
            with self._lock:
                start = self._materialized_seq - self._base_seq
                todo = self._pending[start:]
                first_seq = self._materialized_seq
            if not todo:
                return
            if any(type(row[3]) is DeferredTensor for row in todo):
                floats = materialize([row[3] for row in todo])
                todo = [(t, s, w, v) for (t, s, w, _), v in zip(todo, floats, strict=True)]
                with self._lock:
                    offset = first_seq - self._base_seq
                    self._pending[offset : offset + len(todo)] = todo
            with self._lock:
                self._materialized_seq = first_seq + len(todo)

    def _pending_since(self, seq: int) -> tuple[int, list[tuple[str, int, float, float]]]:
        """(base_seq, materialized rows with seq >= max(seq, base_seq)) at one instant."""
        self._materialize()
        with self._lock:
            base = self._base_seq
            start = max(seq, base) - base
            stop = self._materialized_seq - base
            rows = self._pending[start:stop] if stop > start else []
        return base, rows  # type: ignore[return-value]

    # -- flushing ------------------------------------------------------------------------------

    def _commit(self) -> None:
        with self._commit_lock:  # flush() and the flusher never write the same seqs twice
            self._commit_locked()

    def _commit_locked(self) -> None:
        with self._lock:
            tensors = list(self._tensor_pending)
            tensor_seq = self._tensor_base_seq
        if tensors:
            self._store.write_tensors(tensor_seq, tensors)
            with self._lock:
                del self._tensor_pending[: len(tensors)]
                self._tensor_base_seq = tensor_seq + len(tensors)
        self._materialize()
        with self._lock:
            count = self._materialized_seq - self._base_seq
            rows = self._pending[:count]
            first_seq = self._base_seq
        if not rows:
            return
        self._store.write_scalars(first_seq, rows)  # type: ignore[arg-type]
        with self._lock:
            del self._pending[:count]
            self._base_seq = first_seq + count

    def _flush_loop(self) -> None:
        while not self._finished:
            self._wake.wait(self.flush_secs)
            self._wake.clear()
            if self._finished:
                break
            try:
                self._commit()
            except Exception as error:  # pragma: no cover - disk full, permissions …
                if self._flush_error is None:
                    warnings.warn(
                        f"nbviz: could not write run {self.name!r} to {self.dir}: {error}; "
                        "values stay in memory and are retried.",
                        RuntimeWarning,
                        stacklevel=1,
                    )
                self._flush_error = error

    def flush(self) -> None:
        """Commit everything logged so far to the store (blocks until written)."""
        self._commit()

    def finish(self) -> None:
        """Flush and close the run. Idempotent."""
        if self._finished:
            return
        self._finished = True
        self._wake.set()
        if self._flusher.is_alive() and threading.current_thread() is not self._flusher:
            self._flusher.join(timeout=30)
        try:
            self._commit()
            self._store.set_meta("finished", time.time())
        finally:
            self._store.close()
            _LIVE_RUNS.pop(os.path.realpath(self.dir), None)
            _ALL_RUNS.discard(self)
            global _CURRENT
            if _CURRENT is self:
                _CURRENT = None

    @property
    def finished(self) -> bool:
        """True once :meth:`finish` has run."""
        return self._finished

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish()

    def __repr__(self) -> str:
        state = "finished" if self._finished else "live"
        return f"Run({self.name!r}, dir={str(self.dir)!r}, {state})"


_ALL_RUNS: set[Run] = set()


@atexit.register
def _finish_all() -> None:
    for run in list(_ALL_RUNS):
        with contextlib.suppress(Exception):
            run.finish()


def init(
    name: str | None = None,
    logdir: str | os.PathLike[str] = "runs",
    config: Mapping[str, Any] | None = None,
    *,
    if_exists: IfExists = "new",
    flush_secs: float = 1.0,
) -> Run:
    """Start a run under ``logdir`` and make it the current run.

    ``if_exists`` says what happens when ``<logdir>/<name>`` already holds a run:
    ``"new"`` (default) picks a free name ``name-1``, ``name-2`` …; ``"append"``
    continues it; ``"overwrite"`` deletes its data first.

    >>> run = nbviz.init("lr=0.1", logdir="runs", config={"lr": 0.1})  # doctest: +SKIP
    """
    global _CURRENT
    if name is None:
        name = time.strftime("%Y%m%d-%H%M%S")
    run = Run(name, logdir, config, if_exists=if_exists, flush_secs=flush_secs)
    _CURRENT = run
    return run


def current_run() -> Run:
    """The run started last by :func:`init` (and not finished)."""
    if _CURRENT is None:
        raise RuntimeError("nbviz: no current run; call nbviz.init('name') first.")
    return _CURRENT


def log(data: Mapping[str, Any], step: int | None = None) -> None:
    """Log to the current run: ``nbviz.log({"loss": 0.3}, step=5)``."""
    current_run().log(data, step=step)


def finish() -> None:
    """Finish the current run, if any."""
    if _CURRENT is not None:
        _CURRENT.finish()




