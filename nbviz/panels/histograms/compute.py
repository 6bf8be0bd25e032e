"""TensorBoard-compatible histogram math (numpy only: no torch import here).

Two families of functions:

* :func:`tb_histogram` / :func:`tb_histogram_raw` build exactly what
  ``torch.utils.tensorboard.SummaryWriter.add_histogram`` / ``add_histogram_raw``
  store (TensorBoard's ``HistogramProto``), as nbviz's ``histogram`` record:
  a float64 ``[2, B]`` array (row 0 upper bucket limits, row 1 counts) and an
  ``extra`` dict with ``min``, ``max``, ``num``, ``sum``, ``sum_squares``.
* :func:`uniform_histogram` is nbviz's own cheap histogram (B equal bins over
  the data's range, numpy's ``np.histogram(values, bins=B)``) in the same record
  layout; the on-device version for torch tensors lives in
  :mod:`nbviz.hooks.stats`.

Helpers for panels: :func:`record_edges` recovers bucket edges from a record,
:func:`rebin` resamples a record onto common edges (mass spread uniformly
within a bucket, as TensorBoard's UI does), :func:`percentiles` gives the
Distributions panel's basis points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nbviz._arrays import to_numpy
from nbviz._validate import describe

__all__ = [
    "BASIS_POINTS",
    "histogram_record",
    "percentiles",
    "rebin",
    "record_edges",
    "tb_default_bins",
    "tb_histogram",
    "tb_histogram_raw",
    "uniform_histogram",
]

# TensorBoard's Distributions chart: min, 7%, 16%, 31%, 50%, 69%, 84%, 93%, max
# (in basis points of a normal distribution: -inf, -1.5σ, -1σ, -0.5σ, 0, ...).
BASIS_POINTS: tuple[int, ...] = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)

_TB_BINS: np.ndarray | None = None


def tb_default_bins() -> np.ndarray:
    """TensorBoard's default bucket edges (what ``bins="tensorflow"`` means).

    Built exactly like ``torch.utils.tensorboard.SummaryWriter.default_bins``:
    ±1e-12·1.1^k up to 1e20, and 0 — 1,549 edges.

    >>> tb_default_bins().shape
    (1549,)
    """
    global _TB_BINS
    if _TB_BINS is None:
        v = 1e-12
        buckets: list[float] = []
        while v < 1e20:
            buckets.append(v)
            v *= 1.1
        neg = [-b for b in reversed(buckets)]
        _TB_BINS = np.array([*neg, 0.0, *buckets], dtype=np.float64)
        _TB_BINS.setflags(write=False)
    return _TB_BINS


def histogram_record(limits: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Stack upper bucket limits and counts into the float64 ``[2, B]`` record array."""
    return np.ascontiguousarray(np.stack([np.asarray(limits, np.float64),
                                          np.asarray(counts, np.float64)]))


def tb_histogram(
    values: Any, bins: Any = "tensorflow", max_bins: int | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """What ``SummaryWriter.add_histogram(tag, values, bins=bins, max_bins=max_bins)`` stores.

    Returns ``(array, extra)``: ``array`` float64 ``[2, B]`` (upper bucket limits,
    counts), ``extra`` the HistogramProto scalars ``min, max, num, sum, sum_squares``.
    Follows torch's ``make_histogram`` step by step (numpy ``np.histogram`` on
    float64 values, ``max_bins`` subsampling, trimming to the support with one
    empty bucket on the left), so the result equals torch's bucket for bucket.

    >>> array, extra = tb_histogram(np.array([0.5, 1.5, 1.5]), bins=[0, 1, 2])
    >>> array.tolist(), extra["num"]
    ([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]], 3.0)
    """
    where = "tb_histogram()"
    array = to_numpy(values, where=where, argument="values")
    if array.size == 0:
        raise ValueError(f"{where}: 'values' is empty; a histogram needs at least one value.")
    if max_bins is not None and (
        isinstance(max_bins, bool) or not isinstance(max_bins, (int, np.integer)) or max_bins < 1
    ):
        raise ValueError(
            f"{where}: 'max_bins' must be a positive int or None, got {describe(max_bins)}."
        )
    edges: Any
    if isinstance(bins, str):
        edges = tb_default_bins() if bins == "tensorflow" else bins
    elif isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"{where}: 'bins' must be >= 1, got {bins}.")
        edges = int(bins)
    else:
        try:
            edges = np.asarray(bins, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{where}: 'bins' must be 'tensorflow', a numpy bin rule name ('auto', 'fd' …), "
                f"an int or a sequence of edges, got {describe(bins)}."
            ) from None
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(
                f"{where}: 'bins' as edges must be a 1-D increasing sequence of >= 2 numbers, "
                f"got {describe(bins)}."
            )
    values64 = array.astype(float).reshape(-1)
    try:
        counts, limits = np.histogram(values64, bins=edges)
    except ValueError as error:
        raise ValueError(
            f"{where}: cannot histogram these values with bins={describe(bins)}: {error}. "
            "Non-finite values (NaN/Inf) need explicit finite bin edges."
        ) from None
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder != 0:
            counts = np.pad(counts, pad_width=[[0, subsampling - remainder]],
                            mode="constant", constant_values=0)
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:subsampling]
        new_limits[-1] = limits[-1]
        limits = new_limits
    cum_counts = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum_counts, [0, cum_counts[-1] - 1], side="right")
    start = int(start)
    end = int(end) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError(
            f"{where}: no value of 'values' falls inside the bins (range "
            f"{float(limits[0]) if limits.size else float('nan')}…); widen 'bins'."
        )
    extra = {
        "min": float(values64.min()),
        "max": float(values64.max()),
        "num": float(len(values64)),
        "sum": float(values64.sum()),
        "sum_squares": float(values64.dot(values64)),
    }
    return histogram_record(limits, counts), extra


