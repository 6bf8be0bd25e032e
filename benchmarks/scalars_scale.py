"""The Scalars panel at scale: this tree's panel vs the old one (a git ref, default ``main``).

Same run, same logdir, same headless Chromium, for both panels:

  * a logdir of R runs x T tags x S steps (default 500 x 50 x 40, nbviz's store);
  * kernel-side build of ``nbviz.Scalars(logdir)`` and ``nbviz.Dashboard(logdir)`` (each in a
    fresh process, the two trees interleaved; median of ``--repeat``; wall and CPU time),
    bytes of the first message (series infos as sent — packed when the panel packs them —
    + snapshot buffer), and the kernel's reply to the page's request for the charts of one
    screen (6 tags x every run): cold, and after the panel's idle read-ahead when it has one;
  * first paint in headless Chromium: state arrives (fetched) -> panel mounted -> every chart
    in the viewport drawn with all its runs (a panel without requests gets its full
    snapshot; a lazy one its summaries, then answers its requests from a stand-in kernel
    in the page, for the old ref too when it is lazy; the stand-in's data, every series'
    points, is loaded before the clock starts: a kernel reads it from its store, and the
    kernel's reply time is the "reply to a screen's request" figure);
  * 10,000 tags in one run: mount -> tag list painted, and filter keystroke -> filtered
    render (typing ``layer42/unit07`` one key at a time; median and max);
  * kernel RSS while each panel follows the logdir as a writer appends ``--round-steps``
    steps to every run, ``--rounds`` times (both panels follow the same writes).

The old panel's code is ``git archive <ref>`` of nbviz/ and js/ (its bundle built with this
tree's node_modules). Prints figures and same-run ratios; ends with a BENCH_JSON line.

Usage:  .venv/bin/python benchmarks/scalars_scale.py [--quick] [--runs R --tags T --steps S]
        [--old-ref main] [--repeat N] [--rounds K --round-steps N] [--kernel-only]
        [--paint-only [--profile]] [--work-dir DIR] [--logdir DIR]

``--kernel-only`` measures the kernel side only (builds, first message, request replies;
no browser, no follow). ``--paint-only`` times the first paint alone (while iterating on
the page).

Where the files go (writing the logdir takes the longest, so it can be kept):

* ``--work-dir DIR``: the benchmark's folder — the old tree (rebuilt every time), each
  tree's state dumps, the follow phase's copy of the logdir and, unless ``--logdir`` says
  otherwise, the logdir itself as ``DIR/logdir_<runs>x<tags>x<steps>``, kept and reused by
  the next run of the same size. Without it: a temporary folder, deleted at the end.
* ``--logdir DIR``: the logdir to measure, wherever it is (e.g. one made by another
  benchmark): used as it is when it exists — nothing checks that it holds
  ``--runs`` x ``--tags`` x ``--steps`` —, else written there first. It is never
  modified: the follow phase appends to a copy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHROMIUM, CHROMIUM_ARGS, FAKE_MODEL_JS, REPO, fmt_bytes, serve, summary

GOAL_BUILD_S = 1.0
GOAL_PAINT_MS = 2000.0
GOAL_KEY_MS = 200.0


# --------------------------------------------------------------------------- code under test


def old_tree(ref: str, into: Path) -> Path:
    """nbviz/ and js/ of git ``ref`` under ``into``, with its Scalars + Dashboard bundles built."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref, "nbviz", "js"], cwd=REPO, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "js" / "node_modules").symlink_to(REPO / "js" / "node_modules")
    subprocess.run(["npm", "run", "build"], cwd=into / "js", check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return into


def python_in(tree: Path, code: str, *args: str, timeout: float = 900) -> dict[str, Any]:
    """Run ``code`` with ``tree``'s nbviz first on the path; it prints one JSON line last."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                            text=True, timeout=timeout, cwd=tree)
    if result.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- logdir


def write_logdir(logdir: Path, runs: int, tags: int, steps: int, first_step: int = 0) -> float:
    import numpy as np

    import nbviz

    names = [f"g{t // 10}/m{t % 10}" for t in range(tags)]
    started = time.perf_counter()
    for r in range(runs):
        mode = "new" if first_step == 0 else "append"
        with nbviz.init(f"run{r:03d}", logdir=logdir, if_exists=mode,
                        config={"lr": [1e-3, 1e-2, 1e-1][r % 3], "seed": r % 5}) as run:
            phase = np.arange(first_step, first_step + steps)[:, None] / 9 + r / 7
            values = np.sin(phase + np.arange(tags)[None, :])
            for i, step in enumerate(range(first_step, first_step + steps)):
                run.log(dict(zip(names, values[i].tolist(), strict=True)), step=step)
    return time.perf_counter() - started


# --------------------------------------------------------------------------- kernel side

BUILD_CODE = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    logdir, out, what = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    import nbviz
    from nbviz.panels.scalars.widget import Scalars
    from nbviz.widgets import _ticker
    if what == "dashboard":  # every tab (HParams too: the runs have a config) / Scalars only
        from nbviz.panels import PANELS
        t, c = time.perf_counter(), time.process_time()
        d = nbviz.Dashboard(logdir)
        built, built_cpu = time.perf_counter() - t, time.process_time() - c
        d.close()
        only = [spec for spec in PANELS if spec.name == "scalars"]
        t = time.perf_counter(); d = nbviz.Dashboard(logdir, panels=only)
        alone = time.perf_counter() - t
        d.close()
        print(json.dumps({"build_s": built, "build_cpu_s": built_cpu,
                          "scalars_tab_s": alone})); sys.exit(0)
    t, c = time.perf_counter(), time.process_time()
    panel = Scalars(logdir)
    built, built_cpu = time.perf_counter() - t, time.process_time() - c
    _ticker.unregister(panel)
    wire = panel.get_state(["series"])["series"]  # what the page is sent: packed or a list
    packed = isinstance(wire, dict)
    infos = json.dumps({k: v for k, v in wire.items() if k != "columns"} if packed else wire)
    columns = bytes(wire["columns"]) if packed else b""
    snapshot = bytes(panel.snapshot)
    result = {"build_s": built, "build_cpu_s": built_cpu,
              "infos_bytes": len(infos) + len(columns),
              "snapshot_bytes": len(snapshot),
              "series": len(panel.series), "rss_mb": resource.getrusage(
                  resource.RUSAGE_SELF).ru_maxrss / 1024}
    dump = what == "dump"
    if dump:
        (out / "state.json").write_text(infos)
        if packed:
            (out / "infos.bin").write_bytes(columns)
        (out / "infos_list.json").write_text(json.dumps(panel.series))  # the stand-in kernel's
        (out / "snapshot.bin").write_bytes(snapshot)
        (out / "seq.json").write_text(json.dumps(panel.snapshot_seq))
    if hasattr(panel, "request"):  # the kernel's answers to any request, for the page
        import numpy as np
        index = panel._index
        # the reply to one request for the charts of one screen (6 tags x every run),
        # reading their history from the store when the panel started from summaries
        first_tags = sorted({s.tag for s in index.by_id})[:6]
        ids = [s.id for s in index.by_id if s.tag in first_tags]
        sent = []
        panel.send = lambda content, buffers=None: sent.append(len(buffers[0]))
        t = time.perf_counter()
        panel.request(ids, 400)
        panel._send_append()
        result["reply_s"] = time.perf_counter() - t
        result["reply_bytes"] = sum(sent)
        if hasattr(panel, "prefetch"):  # the same request after the first idle tick
            fresh = Scalars(logdir)  # read the first screen ahead (what it costs, off
            _ticker.unregister(fresh)  # the page's path), then the page asks
            t = time.perf_counter()
            fresh.prefetch()
            result["prefetch_s"] = time.perf_counter() - t
            fresh.send = lambda content, buffers=None: None
            t = time.perf_counter()
            fresh.request(ids, 400)
            fresh._send_append()
            result["warm_reply_s"] = time.perf_counter() - t
            fresh.close()
        if hasattr(panel, "_prefetch_slice"):  # the idle ticks' read-ahead, slice by slice
            sliced = Scalars(logdir)
            _ticker.unregister(sliced)
            took = []
            while sliced._prefetch_due or sliced._prefetch_left:
                t = time.perf_counter()
                sliced._prefetch_slice()
                took.append(time.perf_counter() - t)
            result["slices"] = len(took)
            result["slice_max_s"] = max(took)
            result["slices_s"] = sum(took)
            sliced.close()
        if not dump:
            print(json.dumps(result)); sys.exit(0)
        if hasattr(index, "load_history"):  # every series' points, one read per run
            index.load_history(list(index.by_id))
        offsets, parts, at = [], [], 0
        for s in index.by_id:
            packed = s.columns.pack()
            offsets.append([at, s.columns.count]); parts.append(packed); at += len(packed)
        (out / "answers.bin").write_bytes(b"".join(parts))
        (out / "answers.json").write_text(json.dumps(offsets))
    print(json.dumps(result))
""")


