"""On-device histograms and summary statistics of many tensors, one transfer to the host.

Everything here runs on the tensors' own device with vectorised torch ops
(aminmax, bincount, sums, norms); a Python loop runs only over *tensors*,
never over elements. A :class:`Batch` collects the tensors of one sampled
step, computes every mergeable quantity on the device, optionally all-reduces
them across ``torch.distributed`` ranks (:mod:`nbviz.hooks.distributed`), then
moves them to the CPU in **one** transfer and turns them into records. On a CPU,
where nothing waits for a device, the many small tensors of a step (most
parameters) are reduced with numpy straight into host floats (a dozen calls for
all of them), and a ReLU output's range and zero count come from its integer view.

Histogram semantics equal ``numpy.histogram(values, bins=B)``: B equal bins over
[min, max] of the finite values (edges computed as numpy's ``linspace`` does,
each value in the bin whose edges bracket it, the last bin closed), computed
in the tensor's own floating dtype (float16/bfloat16 are upcast to float32).
A tensor holding NaN/Inf gets no histogram (its counts are zero); its NaN/Inf
count is reported instead. Small tensors of one device and dtype are bucketed
together (one pass over their concatenation, one ``bincount`` with per-tensor
offsets); a large one runs in cache-sized chunks; optionally
(``sample=N``) only N values (runs of 16 at fixed random offsets) are bucketed and
the counts scaled, while min/max/sums/NaN-Inf counts stay exact.

Mergeable quantities per tensor (what an all-reduce can combine):
``min``/``max`` (MIN/MAX), bucket counts, ``num``, ``nonfinite``, ``sum``,
``sum_squares``, ``zeros``, ``near_zero``, ``saturated`` (SUM), and for
activations the per-unit maximum over the batch (MAX), from which dead units
follow. Mean, std, L2 norm and fractions are derived on the host.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from nbviz.hooks import distributed
from nbviz.panels.health.layer_stats import layer_label

__all__ = [
    "STAT_NAMES",
    "Batch",
    "Entry",
    "Summary",
    "device_histogram",
    "tensor_histogram",
]

# Names of the `stats` record values, in order (docs/store.md).
STAT_NAMES: tuple[str, ...] = (
    "num", "mean", "std", "min", "max", "norm", "zero_frac", "near_zero_frac", "nonfinite",
)
ACTIVATION_STAT_NAMES: tuple[str, ...] = ("dead_frac", "saturated_frac")

_FLOAT_TYPES = (torch.float32, torch.float64)
# A reduced value: a 0-d (or 1-d) tensor on the tensor's device, or, for small CPU
# tensors reduced on the host (see _reduce_small_host), a float already there.
Value = torch.Tensor | float
# What summaries are packed in before the host copy: float64, float32 on MPS (no float64).
_ACC = (torch.float64, torch.float32)


def _as_float(tensor: torch.Tensor) -> torch.Tensor:
    flat = tensor.detach().reshape(-1)
    if flat.dtype not in _FLOAT_TYPES:
        flat = flat.float()
    return flat


def _edges(low: torch.Tensor, high: torch.Tensor, bins: int,
           dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """numpy's uniform-bin edges for range [low, high] (0-d tensors), on the device.

    Returns (edges[bins + 1], first_edge, width) where width = last - first.
    numpy widens an empty range by ±0.5; it builds edges as
    ``arange(bins + 1) * (delta / bins) + first`` with the last edge set to ``last``.
    """
    same = low == high
    first = torch.where(same, low - 0.5, low)
    last = torch.where(same, high + 0.5, high)
    width = last - first
    step = width / bins
    edges = torch.arange(bins + 1, device=low.device, dtype=dtype) * step + first
    edges[bins] = last
    return edges, first, width


class _Workspace:
    """Reusable scratch buffers per (device, dtype, slot).

    A fresh multi-megabyte CPU tensor costs page faults on first touch (the
    allocator returns large blocks to the OS), which dominated the histogram's
    time; reusing one buffer per role avoids that. Buffers only grow, up to
    ``LIMIT`` elements (larger tensors use temporaries), and are dropped by
    :func:`release_workspace` (``WatchHandle.remove`` calls it).
    """

    LIMIT = 1 << 26

    def __init__(self) -> None:
        self._buffers: dict[tuple[torch.device, torch.dtype, str], torch.Tensor] = {}
        self._lock = threading.Lock()

    def get(self, like: torch.Tensor, dtype: torch.dtype, slot: str) -> torch.Tensor:
        n = like.numel()
        if n > self.LIMIT:
            return torch.empty(n, dtype=dtype, device=like.device)
        key = (like.device, dtype, slot)
        with self._lock:
            buffer = self._buffers.get(key)
            if buffer is None or buffer.numel() < n:
                buffer = torch.empty(max(n, 1024), dtype=dtype, device=like.device)
                self._buffers[key] = buffer
        return buffer[:n]

    def clear(self) -> None:
        with self._lock:
            self._buffers.clear()


_WORKSPACE = _Workspace()
_WORKSPACE_THREAD = threading.get_ident()


def release_workspace() -> None:
    """Free the scratch buffers and sample positions the histogram code keeps between calls."""
    _WORKSPACE.clear()
    _SAMPLES.clear()


def _scratch(like: torch.Tensor, dtype: torch.dtype, slot: str) -> torch.Tensor:
    # Hooks run on the training thread; another thread gets its own temporaries.
    if threading.get_ident() != _WORKSPACE_THREAD:
        return torch.empty(like.numel(), dtype=dtype, device=like.device)
    return _WORKSPACE.get(like, dtype, slot)


# Values are bucketed in chunks of this many elements: the half-dozen element-wise
# passes of the exact path then run on data still in cache instead of streaming
# 1M-element scratch buffers through memory each time (~3x faster on a CPU).
_CHUNK = 1 << 18


def _bucket_counts(flat: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
                   bins: int, *, outside: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(counts[bins] int64, edges[bins + 1]) of ``flat`` over [low, high], numpy-exact.

    All values must lie in [low, high] unless ``outside`` is True (then values
    outside are masked out, which costs a compaction). Non-finite values land in
    some bin: callers zero the counts of tensors whose range is not finite.
    """
    edges, first, width = _edges(low, high, bins, flat.dtype)
    step = width / bins
    scale = bins / width
    count = flat.numel()
    if count <= _CHUNK:
        return _bucket_chunk(flat, first, step, scale, bins, low, high, outside), edges
    counts = torch.zeros(bins, dtype=torch.int64, device=flat.device)
    for start in range(0, count, _CHUNK):
        counts += _bucket_chunk(flat[start : start + _CHUNK], first, step, scale, bins,
                                low, high, outside)
    return counts, edges


