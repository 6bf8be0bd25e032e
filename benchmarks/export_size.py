"""Size and first paint of an offline export (issue 17), next to Plotly's ``write_html``.

A logdir of ``--runs`` runs × ``--tags`` scalar tags × ``--points`` steps is written
straight into nbviz stores (``StoreWriter.write_scalars``, one transaction per run); a
``Dashboard`` over it is exported with ``nbviz.export_html(..., max_points=M)`` (each series
min/max-decimated to M points, as live). Measured:

  * the file's size (goal ≤ 20 MB), and how much of it is code (all bundles, gzip+base64;
    goal ≤ 2 MB for every panel's JS together) vs data;
  * first paint in headless Chromium from ``file://`` with the network blocked: from
    ``goto`` to the first Scalars chart drawn (``.nbviz-chart[data-points] > 0``; goal ≤ 2 s),
    and to every chart drawn (the charts in view ask for their points, the others get
    theirs on idle); and the page's own timeline (its performance marks: HTML parsed,
    state read, each bundle evaluated, the first chart's points sent before the panel is
    built, first points request, first chunk decoded, first chart), to see where the time
    goes;
  * the same series (the exported, decimated points) written by Plotly as ``--tags`` figures
    (``Scattergl``) in one ``write_html``-style file (plotly.js inlined once): size and
    first paint (each figure's ``post_script`` counts it drawn), in the same run; ratios;
  * with ``--baseline DIR`` (another nbviz checkout, e.g. main's), that checkout's export
    of the same logdir, measured interleaved with ours: size, first paint, ratios.

Every page load gets a browser of its own: in a shared browser, the page measured after
Plotly's waits for the GPU process, still drawing the closed page's WebGL figures for
seconds (software GL), before it gets a frame — measured on main: the Scalars panel's
first points request 1.4 s after navigation when measured first, 11.1 s when measured
right after the Plotly page (its charts need frames: they ask for their points when
they scroll into view), which was the gap between "scalars code" and "first request".

Points per series beyond M do not change the file or the paint (they are decimated away);
they change the time to read the logdir and build the Dashboard, printed too. The issue's
figure is 100 runs (series) × 10 tags (charts) × 100k points: ``--points 100000``; that
holds ~2.4 GB in the kernel (every point, as the live panel keeps them), so ``--quick``
uses 10k points.

Usage:  .venv/bin/python benchmarks/export_size.py [--quick] [--runs 100] [--tags 10]
        [--points 100000] [--max-points 1000] [--repeat 3] [--baseline /path/to/main]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHROMIUM, CHROMIUM_ARGS, fmt_bytes, fmt_secs, summary

import nbviz
from nbviz.export import DEFAULT_MAX_POINTS
from nbviz.store.sqlite import StoreWriter
from nbviz.widgets.dashboard import Dashboard

LOCAL = ("file:", "blob:", "data:", "about:")
NBVIZ_FIRST = """() => [...document.querySelectorAll('.nbviz-chart')]
  .some(c => +c.dataset.points > 0)"""
NBVIZ_ALL = """(n) => { const charts = [...document.querySelectorAll('.nbviz-chart')];
  return charts.length >= n && charts.every(c => +c.dataset.points > 0); }"""
# Plotly: each figure's post_script runs once Plotly.newPlot has drawn it
PLOTLY_POST = "window.__plotted = (window.__plotted || 0) + 1;"
PLOTLY_FIRST = """() => (window.__plotted || 0) >= 1"""
PLOTLY_ALL = """(n) => (window.__plotted || 0) >= n"""
# In the nbviz page: when (performance.now(), ms since navigation) the first chart got points
FIRST_CHART_CLOCK = """(() => { const tick = () => {
  if ([...document.querySelectorAll('.nbviz-chart')].some(c => +c.dataset.points > 0))
    window.__nbvizFirstChart = performance.now();
  else requestAnimationFrame(tick); }; requestAnimationFrame(tick); })();"""
# The phases of the nbviz page (ms since navigation): the runtime's performance marks
PHASES = """() => { const nav = performance.getEntriesByType('navigation')[0];
  const first = (prefix) => { const m = performance.getEntriesByType('mark')
    .find(e => e.name.startsWith(prefix)); return m ? m.startTime : NaN; };
  return {"HTML parsed": nav.domInteractive, "state read": first('nbviz-snapshot-decoded:'),
    "dashboard code": first('nbviz-snapshot-bundle:dashboard'),
    "scalars code": first('nbviz-snapshot-bundle:scalars'),
    "first points sent unasked": first('nbviz-snapshot-prefetch:'),
    "first request": first('nbviz-snapshot-request:'),
    "first chunk": first('nbviz-snapshot-chunk:'),
    "first chart": window.__nbvizFirstChart ?? NaN}; }"""


def write_logdir(logdir: Path, runs: int, tags: int, points: int) -> float:
    """runs × tags × points scalars (a noisy decaying curve each); returns seconds."""
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    steps = np.arange(points, dtype=np.int64)
    wall = 1.7e9 + steps * 0.05
    for r in range(runs):
        writer = StoreWriter(logdir / f"run{r:03d}")
        rows: list[tuple[str, int, float, float]] = []
        for t in range(tags):
            values = (np.exp(-steps / (points / (2 + t % 5))) * (1 + r / runs)
                      + rng.normal(0, 0.02, points))
            rows.extend(zip([f"metric/{t:02d}"] * points, steps.tolist(), wall.tolist(),
                            values.tolist(), strict=True))
        writer.write_scalars(writer.next_seq(), rows)
        writer.close()
    return time.perf_counter() - started


def plotly_page(dashboard: Dashboard, path: Path, max_points: int) -> tuple[float, int]:
    """The Scalars panel's exported series as Plotly figures (one per tag) in one file."""
    import plotly.graph_objects as go

    panel = dashboard.panels["scalars"]
    state = panel._snapshot_state(max_points)
    data = state["snapshot"]
    by_tag: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    at = 0
    for info in state["series"]:
        block = np.frombuffer(data[at:at + 24 * info["count"]], dtype="<f8").reshape(3, -1)
        at += 24 * info["count"]
        by_tag.setdefault(info["tag"], []).append((info["run"], block[0], block[2]))
    started = time.perf_counter()
    parts = []
    for index, (tag, series) in enumerate(sorted(by_tag.items())):
        figure = go.Figure([go.Scattergl(x=x, y=y, name=run, mode="lines")
                            for run, x, y in series])
        figure.update_layout(title=tag, height=420)
        parts.append(figure.to_html(full_html=False, include_plotlyjs=index == 0,
                                    post_script=PLOTLY_POST))
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    + "\n".join(parts) + "</body></html>", encoding="utf-8")
    return time.perf_counter() - started, sum(s["count"] for s in state["series"])


