"""Bounded memory: a Scalars panel fed 10,000,000 steps of one series.

Claim: however long a run is, a live panel holds a bounded number of points on
both sides — the kernel keeps ≤ 2 × ``max_points`` per series (min/max
decimation beyond ``max_points``), and the page receives a snapshot of
≤ 2 × ``max_points`` points plus bounded appends — instead of every point
(the anchor: the raw step/wall_time/value float64 arrays of all points).

Phase 1 (the claim, 10M steps): a source hands the panel chunks of numpy rows
(``--chunk`` per poll, through the real ticker thread and the panel's real
ingest/decimate/send path; no store involved, so only the panel is measured).
Phase 2 (the whole path, fewer steps): ``run.log`` in a tight loop with the
panel following the live Run.

Measured: process RSS growth (current and peak, from /proc/self/status), the
points the kernel holds (sum of series counts, max over the run), the points
the page would hold (snapshot points + appended since, max over the run, from
intercepting what the panel sends), and the final snapshot size.

Run: ``.venv/bin/python benchmarks/decimation_memory.py [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ensure_scalars_bundle, fmt_bytes, summary

POINT_BYTES = 3 * 8  # step, wall_time, value as float64


def rss() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in bytes."""
    fields: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:  # not Linux / not permitted: peak then covers the whole process
        pass


class ChunkSource:
    """A source that hands out ``total`` rows of one series, ``chunk`` rows per poll."""

    def __init__(self, total: int, chunk: int) -> None:
        self.total = total
        self.chunk = chunk
        self.fed = 0
        self.done = threading.Event()
        self.rng = np.random.default_rng(0)
        self.panel: Any = None
        self.kernel_points_max = 0  # sampled between ingests (steady state)
        self.rss_samples: list[tuple[int, int]] = []  # (steps fed, RSS bytes)
        self._next_sample = 0

    def describe(self) -> str:
        return "synthetic chunks"

    def poll(self) -> list[Any]:
        from nbviz.sources import RunScalars
        from nbviz.store.sqlite import ScalarColumns

        # poll() runs inside the panel's tick with its lock held: the previous chunk is
        # fully ingested (and decimated) here.
        if self.panel is not None:
            self.kernel_points_max = max(self.kernel_points_max, kernel_points(self.panel))
            if self.fed >= self._next_sample:
                self.rss_samples.append((self.fed, rss()[0]))
                self._next_sample += self.total // 10
        if self.fed >= self.total:
            self.done.set()
            return []
        count = min(self.chunk, self.total - self.fed)
        step = np.arange(self.fed, self.fed + count, dtype=np.float64)
        value = np.exp(-step / 3e6) + 0.05 * self.rng.standard_normal(count)
        if self.fed == 0:
            value[10] = np.nan  # non-finite points must survive decimation
        self.fed += count
        columns = ScalarColumns(
            seq=np.arange(step.size, dtype=np.int64), tag_index=np.zeros(count, np.int32),
            step=step, wall_time=1.7e9 + step * 1e-3, value=value, tags=["loss"],
        )
        return [RunScalars("synthetic", columns)]


