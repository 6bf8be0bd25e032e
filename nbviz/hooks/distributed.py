"""``torch.distributed`` awareness: which rank records, and cross-rank merging.

Only rank 0 records by default (:func:`rank`). Mergeable statistics are combined
with two all-reduces per sampled step: one MAX over ranges (stored as ``[-min,
max]``) and per-unit maxima, one SUM over bucket counts and sums, each a single
flat tensor whatever the number of layers. Every rank must call them at the same
point (they are collectives): ``watch`` does so from hooks that fire on every
rank in the same order (optimizer step, forward of the sampled step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["all_reduce_max", "all_reduce_sum", "is_distributed", "rank", "world_size"]


def is_distributed() -> bool:
    """True when ``torch.distributed`` is available and a process group is initialised."""
    dist = torch.distributed
    return bool(dist.is_available() and dist.is_initialized())


def rank(group: Any = None) -> int:
    """This process's rank (0 when not distributed).

    >>> rank()
    0
    """
    if not is_distributed():
        return 0
    return int(torch.distributed.get_rank(group))


def world_size(group: Any = None) -> int:
    """Number of ranks (1 when not distributed).

    >>> world_size()
    1
    """
    if not is_distributed():
        return 1
    return int(torch.distributed.get_world_size(group))


def _all_reduce(tensors: Sequence[torch.Tensor], op: Any, group: Any) -> list[torch.Tensor]:
    if not tensors:
        return []
    # One collective per device and dtype; gloo/nccl reduce float64 fine (float32 on MPS).
    flat = torch.cat([t.reshape(-1) for t in tensors])
    torch.distributed.all_reduce(flat, op=op, group=group)
    out: list[torch.Tensor] = []
    offset = 0
    for t in tensors:
        out.append(flat[offset : offset + t.numel()].reshape(t.shape))
        offset += t.numel()
    return out


def _same_kind(tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    if not tensors:
        return []
    dtype = torch.float64 if tensors[0].device.type != "mps" else torch.float32
    return [t.to(dtype) for t in tensors]


def all_reduce_max(tensors: Sequence[torch.Tensor], group: Any = None) -> list[torch.Tensor]:
    """Element-wise maximum of each tensor over all ranks (one collective).

    >>> all_reduce_max([torch.tensor([1.0, 2.0])])[0].tolist()   # single process: unchanged
    [1.0, 2.0]
    """
    if world_size(group) <= 1:
        return list(tensors)
    return _all_reduce(_same_kind(tensors), torch.distributed.ReduceOp.MAX, group)


def all_reduce_sum(tensors: Sequence[torch.Tensor], group: Any = None) -> list[torch.Tensor]:
    """Element-wise sum of each tensor over all ranks (one collective).

    >>> all_reduce_sum([torch.tensor([1.0])])[0].tolist()   # single process: unchanged
    [1.0]
    """
    if world_size(group) <= 1:
        return list(tensors)
    return _all_reduce(_same_kind(tensors), torch.distributed.ReduceOp.SUM, group)
