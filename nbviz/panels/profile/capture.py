"""``nbviz.profile(run, steps=5)``: a ``torch.profiler`` capture of a few training steps.

The capture follows the step timer of ``nbviz.watch`` (or an ``optimizer`` you
pass): after ``wait`` skipped and ``warmup`` warm-up steps it records ``steps``
steps, then summarises them and stores the result in the run as two ``profile``
records (docs/store.md):

* ``part="summary"``: the array is the memory curve [points, 2] (µs since the
  first captured step, bytes); the extra holds the per-step breakdown by
  category (:data:`~nbviz.panels.profile.analyse.CATEGORIES`, µs), the top
  operators by self time (CPU and device), the captured step numbers and the
  path of the Chrome/Perfetto trace file;
* ``part="timeline"``: the array is one row per event [start µs, duration µs,
  lane, depth, name index, category], the extra holds names and lane labels.

>>> with nbviz.profile(run, steps=5) as capture:   # doctest: +SKIP
...     train_one_epoch()
>>> capture.top_operators.head()                    # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from nbviz._validate import describe
from nbviz.panels.health.rules import Thresholds
from nbviz.panels.profile import analyse, rules

__all__ = ["Capture", "ProfileCapture", "profile"]

MAX_EVENTS = 200_000  # timeline rows kept per capture (the longest, if there are more)


@dataclass
class Capture:
    """What one capture found (also stored in the run)."""

    steps: list[int]
    step_us: np.ndarray  # [steps, 2] start, end (µs since the first captured step)
    breakdown_us: np.ndarray  # [steps, len(CATEGORIES)]
    operators: list[dict[str, Any]]
    memory: np.ndarray  # [points, 2] µs, bytes
    timeline: np.ndarray  # [events, 6]
    names: list[str]
    lanes: list[str]
    device: str
    trace_path: str = ""
    findings: list[Any] = field(default_factory=list)

    @property
    def top_operators(self) -> Any:
        """Top operators by self CPU time as a DataFrame (name, calls, self_cpu_us,
        cpu_total_us, self_device_us)."""
        import pandas as pd

        return pd.DataFrame(self.operators,
                            columns=["name", "calls", "self_cpu_us", "cpu_total_us",
                                     "self_device_us"])

    @property
    def breakdown(self) -> Any:
        """Per captured step, time in each category (ms) as a DataFrame."""
        import pandas as pd

        frame = pd.DataFrame(self.breakdown_us / 1e3, columns=list(analyse.CATEGORIES))
        frame.insert(0, "step", self.steps)
        return frame

    def summary_extra(self) -> dict[str, Any]:
        return {"part": "summary", "steps": self.steps, "step_us": self.step_us.tolist(),
                "categories": list(analyse.CATEGORIES),
                "breakdown_us": self.breakdown_us.tolist(), "operators": self.operators,
                "device": self.device, "trace_path": self.trace_path}


def summarise(prof: Any, first_step: int, top: int = 20) -> Capture:
    """Summarise a finished ``torch.profiler.profile`` whose steps are ``ProfilerStep#``."""
    events = list(prof.events())
    names = [e.name for e in events]
    start = np.array([e.time_range.start for e in events], np.float64)
    end = np.array([e.time_range.end for e in events], np.float64)
    on_device = np.array([str(e.device_type) != "DeviceType.CPU" for e in events], bool)
    self_cpu = np.array([e.self_cpu_time_total for e in events], np.float64)
    total_cpu = np.array([e.cpu_time_total for e in events], np.float64)
    self_device = np.array([getattr(e, "self_device_time_total", 0.0) for e in events],
                           np.float64)
    memory_delta = np.array([e.self_cpu_memory_usage
                             + getattr(e, "self_device_memory_usage", 0) for e in events],
                            np.float64)
    index_of = {id(e): i for i, e in enumerate(events)}
    parent = np.array([index_of.get(id(e.cpu_parent), -1) if e.cpu_parent is not None else -1
                       for e in events], np.int64)
    thread = [("device" if on_device[i] else "thread") + f" {e.thread}"
              for i, e in enumerate(events)]
    operators = analyse.top_operators(names, self_cpu, total_cpu, self_device, top)
    is_step = np.char.startswith(np.asarray(names, dtype=str), "ProfilerStep")
    step_rows = np.flatnonzero(is_step)
    step_rows = step_rows[np.argsort(start[step_rows])]
    origin = float(start[step_rows[0]]) if step_rows.size else float(start.min(initial=0.0))
    category = analyse.categorise(names, on_device)
    work = ~is_step
    spans = analyse.breakdown(start[step_rows], end[step_rows], start[work], end[work],
                              category[work])
    lanes, lane = np.unique(np.asarray(thread, dtype=object), return_inverse=True)
    name_list, name_index = np.unique(np.asarray(names, dtype=object), return_inverse=True)
    depth = analyse.event_depth(parent)
    timeline = np.column_stack([start - origin, end - start, lane, depth, name_index, category])
    if timeline.shape[0] > MAX_EVENTS:
        keep = np.sort(np.argsort(-(end - start), kind="stable")[:MAX_EVENTS])
        timeline = timeline[keep]
    memory = analyse.memory_curve(start - origin, memory_delta)
    device = "cuda" if on_device.any() else "cpu"
    steps = [first_step + i for i in range(step_rows.size)]
    return Capture(steps=steps,
                   step_us=np.column_stack([start[step_rows] - origin, end[step_rows] - origin]),
                   breakdown_us=spans, operators=operators, memory=memory, timeline=timeline,
                   names=[str(n) for n in name_list], lanes=[str(n) for n in lanes],
                   device=device)