def bench_kernel(trees: dict[str, Path], logdir: Path, repeats: int,
                 dumps: dict[str, Path], *, dump: bool = True) -> dict[str, dict[str, Any]]:
    """Every figure for each tree, the trees interleaved repeat by repeat (same load for
    both); medians of ``repeats`` (the first repeat also writes the page's files, unless
    ``dump`` is False)."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"scalars": [], "dashboard": []} for name in trees}
    for i in range(repeats):
        for name, tree in trees.items():
            mode = "dump" if dump and i == 0 else "time"
            runs[name]["scalars"].append(python_in(tree, BUILD_CODE, str(logdir),
                                                   str(dumps[name]), mode))
            runs[name]["dashboard"].append(python_in(tree, BUILD_CODE, str(logdir),
                                                     str(dumps[name]), "dashboard"))
        print(f"  kernel repeat {i + 1}/{repeats} done ({os.getloadavg()[0]:.1f} load)",
              flush=True)
    out: dict[str, dict[str, Any]] = {}
    for name in trees:
        scalars, dashboards = runs[name]["scalars"], runs[name]["dashboard"]
        out[name] = dict(scalars[0])
        for key in ("build_s", "build_cpu_s", "reply_s", "prefetch_s", "warm_reply_s",
                    "slice_max_s", "slices_s"):
            if key in scalars[0]:
                out[name][key] = statistics.median(r[key] for r in scalars)
        out[name]["dashboard_build_s"] = statistics.median(r["build_s"] for r in dashboards)
        out[name]["dashboard_build_cpu_s"] = statistics.median(
            r["build_cpu_s"] for r in dashboards)
        out[name]["dashboard_scalars_s"] = statistics.median(
            r["scalars_tab_s"] for r in dashboards)
    return out


FOLLOW_CODE = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from nbviz.panels.scalars.widget import Scalars
    from nbviz.widgets import _ticker
    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    panel = Scalars(Path(sys.argv[1]))
    _ticker.unregister(panel)
    panel._source.rescan_interval = 0.0
    print(json.dumps({"rss_mb": rss_mb()}), flush=True)
    for line in sys.stdin:
        time.sleep(0.6)  # the store-poll interval of runs written by another process
        panel.sync()
        held = sum(s.columns.count for s in (panel._index.by_id if hasattr(panel, "_index")
                                              else panel._series.values()))
        print(json.dumps({"rss_mb": rss_mb(), "held_points": held}), flush=True)
""")


