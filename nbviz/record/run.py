"""``Run``: the recording facade. ``log()`` appends to memory; a flusher commits.

A log call validates its input (each tag once: validated tags are cached), converts
values to floats (deferring device tensors) and extends an in-memory list by one
record of four items, ``(tag, step, wall, value)`` for the usual one-value dict (a
fast path with no container allocated that outlives the call) or ``(tags, step, wall,
values)`` (:mod:`nbviz.record.pending`; one atomic ``list.extend``, no lock; calls
repeating a combination of tags share one ``tags`` tuple): it never touches the disk
or the frontend. A background flusher materialises
deferred tensors (one transfer per device), turns the calls into numpy columns and
commits them to the run's SQLite store at least once per ``flush_secs`` (default
1 s), so at most that much data is at risk if the process dies.

Values carry a sequence number (``seq``): values below ``_scalars.base_seq`` are
committed to the store, the rest are still pending. Readers in this process
(``nbviz.sources``) read both and so see a value as soon as it is logged.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np

from nbviz._validate import MAX_STEP, check_run_name, check_step, check_tag, describe, short_text
from nbviz.record import values as _values
from nbviz.record.checks import check_tensor_record, scalar_row_problem, tensor_record_problem
from nbviz.record.live import LiveRun, live_run_dirs, live_run_for
from nbviz.record.pending import PendingScalars, ScalarBatch, record
from nbviz.record.values import DeferredTensor, coerce_scalar
from nbviz.store.errors import (
    StoreWriteError,
    WriterConflictError,
    is_content_error,
    sqlite_cause,
)
from nbviz.store.lock import WriterLock
from nbviz.store.sqlite import DB_FILENAME, StoreWriter, TensorRecord

__all__ = ["Run", "current_run", "finish", "init", "live_run_dirs", "live_run_for", "log"]

IfExists = Literal["new", "append", "overwrite"]

# While the store cannot be written (disk full …) logged data waits in memory, up to these
# bounds; past them the oldest is dropped with a warning.
MAX_PENDING_ROWS = 5_000_000
MAX_PENDING_TENSOR_BYTES = 1 << 30
MAX_CACHED_TAGS = 100_000  # validated tag names remembered (each checked once)

_CURRENT: Run | None = None
_now = time.time  # the wall time of a logged value (one global lookup, no attribute)


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


class Run(LiveRun):
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
        name, run_dir, self._writer_lock = self._claim(name, if_exists)
        try:
            if if_exists == "overwrite":
                for suffix in ("", "-wal", "-shm", "-journal"):
                    (run_dir / (DB_FILENAME + suffix)).unlink(missing_ok=True)
            self._store = StoreWriter(
                run_dir, meta={"name": name, "config": config_json, "created": time.time()})
        except BaseException:
            self._writer_lock.release()
            raise
        self.name = name
        self.dir = run_dir
        self.config = config_json
        self.flush_secs = float(flush_secs)
        self._lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._scalars = PendingScalars(self._store.next_seq())
        self._calls = self._scalars.calls  # log() appends here (never rebound)
        self._tensor_pending: list[TensorRecord] = []
        self._tensor_base_seq = self._store.next_seq("tensors")
        self._next_step = self._store.next_step()  # 0, or after the last stored step (append)
        self._valid_tags: set[str] = set()
        self._known_tags: dict[tuple[str, ...], tuple[str, ...]] = {}  # see _check_tags
        self._finished = False
        self._flush_error: BaseException | None = None
        self._commit_secs = 0.0  # duration of recent commits (decaying maximum)
        self._wake = threading.Event()
        self._flusher = self._start_flusher()
        self._register_live()
        _ALL_RUNS.add(self)

    def _start_flusher(self) -> threading.Thread:
        flusher = threading.Thread(
            target=self._flush_loop, name=f"nbviz-flusher[{self.name}]", daemon=True
        )
        flusher.start()
        return flusher

    def _claim(self, name: str, if_exists: str) -> tuple[str, Path, WriterLock]:
        """(name, directory, writer lock) of the run to write: one writer per directory."""
        shown = short_text(name)
        for attempt in range(1000):
            candidate = name if attempt == 0 else f"{name}-{attempt}"
            run_dir = self.logdir / candidate
            if if_exists == "new" and (run_dir / DB_FILENAME).exists():
                continue
            try:
                run_dir.mkdir(parents=True, exist_ok=True)
                lock = WriterLock.try_acquire(run_dir)
            except OSError as error:
                raise StoreWriteError(
                    run_dir, sqlite_cause(error),
                    f"init() could not create run {shown!r}; pass a writable logdir=",
                ) from None
            if lock is not None:
                return candidate, run_dir, lock
            if if_exists == "new":
                continue  # another process just took this name: use the next one
            holder = WriterLock.holder(run_dir)
            raise WriterConflictError(
                f"init(): run {short_text(candidate)!r} in {str(self.logdir)!r} is being "
                f"written by another writer (process {holder or 'unknown'}); nbviz allows "
                "one writer per run. Use another run name, if_exists='new', or finish() the "
                "other writer first."
            )
        raise WriterConflictError(f"init(): no free run name like {shown!r} in "
                                  f"{str(self.logdir)!r} after 1000 tries.")

    # -- recording ---------------------------------------------------------------------------

    def log(self, data: Mapping[str, Any], step: int | None = None, *,
            wall_time: float | None = None) -> None:
        """Record scalar values at ``step`` (auto-incremented from the last step when omitted).

        Values may be Python/numpy numbers or 1-element tensors on any device. NaN and
        ±Inf are kept. Nothing is written if any value is invalid. ``wall_time`` (unix
        seconds) overrides the time of the values (default: now).

        >>> run.log({"loss/train": 0.31, "acc": 0.9}, step=10)  # doctest: +SKIP
        """
        if type(data) is dict and wall_time is None and not self._finished:
            at = self._next_step if step is None else step
            if type(at) is int and 0 <= at <= MAX_STEP:  # the usual call: checked fast
                if len(data) == 1:
                    for tag in data:  # noqa: B007 (the one key: a loop costs less than next(iter()))
                        break
                    if tag in self._valid_tags:
                        value = data[tag]
                        if type(value) is not float:
                            value = _number(tag, value, self._scalars)
                        self._calls.extend((tag, at, _now(), value))  # atomic: no lock
                        self._next_step = at + 1
                        return
                else:
                    tags = self._known_tags.get(tuple(data))
                    if tags is not None:
                        values = tuple(data.values())
                        for value in values:
                            if type(value) is not float:
                                values = _numbers(tags, values, self._scalars)
                                break
                        self._calls.extend((tags, at, _now(), values))  # atomic: no lock
                        self._next_step = at + 1
                        return
        self._log_checked(data, step, wall_time)

    def _log_checked(self, data: Mapping[str, Any], step: int | None,
                     wall_time: float | None) -> None:
        """``log()`` of anything the fast path in :meth:`log` does not take (new tags,
        ``wall_time=``, a step to check, a Mapping): every argument checked, nothing
        appended unless all are valid."""
        if self._finished:
            raise RuntimeError(
                f"log(): run {self.name!r} is finished; start a new one with init()."
            )
        if type(data) is not dict:
            if not isinstance(data, Mapping):
                raise TypeError(
                    f"log(): 'data' must be a dict of metric name -> number, got "
                    f"{describe(data)}; use e.g. run.log({{'loss': 0.5}}, step=3)."
                )
            data = dict(data)
        if type(step) is int and 0 <= step <= MAX_STEP:
            step_value = step
        elif step is None:
            step_value = self._next_step
            if step_value > MAX_STEP:
                raise ValueError(
                    f"log(): the automatic 'step' would be {step_value}, past 2**53 (steps "
                    "travel as float64, exact only up to 2**53); pass step= explicitly."
                )
        else:
            step_value = check_step(step, where="log()")
        wall = _now() if wall_time is None else _check_wall_time(wall_time, "log()")
        tags = self._known_tags.get(key := tuple(data))
        if tags is None:
            tags = self._check_tags(key)
        values = _numbers(tags, tuple(data.values()), self._scalars)
        self._calls.extend(record(tags, step_value, wall, values))  # atomic: no lock
        self._next_step = step_value + 1

    def _check_tags(self, tags: tuple[Any, ...]) -> tuple[str, ...]:
        """Validate the tags not seen before (raises naming the first bad one) and remember
        them, so that each tag is checked once; returns the one tuple kept for this
        combination of tags (up to MAX_CACHED_TAGS of them), which the calls that repeat it
        share: the flusher groups calls by that tuple."""
        valid_tags = self._valid_tags
        for tag in tags:
            if tag not in valid_tags:
                check_tag(tag, where="log()")
        if len(valid_tags) < MAX_CACHED_TAGS:
            valid_tags.update(tags)
        return self._shared_tags(tags)

    def _shared_tags(self, tags: tuple[str, ...]) -> tuple[str, ...]:
        known = self._known_tags
        if len(known) < MAX_CACHED_TAGS:
            return known.setdefault(tags, tags)
        return known.get(tags, tags)

    def _log_floats(self, data: dict[str, float], step: int, wall_time: float) -> None:
        """Append already-validated floats at ``step`` without moving the auto-increment step
        (nbviz's own meters: the step timer and the system meter)."""
        if self._finished:
            return
        self._calls.extend(record(self._shared_tags(tuple(data)), step, wall_time,
                                  tuple(data.values())))

    def _log_records(self, records: list[TensorRecord]) -> None:
        """Queue already-validated tensor records (nbviz's own recorders: ``watch`` builds
        float64 arrays, JSON extras and checked tags itself), in one locked append instead
        of one ``log_tensor`` check per record. The caller validates at its own boundary;
        the flusher still isolates a record the store refuses."""
        if self._finished:
            raise RuntimeError(f"run {self.name!r} is finished; start a new one with init().")
        with self._lock:
            self._tensor_pending.extend(records)

    def resolve_step(self, step: Any, *, where: str) -> int:
        """``step`` validated, or the current step (last ``log()`` step) when None."""
        if step is None:
            return max(self._next_step - 1, 0)
        return check_step(step, where=where)

    def log_tensor(
        self, kind: str, tag: str, array: np.ndarray, step: int,
        extra: Mapping[str, Any] | None = None, *, wall_time: float | None = None,
    ) -> None:
        """Record a non-scalar ``array`` of ``kind`` (histogram, pr_curve …; docs/store.md).

        Checked here, so that a flush never fails on content: ``tag`` valid Unicode
        without control characters, ``step`` in 0..2**53, ``array`` numeric or bool,
        ``extra`` a dict of JSON values. Raises naming the argument otherwise.

        >>> text = np.frombuffer(b"hi", np.uint8)
        >>> run.log_tensor("text", "notes", text, step=0)  # doctest: +SKIP
        """
        if self._finished:
            raise RuntimeError(f"run {self.name!r} is finished; start a new one with init().")
        kind, tag, array, step, extra_dict = check_tensor_record(kind, tag, array, step, extra)
        wall = time.time() if wall_time is None else _check_wall_time(wall_time, "log_tensor()")
        record = TensorRecord(kind=kind, tag=tag, step=step, wall_time=wall, array=array,
                              extra=extra_dict)
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
                      bins: Any = 64, *, sample: int | None = None) -> None:
        """Record a histogram of ``values`` (tensor on any device, numpy array, list).

        ``bins`` an int: that many equal bins over the values' range, computed on the
        tensor's device (only the counts travel). ``"tensorflow"``, a numpy rule name
        or explicit edges: exactly what ``torch.utils.tensorboard``'s ``add_histogram``
        stores. Shown by ``nbviz.Histograms`` / ``nbviz.Distributions``.
        ``sample=N`` (int bins, tensors): bucket only N values at fixed random positions
        of a larger tensor (min, max, sums, NaN/Inf counts stay exact; see
        ``nbviz.hooks.stats.tensor_histogram``).

        >>> run.log_histogram("weights/fc1", model.fc1.weight, step=10)  # doctest: +SKIP
        """
        from nbviz.panels.histograms.compute import tb_histogram, uniform_histogram

        where = "log_histogram()"
        check_tag(tag, where=where)
        step_value = self.resolve_step(step, where=where)
        if sample is not None and (isinstance(bins, bool) or not isinstance(bins, int)):
            raise ValueError(
                f"{where}: 'sample' needs int bins (nbviz's equal-width histogram), got "
                f"bins={bins!r}; TensorBoard's buckets are always computed exactly.")
        if isinstance(bins, int) and not isinstance(bins, bool):
            if not 1 <= bins <= 10_000:
                raise ValueError(f"{where}: 'bins' must be in 1..10000, got {bins}.")
            if hasattr(values, "detach") and hasattr(values, "device"):
                from nbviz.hooks.stats import tensor_histogram

                array, extra = tensor_histogram(values, bins, sample=sample)
            elif sample is not None:
                raise ValueError(
                    f"{where}: 'sample' applies to torch tensors, got {type(values).__name__}; "
                    "pass torch.from_numpy(values), or drop 'sample' (numpy values are exact).")
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

    def log_graph(self, model: Any, inputs: Any, *, tag: str = "graph",
                  step: int | None = None) -> Any:
        """Record the graph of ``model`` run on ``inputs`` (tensor, tuple, dict, dataclass)
        once per run and tag, shown by ``nbviz.Graph(run)``. Capture falls back from
        torch.fx to a module-hook trace, torch.export and torch.jit; a failure warns,
        never raises. See :mod:`nbviz.panels.graph.record`.

        >>> run.log_graph(model, images)  # doctest: +SKIP
        """
        from nbviz.panels.graph.record import log_graph

        return log_graph(self, model, inputs, tag=tag, step=step)

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

    def log_hparams(self, hparams: Mapping[str, Any], metrics: Mapping[str, Any] | None = None,
                    step: int | None = None) -> None:
        """Record this run's hyperparameters (nested dicts flattened with dots) and optional
        final ``metrics``: one row of ``nbviz.HParams`` with this run's curves.
        See :mod:`nbviz.panels.hparams.record`.

        >>> run.log_hparams({"lr": 1e-3, "opt": "adam"}, {"val/acc": 0.93})  # doctest: +SKIP
        """
        from nbviz.panels.hparams.record import log_hparams

        log_hparams(self, hparams, metrics, step)

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

    def _pending_since(self, seq: int) -> tuple[int, list[tuple[str, int, float, float]]]:
        """(base_seq, materialized rows with seq >= max(seq, base_seq)) at one instant."""
        return self._scalars.rows_since(seq)

    # -- flushing ------------------------------------------------------------------------------

    def _commit(self) -> None:
        with self._commit_lock:  # flush() and the flusher never write the same seqs twice
            self._commit_locked()

    def _commit_locked(self) -> None:
        with self._lock:
            tensors = list(self._tensor_pending)
            tensor_seq = self._tensor_base_seq
        if tensors:
            self._write_isolating(self._store.write_tensors, tensor_seq, tensors,
                                  tensor_record_problem, "record")
            with self._lock:
                del self._tensor_pending[: len(tensors)]
                self._tensor_base_seq = tensor_seq + len(tensors)
        batch = self._scalars.batch()
        if batch.calls:
            self._write_scalars(batch)
            self._scalars.drop(batch)

    def _write_scalars(self, batch: ScalarBatch) -> None:
        """Commit ``batch`` as columns; should the store refuse it for its content (log()
        validates every value, so only a bug could cause it), store every good row."""
        if not len(batch):
            return
        try:
            self._store.write_scalar_columns(batch.seqs, batch.names, batch.steps, batch.walls,
                                             batch.values, codes=batch.codes)
        except Exception as error:
            if not is_content_error(error):
                raise
            self._write_isolating(self._store.write_scalars, batch.first_seq, batch.rows(),
                                  scalar_row_problem, "value")

    def _write_isolating(self, write: Any, first_seq: int, items: list[Any],
                         problem_of: Any, noun: str) -> None:
        """``write(first_seq, items)``; if the store refuses the batch for its content,
        store every item that has no problem (keeping its seq) and report the others."""
        try:
            write(first_seq, items)
            return
        except Exception as error:
            if not is_content_error(error):
                raise
            cause = error
        problems = [problem_of(item) for item in items]
        good = [i for i, problem in enumerate(problems) if problem is None]
        if len(good) == len(items):  # nothing to isolate: the cause is elsewhere
            raise cause
        write(first_seq, [items[i] for i in good], seqs=[first_seq + i for i in good])
        bad = [problem for problem in problems if problem is not None]
        warnings.warn(
            f"nbviz: run {self.name!r}: {len(bad)} {noun}(s) could not be stored in "
            f"{self.dir / DB_FILENAME} and were dropped ({bad[0]}); the other "
            f"{len(good)} were stored.",
            RuntimeWarning, stacklevel=1,
        )

    def _bound_pending(self) -> None:
        """While the store cannot be written, keep at most MAX_PENDING_* in memory: drop the
        oldest beyond that, with a warning naming the file, the cause and the amount."""
        with self._commit_lock:
            rows = self._scalars.bound(MAX_PENDING_ROWS)
        with self._commit_lock, self._lock:
            sizes = [record.array.nbytes for record in self._tensor_pending]
            records = 0
            total = sum(sizes)
            while total > MAX_PENDING_TENSOR_BYTES and records < len(sizes) - 1:
                total -= sizes[records]
                records += 1
            if records:
                del self._tensor_pending[:records]
                self._tensor_base_seq += records
        if rows > 0 or records:
            warnings.warn(
                f"nbviz: run {self.name!r}: {self.dir / DB_FILENAME} still cannot be written "
                f"({self._flush_error}); dropped the oldest {max(rows, 0)} value(s) and "
                f"{records} record(s) kept in memory (limits: {MAX_PENDING_ROWS} values, "
                f"{MAX_PENDING_TENSOR_BYTES >> 20} MiB of records).",
                RuntimeWarning, stacklevel=1,
            )

    def _pending_count(self) -> int:
        with self._lock:
            tensors = len(self._tensor_pending)
        return self._scalars.count() + tensors

    def _flush_loop(self) -> None:
        # A value logged just after a snapshot is durable when the *next* commit ends, so
        # snapshots come every flush_secs minus the time a commit takes (with margin): at
        # most ~flush_secs of data is ever at risk, however slow the disk or busy the CPU.
        last_snapshot = time.monotonic()
        while not self._finished:
            margin = min(2.0 * self._commit_secs + 0.05, 0.5 * self.flush_secs)
            delay = last_snapshot + self.flush_secs - margin - time.monotonic()
            if delay > 0:
                self._wake.wait(delay)
            self._wake.clear()
            if self._finished:
                break
            last_snapshot = time.monotonic()
            try:
                self._commit()
            except Exception as error:
                self._report_flush_error(error)
                self._bound_pending()
            else:
                if self._flush_error is not None:
                    warnings.warn(f"nbviz: run {self.name!r}: {self.dir / DB_FILENAME} is "
                                  "written again; nothing was lost.", RuntimeWarning,
                                  stacklevel=1)
                self._flush_error = None
            took = time.monotonic() - last_snapshot
            self._commit_secs = max(took, 0.8 * self._commit_secs)

    def _report_flush_error(self, error: BaseException) -> None:
        if self._flush_error is None:
            warnings.warn(
                f"{error}; {self._pending_count()} logged item(s) of run {self.name!r} stay "
                f"in memory and are retried every {self.flush_secs:g} s.",
                RuntimeWarning, stacklevel=1,
            )
        self._flush_error = error

    def flush(self) -> None:
        """Commit everything logged so far to the store (blocks until written).

        Raises :class:`~nbviz.store.errors.StoreWriteError` (naming the file and the
        cause, e.g. a full disk) when the store cannot be written; nothing is lost then:
        the values stay in memory and are retried.

        >>> run.flush()  # doctest: +SKIP
        """
        self._commit()

    def finish(self) -> None:
        """Flush and close the run. Idempotent.

        If the store cannot be written (disk full …) this raises a
        :class:`~nbviz.store.errors.StoreWriteError` and the run stays open with its
        data in memory, retried in the background: free space and call ``finish()``
        again.

        >>> run.finish()  # doctest: +SKIP
        """
        if self._finished:
            return
        self._finished = True
        self._wake.set()
        if self._flusher.is_alive() and threading.current_thread() is not self._flusher:
            self._flusher.join(timeout=30)
        try:
            self._store.checkpoint_at_close_only()  # _close() folds the WAL in, once
            self._commit()
            self._compact()
            self._store.set_meta("finished", time.time())
        except Exception as error:
            with contextlib.suppress(Exception):  # the run goes on: checkpoint as usual
                self._store.checkpoint_at_close_only(False)
            self._finished = False  # keep the data and the store; retry in the background
            self._flush_error = error
            self._flusher = self._start_flusher()
            if isinstance(error, StoreWriteError):
                raise StoreWriteError(
                    error.path, error.cause,
                    f"{self._pending_count()} logged item(s) of run {self.name!r} are kept in "
                    "memory and retried; free space (or fix the cause) and call finish() "
                    "again",
                ) from error
            raise
        self._close()

    def _compact(self) -> None:
        """Merge the small chunks of slow-logged tags (one per flush) so that reading the
        finished run takes few chunks; the store is complete without it, so a failure
        (disk full …) only warns."""
        try:
            self._store.compact()
        except (StoreWriteError, sqlite3.Error) as error:
            warnings.warn(f"nbviz: run {self.name!r}: could not merge the store's small "
                          f"chunks ({error}); the data is complete, reading it is slower.",
                          RuntimeWarning, stacklevel=2)

    def _close(self) -> None:
        self._store.close()
        self._writer_lock.release()
        self._unregister_live()
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


