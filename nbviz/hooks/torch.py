"""``watch(model, optimizer)``: weights, gradients, activations and updates, on device.

How it stays cheap:

* Steps are counted by the optimizer (``register_step_pre_hook`` /
  ``register_step_post_hook``), or, without an optimizer, by training-mode
  forward calls of the model. Only every ``every``-th step is *sampled*.
* On other steps the only code that runs is two tiny hooks (the model's
  forward pre-hook and the optimizer's step hooks) that compare a counter and
  return. Activation forward hooks are attached only for the forward pass of a
  sampled step and removed right after it.
* On a sampled step every statistic is computed on the tensors' device
  (:mod:`nbviz.hooks.stats`: a few fused reductions for all tensors together),
  stacked, and moved to the CPU in one transfer at the end of the step. No tensor
  outlives its step: nothing grows. Histograms (a pass over every value, the
  costly part) are only taken every ``histogram_every``-th step, so statistics
  can be recorded every step (``every=1``).
* Gradients are read in the optimizer's step pre-hook, i.e. after gradient
  clipping and AMP unscaling (``GradScaler.step`` unscales before it calls
  ``optimizer.step``). Without an optimizer they are read after ``backward``
  with a multi-gradient hook registered only on sampled steps.
* Updates: on sampled steps the weights are copied before the step; the
  post-hook computes Δw and the ratio ‖Δw‖/‖w‖.
* ``torch.distributed``: only ranks in ``ranks`` (rank 0) record. Sources in
  ``merge`` are all-reduced first (counts/sums/min/max), so rank 0 records the
  global picture; by default activations are merged (each rank sees different
  data) while weights and gradients (identical across DDP ranks) are not.
* A hook that raises warns once (naming the layer) and disables itself;
  training goes on unchanged.
"""

from __future__ import annotations

import math
import re
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from nbviz._validate import check_tag, describe
from nbviz.hooks import distributed
from nbviz.hooks.stats import Batch, Entry, check_sample, release_workspace
from nbviz.panels.health.rules import Finding, HealthMonitor, Thresholds
from nbviz.store.sqlite import TensorRecord

__all__ = ["SOURCES", "WatchHandle", "watch"]

SOURCES = ("weights", "grads", "activations", "updates")

_RELU = (nn.ReLU, nn.ReLU6)
_TANH = (nn.Tanh, nn.Hardtanh, nn.Softsign)
_SIGMOID = (nn.Sigmoid, nn.Hardsigmoid)
_ACTIVATIONS = (*_RELU, *_TANH, *_SIGMOID, nn.GELU, nn.SiLU, nn.ELU, nn.LeakyReLU, nn.PReLU,
                nn.SELU, nn.CELU, nn.Mish, nn.Softplus, nn.Hardswish)


def _activation_kind(module: nn.Module) -> str:
    if isinstance(module, _RELU):
        return "relu"
    if isinstance(module, _TANH):
        return "tanh"
    if isinstance(module, _SIGMOID):
        return "sigmoid"
    return ""