def bench_follow(trees: dict[str, Path], logdir: Path, runs: int, tags: int, first: int,
                 rounds: int, steps: int) -> dict[str, list[dict[str, float]]]:
    procs = {name: subprocess.Popen([sys.executable, "-c", FOLLOW_CODE, str(logdir)],
                                    env={**os.environ, "PYTHONPATH": str(tree)},
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                    cwd=tree)
             for name, tree in trees.items()}
    series: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    try:
        for name, proc in procs.items():
            assert proc.stdout is not None
            series[name].append({"steps": first, **json.loads(proc.stdout.readline())})
        for k in range(rounds):
            start = first + k * steps
            write_logdir(logdir, runs, tags, steps, first_step=start)
            for proc in procs.values():
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for name, proc in procs.items():
                assert proc.stdout is not None
                series[name].append({"steps": start + steps,
                                     **json.loads(proc.stdout.readline())})
            print("  follow: " + "  ".join(
                f"{name} {series[name][-1]['rss_mb']:.0f} MB ({series[name][-1]['held_points']:,}"
                " points held)" for name in trees) + f" after {start + steps} steps", flush=True)
    finally:
        for proc in procs.values():
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=60)
    return series


# --------------------------------------------------------------------------- browser

PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<div id="host" style="width: 1200px"></div>
<script type="module">
import newPanel from "./new/scalars.js";
import oldPanel from "./old/scalars.js";
""" + FAKE_MODEL_JS + """
const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
// main-thread tasks over 50 ms (Long Tasks API): the longest one of a paint is reported
window.longTasks = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) window.longTasks.push([e.startTime, e.duration]);
}).observe({type: "longtask", buffered: false});
// The kernel's side of the request protocol, answered from precomputed series.
class KernelModel extends FakeModel {
  constructor(state, answers, offsets, infos) {
    super(state); this.answers = answers; this.offsets = offsets; this.infos = infos;
    this.seq = state.snapshot_seq; this.requests = 0;
  }
  send(msg) {
    if (!msg || msg.type !== "request" || !this.answers) return;
    this.requests++;
    const infos = [], parts = [];
    for (const id of msg.ids) {
      const [at, count] = this.offsets[id];
      infos.push({...this.infos[id], count});
      parts.push(new Uint8Array(this.answers, at, count * 24));
    }
    let n = 0;
    for (const p of parts) n += p.length;
    const buf = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { buf.set(p, o); o += p.length; }
    const seq = ++this.seq;
    setTimeout(() => this.emit("msg:custom", {type: "append", seq, series: infos},
                               [new DataView(buf.buffer)]), 0);
  }
}
async function mount(which, state, answers, offsets, infos) {
  const host = document.getElementById("host");
  host.replaceChildren();
  const el = document.createElement("div"); host.appendChild(el);
  const model = new KernelModel(state, answers, offsets, infos);
  const mod = which === "new" ? newPanel : oldPanel;
  if (mod.initialize) mod.initialize({model});
  mod.render({model, el});
  return {model, root: el.querySelector(".nbviz-scalars")};
}
function inView(root) {
  const h = window.innerHeight;
  return [...root.querySelectorAll(".nbviz-chart")].filter((c) => {
    if (!c.isConnected || c.hidden || c.closest("[hidden]")) return false;
    const r = c.getBoundingClientRect(); return r.height > 0 && r.bottom > 0 && r.top < h;
  });
}
window.bench = {
  async paint(which, dir, full) {
    // the stand-in kernel's data (every series' points, what a kernel reads from its
    // store when asked) is loaded before the clock starts: it is not sent to the page
    const k0 = performance.now();
    let answers = null, offsets = null, list = null;  // a panel that asks gets answers
    const asked = await fetch(`${dir}/answers.json`);
    if (asked.ok) {
      [answers, offsets, list] = await Promise.all([
        fetch(`${dir}/answers.bin`).then((r) => r.arrayBuffer()), asked.json(),
        fetch(`${dir}/infos_list.json`).then((r) => r.json())]);
    }
    const kernelLoadMs = performance.now() - k0;
    await frame();
    const t0 = performance.now();  // the panel's state is sent: fetched, decoded, drawn
    const [infos, snap, seq] = await Promise.all([
      fetch(`${dir}/state.json`).then((r) => r.json()),
      fetch(`${dir}/snapshot.bin`).then((r) => r.arrayBuffer()),
      fetch(`${dir}/seq.json`).then((r) => r.json())]);
    if (infos && infos.packed === 1) {  // packed series infos: their columns buffer
      infos.columns = new DataView(await fetch(`${dir}/infos.bin`).then((r) => r.arrayBuffer()));
    }
    const tFetched = performance.now();
    const state = {series: infos, snapshot: new DataView(snap), snapshot_seq: seq, smoothing: 0.6,
                   x_axis: "step", log_y: false, tag_filter: "", hidden_runs: [],
                   max_points: 100000, title: ""};
    const {model, root} = await mount(which, state, answers, offsets, list);
    for (;;) {
      await frame();
      const charts = inView(root);
      const drawn = (c) => +c.dataset.points >= full && c.querySelector("canvas");
      if (charts.length > 0 && charts.every(drawn)) break;
      if (performance.now() - t0 > 120000) throw new Error("no paint in 120 s");
    }
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 60));  // the last task's entry is delivered
    let longest = 0;
    for (const [s, d] of window.longTasks) if (s >= t0 - 1 && s < t1 && d > longest) longest = d;
    return {paint_ms: t1 - t0, fetch_ms: tFetched - t0, charts_in_view: inView(root).length,
            requests: model.requests, longest_task_ms: longest, kernel_load_ms: kernelLoadMs};
  },
  async tags(which, state, text) {
    const t0 = performance.now();
    const {model, root} = await mount(which, state, null, null, null);
    for (;;) {
      await frame();
      if (root.querySelectorAll(".nbviz-group").length > 0 && inView(root).some(
          (c) => c.querySelector("canvas"))) break;
      if (performance.now() - t0 > 120000) throw new Error("no tag list in 120 s");
    }
    const listed = performance.now() - t0;
    const input = root.querySelector("input.nbviz-tag-filter");
    const keys = [];
    for (let i = 1; i <= text.length; i++) {
      const typed = text.slice(0, i);
      const ms = await new Promise((done) => {
        const k0 = performance.now();
        const on = () => {
          if (root.dataset.filter !== typed && model.get("tag_filter") !== typed) return;
          root.removeEventListener("nbviz:render", on);
          done(performance.now() - k0);
        };
        root.addEventListener("nbviz:render", on);
        input.value = typed;
        input.dispatchEvent(new Event("input", {bubbles: true}));
      });
      keys.push(ms);
      await new Promise((r) => setTimeout(r, 30));
    }
    return {listed_ms: listed, keys};
  },
};
window.benchReady = true;
</script></body></html>
"""


def tags_state(count: int) -> tuple[dict[str, Any], bytes]:
    import numpy as np

    tags = [f"layer{i // 100:02d}/unit{i % 100:02d}" for i in range(count)]
    infos = [{"id": i, "run": "wide", "tag": tag, "color": 0, "count": 2, "decimated": False,
              "total": 2} for i, tag in enumerate(tags)]
    steps = np.array([0.0, 1.0])
    block = np.stack([np.stack([steps, 1.7e9 + steps, i + steps]) for i in range(count)])
    return {"series": infos, "snapshot_seq": 1}, block.astype("<f8").tobytes()


@contextlib.contextmanager
def bench_page(trees: dict[str, Path], dumps: dict[str, Path]) -> Iterator[tuple[str, Any]]:
    """The benchmark page served with each tree's Scalars bundle and dump (``<url>/<name>/``),
    and a headless Chromium: yields (url, browser)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for name, tree in trees.items():
            (directory / name).mkdir()
            shutil.copy(tree / "nbviz" / "static" / "scalars.js", directory / name / "scalars.js")
            for f in dumps[name].iterdir():
                shutil.copy(f, directory / name / f.name)
        (directory / "index.html").write_text(PAGE)
        with serve(directory) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            try:
                yield url, browser
            finally:
                browser.close()