def first_paint(pw: Any, path: Path, first: str, every: str, charts: int,
                phases: bool = False) -> tuple[float, float, list[str], dict[str, float]]:
    """(first chart, every chart) in seconds from ``goto``, requests blocked, and (with
    ``phases``) the page's own timeline in ms since navigation (``PHASES``).

    A fresh browser per load: no page is measured while another's leftovers (the GPU
    process drawing a closed page's WebGL) hold back its frames."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        if phases:
            context.add_init_script(FIRST_CHART_CLOCK)
        blocked: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="commit", timeout=300_000)
        page.wait_for_function(first, polling="raf", timeout=300_000)
        painted = time.perf_counter() - started
        page.wait_for_function(every, arg=charts, polling="raf", timeout=300_000)
        drawn = time.perf_counter() - started
        timeline: dict[str, float] = page.evaluate(PHASES) if phases else {}
        context.close()
    finally:
        browser.close()
    return painted, drawn, blocked, timeline


BASELINE_EXPORT = """import sys, nbviz
from nbviz.widgets.dashboard import Dashboard
dashboard = Dashboard(sys.argv[1])
dashboard.panels["scalars"].sync()
nbviz.export_html(dashboard, sys.argv[2], max_points=int(sys.argv[3]))
dashboard.close()
print(nbviz.__file__)
"""


def baseline_export(checkout: Path, logdir: Path, path: Path, max_points: int) -> float:
    """Export ``logdir`` with the nbviz of ``checkout`` (its own process, its own bundles);
    returns seconds."""
    if not (checkout / "nbviz" / "__init__.py").is_file():
        raise SystemExit(f"--baseline: {checkout} is not an nbviz checkout (no nbviz/__init__.py)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", BASELINE_EXPORT, str(logdir), str(path),
                           str(max_points)], cwd=checkout, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(checkout)}, check=False)
    if done.returncode != 0:
        raise SystemExit(f"--baseline export failed:\n{done.stderr[-2000:]}")
    used = Path(done.stdout.strip().splitlines()[-1]).resolve()
    if not used.is_relative_to(checkout.resolve()):
        raise SystemExit(f"--baseline: the export imported {used}, not {checkout}")
    return time.perf_counter() - started


def load() -> str:
    """The 1-minute load average (this machine is shared: print it with the figures)."""
    return f"{os.getloadavg()[0]:.2f}"


def code_bytes(text: str) -> int:
    """Bytes of the page's code: the bundles (gzip+base64) and the runtime."""
    return sum(len(m) for m in re.findall(
        r'<script type="application/octet-stream" data-nbviz-bundle=[^>]*>([^<]*)</script>',
        text)) + sum(
        len(m) for m in re.findall(r'<script type="module"[^>]*>(.*?)</script>', text, re.S))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k points per series")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--tags", type=int, default=10)
    parser.add_argument("--points", type=int, default=None)
    parser.add_argument("--max-points", type=int, default=DEFAULT_MAX_POINTS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another nbviz checkout (e.g. main's) whose export of the same "
                             "logdir is measured in the same run, interleaved")
    args = parser.parse_args()
    points = args.points or (10_000 if args.quick else 100_000)
    work = Path(tempfile.mkdtemp(prefix="nbviz-export-bench-"))
    try:
        logdir = work / "runs"
        wrote = write_logdir(logdir, args.runs, args.tags, points)
        print(f"logdir: {args.runs} runs × {args.tags} tags × {points:,} points "
              f"({args.runs * args.tags * points:,} scalars) written in {fmt_secs(wrote)}")
        started = time.perf_counter()
        dashboard = Dashboard(logdir)
        dashboard.panels["scalars"].sync()
        built = time.perf_counter() - started
        try:
            started = time.perf_counter()
            ours = nbviz.export_html(dashboard, work / "nbviz.html", max_points=args.max_points)
            exported = time.perf_counter() - started
            plotly_secs, kept = plotly_page(dashboard, work / "plotly.html", args.max_points)
        finally:
            dashboard.close()
        theirs = work / "plotly.html"
        text = ours.read_text(encoding="utf-8")
        size, code = ours.stat().st_size, code_bytes(text)
        plotly_size = theirs.stat().st_size
        print(f"Dashboard build {fmt_secs(built)}; export_html {fmt_secs(exported)} "
              f"({kept:,} points kept, max_points={args.max_points}); Plotly pages "
              f"{fmt_secs(plotly_secs)}")
        print(f"nbviz file {fmt_bytes(size)} (code {fmt_bytes(code)}, data "
              f"{fmt_bytes(size - code)}); Plotly {fmt_bytes(plotly_size)}; "
              f"nbviz/Plotly = {size / plotly_size:.2f}")

        pages: dict[str, tuple[Path, str, str, bool]] = {
            "nbviz": (ours, NBVIZ_FIRST, NBVIZ_ALL, True)}
        if args.baseline is not None:
            base = work / "baseline.html"
            took = baseline_export(args.baseline, logdir, base, args.max_points)
            base_size = base.stat().st_size
            print(f"baseline ({args.baseline}): export {fmt_secs(took)}, file "
                  f"{fmt_bytes(base_size)}; this/baseline = {size / base_size:.2f}")
            pages["baseline"] = (base, NBVIZ_FIRST, NBVIZ_ALL, True)
        pages["Plotly"] = (theirs, PLOTLY_FIRST, PLOTLY_ALL, False)

        from playwright.sync_api import sync_playwright

        paints: dict[str, list[float]] = {name: [] for name in pages}
        screens: dict[str, list[float]] = {name: [] for name in pages}
        timelines: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        blocked: dict[str, list[str]] = {name: [] for name in pages}
        print(f"load before the page loads: {load()}")
        with sync_playwright() as pw:
            for _ in range(args.repeat):  # interleaved: the machine is noisy
                for name, (path, first, every, marks) in pages.items():
                    a, b, bl, timeline = first_paint(pw, path, first, every, args.tags, marks)
                    paints[name].append(a)
                    screens[name].append(b)
                    timelines[name].append(timeline)
                    blocked[name] += bl
        print(f"load after: {load()}")
        paint = {name: statistics.median(values) for name, values in paints.items()}
        screen = {name: statistics.median(values) for name, values in screens.items()}
        for name in pages:
            print(f"first paint (median of {args.repeat}) {name}: {fmt_secs(paint[name])}, all "
                  f"charts {fmt_secs(screen[name])}")
            if name != "nbviz":
                print(f"  nbviz/{name} = {paint['nbviz'] / paint[name]:.2f} (all charts "
                      f"{screen['nbviz'] / screen[name]:.2f})")
        phases: dict[str, dict[str, float]] = {}
        for name, runs in timelines.items():
            if not runs[0]:
                continue
            phases[name] = {key: statistics.median(t[key] for t in runs) for key in runs[0]}
            print(f"{name} page timeline (median ms since navigation): " + ", ".join(
                f"{key} {value:.0f}" for key, value in phases[name].items()))
        for name, urls in blocked.items():
            if urls:
                print(f"note: the {name} page asked the network for {urls[:3]}")
        summary("export_size", runs=args.runs, tags=args.tags, points=points,
                max_points=args.max_points, file_bytes=size, code_bytes=code,
                plotly_bytes=plotly_size, size_ratio=size / plotly_size,
                first_paint_s=paint["nbviz"], all_charts_s=screen["nbviz"],
                plotly_first_paint_s=paint["Plotly"], plotly_all_charts_s=screen["Plotly"],
                paint_ratio=paint["nbviz"] / paint["Plotly"],
                baseline_first_paint_s=paint.get("baseline"),
                baseline_all_charts_s=screen.get("baseline"),
                export_s=exported, dashboard_build_s=built,
                network_requests=len(blocked["nbviz"]),
                timeline_ms={key: round(value) if math.isfinite(value) else None
                             for key, value in phases["nbviz"].items()},
                meets_goal=size <= 20e6 and paint["nbviz"] <= 2.0 and code <= 2e6
                and not blocked["nbviz"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