def _bucket_chunk(flat: torch.Tensor, first: torch.Tensor, step: torch.Tensor,
                  scale: torch.Tensor, bins: int, low: torch.Tensor, high: torch.Tensor,
                  outside: bool) -> torch.Tensor:
    """Bin counts of one chunk (see :func:`_bucket_counts`)."""
    # First guess of each bin, (x - first) * (bins / width): one pass, and at most
    # one bin off numpy's ((x - first) / width * bins); the exact-edge correction
    # below puts every value where numpy puts it.
    scaled = torch.sub(flat, first, out=_scratch(flat, flat.dtype, "scaled"))
    scaled.mul_(scale)
    index = _scratch(flat, torch.int32, "index")
    index.copy_(scaled).clamp_(0, bins - 1)  # float -> int32 truncates, as numpy's astype
    # numpy's correction of the ~1 ulp disagreements between that arithmetic and
    # the edges: a value below its bin's lower edge moves down, a value at or above
    # its upper edge moves up (never past the last, closed, bin — the final clamp).
    # Edge k (k < bins) is k * step + first, computed exactly as numpy's linspace
    # (and `_edges`) does, so no gather from the edge table is needed; the
    # scratch buffer is reused for both edges.
    edge = scaled.copy_(index).mul_(step).add_(first)
    below = torch.lt(flat, edge, out=_scratch(flat, torch.bool, "below"))
    edge.copy_(index).add_(1).mul_(step).add_(first)
    above = torch.ge(flat, edge, out=_scratch(flat, torch.bool, "above"))
    index += above.view(torch.uint8)  # zero-copy views: no conversion temporaries
    index -= below.view(torch.uint8)
    index.clamp_(0, bins - 1)
    if outside:
        index = index[(flat >= low) & (flat <= high)]
    return torch.bincount(index, minlength=bins)


def _segment_counts(flats: Sequence[torch.Tensor], low: torch.Tensor, high: torch.Tensor,
                    bins: int) -> torch.Tensor:
    """Exact counts ``[len(flats), bins]`` (int64) of several tensors of one device and
    dtype, each over its own range [low[k], high[k]] (the values' exact range), in one
    pass over their concatenation and one ``bincount`` with per-tensor offsets.

    Per value the arithmetic is :func:`_bucket_chunk`'s, elementwise with its tensor's
    first edge, step and scale (the same float operations in the same dtype), so the
    counts equal ``np.histogram(values, bins)`` of each tensor.
    """
    data = torch.cat([flat.reshape(-1) for flat in flats])
    lengths = torch.tensor([flat.numel() for flat in flats], device=data.device)
    segment = torch.repeat_interleave(torch.arange(len(flats), device=data.device), lengths)
    same = low == high
    first = torch.where(same, low - 0.5, low)
    width = torch.where(same, high + 0.5, high) - first
    first_of, step_of, scale_of = (v[segment] for v in (first, width / bins, bins / width))
    scaled = (data - first_of).mul_(scale_of)
    index = scaled.to(torch.int32).clamp_(0, bins - 1)
    edge = scaled.copy_(index).mul_(step_of).add_(first_of)  # lower edge, as numpy's linspace
    below = data < edge
    edge.copy_(index).add_(1).mul_(step_of).add_(first_of)  # upper edge
    index += (data >= edge).view(torch.uint8)
    index -= below.view(torch.uint8)
    index.clamp_(0, bins - 1)
    flat_index = segment.mul_(bins).add_(index)
    return torch.bincount(flat_index, minlength=len(flats) * bins).reshape(len(flats), bins)


# A histogram sample is drawn as runs of this many contiguous values (64 bytes of float32,
# one or two cache lines) at random offsets: gathering them costs ~1/5 of gathering as
# many scattered values (a cache miss each). Measured on trained weights, gradients and
# ReLU outputs (benchmarks/histogram_sample_error.py), runs of 16 are almost as good a
# sample as scattered values; longer runs (and a strided view, which aliases with the
# tensors' row lengths) are measurably worse.
_RUN = 16