def bench_browser(trees: dict[str, Path], dumps: dict[str, Path], full: int, repeats: int,
                  tag_count: int) -> dict[str, Any]:
    out: dict[str, Any] = {name: {"paint": [], "tags": []} for name in trees}
    state, snap = tags_state(tag_count)
    with bench_page(trees, dumps) as (url, browser):
        for repeat in range(repeats):
            for name in trees:  # alternate: same conditions for both
                page = browser.new_page(viewport={"width": 1240, "height": 900})
                page.goto(f"{url}/index.html")
                page.wait_for_function("() => window.benchReady === true")
                out[name]["paint"].append(page.evaluate(
                    "([w, d, f]) => window.bench.paint(w, d, f)", [name, name, full]))
                if repeat == 0:
                    page.screenshot(path=str(REPO / "screenshots" /
                                             f"scalars_scale_{name}.png"))
                page.close()
                page = browser.new_page(viewport={"width": 1240, "height": 900})
                page.goto(f"{url}/index.html")
                page.wait_for_function("() => window.benchReady === true")
                page.evaluate("""([s, b]) => { window.tagState = {...s,
                    snapshot: new DataView(Uint8Array.from(atob(b), (c) =>
                    c.charCodeAt(0)).buffer), smoothing: 0.6, x_axis: "step",
                    log_y: false, tag_filter: "", hidden_runs: [], max_points: 100000,
                    title: ""}; }""", [state, _b64(snap)])
                out[name]["tags"].append(page.evaluate(
                    "([w, t]) => window.bench.tags(w, window.tagState, t)",
                    [name, "layer42/unit07"]))
                page.close()
    return out


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- paint only


