"""The always-on step timer: where each training step's time goes.

Attached by ``nbviz.watch`` (one per watched model). Per step it measures, with
``time.perf_counter``:

* **data** — time inside ``next()`` of a loader wrapped by :func:`nbviz.timed`
  (exact); without one, the time from the end of the previous step to the first
  forward call of this step (data loading plus whatever else runs there, e.g.
  ``zero_grad``: an upper bound);
* **forward** — the model's training-mode forward calls (one pre- and one post-hook on
  the root module, none on its layers);
* **backward** — from the gradient reaching the model's output to the end of the
  autograd pass (an engine callback). The start is taken from hooks registered once,
  not per step: a post-accumulate-grad hook on one parameter, the trainable parameter
  nearest the output in the autograd graph (its gradient is among the first), fires a
  fixed lag after the gradient reached the output; that lag (the loss's and the last
  layer's backward) is measured exactly on the first ``CALIBRATE_FIRST`` steps and on
  one step in ``CALIBRATE_EVERY``, by a pre-hook on the output's ``grad_fn`` (registered
  per step only there: registering it costs more than all the rest of the timer), and
  the start of the other steps is that parameter's hook time minus the median lag,
  never before the forward ended. A model whose output reaches no trainable parameter
  is timed exactly every step;
* **optimizer** — ``optimizer.step()`` (step pre/post hooks);
* **other** — the rest of the step (loss computation, logging, user code), so
  the five phases add up to the step time exactly.

A pause between steps (the next notebook cell, an evaluation loop) is not a step:
when the gap before a step's first batch or forward call is far longer than a
typical step (``PAUSE_STEPS`` × the median, at least ``PAUSE_FLOOR`` s), the step
starts at that first event instead.

A step ends when ``optimizer.step()`` returns (without an optimizer: when the
backward pass ends). Each step is recorded as ordinary scalars —
``profile/<phase>_ms``, ``profile/step_ms``, ``profile/samples_per_s`` — at
the step number ``watch`` uses, for every step. The cost per step is a handful of
``perf_counter`` calls and hook calls, one tuple stored in a fixed ring (a Python list:
no numpy call per step) and one append to the run's pending values; the rules run every
``RULE_EVERY`` steps on a bounded window with plain Python pre-checks, and call the
numpy rules only when a finding is possible (``benchmarks/profile_overhead.py``
measures the cost per step).
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from nbviz._validate import describe
from nbviz.panels.health.rules import Finding, Thresholds
from nbviz.panels.profile import rules

__all__ = ["PHASES", "StepTimer", "TimedLoader", "nearest_parameter", "timed", "timer_for"]

PHASES = ("data", "forward", "backward", "optimizer", "other")
WARMUP = 2  # first steps excluded from the rules (allocator, autotuning, first batch)
WINDOW = 20  # steps the data-bound rule looks at
HISTORY = 64  # steps kept for the step-jump rule
RULE_EVERY = 5  # rules run every this many steps
PAUSE_FLOOR = 1.0  # s: a gap before a step longer than this and than PAUSE_STEPS typical
PAUSE_STEPS = 20  # steps is a pause (the next cell, an evaluation …), not a step's data wait
PAUSE_UNKNOWN = 5.0  # s: the same before a typical step time is known
CALIBRATE_FIRST = 3  # the backward start is measured exactly on the first steps …
CALIBRATE_EVERY = 16  # … and on one step in this many (the others use the measured lag)
LAG_SAMPLES = 5  # exact measurements of the lag kept (their median is used)
SEARCH_NODES = 256  # autograd nodes searched for the parameter nearest the output

_TIMERS: list[weakref.ref[StepTimer]] = []
_GENERATION = [0]  # bumped whenever a timer starts or stops (timed loaders re-read the list)
_KEYS = tuple(f"profile/{name}_ms" for name in PHASES)
_ENGINE: list[Any] = []
_clock = time.perf_counter


def _live_timers() -> list[StepTimer]:
    alive = [t for t in (ref() for ref in _TIMERS) if t is not None and t.active]
    _TIMERS[:] = [weakref.ref(t) for t in alive]
    return alive


def timer_for(run: Any) -> StepTimer | None:
    """The active step timer recording into ``run`` (the last attached), if any."""
    found = [t for t in _live_timers() if t.run is run]
    return found[-1] if found else None


def _engine() -> Any:
    """torch's autograd engine (its ``queue_callback`` runs a function when backward ends)."""
    if not _ENGINE:
        import torch

        _ENGINE.append(torch.autograd.Variable._execution_engine)
    return _ENGINE[0]


