"""Dimensionality reduction for the embedding projector: PCA, t-SNE and UMAP.

Every method maps a float matrix ``[N, D]`` to float32 positions ``[N, dims]``
(``dims`` 2 or 3), vectorised (numpy BLAS, openTSNE, umap-learn; never a Python
loop over points):

* :func:`pca` — exact (covariance eigendecomposition, float64, chunked so a
  1M x 128 matrix needs no float64 copy) or randomized SVD (Halko et al.) for wide
  matrices. Needs numpy only.
* :func:`tsne` — openTSNE (FFT-accelerated in 2-D, Barnes-Hut in 3-D). Chosen over
  scikit-learn's ``TSNE`` by measurement (``benchmarks/projector_scale.py``; equal
  speed up to 10k points on this machine, faster beyond) and because it reports
  progress, can be cancelled and places new points by their neighbours. Optional:
  ``pip install openTSNE`` (or ``nbviz[tsne]``).
* :func:`umap` — umap-learn (``pip install umap-learn``, or ``nbviz[umap]``).

t-SNE and UMAP fit on a random ``sample`` of the rows when there are more
(default 20,000) and *transform the rest*: UMAP with its own ``transform``,
t-SNE by placing each remaining point at the median of its nearest fitted
neighbours (openTSNE's ``prepare_partial``). ``progress(stage, fraction)`` is
called along the way; raising :class:`Cancelled` from it stops the work.

Results are cached per (run, tag, step, method, dims, parameters) in a
process-wide LRU (:data:`CACHE`), so two panels on the same run share them.
:func:`nearest_neighbors` is the exact brute-force search (cosine or euclidean)
the projector uses for a selected point.

>>> import numpy as np
>>> x = np.random.default_rng(0).normal(size=(500, 16))
>>> pca(x, 2).positions.shape
(500, 2)
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbviz._validate import describe

__all__ = [
    "CACHE", "DEFAULT_PARAMS", "METHODS", "Cancelled", "Progress", "Reduction", "ReductionCache",
    "align", "as_matrix", "drop_nonfinite", "nearest_neighbors", "params_key", "pca", "reduce",
    "tsne", "umap",
]

METHODS = ("pca", "tsne", "umap")
METRICS = ("euclidean", "cosine")
CHUNK_ROWS = 65_536  # rows per block in chunked matrix products (~32 MB of float32 at D=128)

Progress = Callable[[str, "float | None"], None]

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "pca": {"solver": "auto", "sample": None},
    "tsne": {"perplexity": 30.0, "metric": "euclidean", "sample": 20_000, "n_iter": 500,
             "seed": 0},
    "umap": {"n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean", "sample": 20_000,
             "seed": 0},
}


class Cancelled(Exception):
    """Raised from a ``progress`` callback to stop a running reduction."""


@dataclass
class Reduction:
    """Positions ``[N, dims]`` (float32) of one reduction and what produced them."""

    positions: np.ndarray
    method: str
    dims: int
    params: dict[str, Any]
    seconds: float
    fit_size: int  # rows the method was fitted on (the rest were transformed)
    info: dict[str, Any] = field(default_factory=dict)  # e.g. PCA's explained_variance_ratio


# -- input checks -----------------------------------------------------------------------------


def as_matrix(x: Any, *, where: str, argument: str = "x") -> np.ndarray:
    """``x`` (numpy array, list, torch tensor on any device) as a 2-D float32 array.

    >>> as_matrix([[1, 2], [3, 4]], where="pca()").dtype
    dtype('float32')
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor: no torch import needed
        x = x.detach().cpu()
        if str(getattr(x, "dtype", "")) in ("torch.bfloat16", "torch.float16"):
            x = x.float()
        x = x.numpy()
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{where}: '{argument}' must be a 2-D numeric array [N points, D dims], "
                        f"got {describe(x)} ({error}).") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == np.bool_):
        raise TypeError(f"{where}: '{argument}' must be numeric, got dtype {array.dtype} "
                        f"({describe(x)}).")
    if array.ndim != 2:
        hint = (" — for a single vector use x.reshape(1, -1); for one value per point "
                "use x.reshape(-1, 1)") if array.ndim == 1 else ""
        raise ValueError(f"{where}: '{argument}' must be 2-D [N points, D dims], got shape "
                         f"{array.shape}{hint}.")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{where}: '{argument}' is empty (shape {array.shape}); pass at least "
                         "one point with at least one dimension.")
    if np.iscomplexobj(array):
        raise TypeError(f"{where}: '{argument}' must be real, got dtype {array.dtype}.")
    return np.ascontiguousarray(array, dtype=np.float32)