def _cpu_profile_top(profile: dict[str, Any], top: int) -> list[tuple[float, str]]:
    """Self time (ms) per function of a CDP ``Profiler.stop`` profile, largest first."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    self_us: dict[int, float] = {}
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        self_us[node_id] = self_us.get(node_id, 0.0) + delta
    by_name: dict[str, float] = {}
    for node_id, us in self_us.items():
        frame = nodes[node_id]["callFrame"]
        where = f"{Path(frame['url']).name}:{frame['lineNumber'] + 1}" if frame["url"] else ""
        key = f"{frame['functionName'] or '(anonymous)'} {where}".strip()
        by_name[key] = by_name.get(key, 0.0) + us / 1e3
    return sorted(((ms, name) for name, ms in by_name.items()), reverse=True)[:top]


def bench_paint(trees: dict[str, Path], dumps: dict[str, Path], full: int, repeats: int,
                profile: bool) -> dict[str, list[dict[str, Any]]]:
    """First paint only (``--paint-only``): the trees alternate repeat by repeat, each in a
    fresh page; with ``profile``, one more paint per tree under the CDP sampling profiler,
    whose top self-time functions are printed."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    with bench_page(trees, dumps) as (url, browser):
        for repeat in range(repeats + (1 if profile else 0)):
            profiled = repeat == repeats
            for name in trees:
                page = browser.new_page(viewport={"width": 1240, "height": 900})
                page.goto(f"{url}/index.html")
                page.wait_for_function("() => window.benchReady === true")
                cdp = page.context.new_cdp_session(page) if profiled else None
                if cdp is not None:
                    cdp.send("Profiler.enable")
                    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                    cdp.send("Profiler.start")
                run = page.evaluate("([w, d, f]) => window.bench.paint(w, d, f)",
                                    [name, name, full])
                if cdp is not None:
                    top = _cpu_profile_top(cdp.send("Profiler.stop")["profile"], 25)
                    print(f"  profile of one paint, {name} (self ms, sampled):")
                    for ms, fn in top:
                        print(f"    {ms:8.1f}  {fn}")
                else:
                    out[name].append(run)
                    print(f"  paint {name}: {run['paint_ms']:.0f} ms (state fetched in "
                          f"{run['fetch_ms']:.0f} ms; longest task "
                          f"{run['longest_task_ms']:.0f} ms; {run['charts_in_view']} "
                          f"charts in view, {run['requests']} requests; the stand-in "
                          f"kernel's data loaded beforehand in "
                          f"{run['kernel_load_ms']:.0f} ms)", flush=True)
                if repeat == 0:
                    page.screenshot(path=str(REPO / "screenshots" /
                                             f"scalars_paint_{name}.png"))
                page.close()
    return out


