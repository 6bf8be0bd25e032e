"""Graph panel at scale: capture time, first paint collapsed, expand of a ~2,000-node group,
longest main-thread task — against TensorBoard's approach (dagre laying out the whole
flattened graph on the main thread) in the same run, same page, same graphs.

Models (built from torch.nn, tests/python/graph_models.py: torchvision's wheel does not
load beside the venv's CPU torch): ResNet-50, a 24-layer GPT-2-style decoder, "wide",
one Sequential of 1,000 × (Linear, ReLU) = 2,000 nodes in one group, and when
``transformers`` is installed a 24-layer transformers GPT-2 built from a config.

Cold: for each model, the first paint of a session on a fresh browser context, with
graph.js imported in the measured window (p50 and max over the repeats), plus a CDP trace
of the renderer's main thread: its longest task in wall time and in thread CPU time (what
a loaded machine does not inflate); --baseline-js runs another build (e.g. main's) the same way,
interleaved; it also prints which engine drew the first paint (the layered path while the
ELK worker starts) and when the worker was warm. The warm page after it warms the ELK
worker first and keeps it for all its views (as a notebook page does after its first
graph), so its first paints and expands are the warm ones. Repeated blocks: after the expand,
open --blocks of the repeated blocks one click at a time, the layout's reuse of an
identical block's inside off and on, interleaved in the same run.

Capture: nbviz's order (torch.fx first) against the export-first order, same model,
same run. Page: expand time and the longest main-thread task (Long Tasks API) as
median and max over the repeats, with the layout / render split.

The page is a static harness (no Jupyter): nbviz/static/graph.js rendered with a small
fake anywidget model; Debian's Chromium, launched as RECIPES.md says.

Run: PYTHONPATH=$PWD .venv/bin/python benchmarks/graph_scale.py [--repeat 3] [--models gpt24,...]
     [--baseline-js path/to/other/graph.js]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))

from _common import CHROMIUM, CHROMIUM_ARGS, REPO, serve, summary

# models with repeated blocks: the groups down to them, then blocks opened one by one
REPEATED = {"gpt24": ["h"], "tv_vit_b_16": ["encoder", "encoder.layers"]}
EXPORT_FIRST = ("torch.export", "torch.fx", "torch.jit", "hooks")  # the order before fx-first

HARNESS = """<!doctype html><html><head><meta charset="utf-8">
<script src="dagre.js"></script></head><body style="margin:0">
<script type="module">
// ?cold: graph.js is first imported inside measure(), so its load, compile and first paint
// are measured together, on a fresh browser context (the cold first paint of a session)
const params = new URLSearchParams(location.search);
const cold = params.has("cold");
let widget = null, Layouter = null;
async function load() {
  const mod = await import(`./${params.get("js") || "graph.js"}`);
  widget = mod.default;
  Layouter = mod.Layouter;
}
if (!cold) await load();
class Model {
  constructor(s) { this.s = s; this.h = {}; }
  get(k) { return this.s[k]; }
  set(k, v) { this.s[k] = v; for (const f of this.h["change:" + k] || []) f(); }
  on(e, f) { (this.h[e] ||= []).push(f); }
  off(e, f) { this.h[e] = (this.h[e] || []).filter((g) => g !== f); }
  save_changes() {}
  send() {}
}
window.__longtasks = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: false });
const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
async function until(test) {
  for (let i = 0; i < 20000 && !test(); i++) await frame();
  return performance.now();
}
async function longest(t) {
  await new Promise((r) => setTimeout(r, 60));
  let m = 0;
  for (const [s, d] of window.__longtasks) if (s >= t - 1 && d > m) m = d;
  return m;
}
async function click(host, selector, seq) {
  const root = host.querySelector(".nbviz-graph");
  const target = host.querySelector(selector);
  window.__longtasks.length = 0;
  const t = performance.now();
  target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  await until(() => +root.dataset.layoutSeq >= seq);
  const ms = (await frame()) - t;
  return { ms, longest: await longest(t), reused: +root.dataset.reused, items: +root.dataset.items,
           layoutMs: +root.dataset.layoutMs };
}
// expand the groups `expandKeys` in turn, then open `blocks` of the repeated blocks (boxes
// with a ×N badge) one click at a time, repeated-block reuse on or off; a new view, the
// ELK worker warm
window.openBlocks = async (name, expandKeys, blocks, reuse) => {
  const view = await (await fetch(`./${name}.json`)).json();
  const host = document.createElement("div");
  host.style.width = "1100px";
  document.body.appendChild(host);
  Layouter.reuseRepeats = reuse;
  const model = new Model({ view, view_seq: 1, statistics: ["grad_norm"],
    statistic: "grad_norm", overlay_keys: [], overlay: null, overlay_seq: 0, overlay_step: -1,
    findings: [], run_name: "", title: "" });
  const cleanup = widget.render({ model, el: host });
  const root = () => host.querySelector(".nbviz-graph");
  await until(() => root() && root().dataset.state === "ready" && +root().dataset.layoutSeq >= 1);
  let expand = null;  // the groups down to the blocks, one click each: the last one's
  for (const [i, key] of expandKeys.entries()) {
    expand = await click(host, `g.nbviz-graph-item[data-key="${key}"] rect`, 2 + i);
  }
  const clicks = [];
  for (let i = 0; i < blocks; i++) {
    const badge = host.querySelector("g.nbviz-graph-group .nbviz-graph-badge");
    if (!badge) break;
    const key = badge.parentNode.dataset.key;
    const selector = `g.nbviz-graph-item[data-key="${key}"] rect`;
    clicks.push({ key, ...(await click(host, selector, 2 + expandKeys.length + i)) });
  }
  cleanup && cleanup();
  host.remove();
  Layouter.reuseRepeats = true;
  return { expand, clicks };
};
// when the page's ELK worker is warm (ms after t0; null: a build without Layouter.warm),
// polled every frame from t0 so the moment is not hidden behind the expand
async function elkWarmAt(t0) {
  await until(() => Layouter);
  if (!Layouter || !("warm" in Layouter)) return null;
  const t = await until(() => Layouter.warm);
  return Layouter.warm ? t - t0 : null;
}
// the warm page: start the page's ELK worker and wait until it is warm, as a notebook page
// is after its first graph
window.warmElk = async () => {
  const layouter = new Layouter();
  await elkWarmAt(performance.now());
  layouter.dispose();
  return Layouter.warm;
};
window.measure = async (name, expandKey) => {
  const view = await (await fetch(`./${name}.json`)).json();
  const host = document.createElement("div");
  host.style.width = "1100px";
  document.body.appendChild(host);
  await frame();
  const model = new Model({ view, view_seq: 1, statistics: ["grad_norm"],
    statistic: "grad_norm", overlay_keys: [], overlay: null, overlay_seq: 0, overlay_step: -1,
    findings: [], run_name: "", title: "" });
  window.__longtasks.length = 0;
  const t0 = performance.now();
  const warmAt = elkWarmAt(t0);
  if (!widget) await load();
  const cleanup = widget.render({ model, el: host });
  const root = () => host.querySelector(".nbviz-graph");
  await until(() => root() && root().dataset.state === "ready" && +root().dataset.layoutSeq >= 1);
  const painted = (await frame()) - t0;
  const firstLongest = await longest(t0);
  const items = +root().dataset.items;
  const firstEngine = root().dataset.engine;
  let expand = null, expandLongest = null, expandedItems = null, layoutMs = null, renderMs = null;
  let engine = null, elements = null;
  if (expandKey) {
    console.timeStamp("nbviz-expand");  // splits the CDP trace of a cold run
    const g = host.querySelector(`g.nbviz-graph-item[data-key="${expandKey}"] rect`);
    window.__longtasks.length = 0;
    const t1 = performance.now();
    g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await until(() => +root().dataset.layoutSeq >= 2);
    expand = (await frame()) - t1;
    expandLongest = await longest(t1);
    expandedItems = +root().dataset.items;
    layoutMs = +root().dataset.layoutMs;
    renderMs = +root().dataset.renderMs;
    engine = root().dataset.engine;
    elements = host.querySelectorAll("g.nbviz-graph-item").length;
  }
  cleanup && cleanup();
  host.remove();
  if (cold) {
    const elkWarm = await warmAt;
    return { painted, firstLongest, items, firstEngine, elkWarm, expand, expandLongest,
             expandedItems, layoutMs, renderMs, engine, elements, nodes: view.nodes.length,
             edges: view.edges.length };
  }
  // TensorBoard's approach: dagre lays out every node of the flattened graph, main thread
  const d = new dagre.graphlib.Graph();
  d.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 28 });
  d.setDefaultEdgeLabel(() => ({}));
  view.nodes.forEach((n, i) => d.setNode(String(i),
    { width: Math.min(260, 18 + n.label.length * 6.6), height: 30 }));
  for (const [s, t] of view.edges) d.setEdge(String(s), String(t));
  const t2 = performance.now();
  let dagreError = null;
  try {
    dagre.layout(d);
  } catch (e) {
    dagreError = String(e);  // e.g. its recursive DFS overflows the stack on a long chain
  }
  const dagreMs = performance.now() - t2;
  return { painted, firstLongest, items, firstEngine, expand, expandLongest, expandedItems,
           layoutMs, renderMs, engine, elements, dagreMs, dagreError, nodes: view.nodes.length,
           edges: view.edges.length };
};
window.ready = true;
</script></body></html>
"""


def _views(out: Path, only: set[str]) -> dict[str, dict[str, Any]]:
    import graph_models as gm
    import torch
    from torch import nn

    from nbviz.panels.graph.capture import capture_graph
    from nbviz.panels.graph.hierarchy import view

    torch.manual_seed(0)
    wide = nn.Sequential()
    wide.add_module("stem", nn.Linear(8, 8))
    wide.add_module("body", nn.Sequential(*[m for _ in range(1000)
                                           for m in (nn.Linear(8, 8), nn.ReLU())]))
    wide.add_module("head", nn.Linear(8, 2))
    cases = {
        "resnet50": (gm.resnet50(), torch.zeros(1, 3, 64, 64), "layer3"),
        "gpt24": (gm.GPT(layers=24), torch.zeros(1, 32, dtype=torch.long), "h"),
        "wide2000": (wide, torch.zeros(1, 8), "body"),
    }
    from torchvision_loader import torchvision_models

    tv = torchvision_models()
    if tv is None:
        print("[python] torchvision not installed (make setup): no torchvision cases")
    else:
        cases["tv_resnet50"] = (tv.resnet50(weights=None), torch.zeros(1, 3, 224, 224),
                                "layer3")
        cases["tv_vit_b_16"] = (tv.vit_b_16(weights=None), torch.zeros(1, 3, 224, 224),
                                "encoder")
    try:
        import transformers
    except ImportError:
        print("[python] transformers not installed: no transformers GPT-2 case")
    else:
        config = transformers.GPT2Config(n_layer=24, n_embd=256, n_head=4, vocab_size=5000,
                                         n_positions=64, bos_token_id=0, eos_token_id=0)
        cases["hf_gpt2_24"] = (transformers.GPT2LMHeadModel(config),
                               torch.zeros(1, 32, dtype=torch.long), "transformer")
    info: dict[str, dict[str, Any]] = {}
    for name, (model, x, expand) in cases.items():
        if only and name not in only:
            continue
        model.eval()
        with torch.no_grad():
            model(x)  # warm
            t = time.perf_counter()
            model(x)
            forward = time.perf_counter() - t
        t = time.perf_counter()
        graph = capture_graph(model, x)  # nbviz's order: torch.fx first
        capture = time.perf_counter() - t
        t = time.perf_counter()
        first = capture_graph(model, x, methods=EXPORT_FIRST)["capture"]["method"]
        export_first = time.perf_counter() - t
        t = time.perf_counter()
        drawable = view(graph)
        view_s = time.perf_counter() - t
        (out / f"{name}.json").write_text(json.dumps(drawable))
        info[name] = {"forward_s": forward, "capture_s": capture, "view_s": view_s,
                      "method": graph["capture"]["method"], "expand": expand,
                      "export_first_s": export_first, "export_first_method": first,
                      "blocks": REPEATED.get(name, []),
                      "nodes": len(drawable["nodes"])}
        print(f"[python] {name}: {info[name]['nodes']} nodes, capture {capture:.2f} s with "
              f"{graph['capture']['method']} (one plain forward: {forward:.2f} s, ratio "
              f"{capture / forward:.1f}x; export-first order: {export_first:.2f} s with "
              f"{first}, {export_first / capture:.1f}x nbviz's), view {view_s * 1000:.1f} ms",
              flush=True)
    return info


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _top(runs: list[dict[str, Any]], key: str) -> float:
    return float(max(r[key] for r in runs))


def _main_thread_tasks(events: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Longest renderer main-thread task before / after the "nbviz-expand" time stamp:
    [wall ms, CPU ms] (the trace's thread time, which a loaded machine does not inflate)."""
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("name") == "thread_name"}
    mains = {k for k, v in names.items() if v == "CrRendererMain"}
    split = min((e["ts"] for e in events if e.get("name") == "TimeStamp"
                 and e.get("args", {}).get("data", {}).get("message") == "nbviz-expand"),
                default=float("inf"))
    out = {"paint": [0.0, 0.0], "expand": [0.0, 0.0]}
    for e in events:
        if ((e["pid"], e["tid"]) in mains and e.get("ph") == "X"
                and e.get("name") == "ThreadControllerImpl::RunTask"):
            part = out["paint" if e["ts"] < split else "expand"]
            part[0] = max(part[0], e["dur"] / 1000)
            part[1] = max(part[1], e.get("tdur", 0) / 1000)
    return out