def drop_nonfinite(matrix: np.ndarray, *, where: str, argument: str = "features"
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """(rows of ``matrix`` without NaN/Inf, indices kept or None when all were kept).

    Warns naming how many rows were dropped; raises when none is left.

    >>> m, kept = drop_nonfinite(np.ones((2, 2)), where="f()")  # no NaN: nothing dropped
    """
    finite = np.isfinite(matrix).all(axis=1)
    if finite.all():
        return matrix, None
    kept = np.flatnonzero(finite)
    dropped = matrix.shape[0] - kept.size
    if kept.size == 0:
        raise ValueError(f"{where}: every row of '{argument}' ({matrix.shape[0]}) holds NaN or "
                         "Inf; nothing to show. Check the model's outputs for NaN.")
    warnings.warn(f"{where}: dropped {dropped} of {matrix.shape[0]} rows of '{argument}' that "
                  "hold NaN or Inf (their metadata and images are dropped too).",
                  RuntimeWarning, stacklevel=3)
    return np.ascontiguousarray(matrix[kept]), kept


def _check_dims(dims: Any, where: str) -> int:
    if isinstance(dims, bool) or not isinstance(dims, (int, np.integer)) or dims not in (2, 3):
        raise ValueError(f"{where}: 'dims' must be 2 or 3, got {describe(dims)}.")
    return int(dims)


def _check_finite(matrix: np.ndarray, where: str) -> None:
    if not np.isfinite(matrix).all():
        bad = int((~np.isfinite(matrix).all(axis=1)).sum())
        raise ValueError(f"{where}: 'x' has {bad} rows with NaN or Inf; drop them first "
                         "(nbviz.reduce.drop_nonfinite does, with a warning).")


def _check_metric(metric: Any, where: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"{where}: 'metric' must be one of {METRICS}, got {describe(metric)}.")
    return str(metric)


def _check_sample(sample: Any, where: str, minimum: int) -> int | None:
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < minimum:
        raise ValueError(f"{where}: 'sample' must be None (fit on every point) or an int >= "
                         f"{minimum}, got {describe(sample)}.")
    return int(sample)


def _sample_rows(n: int, sample: int | None, seed: int) -> np.ndarray | None:
    if sample is None or n <= sample:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))


def _report(progress: Progress | None, stage: str, fraction: float | None) -> None:
    if progress is not None:
        progress(stage, fraction)


# -- PCA --------------------------------------------------------------------------------------


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK_ROWS):
        yield slice(start, min(start + CHUNK_ROWS, n))


def _column_mean(x: np.ndarray) -> np.ndarray:
    total = np.zeros(x.shape[1], dtype=np.float64)
    for rows in _chunks(x.shape[0]):
        total += x[rows].sum(axis=0, dtype=np.float64)
    mean: np.ndarray = total / x.shape[0]
    return mean


def _centered_gram(x: np.ndarray, mean: np.ndarray, progress: Progress | None) -> np.ndarray:
    """(x - mean)^T (x - mean) in float64, accumulated over float32 row blocks."""
    gram = np.zeros((x.shape[1], x.shape[1]), dtype=np.float64)
    mean32 = mean.astype(np.float32)
    n = x.shape[0]
    for rows in _chunks(n):
        block = x[rows] - mean32
        gram += (block.T @ block).astype(np.float64)
        _report(progress, "covariance", rows.stop / n)
    return gram