def _first_tensor(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    return None


class WatchHandle:
    """What :func:`watch` returns: counters, findings, and :meth:`remove`.

    >>> handle = nbviz.watch(model, optimizer, every=50)   # doctest: +SKIP
    >>> handle.remove()                                    # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None, *,
                 every: int, sources: frozenset[str], layers: list[tuple[str, nn.Module]],
                 params: list[tuple[str, str, nn.Parameter]], run: Any, bins: int,
                 merge: frozenset[str], recording: bool, thresholds: Thresholds,
                 near_zero: float, group: Any, histogram_every: int | None = None,
                 histogram_sample: int | None = None, timer: bool = True) -> None:
        self.every = every
        self.histogram_every = (default_histogram_every(every) if histogram_every is None
                                else histogram_every)
        self.histogram_sample = histogram_sample
        self.sources = sources
        self.run = run
        self.bins = bins
        self.merge = merge
        self.recording = recording
        self.group = group
        self.near_zero = near_zero
        self.step = 0  # the next step to happen (completed optimizer steps so far)
        self.sampled_steps = 0
        self.findings: list[Finding] = []
        self._model_ref = weakref.ref(model)
        self._layers = layers
        self._params = params
        self._optimizer_ref = weakref.ref(optimizer) if optimizer is not None else None
        # Watched layers in model order (records are written in it, so panels that list
        # layers by first appearance show them in model order).
        position = {name: i for i, (name, _) in enumerate(model.named_modules())}
        order = sorted({name for name, _ in layers} | {layer for layer, _, _ in params},
                       key=lambda name: position.get(name, len(position)))
        self._rank = {name: i for i, name in enumerate(order)}
        self._monitor = HealthMonitor(order, thresholds)
        self._handles: list[Any] = []
        self._step_handles: list[Any] = []  # hooks attached for one sampled step only
        self._grad_handle: Any = None  # the after-backward hook of one sampled step
        self._batch: Batch | None = None
        self._activation_step = -1
        self._pending_step = 0  # without an optimizer: the step whose gradients are awaited
        self._finish_after_forward = False
        self._step_depth = 0  # optimizer step hooks entered and not yet left
        self._previous: list[torch.Tensor | None] = []
        self._disabled_layers: set[str] = set()
        self._warned: set[str] = set()
        self._checked_tags: set[str] = set()  # record tags validated once (check_tag)
        self._broken = False
        self._removed = False
        self._lock = threading.Lock()
        self._handles.append(model.register_forward_pre_hook(self._on_forward))
        if optimizer is not None:
            self._handles.append(optimizer.register_step_pre_hook(self._on_step_pre))
            self._handles.append(optimizer.register_step_post_hook(self._on_step_post))
        self.timer: Any = None  # the Profile panel's always-on step timer (own hooks, own thread)
        if recording and timer:
            from nbviz.panels.profile.timer import StepTimer

            self.timer = StepTimer(model, optimizer, run, thresholds=thresholds,
                                   on_finding=self.findings.append)

    # -- public --------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True until :meth:`remove` (or until an internal failure disabled watching)."""
        return not (self._removed or self._broken)

    def remove(self) -> None:
        """Detach every hook: training runs exactly as before ``watch``. Idempotent."""
        if self._removed:
            return
        self._removed = True
        if self.timer is not None:
            self.timer.remove()
        self._unhook()
        release_workspace()  # the histogram scratch buffers

    def __enter__(self) -> WatchHandle:
        return self

    def __exit__(self, *_: Any) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        return (f"WatchHandle(every={self.every}, histogram_every={self.histogram_every}, "
                f"sources={sorted(self.sources)}, "
                f"layers={len(self._layers)}, params={len(self._params)}, step={self.step}, "
                f"{state})")

    # -- failure handling ----------------------------------------------------------------------

    def _warn(self, key: str, message: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _fail_layer(self, layer: str, where: str, error: BaseException) -> None:
        self._disabled_layers.add(layer)
        self._warn(f"layer:{layer}", (
            f"nbviz.watch: the {where} hook on layer {layer or '<model>'!r} raised "
            f"{type(error).__name__}: {error}. It is disabled; training continues unchanged."))

    def _unhook(self) -> None:
        """Remove every hook and drop the pending batch."""
        if self._grad_handle is not None:
            self._grad_handle.remove()
            self._grad_handle = None
        for handle in self._handles + self._step_handles:
            handle.remove()
        self._handles.clear()
        self._step_handles.clear()
        self._batch = None
        self._previous = []

    def _fail_all(self, where: str, error: BaseException) -> None:
        self._broken = True
        self._unhook()
        self._warn("all", (
            f"nbviz.watch: the {where} hook raised {type(error).__name__}: {error}. Watching is "
            "disabled; training continues unchanged."))

    # -- sampling ------------------------------------------------------------------------------

    def _sampled(self, step: int) -> bool:
        return step % self.every == 0

    def _wanted(self, source: str) -> bool:
        """Ranks that do not record still compute the merged sources (collectives)."""
        return source in self.sources and (self.recording or source in self.merge)

    def _new_batch(self, step: int) -> Batch:
        """The batch of sampled step ``step``: histograms only on histogram steps."""
        return Batch(self.bins, near_zero=self.near_zero, merge=self.merge, group=self.group,
                     histograms=step % self.histogram_every == 0, sample=self.histogram_sample)

    def _add(self, batch: Batch, entries: Sequence[Entry], layer_of_failure: str = "") -> None:
        """Summarise entries now (on device); a failing entry disables its layer."""
        try:
            batch.add_many(entries)
        except Exception as error:
            if len(entries) == 1 or layer_of_failure:
                self._fail_layer(layer_of_failure or entries[0].layer, "statistics", error)
                return
            for entry in entries:  # find the culprit(s); the others still count
                if entry.layer in self._disabled_layers:
                    continue
                try:
                    batch.add_many([entry])
                except Exception as single:
                    self._fail_layer(entry.layer, "statistics", single)

    # -- activations (forward hooks only on sampled steps) -----------------------------------

    def _on_forward(self, module: nn.Module, args: Any) -> None:
        self._step_depth = 0  # a step that raised never ran its post hooks
        if self._broken or not module.training:
            return
        try:
            if self._optimizer_ref is None:
                step = self.step
                if not self._sampled(step):
                    self.step += 1
                    return
                self._start_step(step)  # a previous step whose backward never came is dropped
                self._pending_step = step
                # Without a gradient to wait for (activations only), the step ends
                # with this forward.
                self._finish_after_forward = not self._attach_grad_hook()
                self._attach_activation_hooks(module)
                self.step += 1
                return
            step = self.step
            if not self._sampled(step) or self._activation_step == step:
                return
            self._activation_step = step
            self._start_step(step)
            self._attach_activation_hooks(module)
        except Exception as error:
            self._fail_all("forward", error)

    def _start_step(self, step: int) -> None:
        self._clear_step_hooks()
        self._batch = self._new_batch(step)

    def _clear_step_hooks(self) -> None:
        for handle in self._step_handles:
            handle.remove()
        self._step_handles.clear()

    def _attach_activation_hooks(self, root: nn.Module) -> None:
        if not self._wanted("activations"):
            return
        for name, layer in self._layers:
            if name in self._disabled_layers:
                continue
            hook = self._activation_hook(name, layer)
            self._step_handles.append(layer.register_forward_hook(hook))
        # Detach them as soon as this forward is over (nothing runs on later forwards).
        self._step_handles.append(root.register_forward_hook(self._after_forward))

    def _after_forward(self, module: nn.Module, args: Any, output: Any) -> None:
        for handle in self._step_handles:
            handle.remove()
        self._step_handles.clear()
        if self._finish_after_forward and self._batch is not None:
            self._finish_after_forward = False
            batch, self._batch = self._batch, None
            try:
                self._finish(batch, self._pending_step)
            except Exception as error:
                self._fail_all("forward", error)

    def _activation_hook(self, name: str, layer: nn.Module) -> Callable[..., None]:
        kind = _activation_kind(layer)

        def hook(module: nn.Module, args: Any, output: Any) -> None:
            if name in self._disabled_layers or self._batch is None:
                return
            try:
                tensor = _first_tensor(output)
                if tensor is None or not (tensor.is_floating_point()) or tensor.numel() == 0:
                    return
                self._batch.add_many([Entry("activations", name, "", tensor, activation=kind)])
            except Exception as error:
                self._fail_layer(name, "activation", error)

        return hook

    # -- gradients without an optimizer --------------------------------------------------------

    def _attach_grad_hook(self) -> bool:
        """Register the after-backward hook of this sampled step; False if none is needed."""
        params = [p for _, _, p in self._params if p.requires_grad]
        if not params or not ({"grads", "weights"} & self.sources):
            return False
        if self._grad_handle is not None:
            self._grad_handle.remove()
        self._grad_handle = torch.autograd.graph.register_multi_grad_hook(
            params, self._on_grads, mode="all")
        return True

    def _on_grads(self, grads: Sequence[torch.Tensor | None]) -> None:
        try:
            batch = self._batch
            if self._grad_handle is not None:
                self._grad_handle.remove()
                self._grad_handle = None
            if batch is None:
                return
            self._batch = None
            self._clear_step_hooks()
            trainable = [(layer, pname, p) for layer, pname, p in self._params if p.requires_grad]
            grad_of = {id(p): g for (_, _, p), g in zip(trainable, grads, strict=True)}
            self._summarise_params(batch, grad_of)
            self._finish(batch, self._pending_step)
        except Exception as error:
            self._fail_all("gradient", error)

    # -- optimizer step ------------------------------------------------------------------------

    def _on_step_pre(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        # An optimizer subclass whose step() calls super().step() runs the hooks once per
        # patched class: only the outermost pre/post pair is a step.
        self._step_depth += 1
        if self._step_depth > 1 or self._broken or not self._sampled(self.step):
            return
        try:
            batch = self._batch if self._activation_step == self.step and self._batch else None
            if batch is None:
                batch = self._new_batch(self.step)
            self._batch = batch
            self._summarise_params(batch, None)
            if self._wanted("updates"):
                self._previous = [
                    p.detach().clone() if layer not in self._disabled_layers else None
                    for layer, _, p in self._params
                ]
        except Exception as error:
            self._fail_all("optimizer step", error)

    def _on_step_post(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._step_depth = max(self._step_depth - 1, 0)
        if self._step_depth or self._broken:
            return
        step = self.step
        self.step += 1
        if not self._sampled(step):
            return
        try:
            batch = self._batch
            self._batch = None
            self._clear_step_hooks()
            if batch is None:
                return
            if self._wanted("updates") and self._previous:
                kept = [(layer, pname, p.detach(), before)
                        for (layer, pname, p), before in zip(self._params, self._previous,
                                                             strict=True)
                        if before is not None and layer not in self._disabled_layers]
                self._previous = []
                # Δw of every parameter in one foreach call (not one op per parameter).
                deltas = torch._foreach_sub([p for _, _, p, _ in kept],
                                            [before for _, _, _, before in kept]) if kept else []
                self._add(batch, [Entry("updates", layer, pname, delta)
                                  for (layer, pname, _, _), delta in zip(kept, deltas,
                                                                         strict=True)])
            self._finish(batch, step)
        except Exception as error:
            self._fail_all("optimizer step", error)

    def _summarise_params(self, batch: Batch, grad_of: dict[int, torch.Tensor | None] | None
                          ) -> None:
        entries: list[Entry] = []
        if self._wanted("weights") or (self.recording and "updates" in self.sources):
            # Weight norms are needed for update ratios even when weights are not shown.
            show = "weights" in self.sources
            entries.extend(Entry("weights", layer, pname, p, histogram=show)
                           for layer, pname, p in self._params
                           if layer not in self._disabled_layers)
        if self._wanted("grads"):
            for layer, pname, p in self._params:
                if layer in self._disabled_layers:
                    continue
                grad = p.grad if grad_of is None else grad_of.get(id(p))
                if grad is not None:
                    entries.append(Entry("grads", layer, pname, grad))
        self._add(batch, entries)

    # -- end of a sampled step: one transfer, records, health ---------------------------------

    def _finish(self, batch: Batch, step: int) -> None:
        summaries = batch.finish()
        self.sampled_steps += 1
        if not self.recording or not summaries:
            return
        weight_norm = {(s.layer, s.param): s.stats.get("norm", math.nan)
                       for s in summaries if s.source == "weights"}
        for s in summaries:
            if s.source == "updates":
                w = weight_norm.get((s.layer, s.param), math.nan)
                s.stats["ratio"] = s.stats["norm"] / w if w and math.isfinite(w) else math.nan
        shown = sorted((s for s in summaries if s.source in self.sources),
                       key=lambda s: self._rank.get(s.layer, len(self._rank)))
        run = self.run
        # Built here, valid by construction (float64 arrays, JSON extras, an int step; each
        # tag checked once), and queued in one call: ~27 log_tensor checks a step cost ~1 ms.
        wall = time.time()
        records: list[TensorRecord] = []
        for s in shown:
            tag = s.tag
            if tag not in self._checked_tags:
                check_tag(tag, where="watch()")
                self._checked_tags.add(tag)
            meta = {"source": s.source, "layer": s.layer, "param": s.param}
            if s.histogram is not None:
                records.append(TensorRecord("histogram", tag, step, wall, s.histogram,
                                            {**s.extra, **meta}))
            names = list(s.stats)
            records.append(TensorRecord("stats", tag, step, wall,
                                        np.fromiter(s.stats.values(), np.float64, len(names)),
                                        {"names": names, **meta}))
        run._log_records(records)
        new = self._monitor.observe(step, summaries)
        for finding in new:
            run.log_tensor("finding", finding.tag, np.array([finding.value], np.float64),
                           finding.step, finding.extra())
        self.findings.extend(new)


def _has_own_params(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False))


def _select_layers(model: nn.Module, layers: Any, argument: str = "layers"
                   ) -> list[tuple[str, nn.Module]]:
    """Modules to watch: leaf modules that have parameters or are activations, or those
    ``layers`` (a regex on module names or a list of names; ``argument`` names it in errors)
    selects."""
    named = list(model.named_modules())
    candidates = [
        (name, module) for name, module in named
        if (not list(module.children()))
        and (_has_own_params(module) or isinstance(module, _ACTIVATIONS))
    ]
    with_params = [(name, module) for name, module in named
                   if _has_own_params(module)
                   and (name, module) not in candidates]
    candidates.extend(with_params)
    if layers is None:
        return candidates
    all_names = [name for name, _ in named]
    if isinstance(layers, str):
        try:
            pattern = re.compile(layers)
        except re.error as error:
            raise ValueError(
                f"watch(): '{argument}' {layers!r} is not a valid regex: {error}.") from None
        chosen = [(n, m) for n, m in named if pattern.search(n)]
        if not chosen:
            raise ValueError(
                f"watch(): '{argument}' regex {layers!r} matches no module; module names are "
                f"{all_names[:12]}{' …' if len(all_names) > 12 else ''}.")
        return chosen
    if isinstance(layers, Iterable):
        wanted = list(layers)
        if not wanted or not all(isinstance(n, str) for n in wanted):
            raise TypeError(
                f"watch(): '{argument}' must be None, a regex string or a list of module names, "
                f"got {describe(layers)}.")
        modules = dict(named)
        missing = [n for n in wanted if n not in modules]
        if missing:
            raise ValueError(
                f"watch(): '{argument}' names {missing} are not modules of the model; module names "
                f"are {all_names[:12]}{' …' if len(all_names) > 12 else ''}.")
        return [(n, modules[n]) for n in wanted]
    raise TypeError(
        f"watch(): '{argument}' must be None, a regex string or a list of module names, got "
        f"{describe(layers)}.")


# Histograms by default at most this often: a histogram step costs ~10 statistics steps
# (a bucketing pass over every value), so at every=1 one each 10th step alone cost > 10 %
# of a small CNN's step; W&B's watch logs histograms every 1000 steps by default.
HISTOGRAM_EVERY = 50


def default_histogram_every(every: int) -> int:
    """Histograms by default: on the smallest multiple of ``every`` that is >= 50 (every
    sampled step from every=50 on; every=1 → statistics each step, histograms each 50th).

    >>> default_histogram_every(1), default_histogram_every(4), default_histogram_every(100)
    (50, 52, 100)
    """
    return every * -(-HISTOGRAM_EVERY // every)


def default_activation_layers(leaves: list[tuple[str, nn.Module]]
                              ) -> list[tuple[str, nn.Module]]:
    """Whose outputs ``watch`` records by default: the activation-function modules (ReLU,
    GELU, Tanh, Sigmoid, …: they carry the dead-unit and saturation rules), or, in a model
    without any (``F.relu`` in ``forward``), every watched leaf module.

    >>> [n for n, _ in default_activation_layers(
    ...     list(nn.Sequential(nn.Linear(2, 2), nn.ReLU()).named_modules())[1:])]
    ['1']
    """
    chosen: list[tuple[str, nn.Module]] = [
        (name, module) for name, module in leaves if isinstance(module, _ACTIVATIONS)]
    return chosen or leaves


def _check_histogram_every(histogram_every: Any, every: int) -> int | None:
    if histogram_every is None:
        return None
    if (isinstance(histogram_every, bool) or not isinstance(histogram_every, (int, np.integer))
            or histogram_every < 1 or histogram_every % every):
        raise ValueError(
            f"watch(): 'histogram_every' must be None or a positive multiple of every={every} "
            f"(histograms are taken on statistics steps), got {describe(histogram_every)}; e.g. "
            f"histogram_every={default_histogram_every(every)}.")
    return int(histogram_every)


def _check_every(every: Any) -> int:
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(
            f"watch(): 'every' must be a positive int (record every N-th step), got "
            f"{describe(every)}; use every=1 to record every step, every=100 for 1 in 100.")
    return int(every)


def watch(
    model: Any,
    optimizer: Any = None,
    *,
    every: int = 100,
    what: Sequence[str] | None = None,
    layers: str | Sequence[str] | None = None,
    run: Any = None,
    bins: int = 64,
    histogram_every: int | None = None,
    histogram_sample: int | None = None,
    activations: str | Sequence[str] | None = None,
    merge: bool | Sequence[str] | None = None,
    ranks: Sequence[int] = (0,),
    health: Any = None,
    near_zero: float = 1e-6,
    group: Any = None,
    timer: bool = True,
) -> WatchHandle:
    """Record per-layer statistics of ``model``'s weights, gradients, activations and
    updates every ``every`` steps, their histograms on a sparser schedule, into ``run``
    (the current run by default), and diagnose its health.

    Statistics (mean, std, min, max, L2 norm, zero / near-zero / NaN-Inf fractions,
    dead-unit and saturation fractions, update ratio ‖Δw‖/‖w‖) are a few scalars per
    tensor, computed on the device for all tensors together and copied to the host
    once per step: cheap enough for ``every=1``. Histograms cost more (a pass over
    every value), so they are taken every ``histogram_every`` steps.

    * ``optimizer``: read gradients at its step (after clipping/unscaling) and
      count steps by it; without it, steps are training-mode forward calls and
      gradients are read after backward (no updates then).
    * ``what``: any of "weights", "grads", "activations", "updates" (default: all;
      "updates" only with an optimizer).
    * ``layers``: None (every leaf module with parameters or an activation), a
      regex on module names, or a list of module names.
    * ``bins``: equal-width bins per histogram (over the tensor's min..max).
    * ``histogram_every``: histograms every N-th step, a multiple of ``every``
      (default: the smallest multiple of ``every`` that is >= 50, i.e. ``every`` itself
      from every=50 on). Other sampled steps record statistics only.
    * ``histogram_sample``: None (exact: equal to ``np.histogram``) or N >= 1024: a
      tensor larger than N gets the counts of N values (runs of 16 contiguous values
      at fixed random offsets), scaled to its size (min, max, sums and NaN/Inf counts
      stay exact; error: ``nbviz.hooks.stats.tensor_histogram``).
    * ``activations``: None (the outputs of the activation-function modules — ReLU,
      GELU, Tanh, Sigmoid, … — or of every watched leaf module in a model without any;
      with ``layers``, the layers you selected), or a regex / list of module names:
      record only those modules' outputs (activations cost the most: they are the
      largest tensors; e.g. ``activations=r"conv|fc|act"`` adds the layers' outputs).
    * ``merge``: sources all-reduced across ``torch.distributed`` ranks before
      recording (None: activations; True: all; False: none). ``ranks``: ranks
      that record (default rank 0 only).
    * ``health``: thresholds for the rules (a dict or
      :class:`~nbviz.panels.health.rules.Thresholds`).
    * ``timer``: time every step's phases for ``nbviz.Profile`` (cheap; default on).

    >>> handle = nbviz.watch(model, optimizer, every=50)   # doctest: +SKIP
    >>> handle = nbviz.watch(model, optimizer, every=1, histogram_every=100,
    ...                      activations=r"relu")          # doctest: +SKIP
    >>> ...train...                                        # doctest: +SKIP
    >>> run.health()                                       # doctest: +SKIP
    >>> handle.remove()                                    # doctest: +SKIP
    """
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"watch(): 'model' must be a torch.nn.Module, got {describe(model)}; pass the model "
            "you train, e.g. nbviz.watch(model, optimizer).")
    if optimizer is not None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"watch(): 'optimizer' must be a torch.optim.Optimizer or None, got "
                f"{describe(optimizer)}; pass the optimizer whose step() trains the model.")
        owned = {id(p) for group_ in optimizer.param_groups for p in group_["params"]}
        model_params = [p for p in model.parameters() if p.requires_grad]
        if model_params and not any(id(p) in owned for p in model_params):
            raise ValueError(
                "watch(): 'optimizer' does not update any parameter of 'model'; create it from "
                "this model, e.g. torch.optim.SGD(model.parameters(), lr=0.1), or pass "
                "optimizer=None.")
    every = _check_every(every)
    histogram_every = _check_histogram_every(histogram_every, every)
    histogram_sample = check_sample(histogram_sample, "watch()", "histogram_sample")
    if what is None:  # everything this setup can measure
        what = SOURCES if optimizer is not None else tuple(s for s in SOURCES if s != "updates")
    if isinstance(what, str):
        what = (what,)
    try:
        sources = frozenset(what)
    except TypeError:
        raise TypeError(f"watch(): 'what' must be a list of {SOURCES}, got {describe(what)}.") \
            from None
    unknown = sorted(str(s) for s in sources - set(SOURCES))
    if unknown or not sources:
        raise ValueError(
            f"watch(): 'what' must be a non-empty subset of {SOURCES}, got {describe(what)}.")
    if "updates" in sources and optimizer is None:
        raise ValueError(
            "watch(): 'updates' needs the optimizer (Δw is measured around optimizer.step()); "
            "pass the optimizer, or drop 'updates' from 'what'.")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 4096:
        raise ValueError(f"watch(): 'bins' must be an int in 2..4096, got {describe(bins)}.")
    if not (isinstance(near_zero, (int, float)) and not isinstance(near_zero, bool)
            and near_zero >= 0):
        raise ValueError(f"watch(): 'near_zero' must be a number >= 0, got {describe(near_zero)}.")
    if merge is None:
        merge_set = frozenset({"activations"})
    elif merge is True:
        merge_set = frozenset(SOURCES)
    elif merge is False:
        merge_set = frozenset()
    else:
        merge_set = frozenset(merge)
        if merge_set - set(SOURCES):
            raise ValueError(
                f"watch(): 'merge' must be True, False, None or a subset of {SOURCES}, got "
                f"{describe(merge)}.")
    try:
        rank_set = {int(r) for r in ranks}
    except (TypeError, ValueError):
        raise TypeError(f"watch(): 'ranks' must be a list of ints, got {describe(ranks)}.") \
            from None
    thresholds = Thresholds.coerce(health)
    if not isinstance(timer, bool):
        raise TypeError(f"watch(): 'timer' must be True or False, got {describe(timer)}.")
    chosen = _select_layers(model, layers)
    module_names = {id(m): n for n, m in model.named_modules()}
    params: list[tuple[str, str, nn.Parameter]] = []
    seen: set[int] = set()
    for name, module in chosen:
        for pname, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            params.append((module_names.get(id(module), name), pname, p))
    if optimizer is not None:
        owned = {id(p) for group_ in optimizer.param_groups for p in group_["params"]}
        params = [item for item in params if id(item[2]) in owned or not item[2].requires_grad]
    recording = distributed.rank(group) in rank_set
    if recording and run is None:
        from nbviz.record.run import current_run

        try:
            run = current_run()
        except RuntimeError:
            raise RuntimeError(
                "watch(): no run to record into; call run = nbviz.init('name') first, or pass "
                "run=... .") from None
    if recording:
        from nbviz.record.run import Run

        if not isinstance(run, Run):
            raise TypeError(f"watch(): 'run' must be an nbviz Run, got {describe(run)}.")
        if run.finished:
            raise ValueError(f"watch(): run {run.name!r} is finished; start a new one with init().")
    activation_layers = default_activation_layers(
        [(n, m) for n, m in chosen if not list(m.children())]) if layers is None else chosen
    if activations is not None:
        activation_layers = _select_layers(model, activations, "activations")
    return WatchHandle(
        model, optimizer, every=every, sources=sources, layers=activation_layers, params=params,
        run=run if recording else None, bins=bins, merge=merge_set, recording=recording,
        thresholds=thresholds, near_zero=float(near_zero), group=group,
        histogram_every=histogram_every, histogram_sample=histogram_sample, timer=timer)