def _number(tag: str, value: Any, pending: PendingScalars) -> float | DeferredTensor:
    """``value`` (of ``tag``) as a float (a deferred tensor on an accelerator: ``pending``
    is told); raises naming the tag when it is not a number."""
    if type(value) is _values.TENSOR_TYPE and (_values.CPU_ONLY or value.is_cpu):
        # The usual 0-d CPU tensor of a floating dtype, read here with one ``item()`` (the
        # cheapest exact read measured: float(t) and t.tolist() cost more; no device sync
        # on the CPU; with a CPU-only torch, no device check either). Anything else —
        # several elements, an integer or complex dtype, a tensor on an accelerator
        # (deferred) — takes coerce_scalar's checked path.
        read: float | int | bool | None
        try:
            read = value.item()
        except RuntimeError:  # not one element: explained by coerce_scalar
            read = None
        if type(read) is float:
            return read
    try:
        number = coerce_scalar(tag, value, where="log()")
    except OverflowError:
        raise ValueError(
            f"log(): value for {short_text(tag)!r} is {describe(value)}, too large "
            "for a float64 (max ~1.8e308); log a float (e.g. float('inf')) or rescale."
        ) from None
    if type(number) is DeferredTensor:
        pending.deferred = True  # before the call is appended; never cleared
    return number


def _numbers(tags: tuple[str, ...], values: tuple[Any, ...], pending: PendingScalars
             ) -> tuple[float | DeferredTensor, ...]:
    """``values`` (of ``tags``) as floats (see :func:`_number`); nothing is kept when one
    fails."""
    return tuple([value if type(value) is float else _number(tag, value, pending)
                  for tag, value in zip(tags, values, strict=True)])


_ALL_RUNS: set[Run] = set()


@atexit.register
def _finish_all() -> None:
    for run in list(_ALL_RUNS):
        try:
            run.finish()
        except Exception as error:  # the interpreter is exiting: say what is lost
            warnings.warn(f"nbviz: run {run.name!r} could not be saved at exit: {error}",
                          RuntimeWarning, stacklevel=1)


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

    A run has one writer at a time: while another process (or another ``init()`` in
    this one) writes ``<logdir>/<name>``, ``"append"`` and ``"overwrite"`` raise
    ``nbviz.store.errors.WriterConflictError`` and ``"new"`` picks the next free name.
    A logdir that cannot be written raises ``StoreWriteError`` naming the path and why.

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