TRACE = True  # a CDP trace of the cold runs (wall and CPU time of each main-thread task)


def _cold_run(browser: Any, url: str, name: str, expand: str,
              errors: list[str]) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("() => window.ready === true")
    if not TRACE:  # --no-trace: the Long Tasks API alone (tracing adds work to every task)
        run_only: dict[str, Any] = page.evaluate("([n, k]) => window.measure(n, k)", [name, expand])
        run_only["tasks"] = {"paint": [float("nan")] * 2, "expand": [float("nan")] * 2}
        context.close()
        return run_only
    cdp = context.new_cdp_session(page)
    events: list[dict[str, Any]] = []
    done: list[bool] = []
    cdp.on("Tracing.dataCollected", lambda e: events.extend(e["value"]))
    cdp.on("Tracing.tracingComplete", lambda e: done.append(True))
    cdp.send("Tracing.start", {"traceConfig": {"includedCategories": [
        "toplevel", "devtools.timeline"]}, "transferMode": "ReportEvents"})
    run: dict[str, Any] = page.evaluate("([n, k]) => window.measure(n, k)", [name, expand])
    cdp.send("Tracing.end")
    while not done:
        page.wait_for_timeout(50)
    run["tasks"] = _main_thread_tasks(events)
    context.close()
    return run


