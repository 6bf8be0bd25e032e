"""On-device histograms and summary statistics of many tensors, one transfer to the host.

Everything here runs on the tensors' own device with vectorised torch ops
(aminmax, bincount, sums, norms); a Python loop runs only over *tensors*,
never over elements. A :class:`Batch` collects the tensors of one sampled
step, computes every mergeable quantity on the device, optionally all-reduces
them across ``torch.distributed`` ranks (:mod:`nbviz.hooks.distributed`), then
moves them to the CPU in **one** transfer and turns them into records.

Histogram semantics equal ``numpy.histogram(values, bins=B)``: B equal bins over
[min, max] of the finite values (edges computed as numpy's ``linspace`` does,
each value in the bin whose edges bracket it, the last bin closed), computed
in the tensor's own floating dtype (float16/bfloat16 are upcast to float32).
A tensor holding NaN/Inf gets no histogram (its counts are zero); its NaN/Inf
count is reported instead.

Mergeable quantities per tensor (what an all-reduce can combine):
``min``/``max`` (MIN/MAX), bucket counts, ``num``, ``nonfinite``, ``sum``,
``sum_squares``, ``zeros``, ``near_zero``, ``saturated`` (SUM), and for
activations the per-unit maximum over the batch (MAX), from which dead units
follow. Mean, std, L2 norm and fractions are derived on the host.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from nbviz.hooks import distributed

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
    """Free the scratch buffers the histogram code keeps between calls."""
    _WORKSPACE.clear()


def _scratch(like: torch.Tensor, dtype: torch.dtype, slot: str) -> torch.Tensor:
    # Hooks run on the training thread; another thread gets its own temporaries.
    if threading.get_ident() != _WORKSPACE_THREAD:
        return torch.empty(like.numel(), dtype=dtype, device=like.device)
    return _WORKSPACE.get(like, dtype, slot)


def _bucket_counts(flat: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
                   bins: int, *, outside: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(counts[bins] int64, edges[bins + 1]) of ``flat`` over [low, high], numpy-exact.

    All values must lie in [low, high] unless ``outside`` is True (then values
    outside are masked out, which costs a compaction). Non-finite values land in
    some bin: callers zero the counts of tensors whose range is not finite.
    """
    edges, first, width = _edges(low, high, bins, flat.dtype)
    step = width / bins
    # First guess of each bin, (x - first) * (bins / width): one pass, and at most
    # one bin off numpy's ((x - first) / width * bins); the exact-edge correction
    # below puts every value where numpy puts it.
    scaled = torch.sub(flat, first, out=_scratch(flat, flat.dtype, "scaled"))
    scaled.mul_(bins / width)
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
    return torch.bincount(index, minlength=bins), edges


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
    optional values its packed device vector holds (see ``Batch._pack``)."""

    source: str
    layer: str
    param: str
    double: bool
    histogram: bool
    activation: str
    units: bool
    numel: int
    near: bool
    saturated: bool
    merged: bool


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
        name = self.layer or "<model>"
        if self.param:
            name = f"{name}.{self.param}"
        return f"{self.source}/{name}"


class Batch:
    """Collect tensors of one step, summarise them on their devices, one host transfer.

    >>> batch = Batch(bins=8)
    >>> batch.add(Entry("weights", "fc", "weight", torch.randn(4, 3)))  # computed now, on device
    >>> [s.tag for s in batch.finish()]
    ['weights/fc.weight']
    """

    def __init__(self, bins: int = 64, *, near_zero: float = 1e-6,
                 merge: frozenset[str] = frozenset(), group: Any = None) -> None:
        if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 4096:
            raise ValueError(f"Batch(): 'bins' must be an int in 2..4096, got {bins!r}.")
        self.bins = bins
        self.near_zero = float(near_zero)
        self.merge = merge
        self.group = group
        self._done: list[tuple[_Done, torch.Tensor]] = []

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
        lows: list[torch.Tensor] = []
        highs: list[torch.Tensor] = []
        unit_max: list[torch.Tensor | None] = []
        for entry, flat in zip(entries, flats, strict=True):
            if flat.numel():
                low, high = torch.aminmax(flat)
            else:
                low = high = torch.zeros((), device=flat.device, dtype=flat.dtype)
            lows.append(low)
            highs.append(high)
            if entry.activation == "relu" and entry.tensor.dim() >= 2:
                dims = [d for d in range(entry.tensor.dim()) if d != 1]
                unit_max.append(entry.tensor.detach().amax(dim=dims).reshape(-1))
            else:
                unit_max.append(None)
        merged_idx = [i for i, entry in enumerate(entries) if entry.source in self.merge]
        merging = bool(merged_idx) and distributed.world_size(self.group) > 1
        if merging:
            maxima = distributed.all_reduce_max(
                [torch.stack([-lows[i], highs[i]]) for i in merged_idx]
                + [u for i in merged_idx if (u := unit_max[i]) is not None], self.group)
            for position, i in enumerate(merged_idx):
                pair = maxima[position].to(flats[i].dtype)
                lows[i], highs[i] = -pair[0], pair[1]
            rest = iter(maxima[len(merged_idx):])
            for i in merged_idx:
                if unit_max[i] is not None:
                    unit_max[i] = next(rest)
        merged = set(merged_idx) if merging else set()
        sums = [self._sums(entry, flat, lows[i], highs[i], i in merged)
                for i, (entry, flat) in enumerate(zip(entries, flats, strict=True))]
        if merging:
            totals = distributed.all_reduce_sum([sums[i] for i in merged_idx], self.group)
            for position, i in enumerate(merged_idx):
                sums[i] = totals[position]
        for i, (entry, flat, total, units) in enumerate(
                zip(entries, flats, sums, unit_max, strict=True)):
            dtype = total.dtype
            parts = [torch.stack([-lows[i], highs[i]]).to(dtype), total]
            if units is not None:
                parts.append(torch.stack([(units > 0).sum(), torch.tensor(
                    units.numel(), device=units.device)]).to(dtype))
            self._done.append((_Done(
                entry.source, entry.layer, entry.param, entry.tensor.dtype == torch.float64,
                entry.histogram, entry.activation, units is not None, flat.numel(),
                near=entry.source != "activations",
                saturated=entry.activation in ("tanh", "sigmoid"), merged=i in merged,
            ), torch.cat(parts)))

    def __len__(self) -> int:
        return len(self._done)

    # -- device side ----------------------------------------------------------------------

    def _pack_dtype(self, device: torch.device) -> torch.dtype:
        return torch.float32 if device.type == "mps" else torch.float64

    def finish(self) -> list[Summary]:
        """Move every summary to the CPU in one transfer and build the host-side results."""
        done, self._done = self._done, []
        if not done:
            return []
        host = _to_host([pack for _, pack in done])
        return self._summaries([meta for meta, _ in done], host)

    def _sums(self, entry: Entry, flat: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
              merged: bool) -> torch.Tensor:
        """SUM-mergeable values of one tensor, packed (few small ops: they dominate for
        small tensors): ``sum, sum_squares, nonfinite, nonzero[, near_zero][, saturated]
        [, num][, counts(bins)]``."""
        acc = torch.float64 if flat.device.type != "mps" else torch.float32
        numel = flat.numel()
        if numel == 0:
            zero = torch.zeros((), dtype=flat.dtype, device=flat.device)
            low = high = zero
        floats = torch.stack([flat.sum(), torch.dot(flat, flat)]).to(acc)
        # Element-wise temporaries go to the reused scratch buffers (see _Workspace).
        work = _scratch(flat, flat.dtype, "scaled")
        # Counting with float arithmetic (sign, clamp, sum) is several times faster
        # than count_nonzero / comparisons on large CPU tensors.
        total = torch.float64 if numel > (1 << 24) else None  # exact counts past 2^24
        # x - x is 0 for finite x and NaN for NaN/±Inf: count the NaNs.
        nonfinite = torch.sub(flat, flat, out=work).nan_to_num_(1.0).sum(dtype=total)
        nonzero = torch.sign(flat, out=work).abs_().sum(dtype=total)
        counts_int = [nonfinite, nonzero]
        if entry.source != "activations":  # |x| < eps: sign(eps - |x|) == 1
            near = torch.abs(flat, out=work).neg_().add_(self.near_zero).sign_().clamp_(min=0)
            counts_int.append(near.sum(dtype=total))
        if entry.activation in ("tanh", "sigmoid"):  # |x| > 0.99 (tanh), |x - ½| > 0.49
            centred = (torch.sub(flat, 0.5, out=work) if entry.activation == "sigmoid"
                       else work.copy_(flat))
            bound = 0.49 if entry.activation == "sigmoid" else 0.99
            over = centred.abs_().sub_(bound).sign_().clamp_(min=0)
            counts_int.append(over.sum(dtype=total))
        if merged:
            counts_int.append(torch.tensor(float(numel), device=flat.device,
                                           dtype=nonfinite.dtype))
        parts = [floats, torch.stack(counts_int).to(acc)]
        if entry.histogram and numel:
            # A non-finite range (NaN/Inf present) gets a dummy range here; the host
            # drops that histogram.
            valid = torch.isfinite(low + high)
            safe_low = torch.where(valid, low, 0.0)
            safe_high = torch.where(valid, high, 1.0)
            counts, _ = _bucket_counts(flat, safe_low, safe_high, self.bins)
            parts.append(counts.to(acc))
        elif entry.histogram:
            parts.append(torch.zeros(self.bins, dtype=acc, device=flat.device))
        return torch.cat(parts)

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
            neg_low, high, total, squares, nonfinite, nonzero = take(6)
            near = take(1)[0] if entry.near else math.nan
            saturated = take(1)[0] if entry.saturated else math.nan
            num = take(1)[0] if entry.merged else float(entry.numel)
            counts = take(bins) if entry.histogram else None
            alive, unit_count = take(2) if entry.units else (math.nan, math.nan)
            low = -neg_low
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


def _to_host(parts: list[torch.Tensor]) -> np.ndarray:
    """Concatenate per-device and copy to the CPU: one transfer per device."""
    by_device: dict[torch.device, list[int]] = {}
    for index, part in enumerate(parts):
        by_device.setdefault(part.device, []).append(index)
    pieces: list[np.ndarray | None] = [None] * len(parts)
    for indices in by_device.values():
        flat = torch.cat([parts[i].reshape(-1).to(torch.float64)
                          if parts[i].device.type != "mps" else parts[i].reshape(-1)
                          for i in indices])
        host = flat.cpu().to(torch.float64).numpy()
        offset = 0
        for i in indices:
            size = parts[i].numel()
            pieces[i] = host[offset : offset + size]
            offset += size
    return np.concatenate([piece for piece in pieces if piece is not None])


def tensor_histogram(values: torch.Tensor, bins: int = 64) -> tuple[np.ndarray, dict[str, float]]:
    """nbviz's histogram record of a tensor, computed on its device, one transfer.

    Same result as :func:`nbviz.panels.histograms.compute.uniform_histogram` on the
    tensor's values (``np.histogram(values, bins)`` plus TensorBoard's extras),
    but without copying the tensor to the host: only ``bins + 7`` numbers travel.

    >>> array, extra = tensor_histogram(torch.tensor([0.0, 1.0, 1.0]), bins=2)
    >>> array.tolist(), extra["num"]
    ([[0.0, 0.5, 1.0], [0.0, 1.0, 2.0]], 3.0)
    """
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"tensor_histogram(): 'values' must be a torch.Tensor, got {type(values)}.")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 10_000:
        raise ValueError(f"tensor_histogram(): 'bins' must be an int in 1..10000, got {bins!r}.")
    flat = _as_float(values)
    if flat.numel() == 0:
        raise ValueError("tensor_histogram(): 'values' is empty; a histogram needs a value.")
    acc = torch.float32 if flat.device.type == "mps" else torch.float64
    low, high = torch.aminmax(flat)
    # NaN/±Inf make min or max non-finite, and a range wider than the dtype holds
    # ([-1e308, 1e308]) makes max - min overflow: then (rarely) bucket on the host below.
    valid = torch.isfinite(high - low)
    safe_low = torch.where(valid, low, torch.zeros_like(low))
    safe_high = torch.where(valid, high, torch.ones_like(high))
    counts, _ = _bucket_counts(flat, safe_low, safe_high, bins)
    packed = torch.cat([
        torch.stack([low.to(acc), high.to(acc), flat.sum().to(acc),
                     torch.dot(flat, flat).to(acc), valid.to(acc)]),
        counts.to(acc),
    ])
    host = packed.cpu().to(torch.float64).numpy()
    lo, hi, total, squares, ok = (float(v) for v in host[:5])
    extra = {"min": lo, "max": hi, "num": float(flat.numel()), "sum": total,
             "sum_squares": squares, "nonfinite": 0.0}
    if ok:
        edges = numpy_edges(lo, hi, bins, flat.dtype == torch.float64)
        return np.stack([edges, np.concatenate([[0.0], host[5:]])]), extra
    # NaN/Inf present or an overflowing range: bucket the finite values on the host (rare).
    from nbviz.panels.histograms.compute import uniform_histogram

    array, host_extra = uniform_histogram(flat.cpu().numpy(), bins)
    return array, {**host_extra, "nonfinite": host_extra["nan"] + host_extra["inf"]}