def tb_histogram_raw(
    min: float, max: float, num: float, sum: float, sum_squares: float,
    bucket_limits: Any, bucket_counts: Any,
) -> tuple[np.ndarray, dict[str, float]]:
    """What ``SummaryWriter.add_histogram_raw(...)`` stores, validated.

    ``bucket_limits`` are the upper limits of the buckets and must have as many
    elements as ``bucket_counts`` (torch's documented contract).

    >>> array, extra = tb_histogram_raw(0, 2, 3, 3.5, 4.75, [1, 2], [1, 2])
    >>> array.shape, extra["sum"]
    ((2, 2), 3.5)
    """
    where = "tb_histogram_raw()"
    limits = to_numpy(bucket_limits, where=where, argument="bucket_limits").astype(np.float64)
    counts = to_numpy(bucket_counts, where=where, argument="bucket_counts").astype(np.float64)
    limits = limits.reshape(-1)
    counts = counts.reshape(-1)
    if limits.size != counts.size:
        raise ValueError(
            f"{where}: 'bucket_limits' has {limits.size} elements but 'bucket_counts' has "
            f"{counts.size}; pass one upper limit per bucket (e.g. limits[1:] of "
            "np.histogram's edges)."
        )
    if limits.size == 0:
        raise ValueError(f"{where}: 'bucket_limits' is empty; pass at least one bucket.")
    if np.any(np.diff(limits) < 0):
        raise ValueError(f"{where}: 'bucket_limits' must be non-decreasing.")
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(f"{where}: 'bucket_counts' must be finite and >= 0.")
    extra: dict[str, float] = {}
    for name, value in (("min", min), ("max", max), ("num", num), ("sum", sum),
                        ("sum_squares", sum_squares)):
        try:
            extra[name] = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{where}: '{name}' must be a number, got {describe(value)}."
            ) from None
    return histogram_record(limits, counts), extra


def uniform_histogram(
    values: Any, bins: int = 64
) -> tuple[np.ndarray, dict[str, float]]:
    """nbviz's histogram of ``values``: ``bins`` equal buckets over [min, max] of the
    finite values (numpy's ``np.histogram(values, bins=bins)``), NaN/Inf counted
    in ``extra`` (``nan``, ``inf``) instead of bucketed.

    The record keeps TensorBoard's layout: row 0 holds the upper limits, with
    one leading empty bucket whose upper limit is the lower edge (so the range
    is recoverable), i.e. ``bins + 1`` columns.

    >>> array, extra = uniform_histogram(np.array([0.0, 1.0, 1.0]), bins=2)
    >>> array.tolist()
    [[0.0, 0.5, 1.0], [0.0, 1.0, 2.0]]
    """
    where = "uniform_histogram()"
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 10_000:
        raise ValueError(f"{where}: 'bins' must be an int in 1..10000, got {describe(bins)}.")
    array = to_numpy(values, where=where, argument="values").reshape(-1)
    if array.size == 0:
        raise ValueError(f"{where}: 'values' is empty; a histogram needs at least one value.")
    if array.dtype.kind == "f" and array.dtype.itemsize < 4:
        array = array.astype(np.float32)
    finite_mask = np.isfinite(array)
    finite = array if finite_mask.all() else array[finite_mask]
    nan = int(np.isnan(array).sum()) if finite.size != array.size else 0
    inf = int(array.size - finite.size - nan)
    if finite.size:
        counts, edges = np.histogram(finite, bins=int(bins))
        low, high = float(finite.min()), float(finite.max())
    else:
        counts, edges = np.zeros(int(bins), np.int64), np.linspace(0.0, 1.0, int(bins) + 1)
        low = high = float("nan")
    as64 = finite.astype(np.float64)
    extra = {
        "min": low, "max": high, "num": float(array.size),
        "sum": float(as64.sum()), "sum_squares": float(as64.dot(as64)),
        "nan": float(nan), "inf": float(inf),
    }
    limits = np.asarray(edges, np.float64)
    return histogram_record(limits, np.concatenate([[0], counts])), extra