def _cold(browser: Any, base: str, name: str, expand: str, repeat: int, baseline: bool,
          errors: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The first paint of a session: a fresh browser context each time, graph.js imported
    inside the measured window (its load + compile + first render + first ELK layout),
    with a CDP trace of the main thread's tasks; interleaved with --baseline-js if given."""
    variants = {"this": "graph.js"} | ({"baseline": "graph_base.js"} if baseline else {})
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(repeat):
        for variant, js in variants.items():
            runs[variant].append(_cold_run(browser, f"{base}/index.html?cold&js={js}", name,
                                           expand, errors))
    for variant, rs in runs.items():

        def task(part: str, i: int, rs: list[dict[str, Any]] = rs) -> float:
            return max(r["tasks"][part][i] for r in rs)

        warms = [r["elkWarm"] for r in rs if r["elkWarm"] is not None]
        warm = f"{statistics.median(warms):.0f}" if warms else "n/a (build without Layouter.warm)"

        print(f"[cold] {name} ({variant}: {variants[variant]}), fresh page each time, the "
              f"bundle imported in the measured window: first paint p50 "
              f"{_med(rs, 'painted'):.0f} ms (max {_top(rs, 'painted'):.0f}; drawn by "
              f"{'/'.join(sorted({r['firstEngine'] for r in rs}))}), longest task max "
              f"{_top(rs, 'firstLongest'):.0f} ms (trace: longest main-thread task "
              f"{task('paint', 0):.0f} ms wall, {task('paint', 1):.0f} ms CPU); ELK worker "
              f"warm at p50 {warm} ms; first expand "
              f"'{expand}' p50 {_med(rs, 'expand'):.0f} ms (max {_top(rs, 'expand'):.0f}, "
              f"{'/'.join(sorted({r['engine'] for r in rs}))}), "
              f"longest task max {_top(rs, 'expandLongest'):.0f} ms (trace: "
              f"{task('expand', 0):.0f} ms wall, {task('expand', 1):.0f} ms CPU)", flush=True)
    return runs


def _cold_goal(cold: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """The issue's figures for the cold session: first paint <= 1 s for each model, no
    main-thread task over 50 ms (Long Tasks API; the trace's CPU time beside it)."""
    for variant in next(iter(cold.values())):
        paints = {name: _med(runs[variant], "painted") for name, runs in cold.items()}
        worst = max(paints, key=lambda n: paints[n])
        task = max(_top(runs[variant], k) for runs in cold.values()
                   for k in ("firstLongest", "expandLongest"))
        cpu = max(r["tasks"][part][1] for runs in cold.values() for r in runs[variant]
                  for part in ("paint", "expand"))
        print(f"[cold goal] {variant}: first paint p50 per model "
              + ", ".join(f"{n} {v:.0f} ms" for n, v in paints.items())
              + f" (worst {worst}: {'within' if paints[worst] <= 1000 else 'OVER'} the 1 s goal); "
              f"longest main-thread task {task:.0f} ms by the Long Tasks API "
              f"({'within' if task <= 50 else 'OVER'} the 50 ms goal), {cpu:.0f} ms CPU by the "
              f"trace", flush=True)


def _blocks(page: Any, name: str, expand: list[str], blocks: int,
            repeat: int) -> dict[str, Any]:
    """Open `blocks` repeated blocks one click at a time, reuse off / on interleaved."""
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(repeat):
        for mode in ("off", "on"):
            runs[mode].append(page.evaluate("([n, k, b, r]) => window.openBlocks(n, k, b, r)",
                                            [name, expand, blocks, mode == "on"]))

    def stat(mode: str, pick: Any) -> float:
        return float(statistics.median(pick(r) for r in runs[mode]))

    def later(r: dict[str, Any]) -> float:
        return float(statistics.median(c["ms"] for c in r["clicks"][1:]))

    def longest(r: dict[str, Any]) -> float:
        return float(max([r["expand"]["longest"]] + [c["longest"] for c in r["clicks"]]))

    n = len(runs["on"][0]["clicks"])
    if n < 2:
        print(f"[blocks] {name}: fewer than 2 repeated blocks after expanding {expand}")
        return runs
    last = runs["on"][0]["clicks"][-1]
    print(f"[blocks] {name}: expand {' > '.join(expand)} (the last click) p50 off "
          f"{stat('off', lambda r: r['expand']['ms']):.0f} / on "
          f"{stat('on', lambda r: r['expand']['ms']):.0f} ms; then open {n} of its "
          f"repeated blocks one click each (p50 of {repeat}, reuse off / on): first block "
          f"{stat('off', lambda r: r['clicks'][0]['ms']):.0f} / "
          f"{stat('on', lambda r: r['clicks'][0]['ms']):.0f} ms, each later block "
          f"{stat('off', later):.0f} / {stat('on', later):.0f} ms, the {n}th "
          f"({last['items']} boxes) {stat('off', lambda r: r['clicks'][-1]['ms']):.0f} / "
          f"{stat('on', lambda r: r['clicks'][-1]['ms']):.0f} ms (layout "
          f"{stat('off', lambda r: r['clicks'][-1]['layoutMs']):.0f} / "
          f"{stat('on', lambda r: r['clicks'][-1]['layoutMs']):.0f} ms, {last['reused']} blocks "
          f"reused); longest task max {max(longest(r) for r in runs['off']):.0f} / "
          f"{max(longest(r) for r in runs['on']):.0f} ms", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-trace", action="store_true",
                        help="cold runs without the CDP trace (its recording lengthens the "
                             "tasks the Long Tasks API times; no CPU figures then)")
    parser.add_argument("--blocks", type=int, default=6,
                        help="repeated blocks to open one by one (reuse off / on)")
    parser.add_argument("--baseline-js", type=Path, default=None,
                        help="another build of graph.js (e.g. main's) to run the cold first "
                             "paint against, interleaved, in the same run")
    parser.add_argument("--models", default="",
                        help="comma-separated subset of the models (default: all)")
    args = parser.parse_args()
    global TRACE
    TRACE = not args.no_trace
    static = REPO / "nbviz" / "static" / "graph.js"
    dagre = REPO / "js" / "node_modules" / "@dagrejs" / "dagre" / "dist" / "dagre.js"
    for needed in (static, dagre):
        if not needed.exists():
            sys.exit(f"{needed} missing: run `cd js && npm ci && npm run build` first")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        info = _views(out, {m for m in args.models.split(",") if m})
        shutil.copy(static, out / "graph.js")
        shutil.copy(dagre, out / "dagre.js")
        if args.baseline_js:
            shutil.copy(args.baseline_js, out / "graph_base.js")
        (out / "index.html").write_text(HARNESS)
        results: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        errors: list[str] = []
        with serve(out) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            cold = {name: _cold(browser, base, name, meta["expand"], args.repeat,
                                args.baseline_js is not None, errors)
                    for name, meta in info.items()}
            _cold_goal(cold)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/index.html")
            page.wait_for_function("() => window.ready === true")
            if not page.evaluate("() => window.warmElk()"):
                errors.append("the ELK worker did not warm up on the warm page")
            for name, meta in info.items():
                runs = [page.evaluate("([n, k]) => window.measure(n, k)", [name, meta["expand"]])
                        for _ in range(args.repeat)]
                results[name] = runs
                print(f"[page] {name}: {runs[0]['nodes']} nodes / {runs[0]['edges']} edges; "
                      f"nbviz first paint collapsed p50 {_med(runs, 'painted'):.0f} ms (max "
                      f"{_top(runs, 'painted'):.0f}; {runs[0]['items']} boxes), longest task "
                      f"max {_top(runs, 'firstLongest'):.0f} ms; expand "
                      f"'{meta['expand']}' p50 {_med(runs, 'expand'):.0f} ms (max "
                      f"{_top(runs, 'expand'):.0f}) -> {runs[0]['expandedItems']} boxes, "
                      f"{runs[0]['elements']} drawn (layout {runs[0]['engine']} "
                      f"{_med(runs, 'layoutMs'):.0f} ms, render {_med(runs, 'renderMs'):.0f} "
                      f"ms), longest task p50 {_med(runs, 'expandLongest'):.0f} ms (max "
                      f"{_top(runs, 'expandLongest'):.0f}) | dagre, whole flattened graph on "
                      f"the main thread: {_med(runs, 'dagreMs'):.0f} ms (= its longest task)"
                      + (f", FAILED: {runs[0]['dagreError']}" if runs[0]["dagreError"] else ""),
                      flush=True)
            for name, meta in info.items():
                if meta["blocks"]:
                    blocks[name] = _blocks(page, name, meta["blocks"], args.blocks, args.repeat)
            browser.close()
        if errors:
            print("page errors:", errors)
        print("(longest task 0 = no task over 50 ms: the Long Tasks API reports only those)")
        summary("graph_scale", python=info, cold=cold, page=results, blocks=blocks,
                page_errors=errors)


if __name__ == "__main__":
    main()