class _SampleIndex:
    """Fixed random sample runs per (tensor size, sample size, device), reused.

    ``ceil(sample / 16)`` start positions of runs of :data:`_RUN` contiguous values,
    drawn once (uniformly over every full run of the tensor, with replacement, from a
    fixed seed: the same positions every step, so a histogram's evolution is not
    sampling noise), sorted (the gather then streams through memory) and kept on the
    device; at most ``LIMIT`` position sets are kept (least recently used dropped).
    """

    LIMIT = 64

    def __init__(self) -> None:
        self._index: dict[tuple[int, int, torch.device], torch.Tensor] = {}
        self._lock = threading.Lock()

    def get(self, numel: int, sample: int, device: torch.device) -> torch.Tensor:
        """Sorted int64 start positions in ``[0, numel - 16]`` (``numel > sample >= 16``)."""
        key = (numel, sample, device)
        with self._lock:
            index = self._index.pop(key, None)
            if index is None:
                generator = torch.Generator().manual_seed(numel * 1_000_003 + sample)
                runs = -(-sample // _RUN)
                index = torch.randint(numel - _RUN + 1, (runs,), generator=generator)
                index = index.sort().values.to(device)
            self._index[key] = index  # most recently used last
            while len(self._index) > self.LIMIT:
                self._index.pop(next(iter(self._index)))
        return index

    def clear(self) -> None:
        with self._lock:
            self._index.clear()


_SAMPLES = _SampleIndex()


def check_sample(sample: Any, where: str, argument: str = "sample") -> int | None:
    """Validate a histogram sample size: None (exact) or an int >= 1024."""
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1024:
        raise ValueError(
            f"{where}: '{argument}' must be None (exact) or an int >= 1024 (values drawn for "
            f"the histogram's shape), got {sample!r}; e.g. {argument}=65536.")
    return sample


def _histogram_counts(flat: torch.Tensor, low: Value, high: Value, bins: int,
                      sample: int | None) -> torch.Tensor:
    """Counts over [low, high], the exact range of ``flat``: exact (int64), or, when
    ``sample`` is set and ``flat`` is larger, the counts of about ``sample`` values (runs
    of 16 at fixed random offsets) scaled to ``flat.numel()`` (float: an estimate of the
    shape). ``low``/``high`` are 0-d tensors on ``flat``'s device, or, only when the range
    is known to be finite (so every value is in it), floats."""
    count = flat.numel()
    if sample is None or count <= sample:
        return _bucket_counts(flat, _tensor(low, flat), _tensor(high, flat), bins)[0]
    starts = _SAMPLES.get(count, sample, flat.device)
    drawn = _scratch(flat[: starts.numel() * _RUN], flat.dtype, "sample")
    # Every window of 16 consecutive values is a row of this view (no copy); the
    # chosen rows are copied into the scratch buffer in one call.
    torch.index_select(flat.unfold(0, _RUN, 1), 0, starts, out=drawn.view(-1, _RUN))
    # An estimate needs no exact-edge correction (a value within an ulp of an edge may
    # land one bin off, far below the sampling error): scale, truncate, count.
    index = _scratch(drawn, torch.int32, "sample_index")
    if isinstance(low, float) and isinstance(high, float) and drawn.is_cpu:
        # Finite, known on the host: numpy's single-threaded element-wise ops (a third
        # of torch's cost at this size, and never waiting on the intra-op thread pool).
        first, last = (low - 0.5, high + 0.5) if low == high else (low, high)
        values = drawn.numpy()
        np.multiply(np.subtract(values, first, out=values), bins / (last - first),
                    out=values)
        np.copyto(index.numpy(), values, casting="unsafe")  # truncates, as astype does
        # Every index is in [0, bins]: the maximum (at most an ulp past) lands on the
        # last edge, counted in the last bin (a fold of two counts, not a clamp pass).
        counts = torch.bincount(index, minlength=bins + 1)
        counts[bins - 1] += counts[bins]
        counts = counts[:bins]
    else:
        low, high = _tensor(low, flat), _tensor(high, flat)  # on the device: no sync
        same = low == high  # numpy widens an empty range by ±0.5 (see _edges)
        first_edge = torch.where(same, low - 0.5, low)
        scale = bins / (torch.where(same, high + 0.5, high) - first_edge)
        index.copy_(drawn.sub_(first_edge).mul_(scale)).clamp_(0, bins - 1)  # NaN: any bin
        counts = torch.bincount(index, minlength=bins)
    return counts.to(flat.dtype if flat.dtype == torch.float64 else torch.float32) * (
        count / drawn.numel())


def device_histogram(values: torch.Tensor, bins: int = 64,
                     value_range: tuple[torch.Tensor, torch.Tensor] | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Histogram of a tensor on its device: ``(counts[bins] int64, edges[bins + 1])``.

    Equal to ``np.histogram(values.numpy(), bins=bins)`` for finite values (same
    edges, same counts). ``value_range`` (two 0-d tensors) fixes the range
    (values outside it are not counted), as after a cross-rank min/max merge.

    >>> counts, edges = device_histogram(torch.tensor([0.0, 1.0, 1.0]), bins=2)
    >>> counts.tolist(), edges.tolist()
    ([1, 2], [0.0, 0.5, 1.0])
    """
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"device_histogram(): 'values' must be a torch.Tensor, got {type(values)}.")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 10_000:
        raise ValueError(f"device_histogram(): 'bins' must be an int in 1..10000, got {bins!r}.")
    flat = _as_float(values)
    if flat.numel() == 0:
        raise ValueError("device_histogram(): 'values' is empty.")
    if value_range is None:
        low, high = torch.aminmax(flat)
    else:
        low, high = value_range
    return _bucket_counts(flat, low.to(flat.dtype), high.to(flat.dtype), bins,
                          outside=value_range is not None)


@dataclass
class Entry:
    """One tensor of a sampled step to summarise."""

    source: str  # "weights", "grads", "activations", "updates"
    layer: str  # module name ("" for the root module)
    param: str  # parameter name within the layer ("weight"), "" for activations
    tensor: torch.Tensor
    activation: str = ""  # "relu" (dead units), "tanh"/"sigmoid" (saturation), or ""
    histogram: bool = True


@dataclass(frozen=True)
class _Done:
    """What the host side needs to know of a summarised entry (no tensor), and which
    optional values its packed device parts hold (see ``Batch._sums``)."""

    source: str
    layer: str
    param: str
    double: bool
    histogram: bool
    activation: str
    units: int  # length of the per-unit maximum vector (ReLU activations), 0 if none
    numel: int
    near: bool
    saturated: bool
    merged: bool
    nonfinite: bool  # a NaN/Inf count is packed (else it is known to be 0)


@dataclass
class Summary:
    """Host-side result for one :class:`Entry`."""

    source: str
    layer: str
    param: str
    histogram: np.ndarray | None  # float64 [2, bins + 1] record, None if not computed
    extra: dict[str, float]
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        """Record tag: ``<source>/<layer>[.<param>]`` (``<model>`` for the root module)."""
        return f"{self.source}/{layer_label(self.layer, self.param)}"


class Batch:
    """Collect tensors of one step, summarise them on their devices, one host transfer.

    Statistics are computed for all tensors of an :meth:`add_many` call together
    (``torch._foreach_norm`` for norms and counts: one call for the list, not one
    per tensor), and every summary of the step is stacked and moved to the CPU in
    one copy per device by :meth:`finish`. ``histograms=False`` skips the bucket
    counts (a statistics-only step); ``sample`` estimates the histogram of a
    larger tensor from that many values (see :func:`tensor_histogram`).

    >>> batch = Batch(bins=8)
    >>> batch.add(Entry("weights", "fc", "weight", torch.randn(4, 3)))  # computed now, on device
    >>> [s.tag for s in batch.finish()]
    ['weights/fc.weight']
    """

    def __init__(self, bins: int = 64, *, near_zero: float = 1e-6,
                 merge: frozenset[str] = frozenset(), group: Any = None,
                 histograms: bool = True, sample: int | None = None) -> None:
        if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 4096:
            raise ValueError(f"Batch(): 'bins' must be an int in 2..4096, got {bins!r}.")
        self.bins = bins
        self.near_zero = float(near_zero)
        self.merge = merge
        self.group = group
        self.histograms = bool(histograms)
        self.sample = check_sample(sample, "Batch()")
        self._done: list[tuple[_Done, list[Value]]] = []

    def add(self, entry: Entry) -> None:
        """Summarise ``entry`` now, on its device (no host sync); see :meth:`add_many`."""
        self.add_many([entry])

    def add_many(self, entries: Sequence[Entry]) -> None:
        """Summarise ``entries`` now, on their devices, without waiting for them.

        The tensors are not kept: only their small summaries are (so in-place ops
        that later overwrite an activation cannot change what was measured). With
        merging, every rank must call this with the same entries in the same order:
        it runs one MAX and one SUM all-reduce for the merged entries.
        """
        if not entries:
            return
        flats = [_as_float(entry.tensor) for entry in entries]
        near = {i for i, entry in enumerate(entries) if entry.source != "activations"}
        relu = {i for i, entry in enumerate(entries) if entry.activation == "relu"}
        merged_idx = [i for i, entry in enumerate(entries) if entry.source in self.merge]
        merging = bool(merged_idx) and distributed.world_size(self.group) > 1
        reduced = _reduce(flats, near, self.near_zero, relu, host=not merging)
        lows, highs = reduced.low, reduced.high
        unit_max: list[torch.Tensor | None] = []
        for entry in entries:
            if entry.activation == "relu" and entry.tensor.dim() >= 2:
                dims = [d for d in range(entry.tensor.dim()) if d != 1]
                unit_max.append(entry.tensor.detach().amax(dim=dims).reshape(-1))
            else:
                unit_max.append(None)
        if merging:
            maxima = distributed.all_reduce_max(
                [torch.stack([-_tensor(lows[i], flats[i]), _tensor(highs[i], flats[i])])
                 for i in merged_idx]
                + [u for i in merged_idx if (u := unit_max[i]) is not None], self.group)
            for position, i in enumerate(merged_idx):
                pair = maxima[position].to(flats[i].dtype)
                lows[i], highs[i] = -pair[0], pair[1]
            rest = iter(maxima[len(merged_idx):])
            for i in merged_idx:
                if unit_max[i] is not None:
                    unit_max[i] = next(rest)
        merged = set(merged_idx) if merging else set()
        sums, counted = self._sums(entries, flats, reduced, merged)
        if merging:
            packed = []
            for i in merged_idx:
                acc = _ACC[flats[i].device.type == "mps"]
                # The L2 norm (part 1) is merged as its square, a sum.
                values = [_tensor(s, flats[i]).reshape(-1).to(acc) for s in sums[i]]
                values[1] = values[1] * values[1]
                packed.append(torch.cat(values))
            for i, total in zip(merged_idx, distributed.all_reduce_sum(packed, self.group),
                                strict=True):
                total[1:2].sqrt_()
                sums[i] = [total]
        for i, (entry, flat, units) in enumerate(zip(entries, flats, unit_max, strict=True)):
            parts = [lows[i], highs[i], *sums[i]]
            if units is not None:
                parts.append(units)
            self._done.append((_Done(
                entry.source, entry.layer, entry.param, entry.tensor.dtype == torch.float64,
                entry.histogram and self.histograms, entry.activation,
                0 if units is None else units.numel(), flat.numel(), near=i in near,
                saturated=entry.activation in ("tanh", "sigmoid"), merged=i in merged,
                nonfinite=i in counted,
            ), parts))

    def __len__(self) -> int:
        return len(self._done)

    # -- device side ----------------------------------------------------------------------

    def finish(self) -> list[Summary]:
        """Move every summary to the CPU in one transfer and build the host-side results."""
        done, self._done = self._done, []
        if not done:
            return []
        parts = [part for _, entry_parts in done for part in entry_parts]
        host = _to_host(parts)
        return self._summaries([meta for meta, _ in done], host)

    def _sums(self, entries: Sequence[Entry], flats: Sequence[torch.Tensor],
              reduced: _Reductions, merged: set[int]
              ) -> tuple[list[list[Value]], set[int]]:
        """The values of each tensor after its range, in packing order: ``sum, norm[,
        nonfinite], nonzero[, near_zero][, saturated][, num][, counts(bins)]``, and the
        indices whose NaN/Inf count is packed (the others have none).

        All but the norm are SUM-mergeable (the norm is merged as its square). The
        reductions come from :func:`_reduce` (a few ops per tensor, one flagging pass for
        the counts of all tensors of a device and dtype)."""
        lows, highs = reduced.low, reduced.high
        # NaN/±Inf make the range non-finite, so a finite range means none: on a CPU
        # (nothing to wait for) the count is skipped then (one host copy of all ranges);
        # on other devices it is computed for all rather than synchronising.
        on_cpu = [i for i, flat in enumerate(flats) if flat.numel() and flat.device.type == "cpu"]
        finite: set[int] = {i for i, flat in enumerate(flats) if not flat.numel()}
        if on_cpu:
            ranges = _host_values([v for i in on_cpu for v in (lows[i], highs[i])])
            finite.update(i for i, ok in zip(
                on_cpu, np.isfinite(ranges).reshape(-1, 2).all(axis=1), strict=True) if ok)
        nonfinite_of: dict[int, Value] = {
            i: _nonfinite(flat) for i, flat in enumerate(flats) if i not in finite}
        for i in merged - set(nonfinite_of):  # every rank packs the same layout
            nonfinite_of[i] = torch.zeros((), dtype=flats[i].dtype, device=flats[i].device)
        counts_of = (self._small_counts(entries, flats, lows, highs, finite)
                     if self.histograms else {})
        out: list[list[Value]] = []
        for i, (entry, flat) in enumerate(zip(entries, flats, strict=True)):
            parts: list[Value] = [reduced.total[i], reduced.norm[i]]
            if i in nonfinite_of:
                parts.append(nonfinite_of[i])
            parts.append(reduced.nonzero[i])
            near_count = reduced.near[i]
            if near_count is not None:
                parts.append(near_count)
            if entry.activation in ("tanh", "sigmoid"):  # |x| > 0.99 (tanh), |x - ½| > 0.49
                parts.append(_saturated(flat, entry.activation) if flat.numel()
                             else reduced.nonzero[i])
            if i in merged:
                parts.append(torch.tensor(float(flat.numel()), device=flat.device,
                                          dtype=flat.dtype))
            if entry.histogram and self.histograms:
                if i in counts_of:
                    parts.append(counts_of[i])
                elif i in finite:  # known on the host: no device-side guard needed
                    low, high = lows[i], highs[i]
                    if flat.is_cpu and self.sample is not None:  # floats: the host path
                        low, high = float(low), float(high)
                    parts.append(_histogram_counts(flat, low, high, self.bins, self.sample))
                elif flat.numel():
                    # A non-finite range (NaN/Inf present) gets a dummy range here; the
                    # host drops that histogram.
                    low, high = _tensor(lows[i], flat), _tensor(highs[i], flat)
                    valid = torch.isfinite(low + high)
                    safe_low = torch.where(valid, low, 0.0)
                    safe_high = torch.where(valid, high, 1.0)
                    parts.append(_histogram_counts(flat, safe_low, safe_high, self.bins,
                                                   self.sample))
                else:
                    parts.append(torch.zeros(self.bins, dtype=flat.dtype, device=flat.device))
            out.append(parts)
        return out, set(nonfinite_of)

    def _small_counts(self, entries: Sequence[Entry], flats: Sequence[torch.Tensor],
                      lows: Sequence[Value], highs: Sequence[Value],
                      finite: set[int]) -> dict[int, torch.Tensor]:
        """Exact bucket counts of the small tensors that want a histogram, all of one
        device and dtype bucketed together (:func:`_segment_counts`): a fixed number of
        ops for any number of tensors instead of a dozen per tensor."""
        groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
        for i, (entry, flat) in enumerate(zip(entries, flats, strict=True)):
            numel = flat.numel()
            if (entry.histogram and 0 < numel <= _SMALL
                    and (self.sample is None or numel <= self.sample)):
                groups.setdefault((flat.device, flat.dtype), []).append(i)
        out: dict[int, torch.Tensor] = {}
        for indices in groups.values():
            if len(indices) < 2:
                continue  # the per-tensor path is as cheap
            low = torch.stack([_tensor(lows[i], flats[i]) for i in indices])
            high = torch.stack([_tensor(highs[i], flats[i]) for i in indices])
            if not finite.issuperset(indices):  # NaN/Inf: a dummy range (the host drops it)
                valid = torch.isfinite(low + high)
                low = torch.where(valid, low, 0.0)
                high = torch.where(valid, high, 1.0)
            counts = _segment_counts([flats[i] for i in indices], low, high, self.bins)
            out.update(zip(indices, counts, strict=True))
        return out

    # -- host side ------------------------------------------------------------------------

    def _summaries(self, entries: Sequence[_Done], host: np.ndarray) -> list[Summary]:
        bins = self.bins
        out: list[Summary] = []
        offset = 0

        def take(count: int) -> np.ndarray:
            nonlocal offset
            chunk = host[offset : offset + count]
            offset += count
            return chunk

        for entry in entries:
            low, high, total, norm = take(4)
            squares = norm * norm
            nonfinite = take(1)[0] if entry.nonfinite else 0.0
            nonzero = take(1)[0]
            near = take(1)[0] if entry.near else math.nan
            saturated = take(1)[0] if entry.saturated else math.nan
            num = take(1)[0] if entry.merged else float(entry.numel)
            counts = take(bins) if entry.histogram else None
            units = take(entry.units)
            alive, unit_count = float(np.count_nonzero(units > 0)), float(entry.units)
            finite_range = math.isfinite(low) and math.isfinite(high)
            mean = total / num if num > 0 and nonfinite == 0 else math.nan
            if nonfinite:
                total = squares = mean = math.nan
            variance = squares / num - mean * mean if num > 0 else math.nan
            std = math.sqrt(max(variance, 0.0)) if math.isfinite(variance) else math.nan
            extra: dict[str, float] = {
                "min": float(low) if finite_range else math.nan,
                "max": float(high) if finite_range else math.nan,
                "num": float(num), "sum": float(total), "sum_squares": float(squares),
                "nonfinite": float(nonfinite),
            }
            histogram = None
            if counts is not None and finite_range and num > 0:
                edges = numpy_edges(low, high, bins, entry.double)
                histogram = np.stack([edges, np.concatenate([[0.0], counts])])
            stats = {
                "num": float(num), "mean": float(mean), "std": float(std),
                "min": extra["min"], "max": extra["max"],
                "norm": math.sqrt(squares) if math.isfinite(squares) else math.nan,
                "zero_frac": float((num - nonzero) / num) if num else math.nan,
                "near_zero_frac": float(near / num) if num else math.nan,
                "nonfinite": float(nonfinite),
            }
            if entry.saturated:
                stats["saturated_frac"] = float(saturated / num) if num else math.nan
            if entry.units:
                stats["dead_frac"] = float(1.0 - alive / unit_count) if unit_count else math.nan
            out.append(Summary(entry.source, entry.layer, entry.param, histogram, extra, stats))
        return out


def numpy_edges(low: float, high: float, bins: int, double: bool) -> np.ndarray:
    """The bin edges ``np.histogram(x, bins)`` uses for data of range [low, high]
    (float32 data unless ``double``), as float64."""
    kind = np.float64 if double else np.float32
    first, last = kind(low), kind(high)
    if first == last:
        first, last = first - kind(0.5), last + kind(0.5)
    return np.linspace(first, last, bins + 1, endpoint=True, dtype=kind).astype(np.float64)


# Tensors up to this size are bucketed together for histograms (see Batch._small_counts).
_SMALL = 1 << 16
# Past this many values a float32 count or sum of 0/1 flags is no longer exact.
_EXACT_FLOAT32 = 1 << 24


@dataclass
class _Reductions:
    """The per-tensor reductions of :func:`_reduce` (0-d tensors on each tensor's device)."""

    low: list[Value]
    high: list[Value]
    total: list[Value]
    norm: list[Value]  # L2 norm (scale-safe: its square is taken in float64 later)
    nonzero: list[Value]
    near: list[Value | None]  # count of |x| < eps, for indices asked for


def _flag_counts(flags: torch.Tensor, lengths: list[int]) -> list[torch.Tensor]:
    """Sum of each consecutive segment of ``flags`` (0/1 values): one ``sum`` per view
    (4x faster on a CPU than an L1 ``_foreach_norm`` over the views, or a ``bincount``
    or ``segment_reduce``)."""
    if len(lengths) == 1:
        return [flags.sum()]
    return [part.sum() for part in torch.split(flags, lengths)]


def _reduce(flats: Sequence[torch.Tensor], near: Collection[int], eps: float,
            nonnegative: Collection[int] = (), *, host: bool = False) -> _Reductions:
    """min, max, sum, L2 norm, nonzero count (and the count of ``|x| < eps`` for indices
    in ``near``) of each tensor, with as few passes and ops as torch allows.

    Reductions are per tensor (``aminmax``, ``sum``: reads only, one op each; one
    ``_foreach_norm`` for all). The counts need an element-wise pass: tensors of one
    device and dtype are concatenated and flagged together (``ne``/``lt`` into a reused
    float buffer: ~4x faster than ``count_nonzero`` on ReLU outputs, which branches per
    element, and than a bool result), then summed per tensor over views. Empty tensors
    get zeros. Large CPU tensors in ``nonnegative`` (ReLU outputs) take
    :func:`_nonnegative_counts` instead of the flag pass when their values allow it.
    With ``host``, small CPU tensors are reduced by :func:`_reduce_small_host` (their
    values are floats then, not tensors).
    """
    count = len(flats)
    # Filled in below; empty tensors keep zeros (a near-zero count too, when asked for:
    # the host reads one for every index in ``near``).
    out = _Reductions([0.0] * count, [0.0] * count, [0.0] * count, [0.0] * count,
                      [0.0] * count, [0.0 if i in near else None for i in range(count)])
    # Small tensors (most parameters): a fixed number of segmented ops per device for all
    # of them, in the accumulation precision (float64: the std of a nearly constant
    # tensor, e.g. a norm layer's weight, needs it).
    small: dict[torch.device, list[int]] = {}
    for i, flat in enumerate(flats):
        if 0 < flat.numel() <= _SMALL:
            small.setdefault(flat.device, []).append(i)
    done: set[int] = set()
    for device, indices in small.items():
        if len(indices) < 4:
            continue
        if host and device.type == "cpu":
            _reduce_small_host(flats, indices, near, eps, out)
            done.update(indices)
        elif _reduce_small(flats, indices, near, eps, out):
            done.update(indices)
    rest = [i for i, flat in enumerate(flats) if flat.numel() and i not in done]
    # The few small tensors left are still summed in the accumulation precision.
    exact = [flats[i].to(_ACC[flats[i].device.type == "mps"]) if flats[i].numel() <= _SMALL
             else flats[i] for i in rest]
    norms = torch._foreach_norm(exact) if rest else []
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, wide, norm in zip(rest, exact, norms, strict=True):
        flat = flats[i]
        out.norm[i] = norm
        out.total[i] = wide.sum()
        if i in nonnegative and i not in near and flat.numel() > _SMALL:
            counted = _nonnegative_counts(flat)
            if counted is not None:
                out.low[i], out.high[i], out.nonzero[i] = counted
                continue
        out.low[i], out.high[i] = torch.aminmax(flat)
        # A large tensor is flagged on its own: concatenating two 200k-value tensors
        # costs 3x their separate passes (the copy and a working set beyond the cache).
        key: tuple[Any, ...] = (flat.device, flat.dtype) if flat.numel() <= _SMALL else (i,)
        groups.setdefault(key, []).append(i)
    for indices in groups.values():
        parts = [flats[i] for i in indices]
        data = parts[0] if len(parts) == 1 else torch.cat(parts)
        lengths = [part.numel() for part in parts]
        # Flags in the data's dtype count exactly up to 2**24 per tensor (float32).
        kind = torch.float64 if max(lengths) > _EXACT_FLOAT32 else data.dtype
        work = _scratch(data, kind, "flags")
        for i, nonzero in zip(indices, _flag_counts(torch.ne(data, 0, out=work), lengths),
                              strict=True):
            out.nonzero[i] = nonzero
        if near and not set(near).isdisjoint(indices):
            flags = torch.lt(torch.abs(data, out=work) if kind == data.dtype
                             else work.copy_(data).abs_(), eps, out=work)
            for i, near_count in zip(indices, _flag_counts(flags, lengths), strict=True):
                out.near[i] = near_count
    return out


# Integer views of the same width, for _nonnegative_counts.
_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}


def _nonnegative_counts(flat: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(min, max, nonzero count) of a CPU tensor whose values all have a clear sign bit
    (+0, positives, +Inf, +NaN: a ReLU's output), without an element-wise pass; None
    (nothing computed but one ``aminmax``) otherwise, or off the CPU.

    Read as integers of the same width, such values order as the floats do, and a
    value is 0.0 exactly when its integer is 0: one integer ``aminmax`` gives the
    range (and proves the sign bits clear: -0.0 and -NaN are negative integers) and
    numpy's vectorised ``count_nonzero`` of the integers the nonzero count, ~6x cheaper
    than flagging ``x != 0`` into a buffer (a write pass over a tensor larger than the
    cache). A +NaN gives a NaN maximum, so the range is non-finite, as with ``aminmax``.
    """
    bits = _BITS.get(flat.dtype)
    if bits is None or flat.device.type != "cpu" or not flat.is_contiguous():
        return None
    as_int = flat.view(bits)
    low, high = torch.aminmax(as_int)
    if int(low) < 0:
        return None
    nonzero = np.count_nonzero(as_int.numpy())
    return (low.view(flat.dtype), high.view(flat.dtype),
            torch.tensor(float(nonzero), dtype=torch.float64))


def _reduce_small_host(flats: Sequence[torch.Tensor], indices: list[int],
                       near: Collection[int], eps: float, out: _Reductions) -> None:
    """:func:`_reduce_small` of small CPU tensors with numpy, results as floats on the host.

    The same quantities in the same precision (float64 over a concatenation of the
    tensors' zero-copy numpy views; one ``reduceat`` per quantity), but a dozen numpy
    calls of ~1 µs instead of ~40 torch ops and per-tensor 0-d results that each cost a
    dispatch, an ``unbind`` and an ``item`` later: on a CPU nothing waits for a device,
    so the host is the cheapest place for what ends there anyway. The minimum and
    maximum of the widened values are exact values of each tensor's own dtype."""
    arrays = [flats[i].numpy() for i in indices]
    lengths = [array.size for array in arrays]
    starts = np.fromiter(itertools.accumulate(lengths[:-1], initial=0), np.intp, len(lengths))
    wide = np.concatenate(arrays, dtype=np.float64)
    low = np.minimum.reduceat(wide, starts)
    high = np.maximum.reduceat(wide, starts)
    total = np.add.reduceat(wide, starts)
    norm = np.sqrt(np.add.reduceat(wide * wide, starts))
    nonzero = np.add.reduceat(wide != 0, starts, dtype=np.float64)
    near_count = (np.add.reduceat(np.abs(wide) < eps, starts, dtype=np.float64)
                  if not set(near).isdisjoint(indices) else nonzero)
    columns = np.stack([low, high, total, norm, nonzero, near_count]).tolist()
    for j, i in enumerate(indices):
        out.low[i], out.high[i], out.total[i] = columns[0][j], columns[1][j], columns[2][j]
        out.norm[i], out.nonzero[i] = columns[3][j], columns[4][j]
        if i in near:
            out.near[i] = columns[5][j]


def _tensor(value: Value, like: torch.Tensor) -> torch.Tensor:
    """``value`` as a 0-d tensor of ``like``'s dtype and device (a host float converted)."""
    if isinstance(value, torch.Tensor):
        return value
    return torch.tensor(value, dtype=like.dtype, device=like.device)


def _host_values(values: Sequence[Value]) -> np.ndarray:
    """0-d tensors and floats as one float64 array (the tensors in one ``stack``)."""
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if len(tensors) == len(values):
        return torch.stack(tensors).to(torch.float64).numpy()
    out = np.array([math.nan if isinstance(v, torch.Tensor) else v for v in values])
    if tensors:
        out[[isinstance(v, torch.Tensor) for v in values]] = torch.stack(tensors).to(
            torch.float64).numpy()
    return out


def _reduce_small(flats: Sequence[torch.Tensor], indices: list[int], near: Collection[int],
                  eps: float, out: _Reductions) -> bool:
    """:func:`_reduce` of the small tensors ``indices`` of one device, together: one copy
    of all of them in the accumulation precision and one ``segment_reduce`` per quantity.
    False (nothing filled in) on a backend without ``segment_reduce``."""
    device = flats[indices[0]].device
    acc = _ACC[device.type == "mps"]
    wide = torch.cat([flats[i] for i in indices]).to(acc)
    lengths = torch.tensor([flats[i].numel() for i in indices], device=device)
    try:
        columns = [torch.segment_reduce(values, kind, lengths=lengths) for values, kind in (
            (wide, "min"), (wide, "max"), (wide, "sum"), (wide * wide, "sum"),
            (torch.ne(wide, 0).to(acc), "sum"),
            (torch.lt(wide.abs(), eps).to(acc), "sum"))]
    except (RuntimeError, NotImplementedError):  # a backend without segment_reduce
        return False
    columns[3] = columns[3].sqrt_()
    total, norm, nonzero, near_count = (column.unbind() for column in columns[2:])
    # min/max of the widened values are exact in each tensor's own dtype
    ranges = {dtype: torch.stack(columns[:2]).to(dtype).unbind(1)
              for dtype in {flats[i].dtype for i in indices}}
    for j, i in enumerate(indices):
        out.low[i], out.high[i] = ranges[flats[i].dtype][j].unbind()
        out.total[i], out.norm[i], out.nonzero[i] = total[j], norm[j], nonzero[j]
        if i in near:
            out.near[i] = near_count[j]
    return True


def _nonfinite(flat: torch.Tensor) -> torch.Tensor:
    """How many values of ``flat`` are NaN or ±Inf (x - x is NaN exactly for those)."""
    work = _scratch(flat, flat.dtype, "stats")
    return torch.sub(flat, flat, out=work).nan_to_num_(1.0).sum(
        dtype=torch.float64 if flat.numel() > (1 << 24) else None)


def _to_host(parts: list[Value]) -> np.ndarray:
    """Concatenate ``parts`` (0-d and 1-d tensors, any dtypes) in order, as float64 on the
    CPU: per device one ``stack``/``cat`` per dtype, one conversion and one copy. Parts
    already on the CPU are read in place (``item``/``numpy``: no copy to wait for, and
    cheaper than stacking hundreds of 0-d tensors)."""
    sizes = [1 if not isinstance(part, torch.Tensor) or not part.ndim else part.numel()
             for part in parts]
    starts = list(itertools.accumulate(sizes, initial=0))
    host = np.empty(starts[-1], dtype=np.float64)
    by_device: dict[torch.device, dict[tuple[torch.dtype, bool], list[int]]] = {}
    remote: dict[int, torch.Tensor] = {}  # parts on other devices, by index
    for index, part in enumerate(parts):
        if not isinstance(part, torch.Tensor):
            host[starts[index]] = part
        elif not part.is_cpu:
            remote[index] = part
            groups = by_device.setdefault(part.device, {})
            groups.setdefault((part.dtype, part.ndim == 0), []).append(index)
        elif not part.ndim:
            host[starts[index]] = part.item()
        elif sizes[index]:
            values = part if part.dtype in _NUMPY_READABLE else part.to(torch.float64)
            host[starts[index] : starts[index + 1]] = values.numpy()
    for device, groups in by_device.items():
        acc = _ACC[device.type == "mps"]
        blocks = [(torch.stack([remote[i] for i in indices]) if scalar
                   else torch.cat([remote[i].reshape(-1) for i in indices])).to(acc)
                  for (_, scalar), indices in groups.items()]
        copied = torch.cat(blocks).cpu().to(torch.float64).numpy()
        offset = 0
        for _, indices in groups.items():
            for i in indices:
                host[starts[i] : starts[i + 1]] = copied[offset : offset + sizes[i]]
                offset += sizes[i]
    return host


# Dtypes whose CPU tensors numpy reads as they are.
_NUMPY_READABLE = (torch.float32, torch.float64, torch.int64, torch.int32)


def _saturated(flat: torch.Tensor, activation: str) -> torch.Tensor:
    """How many outputs of a tanh (|x| > 0.99) or sigmoid (|x - ½| > 0.49) are saturated."""
    work = _scratch(flat, flat.dtype, "scaled")
    centred = torch.sub(flat, 0.5, out=work) if activation == "sigmoid" else work.copy_(flat)
    bound = 0.49 if activation == "sigmoid" else 0.99
    over = centred.abs_().sub_(bound).sign_().clamp_(min=0)
    return over.sum(dtype=torch.float64 if flat.numel() > (1 << 24) else None)


@contextlib.contextmanager
def _calling_thread_only(flat: torch.Tensor) -> Iterator[None]:
    """Run the torch ops inside on the calling thread only (a CPU tensor with more than
    one intra-op thread), then restore the thread count.

    For work of ~1 ms (a histogram's three reductions over a 1M-value tensor, a
    sample's counts) the intra-op pool gains little and costs stability: every
    parallel op waits for its slowest thread, so one busy core (another process, or the
    run's own flusher thread writing the previous record) stalls it for a scheduler
    slice — at 2 threads a sampled call's time swung by 10× (measured in the same run:
    median 40 ms with the pool vs 13 ms without, IQR 18–94 vs 6–18 ms, under load).
    With torch's OpenMP backend (the standard wheels) the count is the calling thread's
    own (an OpenMP setting per thread): other Python threads keep theirs during the
    window. With a process-wide backend their torch ops would run on one thread for that
    ~1 ms too (slower, never different).
    """
    threads = torch.get_num_threads()
    if threads == 1 or not flat.is_cpu:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _histogram_parts_cpu(flat: torch.Tensor, bins: int, sample: int | None
                         ) -> tuple[float, float, float, float, bool, np.ndarray]:
    """:func:`_histogram_parts` of a CPU tensor: nothing to wait for, so the range is
    checked on the host. The three full passes (and a sample's counts) run on the
    calling thread only: the sums are then the same in exact and sampled mode and at any
    thread count; the exact bucketing, the long part, keeps the intra-op pool."""
    sampled = sample is not None and flat.numel() > sample
    with _calling_thread_only(flat):
        low, high = torch.aminmax(flat)
        lo, hi = low.item(), high.item()
        kind = np.float64 if flat.dtype == torch.float64 else np.float32
        with np.errstate(over="ignore", invalid="ignore"):
            ok = bool(np.isfinite(kind(hi) - kind(lo)))  # overflow in the tensor's dtype
        if not ok:
            return lo, hi, math.nan, math.nan, False, np.zeros(0)
        total, squares = flat.sum().item(), torch.dot(flat, flat).item()
        if sampled:
            counts = _histogram_counts(flat, lo, hi, bins, sample)
    if not sampled:
        counts = _histogram_counts(flat, lo, hi, bins, None)
    return lo, hi, total, squares, True, counts.numpy().astype(np.float64)


def _histogram_parts(flat: torch.Tensor, bins: int, sample: int | None
                     ) -> tuple[float, float, float, float, bool, np.ndarray]:
    """(min, max, sum, sum of squares, range ok, counts) of ``flat`` in one host copy.

    ``ok`` is False when NaN/±Inf are present or max - min overflows the dtype
    ([-1e308, 1e308]); the counts are meaningless then (the caller buckets on the host).
    """
    if flat.is_cpu:
        return _histogram_parts_cpu(flat, bins, sample)
    low, high = torch.aminmax(flat)
    acc = _ACC[flat.device.type == "mps"]
    valid = torch.isfinite(high - low)
    safe_low = torch.where(valid, low, torch.zeros_like(low))
    safe_high = torch.where(valid, high, torch.ones_like(high))
    counts = _histogram_counts(flat, safe_low, safe_high, bins, sample)
    packed = torch.cat([
        torch.stack([low.to(acc), high.to(acc), flat.sum().to(acc),
                     torch.dot(flat, flat).to(acc), valid.to(acc)]),
        counts.to(acc),
    ])
    host = packed.cpu().to(torch.float64).numpy()
    return (float(host[0]), float(host[1]), float(host[2]), float(host[3]), bool(host[4]),
            host[5:])


def tensor_histogram(values: torch.Tensor, bins: int = 64, *, sample: int | None = None
                     ) -> tuple[np.ndarray, dict[str, float]]:
    """nbviz's histogram record of a tensor, computed on its device, one transfer.

    Exact (``sample=None``): the same result as
    :func:`nbviz.panels.histograms.compute.uniform_histogram` on the tensor's values
    (``np.histogram(values, bins)`` plus TensorBoard's extras), but without
    copying the tensor to the host: only ``bins + 7`` numbers travel.

    Sampled (``sample=N``, for tensors larger than N): min, max, sum, sum of
    squares and the NaN/Inf count are still exact (full passes); only the bucket
    counts come from about N values — ``ceil(N / 16)`` runs of 16 contiguous values
    at fixed random offsets (the same every call) — scaled to the tensor's size
    (float counts; ``extra["sample"]`` says N). The bucketing then touches N values
    instead of all, without numpy's exact-edge correction (a value within an ulp of a
    bin edge may be counted one bin off: far below the sampling error). On a CPU the
    full passes and the sample's counts run on the calling thread only (see
    :func:`_calling_thread_only`): the call never waits on the intra-op pool.

    Measured error at N = 65,536, 64 bins (total-variation distance ½·Σ|p − q| of the
    normalised counts): 0.8 % on 1M normal values, 0.14 % of all values in the worst
    bin (``benchmarks/histogram_1m.py``); on the weights, gradients and ReLU outputs
    of a trained CNN + MLP (262k–2M values, ``benchmarks/histogram_sample_error.py``)
    0.4–0.9 %, mean 0.59 % — runs of 16 contiguous values average 0.62 % over 16
    draws, scattered single values 0.51 %, runs of 1,024 1.1 % (gradient rows share
    one scale), a strided view 2.2 % (it aliases with row lengths).

    >>> array, extra = tensor_histogram(torch.tensor([0.0, 1.0, 1.0]), bins=2)
    >>> array.tolist(), extra["num"]
    ([[0.0, 0.5, 1.0], [0.0, 1.0, 2.0]], 3.0)
    """
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"tensor_histogram(): 'values' must be a torch.Tensor, got {type(values)}.")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 10_000:
        raise ValueError(f"tensor_histogram(): 'bins' must be an int in 1..10000, got {bins!r}.")
    sample = check_sample(sample, "tensor_histogram()")
    flat = _as_float(values)
    if flat.numel() == 0:
        raise ValueError("tensor_histogram(): 'values' is empty; a histogram needs a value.")
    lo, hi, total, squares, ok, counts = _histogram_parts(flat, bins, sample)
    extra = {"min": lo, "max": hi, "num": float(flat.numel()), "sum": total,
             "sum_squares": squares, "nonfinite": 0.0}
    if sample is not None and flat.numel() > sample:
        extra["sample"] = float(sample)
    if ok:
        edges = numpy_edges(lo, hi, bins, flat.dtype == torch.float64)
        return np.stack([edges, np.concatenate([[0.0], counts])]), extra
    # NaN/Inf present or an overflowing range: bucket the finite values on the host (rare).
    from nbviz.panels.histograms.compute import uniform_histogram

    array, host_extra = uniform_histogram(flat.cpu().numpy(), bins)
    return array, {**host_extra, "nonfinite": host_extra["nan"] + host_extra["inf"]}