def paint_only(args: argparse.Namespace, trees: dict[str, Path], logdir: Path,
               root: Path) -> None:
    """``--paint-only``: dump each tree's state of the logdir once, then time first paints."""
    dumps: dict[str, Path] = {}
    for name, tree in trees.items():
        dumps[name] = root / f"dump_{name}"
        shutil.rmtree(dumps[name], ignore_errors=True)
        dumps[name].mkdir()
        python_in(tree, BUILD_CODE, str(logdir), str(dumps[name]), "dump")
    runs = bench_paint(trees, dumps, args.steps * args.runs, args.repeat, args.profile)
    old = statistics.median(r["paint_ms"] for r in runs["old"])
    new = statistics.median(r["paint_ms"] for r in runs["new"])
    longest = {name: max(r["longest_task_ms"] for r in runs[name]) for name in runs}
    print(f"\nfirst paint in Chromium, median of {args.repeat}: old ({args.old_ref}) {old:.0f} ms, "
          f"new {new:.0f} ms, old/new {old / new:.2f}×  (goal ≤ {GOAL_PAINT_MS:.0f} ms)")
    print(f"longest main-thread task during a paint: old {longest['old']:.0f} ms, "
          f"new {longest['new']:.0f} ms")
    print(f"load average at the end: {os.getloadavg()}")
    summary("scalars_scale_paint", runs=args.runs, tags=args.tags, steps=args.steps,
            old_ref=args.old_ref, old_paint_ms=old, new_paint_ms=new,
            old_longest_task_ms=longest["old"], new_longest_task_ms=longest["new"],
            meets_goal=bool(new <= GOAL_PAINT_MS))


# --------------------------------------------------------------------------- main


def workspace(args: argparse.Namespace, tmp: Path) -> tuple[Path, Path]:
    """(the benchmark's folder, the logdir) as ``--work-dir`` and ``--logdir`` say (see the
    module docstring); the logdir written first when it does not exist, the old tree's
    folder emptied (it is rebuilt from ``--old-ref``)."""
    root = args.work_dir or tmp
    root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(root / "old_tree", ignore_errors=True)
    logdir = args.logdir or root / f"logdir_{args.runs}x{args.tags}x{args.steps}"
    if logdir.exists():
        print(f"  reusing the logdir {logdir} (as it is: written for "
              f"{args.runs} x {args.tags} x {args.steps}?)", flush=True)
    else:
        wrote = write_logdir(logdir, args.runs, args.tags, args.steps)
        print(f"  wrote the logdir {logdir} in {wrote:.1f} s", flush=True)
    return root, logdir

KERNEL_KEYS = ("build_s", "dashboard_build_s", "build_cpu_s", "dashboard_build_cpu_s",
               "dashboard_scalars_s")