def record_edges(array: np.ndarray, extra: Mapping[str, Any] | None = None) -> np.ndarray:
    """Bucket edges ``[B + 1]`` of a histogram record (``[2, B]`` upper limits + counts).

    The lower edge of bucket i is the upper limit of bucket i-1; for the first
    bucket (TensorBoard gives it no lower edge) it is ``extra['min']`` when that
    is below the first limit, else the first limit itself (an empty bucket of width 0).

    >>> record_edges(np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])).tolist()
    [0.0, 0.0, 1.0, 2.0]
    """
    limits = np.asarray(array, np.float64)[0]
    first = float(limits[0]) if limits.size else 0.0
    low = first
    if extra is not None:
        value = extra.get("min")
        if isinstance(value, (int, float)) and math.isfinite(value) and value < first:
            low = float(value)
    return np.concatenate([[low], limits])


def rebin(array: np.ndarray, edges: np.ndarray,
          extra: Mapping[str, Any] | None = None) -> np.ndarray:
    """Counts of a histogram record resampled onto ``edges`` (``[E + 1]`` increasing).

    Each source bucket's count is spread uniformly over its width (a zero-width
    bucket puts its count at a point); mass outside ``edges`` is dropped.
    Vectorised: the cumulative count function is interpolated at the new edges.

    >>> rebin(np.array([[0.0, 1.0, 2.0], [0.0, 2.0, 2.0]]), np.array([0.0, 0.5, 2.0])).tolist()
    [1.0, 3.0]
    """
    src_edges = record_edges(array, extra)
    counts = np.asarray(array, np.float64)[1]
    return np.diff(_cdf(src_edges, counts, np.asarray(edges, np.float64)))


def _cdf(edges: np.ndarray, counts: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Cumulative count at ``at`` of buckets ``[edges[i], edges[i+1])`` holding ``counts``,
    each spread uniformly over its width (a zero-width bucket is a step)."""
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    index = np.searchsorted(edges, at, side="right") - 1
    inside = (index >= 0) & (index < counts.size)
    clipped = np.clip(index, 0, max(counts.size - 1, 0))
    width = edges[clipped + 1] - edges[clipped]
    fraction = np.where(width > 0, (at - edges[clipped]) / np.where(width > 0, width, 1.0), 1.0)
    value = cumulative[clipped] + counts[clipped] * np.clip(fraction, 0.0, 1.0)
    return np.where(inside, value, np.where(index < 0, 0.0, cumulative[-1]))


def percentiles(array: np.ndarray, extra: Mapping[str, Any] | None = None,
                basis_points: Sequence[int] = BASIS_POINTS) -> np.ndarray:
    """Values at ``basis_points`` (0…10000) of a histogram record's distribution.

    Like TensorBoard's compressed histograms: linear interpolation of the
    cumulative counts inside the bucket holding the rank; 0 and 10000 give the
    record's min and max when ``extra`` has them.

    >>> percentiles(np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 1.0]]), {"min": 0, "max": 2},
    ...             [0, 5000, 10000]).tolist()
    [0.0, 1.0, 2.0]
    """
    edges = record_edges(array, extra)
    counts = np.asarray(array, np.float64)[1]
    total = float(counts.sum())
    bps = np.asarray(basis_points, np.float64)
    if total <= 0:
        return np.full(bps.shape, np.nan)
    cumulative = np.cumsum(counts)
    ranks = bps / 10000.0 * total
    # Bucket holding each rank: the first with cumulative >= rank (rank 0: the
    # first non-empty bucket), then linear interpolation inside it.
    index = np.where(ranks > 0, np.searchsorted(cumulative, ranks, side="left"),
                     np.searchsorted(cumulative, 0.0, side="right"))
    index = np.clip(index, 0, counts.size - 1)
    in_bucket = counts[index]
    before = cumulative[index] - in_bucket
    safe = np.where(in_bucket > 0, in_bucket, 1.0)
    fraction = np.clip(np.where(in_bucket > 0, (ranks - before) / safe, 1.0), 0.0, 1.0)
    out = edges[index] + fraction * (edges[index + 1] - edges[index])
    if extra is not None:
        low, high = extra.get("min"), extra.get("max")
        if isinstance(low, (int, float)) and math.isfinite(low):
            out = np.where(bps <= 0, float(low), out)
        if isinstance(high, (int, float)) and math.isfinite(high):
            out = np.where(bps >= 10000, float(high), out)
    return np.asarray(out, np.float64)