def _median(values: Iterable[float]) -> float:
    """Median of a short list (plain Python: cheaper than numpy's for a few dozen floats)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else 0.5 * (ordered[middle - 1] + ordered[middle])


def _batch_size(args: Any) -> int:
    first = args[0] if isinstance(args, (tuple, list)) and args else args
    shape = getattr(first, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if isinstance(first, (tuple, list)) and first:
        return _batch_size(first)
    if isinstance(first, dict) and first:
        return _batch_size(next(iter(first.values())))
    return 0


def _output_grad_fn(output: Any) -> Any:
    """The ``grad_fn`` of a forward's output (its first tensor for a tuple, list or dict)."""
    if isinstance(output, (tuple, list)) and output:
        output = output[0]
    elif isinstance(output, dict) and output:
        output = next(iter(output.values()))
    return getattr(output, "grad_fn", None)


def nearest_parameter(grad_fn: Any, parameters: Iterable[Any]) -> Any:
    """The parameter among ``parameters`` whose gradient-accumulation node is nearest
    ``grad_fn`` in the autograd graph (breadth first, at most ``SEARCH_NODES`` nodes): the
    autograd engine runs a parameter's accumulation as soon as its gradient is ready, so
    this one's gradient arrives among the first of a backward pass. None if none is found.

    >>> out = model(x)                                               # doctest: +SKIP
    >>> nearest_parameter(out.grad_fn, model.parameters()) is model[-1].bias  # doctest: +SKIP
    True
    """
    wanted = {id(p) for p in parameters if p.requires_grad}
    queue = [grad_fn]
    seen = {id(grad_fn)}
    index = 0
    while index < len(queue) and index < SEARCH_NODES:
        node = queue[index]
        index += 1
        variable = getattr(node, "variable", None)  # only AccumulateGrad nodes have one
        if variable is not None and id(variable) in wanted:
            return variable
        for successor, _ in getattr(node, "next_functions", ()):
            if successor is not None and id(successor) not in seen:
                seen.add(id(successor))
                queue.append(successor)
    return None