def _check_count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(
            f"profile(): '{name}' must be an int >= {low}, got {describe(value)}; e.g. "
            "nbviz.profile(run, steps=5, wait=1, warmup=1).")
    return int(value)


@dataclass(eq=False)
class ProfileCapture:
    """The context manager :func:`profile` returns; ``.result`` is the :class:`Capture`."""

    run: Any
    steps: int
    wait: int
    warmup: int
    optimizer: Any
    memory: bool
    record_shapes: bool
    with_stack: bool
    trace: bool
    top: int
    result: Capture | None = field(default=None, init=False)
    steps_seen: int = field(default=0, init=False)
    _first_step: int = field(default=-1, init=False, repr=False)
    _prof: Any = field(default=None, init=False, repr=False)
    _detach: Any = field(default=None, init=False, repr=False)
    _timer: Any = field(default=None, init=False, repr=False)

    def __enter__(self) -> ProfileCapture:
        import torch
        from torch.profiler import ProfilerActivity, schedule

        from nbviz.panels.profile.timer import timer_for

        if self._prof is not None:
            raise RuntimeError("profile(): this capture is already running; make a new one with "
                               "nbviz.profile(run, steps=...).")
        self._timer = timer_for(self.run)
        if self.optimizer is not None:
            handle = self.optimizer.register_step_post_hook(self._on_optimizer_step)
            self._detach = handle.remove
            self._first_step = self.wait + self.warmup  # counted from the block's first step
        elif self._timer is not None:
            self._detach = self._timer.add_listener(self._on_step)
            self._first_step = int(self._timer.step) + self.wait + self.warmup
        else:
            raise RuntimeError(
                f"profile(): no step boundaries for run {self.run.name!r}: call "
                "nbviz.watch(model, optimizer) first (its step timer marks the steps), or pass "
                "optimizer=... to nbviz.profile.")
        activities = [ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(ProfilerActivity.CUDA)
        self._prof = torch.profiler.profile(
            activities=activities,
            schedule=schedule(wait=self.wait, warmup=self.warmup, active=self.steps, repeat=1),
            on_trace_ready=self._ready, profile_memory=self.memory,
            record_shapes=self.record_shapes, with_stack=self.with_stack)
        self._prof.__enter__()
        return self

    def _on_optimizer_step(self, *_: Any) -> None:
        self._on_step(self.steps_seen)

    def _on_step(self, step: int) -> None:
        if self._prof is None or self.result is not None:
            return
        self.steps_seen += 1
        self._prof.step()

    def _ready(self, prof: Any) -> None:
        if self.steps_seen < self.wait + self.warmup + self.steps:
            return  # the block ended mid-capture (profiler stopped early): not a full capture
        first = self._first_step if self._first_step >= 0 else 0
        capture = summarise(prof, first, self.top)
        if self.trace:
            folder = Path(self.run.dir) / "profile"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"capture-step{first}-{int(time.time())}.pt.trace.json"
            prof.export_chrome_trace(str(path))
            capture.trace_path = str(path)
        device = capture.timeline[capture.timeline[:, 5] <= analyse.MEMSET] \
            if capture.timeline.size else capture.timeline
        if device.size and capture.step_us.size:
            lo, hi = float(capture.step_us[0, 0]), float(capture.step_us[-1, 1])
            busy = analyse.busy_time(device[:, 0], device[:, 0] + device[:, 1], lo, hi)
            thresholds = self._timer.thresholds if self._timer is not None else Thresholds()
            finding = rules.host_bound(capture.steps[-1], busy, hi - lo, thresholds)
            if finding is not None:
                capture.findings.append(finding)
                if self._timer is not None:
                    self._timer._report(finding)
        self.result = capture
        tag = "profile/capture"
        self.run.log_tensor("profile", tag, capture.memory, first, capture.summary_extra())
        self.run.log_tensor("profile", tag, capture.timeline, first,
                            {"part": "timeline", "names": capture.names, "lanes": capture.lanes,
                             "categories": list(analyse.CATEGORIES)})

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        prof, self._prof = self._prof, None
        if self._detach is not None:
            self._detach()
            self._detach = None
        if prof is None:
            return
        needed = self.wait + self.warmup + self.steps
        prof.__exit__(exc_type, exc, traceback)
        if self.result is None and exc_type is None:
            warnings.warn(
                f"profile(): the block ran {self.steps_seen} step(s) but the capture needs "
                f"{needed} (wait={self.wait}, warmup={self.warmup}, steps={self.steps}); nothing "
                "was captured. Train more steps inside the with-block, or lower steps/wait/warmup.",
                RuntimeWarning, stacklevel=2)

    @property
    def top_operators(self) -> Any:
        """The capture's top operators (a DataFrame); raises before the capture finished."""
        if self.result is None:
            raise RuntimeError("profile(): no capture yet; run the steps inside the with-block.")
        return self.result.top_operators

    def __repr__(self) -> str:
        state = "captured" if self.result is not None else f"{self.steps_seen} step(s) seen"
        return f"nbviz.profile(run={self.run.name!r}, steps={self.steps}, {state})"


def profile(run: Any = None, steps: int = 5, *, wait: int = 1, warmup: int = 1,
            optimizer: Any = None, memory: bool = True, record_shapes: bool = False,
            with_stack: bool = False, trace: bool = True, top: int = 20) -> ProfileCapture:
    """Capture ``steps`` training steps with ``torch.profiler`` and store the result in
    ``run`` (the current run by default) for ``nbviz.Profile``.

    Steps are marked by the step timer of ``nbviz.watch`` (or ``optimizer.step()`` when
    you pass ``optimizer``); the first ``wait`` steps are skipped and ``warmup`` more run
    the profiler without recording. ``memory``: record allocations (the memory curve);
    ``trace``: write the Chrome/Perfetto trace file into ``<run>/profile/`` (open it in
    https://ui.perfetto.dev or chrome://tracing); ``top``: operators kept.

    >>> handle = nbviz.watch(model, optimizer)            # doctest: +SKIP
    >>> with nbviz.profile(run, steps=5) as capture:      # doctest: +SKIP
    ...     for x, y in loader: train_step(x, y)
    >>> capture.result.breakdown                          # doctest: +SKIP
    """
    from nbviz.record.run import Run, current_run

    if run is None:
        try:
            run = current_run()
        except RuntimeError:
            raise RuntimeError("profile(): no run to store the capture in; call "
                               "run = nbviz.init('name') first, or pass run=... .") from None
    if not isinstance(run, Run):
        raise TypeError(f"profile(): 'run' must be an nbviz Run, got {describe(run)}; e.g. "
                        "nbviz.profile(run, steps=5) with run = nbviz.init('name').")
    if run.finished:
        raise ValueError(f"profile(): run {run.name!r} is finished; start a new one with init().")
    steps = _check_count("steps", steps, 1)
    wait = _check_count("wait", wait, 0)
    warmup = _check_count("warmup", warmup, 0)
    top = _check_count("top", top, 1)
    if steps > 1000:
        raise ValueError(f"profile(): 'steps' must be <= 1000 (a capture holds every event of "
                         f"every step), got {steps}; capture a few steps, e.g. steps=5.")
    for name, flag in (("memory", memory), ("record_shapes", record_shapes),
                       ("with_stack", with_stack), ("trace", trace)):
        if not isinstance(flag, bool):
            raise TypeError(f"profile(): '{name}' must be True or False, got {describe(flag)}.")
    if optimizer is not None:
        import torch

        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"profile(): 'optimizer' must be a torch.optim.Optimizer or None, "
                            f"got {describe(optimizer)}.")
    return ProfileCapture(run, steps, wait, warmup, optimizer, memory, record_shapes,
                          with_stack, trace, top)