def kernel_table(kernel: dict[str, dict[str, Any]], old_ref: str) -> None:
    """The kernel-side builds, old vs new, with same-run ratios (``--kernel-only``)."""
    print(f"\n{'':34}{'old (' + old_ref + ')':>16}{'new':>12}{'old/new':>10}")
    labels = ("Scalars kernel build (s)", "Dashboard kernel build (s)",
              "  Scalars build, CPU time (s)", "  Dashboard build, CPU time (s)",
              "  with the Scalars tab only (s)")
    for label, key in zip(labels, KERNEL_KEYS, strict=True):
        a, b = kernel["old"][key], kernel["new"][key]
        print(f"{label:34}{a:>16.2f}{b:>12.2f}{a / b if b else math.inf:>9.2f}×")
    print(f"goal: each build <= {GOAL_BUILD_S:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 runs x 50 tags x 20 steps")
    parser.add_argument("--runs", type=int, default=500, help="runs in the logdir")
    parser.add_argument("--tags", type=int, default=50, help="tags of every run")
    parser.add_argument("--steps", type=int, default=40,
                        help="steps of every run (each step logs every tag)")
    parser.add_argument("--tag-count", type=int, default=10_000, help="tags of the filter test")
    parser.add_argument("--old-ref", default="main",
                        help="git ref of the old panel to compare with (default: main)")
    parser.add_argument("--repeat", type=int, default=3, help="median of this many builds/paints")
    parser.add_argument("--rounds", type=int, default=4,
                        help="follow phase: times a writer appends --round-steps steps to "
                             "every run while both panels follow")
    parser.add_argument("--round-steps", type=int, default=100,
                        help="steps appended per follow round")
    parser.add_argument("--paint-only", action="store_true",
                        help="only the first paint in Chromium (and its longest task)")
    parser.add_argument("--profile", action="store_true",
                        help="with --paint-only: one more paint per tree under the CDP profiler")
    parser.add_argument("--kernel-only", action="store_true",
                        help="kernel-side figures only: no browser, no follow")
    parser.add_argument(
        "--work-dir", type=Path, default=None, metavar="DIR",
        help="folder for the benchmark's files: the old tree, the state dumps and (unless "
             "--logdir is given) the logdir, kept as DIR/logdir_<runs>x<tags>x<steps> and "
             "reused by the next run of the same size (default: a temporary folder, deleted "
             "at the end)")
    parser.add_argument(
        "--logdir", type=Path, default=None, metavar="DIR",
        help="the logdir to measure: used as it is when it exists (it should hold --runs x "
             "--tags x --steps; nothing checks), else written there first; never modified "
             "(the follow phase appends to a copy). Default: inside --work-dir")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.steps, args.repeat, args.rounds, args.round_steps = 100, 20, 1, 2, 40
    (REPO / "screenshots").mkdir(exist_ok=True)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    print(f"logdir: {args.runs} runs x {args.tags} tags x {args.steps} steps "
          f"({args.runs * args.tags * args.steps:,} values); old panel: git {args.old_ref}",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root, logdir = workspace(args, Path(tmp))
        trees = {"old": old_tree(args.old_ref, root / "old_tree"), "new": REPO}
        if args.paint_only:
            paint_only(args, trees, logdir, root)
            return
        dumps: dict[str, Path] = {}
        for name in trees:
            dumps[name] = root / f"dump_{name}"
            shutil.rmtree(dumps[name], ignore_errors=True)
            dumps[name].mkdir()
        kernel = bench_kernel(trees, logdir, args.repeat, dumps, dump=not args.kernel_only)
        for name in trees:
            k = kernel[name]
            print(f"  kernel {name}: Scalars built in {k['build_s']:.2f} s, Dashboard in "
                  f"{k['dashboard_build_s']:.2f} s (Scalars tab only "
                  f"{k['dashboard_scalars_s']:.2f} s); first message {fmt_bytes(k['infos_bytes'])} "
                  f"JSON + {fmt_bytes(k['snapshot_bytes'])} binary; peak RSS {k['rss_mb']:.0f} MB"
                  + (f"; reply to one screen's request {k['reply_s'] * 1e3:.1f} ms, "
                     f"{fmt_bytes(k['reply_bytes'])}" if "reply_s" in k else "")
                  + (f" (read ahead in the first idle tick: {k['prefetch_s'] * 1e3:.0f} ms, "
                     f"then the reply {k['warm_reply_s'] * 1e3:.1f} ms)"
                     if "warm_reply_s" in k else "")
                  + (f"; idle read-ahead in {k['slices']} ticks, longest "
                     f"{k['slice_max_s'] * 1e3:.0f} ms, {k['slices_s'] * 1e3:.0f} ms in all"
                     if "slices" in k else ""),
                  flush=True)
        if args.kernel_only:
            kernel_table(kernel, args.old_ref)
            print(f"load average at the end: {os.getloadavg()}")
            summary("scalars_scale", runs=args.runs, tags=args.tags, steps=args.steps,
                    old_ref=args.old_ref, kernel_only=True,
                    old={k: kernel["old"][k] for k in KERNEL_KEYS},
                    new={k: kernel["new"][k] for k in KERNEL_KEYS},
                    meets_goal=bool(kernel["new"]["build_s"] <= GOAL_BUILD_S and
                                    kernel["new"]["dashboard_build_s"] <= GOAL_BUILD_S))
            return
        browser = bench_browser(trees, dumps, args.steps * args.runs, args.repeat, args.tag_count)
        followed = root / "follow_logdir"  # the follow phase appends: never to the logdir
        shutil.rmtree(followed, ignore_errors=True)
        shutil.copytree(logdir, followed)
        follow = bench_follow(trees, followed, args.runs, args.tags, args.steps, args.rounds,
                              args.round_steps)
    figures: dict[str, Any] = {}
    for name in trees:
        paints = browser[name]["paint"]
        keys = [k for run in browser[name]["tags"] for k in run["keys"]]
        figures[name] = {
            "build_s": kernel[name]["build_s"],
            "dashboard_build_s": kernel[name]["dashboard_build_s"],
            "build_cpu_s": kernel[name]["build_cpu_s"],
            "dashboard_build_cpu_s": kernel[name]["dashboard_build_cpu_s"],
            "dashboard_scalars_s": kernel[name]["dashboard_scalars_s"],
            "first_message_bytes": kernel[name]["infos_bytes"] + kernel[name]["snapshot_bytes"],
            "reply_ms": 1e3 * kernel[name].get("reply_s", math.nan),
            "warm_reply_ms": 1e3 * kernel[name].get("warm_reply_s",
                                                    kernel[name].get("reply_s", math.nan)),
            "paint_ms": statistics.median(p["paint_ms"] for p in paints),
            "requests": paints[0]["requests"],
            "tags_listed_ms": statistics.median(r["listed_ms"] for r in browser[name]["tags"]),
            "key_ms_median": statistics.median(keys), "key_ms_max": max(keys),
            "rss_mb": [round(p["rss_mb"], 1) for p in follow[name]],
            "held_points": [p.get("held_points", 0) for p in follow[name]],
        }
    old, new = figures["old"], figures["new"]
    print(f"\n{'':34}{'old (' + args.old_ref + ')':>16}{'new':>12}{'old/new':>10}")
    rows = [("Scalars kernel build (s)", "build_s", "{:.2f}"),
            ("Dashboard kernel build (s)", "dashboard_build_s", "{:.2f}"),
            ("  Scalars build, CPU time (s)", "build_cpu_s", "{:.2f}"),
            ("  Dashboard build, CPU time (s)", "dashboard_build_cpu_s", "{:.2f}"),
            ("  with the Scalars tab only (s)", "dashboard_scalars_s", "{:.2f}"),
            ("first message (MB)", "first_message_bytes", "{:.1f}"),
            ("reply to a screen's request (ms)", "reply_ms", "{:.0f}"),
            ("  same, after the idle read-ahead (ms)", "warm_reply_ms", "{:.0f}"),
            ("first paint in Chromium (ms)", "paint_ms", "{:.0f}"),
            (f"{args.tag_count:,} tags listed (ms)", "tags_listed_ms", "{:.0f}"),
            ("filter keystroke, median (ms)", "key_ms_median", "{:.1f}"),
            ("filter keystroke, max (ms)", "key_ms_max", "{:.1f}")]
    for label, key, fmt in rows:
        a, b = old[key], new[key]
        if key == "first_message_bytes":
            a, b = a / 2**20, b / 2**20
        ratio = a / b if b else math.inf
        print(f"{label:34}{fmt.format(a):>16}{fmt.format(b):>12}{ratio:>9.1f}×")
    print(f"kernel RSS following {args.runs} runs (MB) at steps "
          f"{[args.steps + k * args.round_steps for k in range(args.rounds + 1)]}:")
    print(f"  old: {old['rss_mb']}  points held {old['held_points']}")
    print(f"  new: {new['rss_mb']}  points held {new['held_points']}")
    growth = {name: figures[name]["rss_mb"][-1] - figures[name]["rss_mb"][1] for name in figures}
    print(f"  growth after the first round: old {growth['old']:+.0f} MB, "
          f"new {growth['new']:+.0f} MB")
    print(f"load average at the end: {os.getloadavg()}")
    summary(
        "scalars_scale", runs=args.runs, tags=args.tags, steps=args.steps, old_ref=args.old_ref,
        old=old, new=new,
        meets_goal=bool(new["build_s"] <= GOAL_BUILD_S and new["paint_ms"] <= GOAL_PAINT_MS
                        and new["key_ms_max"] <= GOAL_KEY_MS),
    )


if __name__ == "__main__":
    main()
