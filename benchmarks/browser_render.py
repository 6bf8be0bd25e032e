"""Browser rendering benchmark of the Scalars panel (headless Chromium).

Drives the built anywidget bundle through the dev harness (js/dev/harness.html,
a fake anywidget model, no Jupyter) and measures:

  * time to first paint of one 1,000,000-point series, and of 3 runs x 100k
    (snapshot arrives in a mounted panel -> chart drawn -> next frame), and the
    same for a fresh mount of a model that already holds the data (page reload);
  * one drag-zoom redraw (real mouse drag; mouseup -> uPlot draw done) and the
    double-click reset;
  * 100 small appends (5 points each) to a 100k-point series, one render each,
    and the same 100 appends in one burst (coalesced into one frame), with the
    longest main-thread task seen (PerformanceObserver "longtask");

and, as the anchor in the same run, matplotlib (Agg) drawing + saving a PNG of
the same 1M-point line. Prints the figures and the ratio.

Usage:  .venv/bin/python benchmarks/browser_render.py [--repeat N] [--json out.json]

Builds the bundle + harness itself (npm ci / npm run build in js/) when they
are missing or older than the sources. Needs /usr/bin/chromium (Debian) and
the Python playwright package; never runs `playwright install`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHROMIUM, CHROMIUM_ARGS, serve

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "js"
DEV = JS / "dev"


# --------------------------------------------------------------------------- build


def _newest_source_mtime() -> float:
    newest = 0.0
    patterns = (
        "src/**/*.ts", "src/**/*.css", "dev/harness.ts", "build.mjs", "package-lock.json"
    )
    for pattern in patterns:
        for f in JS.glob(pattern):
            newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_built() -> None:
    outputs = [DEV / "harness.js", DEV / "scalars.js", ROOT / "nbviz" / "static" / "scalars.js"]
    built = all(o.exists() for o in outputs)
    if built and min(o.stat().st_mtime for o in outputs) >= _newest_source_mtime():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found: cannot build js/ (node 20 + npm required)")
    if not (JS / "node_modules" / ".bin" / "esbuild").exists():
        print("[build] npm ci", flush=True)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True)
    print("[build] npm run build", flush=True)
    subprocess.run([npm, "run", "build"], cwd=JS, check=True, stdout=subprocess.DEVNULL)


# --------------------------------------------------------------------------- server




# --------------------------------------------------------------------------- page scripts

SETUP_JS = """
async () => {
  const h = window.nbvizHarness;
  await h.ready;
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: false });
    window.__longtaskSupported = true;
  } catch (e) { window.__longtaskSupported = false; }
  // long tasks that started at or after t (entries arrive asynchronously)
  window.longestSince = async (t) => {
    await new Promise((r) => setTimeout(r, 50));
    let m = 0;
    for (const [start, d] of window.__longtasks) if (start >= t - 1 && d > m) m = d;
    return m;
  };
  return navigator.userAgent;
}
"""

# snapshot arrives in an already-mounted panel
FIRST_PAINT_JS = """
async ({runs, points, tags}) => {
  const h = window.nbvizHarness;
  h.mount();
  await h.frame();
  const g = h.generate({ runs, tags, points });
  await h.frame();
  window.__longtasks.length = 0;
  const t0 = performance.now();
  const rendered = h.nextRender();
  h.load(g.series, g.data);
  const tApplied = performance.now();
  const tRendered = await rendered;
  const tFrame = await h.frame();
  const root = h.root;
  return {
    apply_ms: tApplied - t0,
    render_work_ms: Number(root.dataset.renderMs),
    drawn_ms: tRendered - t0,
    next_frame_ms: tFrame - t0,
    points: Number(root.dataset.points),
    longest_task_ms: await window.longestSince(t0),
  };
}
"""

# fresh mount of a model whose state already holds the snapshot (page reload)
MOUNT_JS = """
async ({runs, points, tags}) => {
  const h = window.nbvizHarness;
  h.unmount();
  const g = h.generate({ runs, tags, points });
  const f = g.data;
  await h.frame();
  const t0 = performance.now();
  const rendered = h.nextRender();
  h.mount({ series: g.series,
           snapshot: new DataView(f.buffer, f.byteOffset, f.byteLength), snapshot_seq: 1 });
  const tMounted = performance.now();
  const tRendered = await rendered;
  const tFrame = await h.frame();
  return {
    mount_ms: tMounted - t0,
    drawn_ms: tRendered - t0,
    next_frame_ms: tFrame - t0,
    points: Number(h.root.dataset.points),
  };
}
"""

ARM_DRAW_JS = """
() => {
  window.__drawDone = new Promise((resolve) => {
    let t0 = null;
    const onUp = () => { t0 = performance.now(); };
    const chart = document.querySelector(".nbviz-chart");
    window.addEventListener("mouseup", onUp, { capture: true, once: true });
    window.addEventListener("dblclick", onUp, { capture: true, once: true });
    const onDraw = () => {
      if (t0 === null) return;
      chart.removeEventListener("nbviz:draw", onDraw);
      window.removeEventListener("mouseup", onUp, { capture: true });
      window.removeEventListener("dblclick", onUp, { capture: true });
      resolve(performance.now() - t0);
    };
    chart.addEventListener("nbviz:draw", onDraw);
  });
}
"""

APPENDS_JS = """
async ({base, appends, per, burst, runs = 1, tags = ["loss/train"]}) => {
  const h = window.nbvizHarness;
  h.mount();
  const g = h.generate({ runs, tags, points: base });
  let r = h.nextRender();
  h.load(g.series, g.data);
  await r;
  // steady state: every chart has been drawn once (charts are drawn over
  // several frames when there are many)
  const expected = runs * tags.length * base;
  for (let i = 0; i < 600 && Number(h.root.dataset.points) < expected; i++) await h.frame();
  await h.frame();
  // prepare the messages outside the timed region
  const msgs = [];
  for (let i = 0; i < appends; i++) {
    msgs.push(h.generate({ runs, tags, points: per, start: base + i * per, seed: 11 }));
  }
  window.__longtasks.length = 0;
  const handler = [], work = [], latency = [];
  const t0 = performance.now();
  if (burst) {
    r = h.nextRender();
    for (const m of msgs) {
      const a = performance.now();
      h.append(m.series, m.data);
      handler.push(performance.now() - a);
    }
    await r;
    work.push(Number(h.root.dataset.renderMs));
  } else {
    for (const m of msgs) {
      r = h.nextRender();
      const a = performance.now();
      h.append(m.series, m.data);
      handler.push(performance.now() - a);
      const done = await r;
      latency.push(done - a);
      work.push(Number(h.root.dataset.renderMs));
    }
  }
  const total = performance.now() - t0;
  await h.frame();
  return {
    total_ms: total,
    handler_ms_mean: handler.reduce((x, y) => x + y, 0) / handler.length,
    handler_ms_max: Math.max(...handler),
    render_work_ms_mean: work.reduce((x, y) => x + y, 0) / work.length,
    render_work_ms_max: Math.max(...work),
    latency_ms_mean: latency.length ? latency.reduce((x, y) => x + y, 0) / latency.length : null,
    renders: work.length,
    points: Number(h.root.dataset.points),
    longest_task_ms: await window.longestSince(t0),
    render_work_ms_first: work[0],
    handler_ms_first: handler[0],
    render_work_ms_p95: work.slice().sort((x, y) => x - y)[Math.floor(work.length * 0.95)],
    longtask_supported: window.__longtaskSupported,
  };
}
"""


# --------------------------------------------------------------------------- measurements


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def measure_browser(repeat: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with serve(DEV) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/harness.html")
        results["user_agent"] = page.evaluate(SETUP_JS)

        cases = {
            "1x1M": {"runs": 1, "points": 1_000_000, "tags": ["loss/train"]},
            "3x100k": {"runs": 3, "points": 100_000, "tags": ["loss/train"]},
        }
        for name, args in cases.items():
            runs = [page.evaluate(FIRST_PAINT_JS, args) for _ in range(repeat)]
            results[f"first_paint_{name}"] = runs
            mounts = [page.evaluate(MOUNT_JS, args) for _ in range(repeat)]
            results[f"mount_{name}"] = mounts

        # drag-zoom on the 1M-point chart
        page.evaluate(FIRST_PAINT_JS, cases["1x1M"])
        box = page.locator(".nbviz-chart .u-over").first.bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        zooms: list[float] = []
        resets: list[float] = []
        for i in range(repeat + 1):
            x0 = box["x"] + box["width"] * (0.2 + 0.05 * i)
            x1 = box["x"] + box["width"] * (0.6 + 0.05 * i)
            page.evaluate(ARM_DRAW_JS)
            page.mouse.move(x0, y)
            page.mouse.down()
            page.mouse.move((x0 + x1) / 2, y, steps=2)
            page.mouse.move(x1, y, steps=2)
            page.mouse.up()
            zooms.append(page.evaluate("window.__drawDone"))
            page.evaluate(ARM_DRAW_JS)
            page.mouse.dblclick(x0, y)
            resets.append(page.evaluate("window.__drawDone"))
        results["zoom_ms"] = zooms[1:]  # first one warms up
        results["reset_ms"] = resets[1:]

        results["appends_sequential"] = page.evaluate(
            APPENDS_JS, {"base": 100_000, "appends": 100, "per": 5, "burst": False}
        )
        results["appends_burst"] = page.evaluate(
            APPENDS_JS, {"base": 100_000, "appends": 100, "per": 5, "burst": True}
        )
        many_tags = [f"group{g}/metric{m}" for g in range(8) for m in range(5)]
        results["appends_many_charts"] = page.evaluate(
            APPENDS_JS,
            {"base": 10_000, "appends": 60, "per": 5, "burst": False, "runs": 3, "tags": many_tags},
        )
        results["page_errors"] = errors
        browser.close()
    return results


def measure_matplotlib(n: int, repeat: int) -> list[float]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(7)
    step = np.arange(n, dtype=np.float64)
    t = step / n
    value = 0.15 + 2.2 * np.exp(-5 * t) + rng.normal(0, 0.06, n) * (1 - 0.6 * t)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fig, ax = plt.subplots(figsize=(3.6, 2.4), dpi=100)  # about one panel chart
        ax.plot(step, value, lw=1)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        times.append((time.perf_counter() - t0) * 1000)
    return times


# --------------------------------------------------------------------------- report


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="repetitions per figure (median reported)"
    )
    ap.add_argument("--json", type=Path, help="also write raw results as JSON")
    args = ap.parse_args()

    ensure_built()
    browser = measure_browser(args.repeat)
    mpl = measure_matplotlib(1_000_000, args.repeat)

    def med(key: str, field: str) -> float:
        return _median([r[field] for r in browser[key]])

    print(f"# nbviz browser render benchmark  ({platform.node()}, {os.cpu_count()} cpus)")
    print(f"# {browser['user_agent']}")
    print(f"# median of {args.repeat}; 'drawn' = snapshot received -> chart drawn; "
          "'+frame' = next frame after it")
    for name in ("1x1M", "3x100k"):
        fp = f"first_paint_{name}"
        mt = f"mount_{name}"
        print(
            f"first paint {name:>7}: drawn {med(fp, 'drawn_ms'):7.1f} ms  "
            f"+frame {med(fp, 'next_frame_ms'):7.1f} ms"
            f"  (decode {med(fp, 'apply_ms'):.1f} ms, "
            f"render work {med(fp, 'render_work_ms'):.1f} ms,"
            f" points {browser[fp][0]['points']:,})"
        )
        print(
            f"fresh mount {name:>7}: drawn {med(mt, 'drawn_ms'):7.1f} ms  "
            f"+frame {med(mt, 'next_frame_ms'):7.1f} ms"
        )
    print(f"drag-zoom redraw (1M)  : {_median(browser['zoom_ms']):7.1f} ms  (runs: "
          + ", ".join(f"{v:.1f}" for v in browser["zoom_ms"]) + ")")
    print(f"dblclick reset (1M)    : {_median(browser['reset_ms']):7.1f} ms")
    s = browser["appends_sequential"]
    print(
        f"100 appends x 5 pts to 100k, one render each: total {s['total_ms']:.0f} ms,"
        f" handler mean {s['handler_ms_mean']:.2f} ms (max {s['handler_ms_max']:.2f}),"
        f" render work mean {s['render_work_ms_mean']:.1f} ms (p95 {s['render_work_ms_p95']:.1f},"
        f" max {s['render_work_ms_max']:.1f}, first {s['render_work_ms_first']:.1f}),"
        f" latency mean {s['latency_ms_mean']:.1f} ms, longest task {s['longest_task_ms']:.0f} ms"
    )
    b = browser["appends_burst"]
    print(
        f"100 appends x 5 pts to 100k, one burst     : total {b['total_ms']:.0f} ms,"
        f" {b['renders']} render ({b['render_work_ms_mean']:.1f} ms),"
        f" handler mean {b['handler_ms_mean']:.2f} ms, longest task {b['longest_task_ms']:.0f} ms"
        f"  [longtask API: {'yes' if b['longtask_supported'] else 'no'}]"
    )
    m = browser["appends_many_charts"]
    print(
        "60 appends x 5 pts to 40 tags x 3 runs x 10k (40 charts), one render each: "
        f"total {m['total_ms']:.0f} ms,"
        f" render work mean {m['render_work_ms_mean']:.1f} ms (p95 {m['render_work_ms_p95']:.1f},"
        f" max {m['render_work_ms_max']:.1f}), latency mean {m['latency_ms_mean']:.1f} ms,"
        f" longest task {m['longest_task_ms']:.0f} ms"
    )
    mpl_med = _median(mpl)
    fp_med = med("first_paint_1x1M", "next_frame_ms")
    print(f"anchor: matplotlib Agg plot + PNG of the same 1M-point line: {mpl_med:.0f} ms"
          f"  (runs: " + ", ".join(f"{v:.0f}" for v in mpl) + ")")
    print(f"ratio matplotlib / nbviz first paint (1M): {mpl_med / fp_med:.1f}x")
    if browser["page_errors"]:
        print("page errors:", browser["page_errors"])
    if args.json:
        args.json.write_text(json.dumps({"browser": browser, "matplotlib_ms": mpl}, indent=2))


if __name__ == "__main__":
    main()