class StepTimer:
    """Time the phases of each training step of ``model`` and record them into ``run``.

    Created by ``nbviz.watch`` (``watch(..., timer=False)`` turns it off).

    >>> handle = nbviz.watch(model, optimizer)        # doctest: +SKIP
    >>> handle.timer.last                             # doctest: +SKIP
    {'data': 0.0021, 'forward': 0.0068, ...}
    """

    _step_depth = 0  # optimizer step hooks entered and not yet left (nested super().step())

    def __init__(self, model: Any, optimizer: Any, run: Any, *,
                 thresholds: Thresholds | None = None,
                 on_finding: Callable[[Finding], None] | None = None,
                 meter_interval: float | None = 1.0) -> None:
        self.run = run
        self.thresholds = thresholds or Thresholds()
        self.step = 0  # the step being timed (= watch's step numbering)
        self.findings: list[Finding] = []
        self.loader: Any = None  # the DataLoader behind the last timed() batch, if any
        self._on_finding = on_finding
        self._has_optimizer = optimizer is not None
        self._warned = False
        self._active = True
        self._reported: set[str] = set()
        self._listeners: list[Callable[[int], None]] = []
        # The last HISTORY steps' (data, forward, backward, optimizer, other, total, exact),
        # a ring of tuples: slot ``count % HISTORY`` is written next.
        self._history: list[tuple[float, ...]] = [()] * HISTORY
        self._count = 0
        self._pause = PAUSE_UNKNOWN  # seconds of gap that count as a pause, not data wait
        # perf_counter() + this = unix time: a step's wall time without a time.time() call
        self._wall_offset = time.time() - time.perf_counter()
        # Backward: the hook on the parameter nearest the output (None until found), the
        # measured lags from the output's gradient to that hook, and one pass's timestamps.
        self._model = weakref.ref(model)
        self._param_hook: Any = None
        self._search = True  # look for the nearest parameter on the next calibrated step
        self._lags: deque[float] = deque(maxlen=LAG_SAMPLES)
        self._lag = 0.0
        self._exact_t0: float | None = None  # the gradient reached the output (exact)
        self._param_t: float | None = None  # the parameter's gradient was accumulated
        self._queued = False  # the end-of-backward callback is queued
        self._reset_phases(None)
        self._handles: list[Any] = [
            model.register_forward_pre_hook(self._on_forward_pre, prepend=True),
            model.register_forward_hook(self._on_forward_post),
        ]
        if optimizer is not None:
            self._handles.append(optimizer.register_step_pre_hook(self._on_step_pre))
            self._handles.append(optimizer.register_step_post_hook(self._on_step_post))
        self.meter: Any = None
        if meter_interval is not None:
            from nbviz.panels.profile.meter import SystemMeter

            self.meter = SystemMeter(run, self, interval=meter_interval,
                                     thresholds=self.thresholds, on_finding=self._report)
            self.meter.start()
        _TIMERS.append(weakref.ref(self))
        _GENERATION[0] += 1
        # A small record of kind "profile" marks the run as timed (the Dashboard's Profile tab).
        run.log_tensor("profile", "profile/timer", np.zeros(0), 0,
                       {"part": "timer", "optimizer": optimizer is not None})

    # -- public --------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True until :meth:`remove` (or an internal failure) stopped the timer."""
        return self._active

    @property
    def last(self) -> dict[str, float]:
        """The last step's phases and total (``"step"``), in seconds; empty before one ended."""
        if not self._count:
            return {}
        row = self._history[(self._count - 1) % HISTORY]
        return dict(zip((*PHASES, "step"), row[:6], strict=True))

    def remove(self) -> None:
        """Detach the hooks and stop the meter thread. Idempotent."""
        self._active = False
        _GENERATION[0] += 1
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        if self._param_hook is not None:
            self._param_hook.remove()
            self._param_hook = None
        if self.meter is not None:
            self.meter.stop()

    def add_listener(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(step)`` at the end of every step; returns a function that detaches
        it (used by ``nbviz.profile`` to step its ``torch.profiler`` schedule)."""
        self._listeners.append(callback)

        def detach() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return detach

    def history(self) -> np.ndarray:
        """The last (up to ``HISTORY``) steps, oldest first: columns are the phases in
        ``PHASES`` order, then the step time and 1.0 where a ``timed()`` loader measured
        the data wait (seconds).

        >>> handle.timer.history()[:, 5]   # step times   # doctest: +SKIP
        """
        return np.array(self._recent(HISTORY), np.float64).reshape(-1, len(PHASES) + 2)

    def _recent(self, count: int) -> list[tuple[float, ...]]:
        """The last ``count`` (at most HISTORY) steps' rows, oldest first."""
        count = min(count, self._count, HISTORY)
        end = self._count % HISTORY
        if count <= end:
            return self._history[end - count:end]
        return self._history[end - count:] + self._history[:end]

    # -- phases --------------------------------------------------------------------------------

    def _reset_phases(self, start: float | None) -> None:
        self._start = start  # end of the previous step (None before the first event)
        self._data = 0.0
        self._timed = False  # a timed() loader delivered a batch during this step
        self._first_forward: float | None = None
        self._forward = 0.0
        self._forward_t0 = 0.0
        self._forward_end = 0.0
        self._backward = 0.0
        self._optimizer = 0.0
        self._optimizer_t0 = 0.0
        self._samples = 0
        self._forwards = 0

    def data_wait(self, started: float, seconds: float, loader: Any) -> None:
        """A timed loader spent ``seconds`` (from ``started``) producing the next batch."""
        if not self._active:
            return
        if self._start is None or (not self._timed and self._first_forward is None
                                   and started - self._start > self._pause):
            self._start = started
        self._data += seconds
        self._timed = True
        self.loader = loader

    def _fail(self, error: BaseException) -> None:
        self.remove()
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"nbviz: the step timer raised {type(error).__name__}: {error}. It is disabled; "
                "training continues unchanged.", RuntimeWarning, stacklevel=3)

    def _on_forward_pre(self, module: Any, args: Any) -> None:
        self._step_depth = 0  # a step that raised never ran its post hooks
        if not (self._active and module.training):
            return
        now = _clock()
        try:
            if not self._has_optimizer and self._forwards and not self._queued \
                    and not self._backward:
                self._end_step(now)  # forward-only training loop: a step per forward
            if self._first_forward is None:
                if self._start is None or (not self._timed and now - self._start > self._pause):
                    self._start = now  # first step, or after a pause: no data wait measured
                self._first_forward = now
                self._samples = _batch_size(args)
            self._forward_t0 = now
        except Exception as error:
            self._fail(error)

    def _on_forward_post(self, module: Any, args: Any, output: Any) -> None:
        if not (self._active and module.training) or self._first_forward is None:
            return
        now = _clock()
        self._forward += now - self._forward_t0
        self._forward_end = now
        self._forwards += 1
        step = self.step
        if self._param_hook is not None and step >= CALIBRATE_FIRST \
                and step % CALIBRATE_EVERY:
            return  # the parameter's hook times this step's backward
        try:
            self._calibrate(output)
        except Exception as error:
            self._fail(error)

    def _calibrate(self, output: Any) -> None:
        """Time this step's backward exactly (a pre-hook on the output's ``grad_fn``: it runs
        as the gradient reaches the output, like a tensor hook, registered in C++ with no
        Python wrapper) and, when needed, hook the parameter nearest the output."""
        grad_fn = _output_grad_fn(output)
        if grad_fn is None:
            return
        grad_fn.register_prehook(self._on_output_grad)
        if not self._search:
            return
        self._search = False
        model = self._model()
        parameter = None if model is None else nearest_parameter(grad_fn, model.parameters())
        if parameter is None:
            return  # every step stays exact; looked for again on the next calibrated step
        if self._param_hook is not None:
            self._param_hook.remove()
        self._param_hook = parameter.register_post_accumulate_grad_hook(self._on_param_grad)
        self._lags.clear()

    def _on_output_grad(self, grads: Any) -> None:
        if self._active and self._exact_t0 is None:
            self._exact_t0 = self._backward_seen()

    def _on_param_grad(self, parameter: Any) -> None:
        if self._active and self._param_t is None:
            self._param_t = self._backward_seen()

    def _backward_seen(self) -> float:
        """Now; the first call in a backward pass queues the end-of-backward callback."""
        now = _clock()
        if not self._queued:
            self._queued = True
            try:
                _engine().queue_callback(self._on_backward_end)
            except Exception as error:
                self._fail(error)
        return now

    def _on_backward_end(self) -> None:
        if not self._active:
            return
        now = _clock()
        exact, hooked = self._exact_t0, self._param_t
        self._exact_t0 = self._param_t = None
        self._queued = False
        try:
            if exact is not None:
                start = exact
                if hooked is not None:
                    self._lags.append(hooked - exact)
                    self._lag = _median(self._lags)
                elif self._param_hook is not None:
                    self._search = True  # that parameter got no gradient: find another
            elif hooked is not None:
                start = max(min(hooked - self._lag, hooked), self._forward_end)
            else:
                return
            self._backward += now - start
            if not self._has_optimizer:
                self._end_step(now)
        except Exception as error:
            self._fail(error)

    def _on_step_pre(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        # A subclass whose step() calls super().step() runs the hooks once per patched class
        # (torch patches every Optimizer class it instantiates): count the outermost only.
        self._step_depth += 1
        if self._active and self._step_depth == 1:
            self._optimizer_t0 = _clock()

    def _on_step_post(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._step_depth = max(self._step_depth - 1, 0)
        if not self._active or self._step_depth:
            return
        now = _clock()
        self._optimizer += now - self._optimizer_t0
        try:
            self._end_step(now)
        except Exception as error:
            self._fail(error)

    # -- end of step: record, rules ------------------------------------------------------------

    def _end_step(self, now: float) -> None:
        step = self.step
        self.step += 1
        start = self._start
        if start is None:  # an optimizer step with no forward seen (e.g. LBFGS closure)
            self._reset_phases(now)
            return
        total = now - start
        first = self._first_forward if self._first_forward is not None else now
        data = self._data if self._timed else max(first - start, 0.0)
        forward, backward, optimizer = self._forward, self._backward, self._optimizer
        other = max(total - data - forward - backward - optimizer, 0.0)
        samples = self._samples
        exact = self._timed
        self._reset_phases(now)
        keys = _KEYS
        values = {keys[0]: data * 1e3, keys[1]: forward * 1e3, keys[2]: backward * 1e3,
                  keys[3]: optimizer * 1e3, keys[4]: other * 1e3, "profile/step_ms": total * 1e3}
        if samples and total > 0:
            values["profile/samples_per_s"] = samples / total
        self.run._log_floats(values, step, now + self._wall_offset)
        self._history[self._count % HISTORY] = (data, forward, backward, optimizer, other, total,
                                                1.0 if exact else 0.0)
        self._count += 1
        if step >= WARMUP and step % RULE_EVERY == 0:
            self._apply_rules(step)
        if self._listeners:
            for listener in list(self._listeners):
                listener(step)

    def _apply_rules(self, step: int) -> None:
        # Only steps after the warm-up count; the history holds the last HISTORY steps.
        kept = min(self._count, HISTORY, step + 1 - WARMUP)
        if kept < rules.MIN_WINDOW:
            return
        rows = self._recent(kept)
        totals = [row[5] for row in rows]
        self._pause = max(PAUSE_FLOOR, PAUSE_STEPS * _median(totals))
        # Each rule reports once; a rule already reported is not evaluated again, and the
        # numpy rules run only when a cheap count (plain Python) leaves a finding possible.
        window = rows[-WINDOW:]
        share = self.thresholds.data_bound_share
        valid = [row for row in window if row[5] > 0]
        if "data_bound" not in self._reported and 2 * sum(
                row[0] > share * row[5] for row in valid) >= len(valid):
            table = np.array(window, np.float64)
            self._report_if(rules.data_bound(step, table[:, 0], table[:, 5], self.thresholds,
                                             self.loader, exact=bool(table[-1, 6])))
        if "step_time_jump" not in self._reported and kept >= 10 + 2 * rules.MIN_WINDOW \
                and min(totals[-10:]) > self.thresholds.step_jump * min(totals[:-10]):
            table = np.array(rows, np.float64)  # step_jump's default `recent` is 10
            self._report_if(rules.step_jump(
                step, table[:, 5], {name: table[:, i] for i, name in enumerate(PHASES)},
                self.thresholds))

    def _report_if(self, finding: Finding | None) -> None:
        if finding is not None:
            self._report(finding)

    def _report(self, finding: Finding) -> None:
        if finding.rule in self._reported:
            return
        self._reported.add(finding.rule)
        self.findings.append(finding)
        try:
            self.run.log_tensor("finding", finding.tag, np.array([finding.value], np.float64),
                                finding.step, finding.extra())
        except RuntimeError:  # the run finished meanwhile
            return
        if self._on_finding is not None:
            self._on_finding(finding)


class TimedLoader:
    """An iterable that times each ``next()`` of ``loader`` for the step timer.

    Everything else (``len()``, ``.dataset``, ``.batch_size`` …) is the loader's own.
    """

    def __init__(self, loader: Iterable[Any], run: Any = None) -> None:
        self.loader = loader
        self.run = run

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self.loader)
        clock = time.perf_counter
        generation = -1
        timers: list[StepTimer] = []
        while True:
            started = clock()
            try:
                batch = next(iterator)
            except StopIteration:
                return
            seconds = clock() - started
            if generation != _GENERATION[0]:  # a timer started or stopped: look again
                generation = _GENERATION[0]
                timers = [timer for timer in _live_timers()
                          if self.run is None or timer.run is self.run]
            for timer in timers:
                timer.data_wait(started, seconds, self.loader)
            yield batch

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name in ("loader", "run"):
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __repr__(self) -> str:
        return f"nbviz.timed({self.loader!r})"


def timed(loader: Any, run: Any = None) -> TimedLoader:
    """Wrap a DataLoader (any re-iterable of batches) so the step timer measures the exact
    time each step waits for its batch (``profile/data_ms``).

    ``run``: only the timer recording into this run gets the times (default: every
    active timer, i.e. the ``watch`` of the model you train).

    >>> loader = nbviz.timed(torch.utils.data.DataLoader(dataset, batch_size=64))  # doctest: +SKIP
    >>> for x, y in loader: ...                                                  # doctest: +SKIP
    """
    if isinstance(loader, TimedLoader):
        return loader
    if isinstance(loader, (str, bytes, dict)) or not hasattr(loader, "__iter__"):
        raise TypeError(
            f"timed(): 'loader' must be a DataLoader or another iterable of batches, got "
            f"{describe(loader)}; e.g. nbviz.timed(DataLoader(dataset, batch_size=64)).")
    if isinstance(loader, Iterator):
        raise TypeError(
            f"timed(): 'loader' is a one-shot iterator ({describe(loader)}); pass the DataLoader "
            "itself (re-iterable each epoch), not iter(loader).")
    if hasattr(loader, "shape") and hasattr(loader, "dtype"):
        raise TypeError(
            f"timed(): 'loader' must be a DataLoader, got an array/tensor ({describe(loader)}); "
            "wrap it first, e.g. DataLoader(TensorDataset(x, y), batch_size=64).")
    if run is not None:
        from nbviz.record.run import Run

        if not isinstance(run, Run):
            raise TypeError(f"timed(): 'run' must be an nbviz Run or None, got {describe(run)}.")
    return TimedLoader(loader, run)