def _project(x: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """(x - mean) @ components, float32 out, chunked."""
    comps32 = components.astype(np.float32)
    shift = (mean @ components).astype(np.float32)
    out = np.empty((x.shape[0], components.shape[1]), dtype=np.float32)
    for rows in _chunks(x.shape[0]):
        np.matmul(x[rows], comps32, out=out[rows])
        out[rows] -= shift
    return out


def _randomized_components(x: np.ndarray, mean: np.ndarray, k: int, seed: int,
                           iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` right singular vectors of (x - mean) and their squared singular values."""
    rng = np.random.default_rng(seed)
    width = min(k + 10, x.shape[1])
    mean32 = mean.astype(np.float32)

    def times(matrix: np.ndarray) -> np.ndarray:  # (x - mean) @ matrix, [N, w]
        return (x @ matrix.astype(np.float32) - mean32 @ matrix.astype(np.float32)).astype(
            np.float64)

    def transposed_times(matrix: np.ndarray) -> np.ndarray:  # (x - mean)^T @ matrix, [D, w]
        out = np.zeros((x.shape[1], matrix.shape[1]), dtype=np.float64)
        for rows in _chunks(x.shape[0]):
            out += (x[rows].T @ matrix[rows].astype(np.float32)).astype(np.float64)
        return out - np.outer(mean, matrix.sum(axis=0))

    q, _ = np.linalg.qr(times(rng.normal(size=(x.shape[1], width))))
    for _ in range(iterations):
        z, _ = np.linalg.qr(transposed_times(q))
        q, _ = np.linalg.qr(times(z))
    small = transposed_times(q).T  # [w, D] = q^T (x - mean)
    _, singular, vt = np.linalg.svd(small, full_matrices=False)
    return vt[:k].T, singular[:k] ** 2


def pca(x: Any, dims: int = 3, *, solver: str = "auto", sample: int | None = None,
        seed: int = 0, progress: Progress | None = None) -> Reduction:
    """Principal components: ``x`` centred and projected on its top ``dims`` directions.

    ``solver``: ``"exact"`` (eigendecomposition of the covariance, float64 — equal to
    numpy's SVD projection up to sign), ``"randomized"`` (randomized SVD, for wide
    matrices) or ``"auto"`` (exact up to 2,000 dims). ``sample``: fit the directions
    on that many random rows, then project every row. Signs are fixed so each axis'
    largest-magnitude loading is positive. ``info["explained_variance_ratio"]`` holds
    the variance share of each axis.

    >>> pca(np.random.default_rng(0).normal(size=(100, 8)), 2).positions.shape
    (100, 2)
    """
    where = "pca()"
    started = time.perf_counter()
    matrix = as_matrix(x, where=where)
    dims = _check_dims(dims, where)
    if solver not in ("auto", "exact", "randomized"):
        raise ValueError(f"{where}: 'solver' must be 'auto', 'exact' or 'randomized', got "
                         f"{describe(solver)}.")
    sample = _check_sample(sample, where, 2)
    _check_finite(matrix, where)
    n, d = matrix.shape
    if n < 2:
        raise ValueError(f"{where}: PCA needs at least 2 points, got {n}.")
    fit_rows = _sample_rows(n, sample, seed)
    fit = matrix if fit_rows is None else matrix[fit_rows]
    k = min(dims, d, fit.shape[0])
    mean = _column_mean(fit)
    use_randomized = solver == "randomized" or (solver == "auto" and d > 2000)
    if use_randomized:
        _report(progress, "randomized SVD", None)
        components, variances = _randomized_components(fit, mean, k, seed)
        total = float(((fit.astype(np.float64) - mean) ** 2).sum()) if fit.size <= 5e7 else (
            float(np.trace(_centered_gram(fit, mean, None))))
    else:
        gram = _centered_gram(fit, mean, progress)
        eigenvalues, vectors = np.linalg.eigh(gram)
        order = np.argsort(eigenvalues)[::-1][:k]
        components, variances = vectors[:, order], np.clip(eigenvalues[order], 0, None)
        total = float(np.clip(eigenvalues, 0, None).sum())
    # deterministic signs: the largest-magnitude loading of each axis is positive
    pivot = np.abs(components).argmax(axis=0)
    components = components * np.sign(components[pivot, np.arange(k)] + 1e-300)
    _report(progress, "projecting", None)
    positions = _project(matrix, mean, components)
    if k < dims:  # fewer input dims (or points) than axes asked for: pad with zeros
        positions = np.concatenate([positions, np.zeros((n, dims - k), np.float32)], axis=1)
    ratio = (variances / total).tolist() if total > 0 else [0.0] * k
    return Reduction(positions, "pca", dims, {"solver": solver, "sample": sample},
                     time.perf_counter() - started, fit.shape[0],
                     {"explained_variance_ratio": ratio + [0.0] * (dims - k),
                      "solver": "randomized" if use_randomized else "exact"})


# -- t-SNE ------------------------------------------------------------------------------------


def _optional(module: str, package: str, extra: str, method: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{method} needs the optional package {package!r}: "
                          f"pip install {package}  (or: pip install 'nbviz[{extra}]'). "
                          "PCA works without it.") from None


def tsne(x: Any, dims: int = 2, *, perplexity: float = 30.0, metric: str = "euclidean",
         sample: int | None = 20_000, n_iter: int = 500, seed: int = 0,
         init: np.ndarray | None = None, progress: Progress | None = None) -> Reduction:
    """t-SNE (openTSNE) to ``dims`` dimensions.

    Fits on a random ``sample`` of rows when there are more, then places every other
    point at the median of its 25 nearest fitted points. ``init`` (``[N, dims]``, e.g.
    the positions of the previous training step) starts the optimisation there instead
    of at PCA, so successive steps stay comparable. Needs ``pip install openTSNE``.

    >>> tsne(features, 2, perplexity=30).positions  # doctest: +SKIP
    """
    where = "tsne()"
    started = time.perf_counter()
    matrix = as_matrix(x, where=where)
    dims = _check_dims(dims, where)
    metric = _check_metric(metric, where)
    if isinstance(perplexity, bool) or not isinstance(perplexity, (int, float)) or not (
            math.isfinite(perplexity) and perplexity >= 1):
        raise ValueError(f"{where}: 'perplexity' must be a number >= 1 (typically 5-50), got "
                         f"{describe(perplexity)}.")
    if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 50:
        raise ValueError(f"{where}: 'n_iter' must be an int >= 50, got {describe(n_iter)}.")
    _check_finite(matrix, where)
    n = matrix.shape[0]
    minimum = int(3 * perplexity) + 2
    sample = _check_sample(sample, where, minimum)
    if n < minimum:
        raise ValueError(f"{where}: t-SNE with perplexity {perplexity:g} needs at least "
                         f"{minimum} points, got {n}; lower 'perplexity' (to at most "
                         f"{max((n - 2) // 3, 1)}) or use PCA.")
    open_tsne = _optional("openTSNE", "openTSNE", "tsne", "t-SNE")
    fit_rows, fit, start = _fit_set(matrix, sample, seed, init, dims, where)
    initialization: Any = "pca"
    if start is not None:
        # openTSNE expects a small initial spread (std 1e-4 of the first axis)
        spread = float(start[:, 0].std()) or 1.0
        initialization = np.ascontiguousarray(start * (1e-4 / spread), dtype=np.float64)
    total_iter = 250 + n_iter  # openTSNE's early-exaggeration phase, then the main phase
    calls = {"count": 0}

    def callback(iteration: int, error: float, embedding: Any) -> bool:
        calls["count"] += 1  # iteration restarts at each phase: count calls instead
        _report(progress, "optimizing", min(calls["count"] * 25 / total_iter, 1.0))
        return False

    _report(progress, "nearest neighbours", None)
    estimator = open_tsne.TSNE(
        n_components=dims, perplexity=float(perplexity), metric=metric, n_iter=n_iter,
        initialization=initialization, random_state=seed, n_jobs=-1,
        negative_gradient_method="bh" if dims == 3 else "fft",
        callbacks=callback, callbacks_every_iters=25, verbose=False,
    )
    embedding = estimator.fit(fit)
    fitted = np.asarray(embedding, dtype=np.float32)
    if fit_rows is None:
        positions = fitted
    else:
        _report(progress, "placing the other points", None)
        rest = np.setdiff1d(np.arange(n), fit_rows, assume_unique=True)
        placed = np.asarray(embedding.prepare_partial(matrix[rest], initialization="median",
                                                      k=25), dtype=np.float32)
        positions = np.empty((n, dims), dtype=np.float32)
        positions[fit_rows] = fitted
        positions[rest] = placed
    params = {"perplexity": float(perplexity), "metric": metric, "sample": sample,
              "n_iter": n_iter, "seed": seed}
    return Reduction(np.ascontiguousarray(positions), "tsne", dims, params,
                     time.perf_counter() - started, fit.shape[0],
                     {"kl_divergence": float(getattr(embedding, "kl_divergence", float("nan")))})


def _fit_set(matrix: np.ndarray, sample: int | None, seed: int, init: Any, dims: int,
             where: str) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """The rows a reducer fits on (all, or a sample of ``sample``), those rows, and the
    checked initial positions of those rows (None without ``init``)."""
    fit_rows = _sample_rows(matrix.shape[0], sample, seed)
    fit = matrix if fit_rows is None else matrix[fit_rows]
    if init is None:
        return fit_rows, fit, None
    start = _check_init(init, matrix.shape[0], dims, where)
    return fit_rows, fit, start if fit_rows is None else start[fit_rows]


def _check_init(init: Any, n: int, dims: int, where: str) -> np.ndarray:
    start = np.asarray(init, dtype=np.float32)
    if start.shape != (n, dims) or not np.isfinite(start).all():
        raise ValueError(f"{where}: 'init' must be finite positions of shape ({n}, {dims}), got "
                         f"{describe(init)}.")
    return start


# -- UMAP -------------------------------------------------------------------------------------

_UMAP_PATCH_LOCK = threading.Lock()


class _EpochProgress:
    """Stands in for umap's ``tqdm`` over the optimisation epochs: reports progress and
    lets :class:`Cancelled` stop the loop (umap-learn runs its epoch loop in Python)."""

    def __init__(self, progress: Progress | None, stage: str) -> None:
        self.progress, self.stage = progress, stage

    def __call__(self, iterable: Any, **_: Any) -> Iterator[Any]:
        items = list(iterable)
        total = max(len(items), 1)
        for index, item in enumerate(items):
            if index % 5 == 0:
                _report(self.progress, self.stage, index / total)
            yield item


@contextlib.contextmanager
def _umap_epochs(progress: Progress | None, stage: str) -> Iterator[None]:
    layouts: Any = importlib.import_module("umap.layouts")
    if not hasattr(layouts, "tqdm"):  # another umap-learn layout: no epoch progress
        yield
        return
    with _UMAP_PATCH_LOCK:
        original = layouts.tqdm
        layouts.tqdm = _EpochProgress(progress, stage)
        try:
            yield
        finally:
            layouts.tqdm = original


def umap(x: Any, dims: int = 2, *, n_neighbors: int = 15, min_dist: float = 0.1,
         metric: str = "euclidean", sample: int | None = 20_000, seed: int = 0,
         init: np.ndarray | None = None, progress: Progress | None = None) -> Reduction:
    """UMAP (umap-learn) to ``dims`` dimensions.

    Fits on a random ``sample`` of rows when there are more and transforms the rest
    with UMAP's own ``transform``. ``init`` (``[N, dims]``) starts from given positions
    (e.g. the previous training step's). Needs ``pip install umap-learn``.

    >>> umap(features, 2, n_neighbors=15, min_dist=0.1).positions  # doctest: +SKIP
    """
    where = "umap()"
    started = time.perf_counter()
    matrix = as_matrix(x, where=where)
    dims = _check_dims(dims, where)
    metric = _check_metric(metric, where)
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or (
            n_neighbors < 2):
        raise ValueError(f"{where}: 'n_neighbors' must be an int >= 2 (typically 5-50), got "
                         f"{describe(n_neighbors)}.")
    if isinstance(min_dist, bool) or not isinstance(min_dist, (int, float)) or not (
            0 <= min_dist <= 1):
        raise ValueError(f"{where}: 'min_dist' must be in [0, 1], got {describe(min_dist)}.")
    _check_finite(matrix, where)
    n = matrix.shape[0]
    minimum = int(n_neighbors) + 2
    sample = _check_sample(sample, where, minimum)
    if n < minimum:
        raise ValueError(f"{where}: UMAP with n_neighbors={n_neighbors} needs at least "
                         f"{minimum} points, got {n}; lower 'n_neighbors' (to at most "
                         f"{max(n - 2, 2)}) or use PCA.")
    _report(progress, "loading umap-learn", None)
    umap_module = _optional("umap", "umap-learn", "umap", "UMAP")
    fit_rows, fit, start = _fit_set(matrix, sample, seed, init, dims, where)
    initialization: Any = "spectral"
    if start is not None:
        initialization = np.ascontiguousarray(start, dtype=np.float64)
    estimator = umap_module.UMAP(
        n_components=dims, n_neighbors=int(n_neighbors), min_dist=float(min_dist),
        metric=metric, random_state=seed, init=initialization, verbose=False,
        low_memory=True, n_jobs=1,
    )
    _report(progress, "nearest neighbours", None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        with _umap_epochs(progress, "optimizing"):
            fitted = np.asarray(estimator.fit_transform(fit), dtype=np.float32)
            if fit_rows is None:
                positions = fitted
            else:
                rest = np.setdiff1d(np.arange(n), fit_rows, assume_unique=True)
                _report(progress, "transforming the other points", None)
                positions = np.empty((n, dims), dtype=np.float32)
                positions[fit_rows] = fitted
                positions[rest] = np.asarray(estimator.transform(matrix[rest]), np.float32)
    params = {"n_neighbors": int(n_neighbors), "min_dist": float(min_dist), "metric": metric,
              "sample": sample, "seed": seed}
    return Reduction(np.ascontiguousarray(positions), "umap", dims, params,
                     time.perf_counter() - started, fit.shape[0])


# -- one entry point ---------------------------------------------------------------------------


def check_params(method: Any, params: Mapping[str, Any] | None, *, where: str) -> dict[str, Any]:
    """``params`` merged over the method's defaults; unknown names are an error.

    >>> check_params("umap", {"n_neighbors": 30}, where="reduce()")["n_neighbors"]
    30
    """
    if method not in METHODS:
        raise ValueError(f"{where}: 'method' must be one of {METHODS}, got {describe(method)}.")
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"{where}: 'params' must be a dict such as {{'perplexity': 30}}, got "
                        f"{describe(params)}.")
    merged = dict(DEFAULT_PARAMS[method])
    unknown = sorted(set(params or {}) - set(merged))
    if unknown:
        raise ValueError(f"{where}: unknown {method} parameter(s) {unknown}; known: "
                         f"{sorted(merged)}.")
    merged.update(params or {})
    return merged


def reduce(x: Any, method: str = "pca", dims: int = 2, params: Mapping[str, Any] | None = None,
           *, init: np.ndarray | None = None, progress: Progress | None = None) -> Reduction:
    """Run ``method`` ("pca", "tsne" or "umap") with ``params`` (see :data:`DEFAULT_PARAMS`).

    >>> reduce(np.eye(10), "pca", 2).positions.shape
    (10, 2)
    """
    merged = check_params(method, params, where="reduce()")
    if method == "pca":
        return pca(x, dims, solver=merged["solver"], sample=merged["sample"], progress=progress)
    if method == "tsne":
        return tsne(x, dims, perplexity=merged["perplexity"], metric=merged["metric"],
                    sample=merged["sample"], n_iter=merged["n_iter"], seed=merged["seed"],
                    init=init, progress=progress)
    return umap(x, dims, n_neighbors=merged["n_neighbors"], min_dist=merged["min_dist"],
                metric=merged["metric"], sample=merged["sample"], seed=merged["seed"],
                init=init, progress=progress)


def params_key(method: str, dims: int, params: Mapping[str, Any] | None) -> str:
    """A canonical string naming one projection, e.g. ``"tsne:2:{...}"`` (cache and wire key).

    >>> params_key("pca", 3, None)
    'pca:3:{"sample":null,"solver":"auto"}'
    """
    merged = check_params(method, params, where="params_key()")
    return f"{method}:{_check_dims(dims, 'params_key()')}:" + json.dumps(
        merged, sort_keys=True, separators=(",", ":"))


# -- alignment between steps ------------------------------------------------------------------


def align(reference: np.ndarray, positions: np.ndarray, *, rotate: bool = True) -> np.ndarray:
    """``positions`` moved to best match ``reference`` (same points, same order).

    ``rotate=True``: orthogonal Procrustes (rotation/reflection + translation, no
    scaling) — for t-SNE/UMAP of successive training steps. ``rotate=False``: only
    flip each axis' sign to correlate with the reference — for PCA, whose axes keep
    their meaning. Returns float32 ``[N, dims]``.

    >>> a = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    >>> bool(np.allclose(align(a, -a), a, atol=1e-5))
    True
    """
    if reference.shape != positions.shape:
        raise ValueError(f"align(): 'reference' {reference.shape} and 'positions' "
                         f"{positions.shape} must have the same shape.")
    ref = reference.astype(np.float64)
    pos = positions.astype(np.float64)
    if not rotate:
        signs = np.sign((ref * pos).sum(axis=0))
        signs[signs == 0] = 1
        flipped: np.ndarray = (pos * signs).astype(np.float32)
        return flipped
    ref_mean, pos_mean = ref.mean(axis=0), pos.mean(axis=0)
    u, _, vt = np.linalg.svd((pos - pos_mean).T @ (ref - ref_mean))
    rotated: np.ndarray = ((pos - pos_mean) @ (u @ vt) + ref_mean).astype(np.float32)
    return rotated


# -- nearest neighbours -----------------------------------------------------------------------


def nearest_neighbors(x: Any, index: Any, k: int = 10, metric: str = "cosine"
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest neighbours of row(s) ``index`` of ``x`` (itself excluded).

    ``metric``: ``"cosine"`` (distance 1 - cos) or ``"euclidean"``. Brute force over
    row blocks (BLAS matrix products). Returns ``(indices, distances)``, int64 and
    float32 arrays of shape ``[k]`` for one index, ``[Q, k]`` for a list, nearest first
    (ties by lower index).

    >>> nearest_neighbors(np.eye(4) + 0.1, 0, k=2, metric="euclidean")[0].shape
    (2,)
    """
    where = "nearest_neighbors()"
    matrix = as_matrix(x, where=where)
    metric = _check_metric(metric, where)
    n = matrix.shape[0]
    queries = np.asarray(index)
    single = queries.ndim == 0
    if not np.issubdtype(queries.dtype, np.integer) or queries.ndim > 1:
        raise TypeError(f"{where}: 'index' must be a row index or a list of them, got "
                        f"{describe(index)}.")
    queries = queries.reshape(-1).astype(np.int64)
    if queries.size and (queries.min() < 0 or queries.max() >= n):
        raise IndexError(f"{where}: 'index' must be in 0..{n - 1}, got {describe(index)}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{where}: 'k' must be an int >= 1, got {describe(k)}.")
    k = int(min(k, n - 1))
    if k < 1:
        raise ValueError(f"{where}: need at least 2 points to have a neighbour, got {n}.")
    distances = np.empty((queries.size, n), dtype=np.float32)
    if metric == "cosine":
        norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64)).astype(
            np.float32)
        norms[norms == 0] = 1.0
        q = matrix[queries] / norms[queries, None]
        for rows in _chunks(n):
            distances[:, rows] = 1.0 - (q @ matrix[rows].T) / norms[rows]
    else:
        squares = np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64)
        q = matrix[queries].astype(np.float64)
        for rows in _chunks(n):
            block = matrix[rows].astype(np.float64)
            d2 = squares[queries, None] - 2.0 * (q @ block.T) + squares[None, rows]
            distances[:, rows] = np.sqrt(np.clip(d2, 0.0, None))
    distances[np.arange(queries.size), queries] = np.inf  # never its own neighbour
    part = np.argpartition(distances, k - 1, axis=1)[:, :k] if k < n else np.argsort(
        distances, axis=1)
    picked = np.take_along_axis(distances, part, axis=1)
    order = np.lexsort((part, picked), axis=1)
    indices = np.take_along_axis(part, order, axis=1).astype(np.int64)
    result = np.take_along_axis(picked, order, axis=1).astype(np.float32)
    if single:
        return indices[0], result[0]
    return indices, result


# -- cache ------------------------------------------------------------------------------------


class ReductionCache:
    """Least-recently-used cache of reductions, bounded by the bytes of their positions.

    >>> cache = ReductionCache(max_bytes=1 << 20)
    >>> cache.put(("run", "tag", 0, "pca:2"), pca(np.eye(5), 2))
    >>> cache.get(("run", "tag", 0, "pca:2")) is not None
    True
    """

    def __init__(self, max_bytes: int = 512 * 1024 * 1024) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"ReductionCache(): 'max_bytes' must be an int >= 0, got "
                             f"{describe(max_bytes)}.")
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, Reduction] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Reduction | None:
        """The cached reduction for ``key``, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, reduction: Reduction) -> None:
        """Store ``reduction`` (evicting the least recently used beyond ``max_bytes``)."""
        size = reduction.positions.nbytes
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.positions.nbytes
            if size > self.max_bytes:
                return
            self._items[key] = reduction
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.positions.nbytes

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        """Bytes of positions held."""
        return self._bytes

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


CACHE = ReductionCache()
