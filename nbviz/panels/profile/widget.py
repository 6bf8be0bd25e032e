"""The Profile panel: where each training step's time goes, live.

Wire contract: docs/wire.md ("Profile"). Python ``Profile`` ↔ ``js/src/panels/profile/``.
The kernel follows the runs' scalars (the step timer's ``profile/*`` series and
the meter's ``system/*``) and their ``finding`` / ``profile`` records, and sends
the page a bounded snapshot (at most ``max_points`` buckets per run, averaged so
the stacked breakdown keeps its totals) at most ``SNAPSHOTS_PER_SECOND`` times a
second while data arrives. Zoom, hover and the run/capture views are client-side.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.health.rules import Finding
from nbviz.panels.profile.data import (
    PROFILE_RULES,
    STEP_COLUMNS,
    RunProfile,
    bucket_means,
)
from nbviz.sources import RunScalars, RunTensors, Source, as_source
from nbviz.widgets._base import LivePanel
from nbviz.widgets._palette import run_color
from nbviz.widgets._ticker import SendBudget

__all__ = ["Profile"]

SNAPSHOTS_PER_SECOND = 4
TENSOR_KINDS = frozenset({"finding", "profile"})


def _finding(record: Any) -> Finding:
    extra = record.extra
    return Finding(step=record.step, layer=str(extra.get("layer", "")),
                   rule=str(extra.get("rule", "")), severity=str(extra.get("severity", "")),
                   message=str(extra.get("message", "")),
                   value=float(record.array.reshape(-1)[0]) if record.array.size else np.nan,
                   threshold=float(extra.get("threshold", np.nan)),
                   source=str(extra.get("source", "")))


class Profile(LivePanel):
    """Step-time breakdown (data, forward, backward, optimizer, other) over steps,
    samples/s, system meters, findings with advice, and the latest profiler capture.

    >>> handle = nbviz.watch(model, optimizer)   # doctest: +SKIP
    >>> nbviz.Profile(run)                       # doctest: +SKIP
    """

    runs = traitlets.List(traitlets.Dict()).tag(sync=True)
    steps = traitlets.Bytes(b"").tag(sync=True)
    system = traitlets.Bytes(b"").tag(sync=True)
    findings = traitlets.List(traitlets.Dict()).tag(sync=True)
    capture = traitlets.Dict().tag(sync=True)
    capture_data = traitlets.Bytes(b"").tag(sync=True)
    snapshot_seq = traitlets.Int(0).tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_points = traitlets.Int(2000).tag(sync=True)

    _bundle = "profile"

    def __init__(self, source: Any, *, max_points: int = 2000, title: str = "") -> None:
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 16:
            raise ValueError(
                f"Profile(): 'max_points' must be an int >= 16, got {describe(max_points)}.")
        if not isinstance(title, str):
            raise TypeError(f"Profile(): 'title' must be a string, got {describe(title)}.")
        self._scalars: Source = as_source(source)
        self._tensors: Source = as_source(source, TENSOR_KINDS)
        self._runs: dict[str, RunProfile] = {}
        self._dirty = False
        self._capture_run = ""
        self._capture_version = -1
        self._captures = 0  # capture records seen (orders captures across runs)
        self._budget = SendBudget(SNAPSHOTS_PER_SECOND)  # snapshots only: 4 a second
        super().__init__(max_points=max_points, title=title)

    def _first_poll(self) -> None:
        self._ingest()
        self._send_snapshot()

    # -- data in ---------------------------------------------------------------------------

    def _run(self, name: str) -> RunProfile:
        found = self._runs.get(name)
        if found is None:
            found = self._runs[name] = RunProfile(name, run_color(name))
        return found

    def _ingest(self) -> None:
        changed = False
        for batch in self._scalars.poll():
            if not isinstance(batch, RunScalars):
                continue
            columns = batch.columns
            wanted = [i for i, tag in enumerate(columns.tags)
                      if tag.startswith(("profile/", "system/"))]
            if not wanted:
                continue
            run = self._run(batch.run)
            order = np.argsort(columns.tag_index, kind="stable")
            bounds = np.searchsorted(columns.tag_index[order], np.arange(len(columns.tags) + 1))
            for index in wanted:
                rows = order[bounds[index] : bounds[index + 1]]
                if rows.size:
                    run.add(columns.tags[index], columns.step[rows], columns.wall_time[rows],
                            columns.value[rows])
                    changed = True
        for tensor_batch in self._tensors.poll():
            if not isinstance(tensor_batch, RunTensors):
                continue
            run = self._run(tensor_batch.run)
            for record in tensor_batch.records:
                part = record.extra.get("part")
                if record.kind == "finding":
                    if record.extra.get("rule") in PROFILE_RULES:
                        run.findings.append(_finding(record))
                        changed = True
                elif part == "summary":
                    run.capture = dict(record.extra)
                    run.memory = np.asarray(record.array, np.float64).reshape(-1, 2)
                    self._captures += 1
                    run.capture_version = self._captures
                    changed = True
                elif part == "timeline":
                    run.timeline = np.asarray(record.array, np.float64).reshape(-1, 6)
                    run.timeline_extra = dict(record.extra)
                    self._captures += 1
                    run.capture_version = self._captures
                    changed = True
        if changed:
            self._dirty = True
            self._data_version += 1

    # -- data out --------------------------------------------------------------------------

    def _shown(self) -> list[RunProfile]:
        return [r for r in sorted(self._runs.values(), key=lambda r: r.name)
                if r.has_timer or r.findings or r.capture is not None
                or "system/cpu_percent" in r.series]

    def _send_snapshot(self) -> None:
        shown = self._shown()
        infos: list[dict[str, Any]] = []
        step_parts: list[bytes] = []
        system_parts: list[bytes] = []
        for run in shown:
            table = bucket_means(run.steps_table(), self.max_points)
            system = bucket_means(run.system_table(), self.max_points)
            step_parts.append(np.ascontiguousarray(table.T, "<f8").tobytes())
            system_parts.append(np.ascontiguousarray(system.T, "<f8").tobytes())
            infos.append({"name": run.name, "color": run.color, "count": int(table.shape[0]),
                          "steps_total": int(run.steps_table().shape[0]),
                          "system_count": int(system.shape[0]),
                          "capture": run.capture is not None})
        findings = [{"run": run.name, "step": f.step, "rule": f.rule, "severity": f.severity,
                     "message": f.message, "phase": f.layer}
                    for run in shown for f in run.findings]
        latest = max((r for r in shown if r.capture is not None and r.timeline.size),
                     key=lambda r: r.capture_version, default=None)
        with self.hold_sync():
            self.runs = infos
            self.steps = b"".join(step_parts)
            self.system = b"".join(system_parts)
            self.findings = findings
            if latest is not None and (latest.name != self._capture_run
                                       or latest.capture_version != self._capture_version):
                self._capture_run = latest.name
                self._capture_version = latest.capture_version
                self.capture = {**(latest.capture or {}), **latest.timeline_extra,
                                "part": "capture", "run": latest.name,
                                "memory_count": int(latest.memory.shape[0]),
                                "timeline_count": int(latest.timeline.shape[0])}
                self.capture_data = (np.ascontiguousarray(latest.memory, "<f8").tobytes()
                                     + np.ascontiguousarray(latest.timeline, "<f8").tobytes())
            self.snapshot_seq = self.snapshot_seq + 1
        self._dirty = False
        self._budget.spend(time.monotonic())
        self.messages_sent += 1

    def _tick(self) -> None:
        with self._lock:
            self._ingest()
            if self._dirty and self._budget.ready(time.monotonic()):
                self._send_snapshot()

    def sync(self) -> None:
        """Poll now and send everything (e.g. before saving the notebook)."""
        with self._lock:
            self._ingest()
            if self._dirty:
                self._send_snapshot()

    # -- pictures for saved notebooks ------------------------------------------------------

    def _render_png(self) -> bytes:
        from nbviz.panels.profile.picture import render_png

        with self._lock:
            shown = [(r.name, r.color, r.steps_table(), list(r.findings)) for r in self._shown()
                     if r.name not in self.hidden_runs]
        return render_png(shown)

    def summary(self) -> str:
        """One line: runs, steps timed, median step time and its largest phase, findings."""
        with self._lock:
            parts = []
            for run in self._shown():
                table = run.steps_table()
                if table.shape[0]:
                    medians = np.nanmedian(table[:, 1:6], axis=0)
                    phase = STEP_COLUMNS[int(np.nanargmax(medians))].removesuffix("_ms")
                    parts.append(f"{run.name}: {table.shape[0]} steps, median "
                                 f"{np.nanmedian(table[:, 6]):.3g} ms/step (most in {phase})")
                else:
                    parts.append(f"{run.name}: no timed steps")
            findings = sum(len(r.findings) for r in self._runs.values())
        body = "; ".join(parts) if parts else "no step timings yet"
        return (f"nbviz.Profile: {body}; {findings} finding(s) from {self._scalars.describe()}")

