"""The Projector panel: an interactive 2-D/3-D WebGL point cloud of logged embeddings.

Wire contract: docs/wire.md ("Projector"). Python ``Projector`` ↔ ``js/src/panels/projector/``.

The kernel follows ``embedding`` (and ``sprite``) records, computes the default
projection (PCA, 3 axes — the 2-D view shows the first two) for every new step on a
worker thread, so it is ready even while a training cell keeps the kernel busy, and
publishes the latest step of the shown embedding as the synced ``snapshot`` (positions,
metadata columns, thumbnails and — when small enough — the original vectors for
neighbour search in the page). Everything else travels as custom messages the page
asks for when the kernel is idle: other steps (``need``), t-SNE / UMAP (``reduce``,
computed on the worker with ``progress`` messages, cancellable), neighbours of large
embeddings (``neighbors``). Every per-point array is a binary buffer.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import traitlets

from nbviz import reduce as R
from nbviz._validate import describe
from nbviz.panels.projector.data import Dataset, encode_columns, pack_parts
from nbviz.panels.projector.record import metadata_columns, thumbnails
from nbviz.sources import RunTensors, Source, as_source
from nbviz.store.kinds import EMBEDDING, SPRITE
from nbviz.widgets._base import LivePanel
from nbviz.widgets._picture import empty_chart, png_bytes

__all__ = ["Projector"]

KINDS = frozenset({EMBEDDING, SPRITE})
PCA_PROJECTION: dict[str, Any] = {"method": "pca", "dims": 3, "params": {}}
MAX_SNAPSHOT_IMAGE_BYTES = 16 * 1024 * 1024
MAX_MESSAGE_IMAGE_BYTES = 64 * 1024 * 1024
# an offline page (nbviz/export) carries the other steps and embeddings within this budget
SNAPSHOT_STEPS_BYTES = 8 * 1024 * 1024


@dataclass
class _Job:
    kind: str  # "pca" | "reduce" | "neighbors"
    dataset: int
    request: int = 0
    method: str = "pca"
    dims: int = 3
    params: dict[str, Any] | None = None
    index: int = 0
    k: int = 10
    metric: str = "cosine"


def _is_array(target: Any) -> bool:
    return (isinstance(target, np.ndarray) or (hasattr(target, "detach") and
                                               hasattr(target, "shape"))
            or (isinstance(target, (list, tuple)) and bool(target)
                and isinstance(target[0], (list, tuple, np.ndarray))))


class Projector(LivePanel):
    """Embedding projector for a logdir, a run, a list of them, or a matrix.

    >>> display(nbviz.Projector(run))                                # doctest: +SKIP
    >>> display(nbviz.Projector(features, metadata={"label": y}))    # doctest: +SKIP

    2-D pan/zoom and 3-D orbit, colour by a metadata column, hover label and thumbnail,
    click for the nearest neighbours (in the original space), regex search, a step
    slider that animates between training steps, and PCA / t-SNE / UMAP computed in the
    kernel when it is idle. ``max_vector_bytes``: embeddings up to this size also send
    their vectors to the page, so neighbour search works while the kernel is busy.
    """

    datasets = traitlets.List(traitlets.Dict()).tag(sync=True)
    snapshot = traitlets.Bytes(b"").tag(sync=True)
    snapshot_info = traitlets.Dict().tag(sync=True)
    group = traitlets.Int(-1).tag(sync=True)
    step = traitlets.Int(-1).tag(sync=True)
    method = traitlets.Enum(R.METHODS, default_value="pca").tag(sync=True)
    dims = traitlets.Int(3).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    color_by = traitlets.Unicode("").tag(sync=True)
    label_by = traitlets.Unicode("").tag(sync=True)
    search = traitlets.Unicode("").tag(sync=True)
    search_column = traitlets.Unicode("").tag(sync=True)
    neighbors = traitlets.Int(10).tag(sync=True)
    metric = traitlets.Enum(R.METRICS, default_value="cosine").tag(sync=True)
    point_size = traitlets.Float(0.0).tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_vector_bytes = traitlets.Int(32 * 1024 * 1024).tag(sync=True)

    _bundle = "projector"

    def __init__(
        self,
        source: Any,
        metadata: Any = None,
        images: Any = None,
        *,
        tag: str = "embedding",
        method: str = "pca",
        dims: int = 3,
        params: Mapping[str, Mapping[str, Any]] | None = None,
        color_by: str = "",
        label_by: str = "",
        neighbors: int = 10,
        metric: str = "cosine",
        max_vector_bytes: int = 32 * 1024 * 1024,
        title: str = "",
    ) -> None:
        where = "Projector()"
        if method not in R.METHODS:
            raise ValueError(f"{where}: 'method' must be one of {R.METHODS}, got "
                             f"{describe(method)}.")
        if dims not in (2, 3) or isinstance(dims, bool):
            raise ValueError(f"{where}: 'dims' must be 2 or 3, got {describe(dims)}.")
        if metric not in R.METRICS:
            raise ValueError(f"{where}: 'metric' must be one of {R.METRICS}, got "
                             f"{describe(metric)}.")
        if isinstance(neighbors, bool) or not isinstance(neighbors, int) or not (
                1 <= neighbors <= 1000):
            raise ValueError(f"{where}: 'neighbors' must be an int in 1..1000, got "
                             f"{describe(neighbors)}.")
        if isinstance(max_vector_bytes, bool) or not isinstance(max_vector_bytes, int) or (
                max_vector_bytes < 0):
            raise ValueError(f"{where}: 'max_vector_bytes' must be an int >= 0, got "
                             f"{describe(max_vector_bytes)}.")
        for name, value in (("color_by", color_by), ("label_by", label_by), ("title", title),
                            ("tag", tag)):
            if not isinstance(value, str):
                raise TypeError(f"{where}: '{name}' must be a string, got {describe(value)}.")
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f"{where}: 'params' must be a dict of method -> parameters, e.g. "
                            f"{{'tsne': {{'perplexity': 50}}}}, got {describe(params)}.")
        merged = {m: R.check_params(m, (params or {}).get(m), where=where) for m in R.METHODS}
        unknown = sorted(set(params or {}) - set(R.METHODS))
        if unknown:
            raise ValueError(f"{where}: 'params' keys must be methods {R.METHODS}, got "
                             f"{unknown}.")
        self._datasets: dict[int, Dataset] = {}
        self._groups: dict[tuple[str, str], int] = {}
        self._sprites: dict[tuple[str, str, int], np.ndarray] = {}
        self._pca: dict[int, R.Reduction] = {}
        self._projections: dict[tuple[int, str], R.Reduction] = {}
        self._ids = itertools.count(1)
        self._source: Source | None = None
        self._static: Dataset | None = None
        if _is_array(source):
            self._static = self._array_dataset(source, metadata, images, tag)
        else:
            if metadata is not None or images is not None:
                raise TypeError(f"{where}: 'metadata' and 'images' go with a matrix "
                                "(Projector(features, metadata=...)); for a run they are "
                                "logged with run.log_embedding(...).")
            self._source = as_source(source, kinds=KINDS)
        self._jobs: collections.deque[_Job] = collections.deque()
        self._wake = threading.Event()
        self._cancel = threading.Event()
        self._closed = False
        self._outbox: collections.deque[tuple[dict[str, Any], list[bytes]]] = collections.deque()
        self._progress: dict[str, Any] | None = None
        self._snapshot_dataset = -1
        super().__init__(method=method, dims=int(dims), params=merged, color_by=color_by,
                         label_by=label_by, neighbors=neighbors, metric=metric,
                         max_vector_bytes=max_vector_bytes, title=title)

    def _first_poll(self) -> None:
        """Start the reduction worker and take in the matrix or what the source holds (the
        snapshot follows from the ticker once the first PCA is ready)."""
        self.on_msg(self._on_page_message)
        self._worker = threading.Thread(target=self._work_loop, name="nbviz-projector",
                                        daemon=True)
        self._worker.start()
        if self._static is not None:
            self._add(self._static)
        self._ingest()

    # -- data in ---------------------------------------------------------------------------

    def _array_dataset(self, features: Any, metadata: Any, images: Any, tag: str) -> Dataset:
        where = "Projector()"
        matrix = R.as_matrix(features, where=where, argument="features")
        count = matrix.shape[0]
        columns = metadata_columns(metadata, count, where=where)
        thumbs = None if images is None else thumbnails(images, count, where=where)
        matrix, kept = R.drop_nonfinite(matrix, where=where, argument="features")
        if kept is not None:
            columns = {k: np.asarray(v, dtype=object)[kept].tolist() for k, v in columns.items()}
            thumbs = None if thumbs is None else thumbs[kept]
        extra = {"metadata": columns, "metadata_header": list(columns)} if columns else {}
        return Dataset(0, 0, "", tag, 0, time.time(), matrix,
                       encode_columns(extra, matrix.shape[0]), thumbs,
                       0 if kept is None else count - int(kept.size))

    def _add(self, dataset: Dataset) -> None:
        key = (dataset.run, dataset.tag)
        dataset.group = self._groups.setdefault(key, len(self._groups))
        dataset.id = next(self._ids)
        sprite = self._sprites.pop((dataset.run, dataset.tag, dataset.step), None)
        if sprite is not None and dataset.images is None and sprite.shape[0] == dataset.count:
            dataset.images = sprite
        self._datasets[dataset.id] = dataset
        self._jobs.append(_Job("pca", dataset.id))
        self._wake.set()
        self._publish_list()

    def _from_record(self, run: str, record: Any) -> Dataset | None:
        array = np.asarray(record.array)
        if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
            return None
        matrix = np.ascontiguousarray(array, dtype=np.float32)
        count = matrix.shape[0]
        extra = record.extra
        finite = np.isfinite(matrix).all(axis=1)
        dropped = int(extra.get("dropped_nonfinite", 0) or 0)
        if not finite.all():  # e.g. a TensorBoard log: drop like log_embedding does
            if not finite.any():
                return None
            dropped += int((~finite).sum())
            warnings.warn(f"nbviz.Projector: dropped {int((~finite).sum())} of {count} rows of "
                          f"embedding {record.tag!r} (step {record.step}) holding NaN or Inf.",
                          RuntimeWarning, stacklevel=2)
            keep = np.flatnonzero(finite)
            matrix = np.ascontiguousarray(matrix[keep])
            metadata = extra.get("metadata")
            if isinstance(metadata, dict):
                metadata = {k: np.asarray(v, dtype=object)[keep].tolist()
                            for k, v in metadata.items() if len(v) == count}
            elif isinstance(metadata, list) and len(metadata) == count:
                metadata = np.asarray(metadata, dtype=object)[keep].tolist()
            extra = {**extra, "metadata": metadata}
        columns = encode_columns(extra, matrix.shape[0])
        return Dataset(0, 0, run, record.tag, int(record.step), float(record.wall_time), matrix,
                       columns, None, dropped)

    def _ingest(self) -> None:
        if self._source is None:
            return
        batches: list[RunTensors] = self._source.poll()
        for batch in batches:
            for record in batch.records:
                if record.kind == SPRITE:
                    self._attach_sprite(batch.run, record)
                elif record.kind == EMBEDDING:
                    dataset = self._from_record(batch.run, record)
                    if dataset is not None:
                        self._add(dataset)

    def _attach_sprite(self, run: str, record: Any) -> None:
        array = np.asarray(record.array)
        if array.ndim != 4 or array.shape[3] != 3:
            return
        for dataset in self._datasets.values():
            if (dataset.run, dataset.tag, dataset.step) == (run, record.tag, int(record.step)):
                if dataset.images is None and array.shape[0] == dataset.count:
                    dataset.images = np.ascontiguousarray(array, dtype=np.uint8)
                    self._snapshot_dataset = -1  # resend the snapshot with the thumbnails
                    self._publish_list()
                return
        self._sprites[(run, record.tag, int(record.step))] = np.asarray(array, np.uint8)

    def _publish_list(self) -> None:
        self.datasets = [d.info() for d in sorted(self._datasets.values(), key=lambda d: d.id)]
        self._data_version += 1

    # -- page messages (arrive when the kernel is idle) ------------------------------------

    def _on_page_message(self, _: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "need":
                self._on_need(content)
            elif kind == "reduce":
                self._on_reduce(content)
            elif kind == "neighbors":
                self._on_neighbors(content)
            elif kind == "cancel":
                self._cancel_jobs()
        except (TypeError, ValueError, KeyError) as error:
            self._outbox.append(({"type": "error", "request": content.get("request", 0),
                                  "message": str(error)}, []))

    def _dataset(self, value: Any) -> Dataset:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"'dataset' must be a dataset id, got {describe(value)}")
        with self._lock:
            found = self._datasets.get(value)
        if found is None:
            raise KeyError(f"no embedding with id {value}")
        return found

    def _on_need(self, content: dict[str, Any]) -> None:
        ids = content.get("datasets")
        if not isinstance(ids, list):
            raise TypeError("'datasets' must be a list of ids")
        projection = content.get("projection")
        for value in ids[:64]:
            dataset = self._dataset(value)
            if content.get("data", True):
                self._outbox.append(self._data_message(dataset))
            if isinstance(projection, dict):
                self._on_reduce({**projection, "dataset": dataset.id,
                                 "request": content.get("request", 0)})

    def _on_reduce(self, content: dict[str, Any]) -> None:
        dataset = self._dataset(content.get("dataset"))
        method = content.get("method")
        dims = content.get("dims")
        params = R.check_params(method, content.get("params") or {}, where="reduce request")
        if dims not in (2, 3):
            raise ValueError(f"'dims' must be 2 or 3, got {describe(dims)}")
        request = int(content.get("request", 0) or 0)
        if method == "pca":
            self._jobs.append(_Job("pca", dataset.id, request))
        else:
            self._jobs.append(_Job("reduce", dataset.id, request, str(method), int(dims),
                                   params))
        self._cancel.clear()
        self._wake.set()

    def _on_neighbors(self, content: dict[str, Any]) -> None:
        dataset = self._dataset(content.get("dataset"))
        index, k = content.get("index"), content.get("k", self.neighbors)
        metric = content.get("metric", self.metric)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < dataset.count:
            raise ValueError(f"'index' must be in 0..{dataset.count - 1}, got {describe(index)}")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 1000:
            raise ValueError(f"'k' must be in 1..1000, got {describe(k)}")
        if metric not in R.METRICS:
            raise ValueError(f"'metric' must be one of {R.METRICS}, got {describe(metric)}")
        self._jobs.appendleft(_Job("neighbors", dataset.id, int(content.get("request", 0) or 0),
                                   index=index, k=k, metric=str(metric)))
        self._wake.set()

    def _cancel_jobs(self) -> None:
        kept = [job for job in self._jobs if job.kind != "reduce"]
        self._jobs.clear()
        self._jobs.extend(kept)
        self._cancel.set()

    # -- the worker ------------------------------------------------------------------------

    def _work_loop(self) -> None:
        while not self._closed:
            self._wake.wait(0.5)
            self._wake.clear()
            while self._jobs and not self._closed:
                try:
                    job = self._jobs.popleft()
                except IndexError:
                    break
                try:
                    self._run(job)
                except R.Cancelled:
                    self._progress = None
                    self._outbox.append(({"type": "cancelled", "request": job.request,
                                          "dataset": job.dataset}, []))
                except Exception as error:  # reported to the page, never kills the worker
                    self._progress = None
                    self._outbox.append(({"type": "error", "request": job.request,
                                          "dataset": job.dataset,
                                          "message": f"{type(error).__name__}: {error}"}, []))

    def _run(self, job: _Job) -> None:
        with self._lock:
            dataset = self._datasets.get(job.dataset)
        if dataset is None:
            return
        if job.kind == "pca":
            reduction = self._pca_of(dataset)
            if job.request:
                self._outbox.append(self._positions_message(dataset, PCA_PROJECTION, reduction,
                                                            job.request))
        elif job.kind == "neighbors":
            indices, distances = R.nearest_neighbors(dataset.vectors, job.index, job.k,
                                                     job.metric)
            self._outbox.append(({"type": "neighbors", "request": job.request,
                                  "dataset": dataset.id, "index": job.index,
                                  "metric": job.metric, "k": int(indices.size)},
                                 [indices.astype("<i4").tobytes(),
                                  distances.astype("<f4").tobytes()]))
        else:
            projection = {"method": job.method, "dims": job.dims, "params": job.params or {}}
            reduction = self._reduce(dataset, job)
            self._outbox.append(self._positions_message(dataset, projection, reduction,
                                                        job.request))

    def _cache_key(self, dataset: Dataset, key: str) -> tuple[Any, ...]:
        scope = id(self) if self._source is None else self._source.describe()
        return (scope, dataset.run, dataset.tag, dataset.step, dataset.wall_time, key)

    def _neighbour_step(self, dataset: Dataset, done: Mapping[int, R.Reduction]
                        ) -> R.Reduction | None:
        """The reduction of the closest earlier (else later) step of the same embedding."""
        with self._lock:
            same = [d for d in self._datasets.values() if d.group == dataset.group
                    and d.id != dataset.id and d.count == dataset.count and d.id in done]
        if not same:
            return None
        earlier = [d for d in same if d.step <= dataset.step]
        pick = (max(earlier, key=lambda d: (d.step, d.id)) if earlier
                else min(same, key=lambda d: (d.step, d.id)))
        return done[pick.id]

    def _pca_of(self, dataset: Dataset) -> R.Reduction:
        with self._lock:
            found = self._pca.get(dataset.id)
        if found is not None:
            return found
        key = self._cache_key(dataset, R.params_key("pca", 3, None))
        reduction = R.CACHE.get(key)
        if reduction is None:
            reduction = R.pca(dataset.vectors, 3)
            reference = self._neighbour_step(dataset, self._pca)
            if reference is not None:  # keep axis signs from step to step (smooth animation)
                reduction.positions = R.align(reference.positions, reduction.positions,
                                              rotate=False)
            R.CACHE.put(key, reduction)
        with self._lock:
            self._pca[dataset.id] = reduction
            self._data_version += 1
        return reduction

    def _reduce(self, dataset: Dataset, job: _Job) -> R.Reduction:
        params = job.params or {}
        pkey = R.params_key(job.method, job.dims, params)
        cache_key = self._cache_key(dataset, pkey)
        found = R.CACHE.get(cache_key)
        if found is not None:
            return found
        with self._lock:
            done = {d: r for (d, k), r in self._projections.items() if k == pkey}
        reference = self._neighbour_step(dataset, done)
        started = time.monotonic()

        def progress(stage: str, fraction: float | None) -> None:
            if self._cancel.is_set() or self._closed:
                raise R.Cancelled()
            self._progress = {"type": "progress", "request": job.request,
                              "dataset": dataset.id, "method": job.method, "dims": job.dims,
                              "stage": stage, "fraction": fraction,
                              "elapsed": round(time.monotonic() - started, 2)}

        progress("starting", 0.0)
        init = None if reference is None else reference.positions
        reduction = R.reduce(dataset.vectors, job.method, job.dims, params, init=init,
                             progress=progress)
        if reference is not None:
            reduction.positions = R.align(reference.positions, reduction.positions)
        self._progress = None
        R.CACHE.put(cache_key, reduction)
        with self._lock:
            self._projections[(dataset.id, pkey)] = reduction
        return reduction

    # -- data out --------------------------------------------------------------------------

    def _data_parts(self, dataset: Dataset, max_image_bytes: int
                    ) -> list[tuple[dict[str, Any], np.ndarray]]:
        parts = dataset.data_parts(max_image_bytes)
        if dataset.vectors.nbytes <= self.max_vector_bytes:
            parts.append(({"role": "vectors", "d": int(dataset.vectors.shape[1])},
                          dataset.vectors.reshape(-1)))
        return parts

    def _data_message(self, dataset: Dataset) -> tuple[dict[str, Any], list[bytes]]:
        headers, buffer = pack_parts(self._data_parts(dataset, MAX_MESSAGE_IMAGE_BYTES))
        return ({"type": "data", "dataset": dataset.id, "n": dataset.count, "parts": headers},
                [buffer])

    @staticmethod
    def _positions_part(projection: Mapping[str, Any], reduction: R.Reduction
                        ) -> tuple[dict[str, Any], np.ndarray]:
        head = {"role": "positions", "method": projection["method"],
                "dims": int(reduction.positions.shape[1]), "params": dict(projection["params"]),
                "seconds": round(reduction.seconds, 3), "fit_size": reduction.fit_size,
                "explained": [float(v) for v in reduction.info.get("explained_variance_ratio",
                                                                   [])]}
        return head, reduction.positions.reshape(-1)

    def _positions_message(self, dataset: Dataset, projection: Mapping[str, Any],
                           reduction: R.Reduction, request: int
                           ) -> tuple[dict[str, Any], list[bytes]]:
        headers, buffer = pack_parts([self._positions_part(projection, reduction)])
        return ({"type": "positions", "dataset": dataset.id, "n": dataset.count,
                 "request": request, "parts": headers}, [buffer])

    def _current(self) -> Dataset | None:
        """The dataset the snapshot shows: the latest step of the selected embedding."""
        with self._lock:
            if not self._datasets:
                return None
            hidden = set(self.hidden_runs)
            candidates = [d for d in self._datasets.values() if d.run not in hidden] or list(
                self._datasets.values())
            group = self.group
            if group < 0 or not any(d.group == group for d in candidates):
                group = max(candidates, key=lambda d: d.id).group
            in_group = [d for d in candidates if d.group == group]
            step = self.step
            if step >= 0 and any(d.step == step for d in in_group):
                in_group = [d for d in in_group if d.step == step]
            return max(in_group, key=lambda d: (d.step, d.id))

    def _send_snapshot(self, dataset: Dataset, reduction: R.Reduction) -> None:
        parts = [self._positions_part(PCA_PROJECTION, reduction)]
        parts += self._data_parts(dataset, MAX_SNAPSHOT_IMAGE_BYTES)
        headers, buffer = pack_parts(parts)
        with self.hold_sync():
            self.snapshot = buffer
            self.snapshot_info = {"dataset": dataset.id, "n": dataset.count, "parts": headers}
        self._snapshot_dataset = dataset.id
        self._message_sent()

    def _tick(self) -> None:
        """Poll the source, publish the latest step, flush finished work (ticker thread)."""
        with self._lock:
            self._ingest()
            current = self._current()
            ready = None if current is None else self._pca.get(current.id)
        now = time.monotonic()
        if (current is not None and ready is not None and current.id != self._snapshot_dataset
                and self._send_budget.ready(now)):
            self._send_snapshot(current, ready)
        progress, self._progress = self._progress, None
        if progress is not None and self._send_budget.ready(now):
            self.send(progress)
            self._message_sent(now)
        while self._outbox and self._send_budget.ready(now):
            content, buffers = self._outbox.popleft()
            self.send(content, buffers)
            self._message_sent(now)

    def sync(self) -> None:
        """Poll now, compute the latest step's PCA, and publish it as the snapshot."""
        with self._lock:
            self._ingest()
            current = self._current()
        if current is None:
            return
        reduction = self._pca_of(current)
        if current.id != self._snapshot_dataset:
            self._send_snapshot(current, reduction)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until the worker has no queued job and the outbox is sent (tests, scripts).

        >>> panel.wait_idle()  # doctest: +SKIP
        True
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                pending = {d.id for d in self._datasets.values()} - set(self._pca)
            if not self._jobs and not pending and not self._outbox and not self._busy():
                return True
            time.sleep(0.02)
        return False

    def _busy(self) -> bool:
        return self._progress is not None

    def close(self) -> None:
        """Stop the worker and the ticker, and close the widget."""
        self._closed = True
        for event in (getattr(self, "_cancel", None), getattr(self, "_wake", None)):
            if event is not None:  # absent when __init__ failed early
                event.set()
        super().close()

    # -- offline snapshot (nbviz/export) ---------------------------------------------------

    def _step_parts(self, dataset: Dataset, room: int) -> list[tuple[dict[str, Any], np.ndarray]]:
        """Positions (PCA) and data of ``dataset`` for an offline page, within ``room`` bytes:
        thumbnails and vectors (neighbours in the page) go along only while they fit."""
        parts = [self._positions_part(PCA_PROJECTION, self._pca_of(dataset))]
        parts += dataset.data_parts(max_image_bytes=0)
        used = sum(int(array.nbytes) for _, array in parts)
        extras = [part for part in self._data_parts(dataset, MAX_SNAPSHOT_IMAGE_BYTES)
                  if part[0].get("role") in ("images", "vectors")]
        for head, array in sorted(extras, key=lambda part: int(part[1].nbytes)):
            if used + int(array.nbytes) <= room:
                parts.append((head, array))
                used += int(array.nbytes)
        return parts

    def _snapshot_steps(self) -> list[tuple[Dataset, list[tuple[dict[str, Any], np.ndarray]]]]:
        """What an offline page carries besides the step it shows, so its step slider and
        embedding menu work without a kernel: the latest step of every other embedding,
        the other steps of the shown one, then the other embeddings' steps, each list
        spread evenly (last, first, middle …), while they fit ``SNAPSHOT_STEPS_BYTES``;
        each as positions + data parts."""
        current = self._current()
        if current is None:
            return []
        with self._lock:
            others = [d for d in self._datasets.values() if d.id != current.id]
        groups: dict[int, list[Dataset]] = {}
        for dataset in sorted(others, key=lambda d: (d.step, d.id)):
            groups.setdefault(dataset.group, []).append(dataset)
        for dataset in (d for steps in groups.values() for d in steps):
            self._pca_of(dataset)  # in step order: each step's axes follow the one before
        same = groups.pop(current.group, [])
        rest = [[steps[i] for i in _spread(len(steps))] for steps in groups.values()]
        candidates = [steps[0] for steps in rest] + [same[i] for i in _spread(len(same))]
        candidates += [dataset for steps in rest for dataset in steps[1:]]
        carried: list[tuple[Dataset, list[tuple[dict[str, Any], np.ndarray]]]] = []
        room = SNAPSHOT_STEPS_BYTES
        for dataset in candidates:
            parts = self._step_parts(dataset, room)
            size = sum(int(array.nbytes) for _, array in parts)
            if size <= room:
                carried.append((dataset, parts))
                room -= size
        return sorted(carried, key=lambda item: (item[0].group, item[0].step, item[0].id))

    def _snapshot_state(self, max_points: int) -> dict[str, Any]:
        """The shown step (the synced snapshot), with ``datasets`` listing only the steps
        the page carries (``_snapshot_messages``): the slider offers what it can show."""
        state = super()._snapshot_state(max_points)
        shown = {int(state.get("snapshot_info", {}).get("dataset", -1))}
        shown |= {dataset.id for dataset, _ in self._snapshot_steps()}
        state["datasets"] = [info for info in state["datasets"] if info["id"] in shown]
        return state

    def _snapshot_messages(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """Every carried step as the ``data`` message (positions included) a kernel sends
        when the page asks for it (``need``), replayed into the page when it is shown."""
        messages: list[tuple[dict[str, Any], list[bytes]]] = []
        for dataset, parts in self._snapshot_steps():
            headers, buffer = pack_parts(parts)
            messages.append(({"type": "data", "dataset": dataset.id, "n": dataset.count,
                              "parts": headers}, [buffer]))
        return messages

    # -- pictures for saved notebooks ------------------------------------------------------

    def _render_png(self) -> bytes:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure

        from nbviz.widgets._palette import PALETTE

        current = self._current()
        figure = Figure(figsize=(6.4, 4.8), dpi=100)
        axes = figure.add_subplot()
        if current is None or current.id not in self._pca:
            empty_chart(axes, "no embedding yet", color="#808080")
        else:
            points = self._pca[current.id].positions
            shown = np.arange(current.count)
            if shown.size > 50_000:
                shown = np.random.default_rng(0).choice(shown, 50_000, replace=False)
            column = next((c for c in current.columns if c.name == self.color_by
                           and c.kind == "category"),
                          next((c for c in current.columns if c.kind == "category"), None))
            if column is not None:
                palette = np.array((*PALETTE, "#9e9e9e"))
                codes = column.data[shown]
                colors = palette[np.where(codes < 0, len(PALETTE), codes % len(PALETTE))]
            else:
                colors = np.array(["#0091ea"] * shown.size)
            axes.scatter(points[shown, 0], points[shown, 1], s=4, c=colors, linewidths=0)
            axes.set_title(f"{current.tag} — step {current.step}, {current.count} points (PCA)",
                           fontsize=10)
            axes.set_xticks([])
            axes.set_yticks([])
        return png_bytes(figure)

    def summary(self) -> str:
        """One-line text summary: embeddings, runs, latest size."""
        with self._lock:
            count = len(self._datasets)
            runs = sorted({d.run for d in self._datasets.values()})
        current = self._current()
        where = "a matrix" if self._source is None else self._source.describe()
        latest = ("" if current is None else
                  f", showing {current.tag!r} step {current.step}: {current.count} points x "
                  f"{current.vectors.shape[1]} dims")
        return f"nbviz.Projector: {count} embedding(s) in {len(runs)} run(s){latest} from {where}"


def _spread(n: int) -> list[int]:
    """Indices 0..n-1 in an order whose every prefix is spread evenly: last, first, then
    the middles of the gaps, widest first.

    >>> _spread(5)
    [4, 0, 2, 1, 3]
    """
    if n <= 0:
        return []
    order = [n - 1] + ([0] if n > 1 else [])
    gaps = collections.deque([(0, n - 1)])
    while gaps:
        low, high = gaps.popleft()
        if high - low < 2:
            continue
        middle = (low + high) // 2
        order.append(middle)
        gaps.extend([(low, middle), (middle, high)])
    return order
