"""Graph panel at scale: capture time, first paint collapsed, expand of a ~2,000-node group,
longest main-thread task — against TensorBoard's approach (dagre laying out the whole
flattened graph on the main thread) in the same run, same page, same graphs.

Models (built from torch.nn, tests/python/graph_models.py: torchvision's wheel does not
load beside the venv's CPU torch): ResNet-50, a 24-layer GPT-2-style decoder, "wide",
one Sequential of 1,000 × (Linear, ReLU) = 2,000 nodes in one group, and when
``transformers`` is installed a 24-layer transformers GPT-2 built from a config.

Capture: nbviz's order (torch.fx first) against the export-first order, same model,
same run. Page: expand time and the longest main-thread task (Long Tasks API) as
median and max over the repeats, with the layout / render split.

The page is a static harness (no Jupyter): nbviz/static/graph.js rendered with a small
fake anywidget model; Debian's Chromium, launched as RECIPES.md says.

Run: PYTHONPATH=$PWD .venv/bin/python benchmarks/graph_scale.py [--repeat 3]
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

EXPORT_FIRST = ("torch.export", "torch.fx", "torch.jit", "hooks")  # the order before fx-first

HARNESS = """<!doctype html><html><head><meta charset="utf-8">
<script src="dagre.js"></script></head><body style="margin:0">
<script type="module">
import widget from "./graph.js";
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
  const cleanup = widget.render({ model, el: host });
  const root = () => host.querySelector(".nbviz-graph");
  await until(() => root() && root().dataset.state === "ready" && +root().dataset.layoutSeq >= 1);
  const painted = (await frame()) - t0;
  const firstLongest = await longest(t0);
  const items = +root().dataset.items;
  let expand = null, expandLongest = null, expandedItems = null, layoutMs = null, renderMs = null;
  let engine = null, elements = null;
  if (expandKey) {
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
  return { painted, firstLongest, items, expand, expandLongest, expandedItems, layoutMs, renderMs,
           engine, elements, dagreMs, dagreError, nodes: view.nodes.length,
           edges: view.edges.length };
};
window.ready = true;
</script></body></html>
"""


def _views(out: Path) -> dict[str, dict[str, Any]]:
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
                      "nodes": len(drawable["nodes"])}
        print(f"[python] {name}: {info[name]['nodes']} nodes, capture {capture:.2f} s with "
              f"{graph['capture']['method']} (one plain forward: {forward:.2f} s, ratio "
              f"{capture / forward:.1f}x; export-first order: {export_first:.2f} s with "
              f"{first}, {export_first / capture:.1f}x nbviz's), view {view_s * 1000:.1f} ms",
              flush=True)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    static = REPO / "nbviz" / "static" / "graph.js"
    dagre = REPO / "js" / "node_modules" / "@dagrejs" / "dagre" / "dist" / "dagre.js"
    for needed in (static, dagre):
        if not needed.exists():
            sys.exit(f"{needed} missing: run `cd js && npm ci && npm run build` first")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        info = _views(out)
        shutil.copy(static, out / "graph.js")
        shutil.copy(dagre, out / "dagre.js")
        (out / "index.html").write_text(HARNESS)
        results: dict[str, Any] = {}
        with serve(out) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/index.html")
            page.wait_for_function("() => window.ready === true")
            for name, meta in info.items():
                runs = [page.evaluate("([n, k]) => window.measure(n, k)", [name, meta["expand"]])
                        for _ in range(args.repeat)]
                results[name] = runs

                def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
                    return float(statistics.median(r[key] for r in runs))

                def top(key: str, runs: list[dict[str, Any]] = runs) -> float:
                    return float(max(r[key] for r in runs))

                print(f"[page] {name}: {runs[0]['nodes']} nodes / {runs[0]['edges']} edges; "
                      f"nbviz first paint collapsed {med('painted'):.0f} ms ({runs[0]['items']} "
                      f"boxes), longest task {med('firstLongest'):.0f} ms; expand "
                      f"'{meta['expand']}' p50 {med('expand'):.0f} ms (max {top('expand'):.0f}) -> "
                      f"{runs[0]['expandedItems']} boxes, {runs[0]['elements']} drawn (layout "
                      f"{runs[0]['engine']} {med('layoutMs'):.0f} ms, render "
                      f"{med('renderMs'):.0f} ms), longest task p50 {med('expandLongest'):.0f} "
                      f"ms (max {top('expandLongest'):.0f}) | dagre, whole "
                      f"flattened graph on the main thread: {med('dagreMs'):.0f} ms (= its "
                      f"longest task)" + (f", FAILED: {runs[0]['dagreError']}"
                                          if runs[0]["dagreError"] else ""), flush=True)
            browser.close()
        if errors:
            print("page errors:", errors)
        print("(longest task 0 = no task over 50 ms: the Long Tasks API reports only those)")
        summary("graph_scale", python=info, page=results, page_errors=errors)


if __name__ == "__main__":
    main()