class PageTracker:
    """Follow what the page would hold, by intercepting the panel's messages."""

    def __init__(self, panel: Any) -> None:
        self.panel = panel
        self.page_points = 0
        self.max_page_points = 0
        self.max_kernel_points = 0  # sampled when a message goes out
        self.snapshots = 0
        self.appends = 0
        self.max_snapshot_bytes = 0
        self.max_append_bytes = 0
        original_send = panel.send

        def send(content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
            if content.get("type") == "append":
                self.appends += 1
                self.page_points += sum(int(s["count"]) for s in content["series"])
                self.max_append_bytes = max(self.max_append_bytes,
                                            sum(len(b) for b in buffers or []))
                self._update()
            original_send(content, buffers)

        panel.send = send
        panel.observe(self._on_snapshot, names="snapshot_seq")

    def _on_snapshot(self, _change: Any) -> None:
        self.snapshots += 1
        self.page_points = sum(int(s["count"]) for s in self.panel.series)
        self.max_snapshot_bytes = max(self.max_snapshot_bytes, len(self.panel.snapshot))
        self._update()

    def _update(self) -> None:
        self.max_page_points = max(self.max_page_points, self.page_points)
        self.max_kernel_points = max(self.max_kernel_points, kernel_points(self.panel))


def kernel_points(panel: Any) -> int:
    """Points the panel holds in the kernel (sum of its series' counts)."""
    return sum(int(s.columns.count) for s in panel._index.by_id)


def phase_chunks(total: int, chunk: int, max_points: int) -> dict[str, Any]:
    import nbviz
    from nbviz.widgets import _ticker

    gc.collect()
    before, _ = rss()
    reset_peak()
    source = ChunkSource(total, chunk)
    started = time.perf_counter()
    panel = nbviz.Scalars(source, max_points=max_points)
    tracker = PageTracker(panel)
    source.panel = panel
    source.done.wait(600)
    time.sleep(3 * _ticker.INTERVAL)  # the last chunk's message
    panel.sync()  # what a saved notebook would hold
    elapsed = time.perf_counter() - started
    after, peak = rss()
    result = {
        "steps": total,
        "seconds": elapsed,
        "kernel_points_final": kernel_points(panel),
        "kernel_points_max": source.kernel_points_max,
        "rss_samples": [(fed, value - before) for fed, value in source.rss_samples],
        "page_points_max": tracker.max_page_points,
        "snapshot_bytes_final": len(panel.snapshot),
        "snapshot_bytes_max": tracker.max_snapshot_bytes,
        "append_bytes_max": tracker.max_append_bytes,
        "snapshots": tracker.snapshots,
        "appends": tracker.appends,
        "decimated": any(s["decimated"] for s in panel.series),
        "rss_growth": after - before,
        "peak_rss_growth": peak - before,
        "nan_kept": bool(np.isnan(next(iter(panel._index.by_id)).columns.value).any()),
    }
    panel.close()
    return result


def phase_run(total: int, max_points: int, logdir: Path) -> dict[str, Any]:
    import nbviz

    gc.collect()
    before, _ = rss()
    reset_peak()
    run = nbviz.init("decimation", logdir=logdir)
    panel = nbviz.Scalars(run, max_points=max_points)
    tracker = PageTracker(panel)
    started = time.perf_counter()
    log = run.log
    for step in range(total):
        log({"loss": 1.0 / (step + 1)}, step=step)
    loop = time.perf_counter() - started
    pending = run._pending_count()  # values logged but not yet committed by the flusher
    time.sleep(0.3)
    panel.sync()
    after, peak = rss()
    result = {
        "steps": total,
        "loop_seconds": loop,
        "run_rows_pending_at_loop_end": pending,
        "kernel_points_final": kernel_points(panel),
        "kernel_points_max": tracker.max_kernel_points,
        "page_points_max": tracker.max_page_points,
        "snapshot_bytes_final": len(panel.snapshot),
        "rss_growth": after - before,
        "peak_rss_growth": peak - before,
    }
    run.finish()
    panel.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer run.log steps (<15 s)")
    parser.add_argument("--steps", type=int, default=10_000_000, help="phase 1 steps")
    parser.add_argument("--chunk", type=int, default=None, help="phase 1 rows per poll")
    parser.add_argument("--run-steps", type=int, default=None, help="phase 2 run.log steps")
    parser.add_argument("--max-points", type=int, default=100_000, help="panel max_points")
    args = parser.parse_args()
    chunk = args.chunk or (500_000 if args.quick else 100_000)
    run_steps = args.run_steps or (300_000 if args.quick else 1_000_000)
    cap = args.max_points
    ensure_scalars_bundle()
    import nbviz.panels.scalars.widget  # noqa: F401  (import cost out of the RSS figures)

    print(f"decimation_memory: one series, {args.steps:,} steps fed to a Scalars panel "
          f"(max_points={cap:,}, {chunk:,} rows per poll), then {run_steps:,} run.log steps\n")
    one = phase_chunks(args.steps, chunk, cap)
    raw = args.steps * POINT_BYTES
    bound = 2 * cap
    print(f"phase 1: {one['steps']:,} steps in {one['seconds']:.1f} s "
          f"({one['snapshots']} snapshots, {one['appends']} appends sent)")
    print(f"  {'':<34} {'nbviz panel':>14} {'all points (anchor)':>20} {'ratio':>8}")
    rows = (
        ("kernel points held (max)", one["kernel_points_max"], args.steps),
        ("page points held (max)", one["page_points_max"], args.steps),
        ("final snapshot bytes", one["snapshot_bytes_final"], raw),
        ("kernel RSS growth (end)", one["rss_growth"], raw),
        ("kernel RSS growth (peak)", one["peak_rss_growth"], raw),
    )
    for label, value, anchor in rows:
        is_bytes = "bytes" in label or "RSS" in label
        shown = fmt_bytes(value) if is_bytes else f"{value:,}"
        shown_anchor = fmt_bytes(anchor) if is_bytes else f"{anchor:,}"
        ratio = anchor / value if value > 0 else float("inf")
        print(f"  {label:<34} {shown:>14} {shown_anchor:>20} {ratio:>7.0f}×")
    bounded = one["kernel_points_max"] <= bound and one["page_points_max"] <= bound
    samples = ", ".join(f"{fed / 1e6:.0f}M: {fmt_bytes(value)}" for fed, value in
                        one["rss_samples"])
    print(f"  kernel RSS growth as steps are fed (flat = bounded): {samples}")
    print(f"  bounded (kernel and page ≤ 2×max_points = {bound:,}): {bounded}; "
          f"decimated: {one['decimated']}; NaN kept through decimation: {one['nan_kept']}")

    with tempfile.TemporaryDirectory(prefix="nbviz-bench-") as tmp:
        two = phase_run(run_steps, cap, Path(tmp))
    bounded_two = two["kernel_points_max"] <= bound and two["page_points_max"] <= bound
    print(f"\nphase 2: run.log × {two['steps']:,} with the panel following the live run "
          f"({two['loop_seconds']:.1f} s): kernel points max {two['kernel_points_max']:,}, "
          f"page points max {two['page_points_max']:,}, final snapshot "
          f"{fmt_bytes(two['snapshot_bytes_final'])}, RSS growth {fmt_bytes(two['rss_growth'])} "
          f"(peak {fmt_bytes(two['peak_rss_growth'])}) vs raw "
          f"{fmt_bytes(two['steps'] * POINT_BYTES)}; bounded: {bounded_two}")
    print(f"  (phase 2 RSS is mostly the Run's buffer of rows not yet committed: "
          f"{two['run_rows_pending_at_loop_end']:,} rows pending when the loop ended — a tight "
          "loop logs faster than the flusher commits)")
    summary(
        "decimation_memory",
        quick=args.quick,
        max_points=cap,
        phase1=one,
        phase2=two,
        raw_bytes=raw,
        bound_points=bound,
        ratio_snapshot=raw / max(one["snapshot_bytes_final"], 1),
        ratio_peak_rss=raw / max(one["peak_rss_growth"], 1),
        meets_goal=bool(bounded and bounded_two),
    )


if __name__ == "__main__":
    main()
