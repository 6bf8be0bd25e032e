"""Model hooks: ``watch(model, optimizer)`` and training-health diagnostics.

Importing this package does not import torch: :func:`watch` (in
:mod:`nbviz.hooks.torch`) loads it on first use. :mod:`nbviz.panels.histograms.compute`
(TensorBoard-compatible histogram math) and :mod:`nbviz.panels.health.rules` (rules)
are numpy-only.

>>> handle = nbviz.watch(model, optimizer, every=50)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["WatchHandle", "watch"]

if TYPE_CHECKING:
    from nbviz.hooks.torch import WatchHandle, watch


def __getattr__(name: str) -> Any:
    if name in ("watch", "WatchHandle"):
        from nbviz.hooks import torch as torch_hooks

        return getattr(torch_hooks, name)
    raise AttributeError(f"module 'nbviz.hooks' has no attribute {name!r}")
