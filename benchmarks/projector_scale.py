"""Scale benchmark of the embedding projector (headless Debian Chromium, SwiftShader WebGL).

Anchor: TensorBoard's projector caps at 100,000 points (RECIPES.md). Measured here:

  * PCA of a 1,000,000 x 128 float32 matrix with ``nbviz.reduce.pca`` (chunked
    covariance, float64 accumulation) vs scikit-learn's ``PCA`` on the same matrix;
  * sending positions: binary (what the panel does: one float32 buffer) vs a JSON
    baseline (a list of numbers) — kernel-side encode time and bytes, and page-side
    decode time (``Float32Array`` view vs ``JSON.parse``);
  * in the browser, for 200,000 points in 3-D and 1,000,000 points in 2-D: transfer
    of the snapshot over loopback HTTP (``fetch``), first render (snapshot set on the
    model → first frame drawn, i.e. decode + normalise + colours + GPU upload + draw),
    and frame time while rotating (3-D drag) / zooming (2-D wheel): the interval
    between animation frames with one interaction event per frame, GPU work included
    (each frame reads one pixel back, so SwiftShader's rasterisation is inside). While
    the camera moves the panel draws a uniform 100k-point sample and redraws every
    point once it rests (180 ms); that full redraw is timed too.

The page is a minimal host (a fake anywidget model, no Jupyter) around the built bundle
``nbviz/static/projector.js``, like js/dev/harness.html does for the Scalars panel.

Usage:  .venv/bin/python benchmarks/projector_scale.py [--quick] [--json out.json]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHROMIUM, CHROMIUM_ARGS, FAKE_MODEL_JS, REPO, fmt_secs, serve, summary

from nbviz import reduce as R
from nbviz.panels.projector.data import pack_parts

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>projector bench</title>
<style>body{margin:0;padding:8px;font-family:sans-serif} #app{width:1000px}</style></head>
<body><div id="app"></div><script type="module">
import widget from "./projector.js";
""" + FAKE_MODEL_JS + """window.bench = {
  async run(meta, dims) {
    const t0 = performance.now();
    const resp = await fetch(meta.url);
    const buf = await resp.arrayBuffer();
    const t1 = performance.now();
    const model = new FakeModel({datasets: [meta.info], snapshot: null, snapshot_info: {},
      group: -1, step: -1, method: "pca", dims, params: {pca: {}, tsne: {}, umap: {}},
      color_by: "", label_by: "", search: "", search_column: "", neighbors: 10,
      metric: "cosine", point_size: 0, hidden_runs: [], max_vector_bytes: 0, title: ""});
    widget.initialize({model});
    const el = document.getElementById("app");
    el.replaceChildren();
    widget.render({model, el});
    const root = el.querySelector(".nbviz-projector");
    const canvas = root.querySelector("canvas");
    const gl = canvas.getContext("webgl");
    const px = new Uint8Array(4);
    const drawn = new Promise((resolve) => root.addEventListener("nbviz:render", function h() {
      if (+root.dataset.points === meta.info.n) { root.removeEventListener("nbviz:render", h); resolve(); }
    }));
    const t2 = performance.now();
    model.setMany({snapshot: new DataView(buf), snapshot_info: meta.snapshot_info});
    await drawn;
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);  // wait for the GPU
    const t3 = performance.now();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    // interaction: one event per frame, 60 frames
    const rect = canvas.getBoundingClientRect();
    const cx = rect.left + rect.width / 2, cy = rect.top + rect.height / 2;
    const frames = [];
    const renderMs = [];
    if (dims === 3) canvas.dispatchEvent(new PointerEvent("pointerdown", {clientX: cx, clientY: cy, button: 0, bubbles: true, pointerId: 1}));
    await new Promise((resolve) => {
      let i = 0, last = performance.now();
      const onRender = () => { gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); renderMs.push(+root.dataset.renderMs); };
      root.addEventListener("nbviz:render", onRender);
      const step = () => {
        const now = performance.now();
        if (i > 0) frames.push(now - last);
        last = now;
        if (i++ >= 60) { root.removeEventListener("nbviz:render", onRender); resolve(); return; }
        if (dims === 3) canvas.dispatchEvent(new PointerEvent("pointermove", {clientX: cx + 4 * i, clientY: cy + i, buttons: 1, bubbles: true, pointerId: 1}));
        else canvas.dispatchEvent(new WheelEvent("wheel", {clientX: cx, clientY: cy, deltaY: i % 20 < 10 ? -40 : 40, bubbles: true, cancelable: true}));
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    if (dims === 3) canvas.dispatchEvent(new PointerEvent("pointerup", {clientX: cx, clientY: cy, button: 0, bubbles: true, pointerId: 1}));
    // at rest every point is drawn again: time one full redraw (recolour + draw + GPU)
    await new Promise((r) => setTimeout(r, 500));
    const full = new Promise((resolve) => root.addEventListener("nbviz:render", function h() {
      root.removeEventListener("nbviz:render", h); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); resolve();
    }));
    const tf = performance.now();
    model.set("color_by", "(none)");
    await full;
    const fullFrame = performance.now() - tf;
    // page-side decode: binary view vs JSON.parse of the same positions
    const jsonResp = await fetch(meta.json_url);
    const jsonText = await jsonResp.text();
    const t4 = performance.now();
    const parsed = JSON.parse(jsonText);
    const asFloat = Float32Array.from(parsed);
    const t5 = performance.now();
    const view = new Float32Array(buf, 0, meta.info.n * 3);
    const t6 = performance.now();
    return {fetch_ms: t1 - t0, first_render_ms: t3 - t2, frames, render_ms: renderMs,
            full_frame_ms: fullFrame, drawn_while_moving: +root.dataset.drawn,
            json_parse_ms: t5 - t4, binary_view_ms: t6 - t5, checksum: asFloat[0] + view[0],
            ink: 0};
  },
};
window.benchReady = true;
</script></body></html>
"""  # noqa: E501




def _clusters(n: int, dims: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.int32)
    centers = rng.normal(size=(10, dims)) * 4
    points = (centers[labels] + rng.normal(size=(n, dims))).astype(np.float32)
    return points, labels


def _dataset(directory: Path, name: str, n: int, seed: int) -> dict[str, Any]:
    positions, labels = _clusters(n, 3, seed)
    head = {"role": "positions", "method": "pca", "dims": 3, "params": {}, "seconds": 0,
            "fit_size": n, "explained": [0.3, 0.2, 0.1]}
    column = {"role": "column", "name": "label", "kind": "category",
              "categories": [str(i) for i in range(10)]}
    headers, buffer = pack_parts([(head, positions.reshape(-1)), (column, labels)])
    (directory / f"{name}.bin").write_bytes(buffer)
    (directory / f"{name}.json").write_text(json.dumps(positions.reshape(-1).tolist()))
    info = {"id": 1, "group": 0, "run": "", "tag": name, "step": 0, "wall_time": 0, "n": n,
            "d": 3, "columns": [{"name": "label", "kind": "category"}], "images": False,
            "dropped": 0}
    return {"url": f"{name}.bin", "json_url": f"{name}.json", "info": info,
            "snapshot_info": {"dataset": 1, "n": n, "parts": headers},
            "bytes": len(buffer)}


def bench_wire(n: int) -> dict[str, float]:
    """Kernel side: encode positions [n, 3] as the binary part vs as JSON."""
    positions, _ = _clusters(n, 3, 1)
    started = time.perf_counter()
    _, binary = pack_parts([({"role": "positions"}, positions.reshape(-1))])
    binary_s = time.perf_counter() - started
    started = time.perf_counter()
    text = json.dumps(positions.reshape(-1).tolist())
    json_s = time.perf_counter() - started
    return {"points": n, "binary_encode_s": binary_s, "binary_bytes": len(binary),
            "json_encode_s": json_s, "json_bytes": len(text.encode())}


def bench_pca(n: int, d: int) -> dict[str, float]:
    x = np.random.default_rng(0).normal(size=(n, d)).astype(np.float32)
    x *= np.linspace(3, 0.1, d, dtype=np.float32)
    started = time.perf_counter()
    ours = R.pca(x, 3)
    ours_s = time.perf_counter() - started
    result: dict[str, float] = {"rows": n, "dims": d, "nbviz_s": ours_s}
    try:
        from sklearn.decomposition import PCA
    except ImportError:
        return result
    started = time.perf_counter()
    theirs = PCA(3, random_state=0).fit_transform(x)
    result["sklearn_s"] = time.perf_counter() - started
    corr = [abs(np.corrcoef(ours.positions[:20000, a], theirs[:20000, a])[0, 1])
            for a in range(3)]
    result["agreement_min_abs_corr"] = float(min(corr))
    return result


def bench_browser(cases: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    bundle = REPO / "nbviz" / "static" / "projector.js"
    if not bundle.exists():
        raise SystemExit(f"{bundle} is missing: run `cd js && npm run build` first")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        shutil.copy(bundle, directory / "projector.js")
        (directory / "index.html").write_text(PAGE)
        metas = {name: _dataset(directory, name, n, i) for i, (name, n, _) in enumerate(cases)}
        with serve(directory) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            try:
                for name, n, dims in cases:
                    page = browser.new_page(viewport={"width": 1100, "height": 700})
                    page.goto(f"{url}/index.html")
                    page.wait_for_function("() => window.benchReady === true")
                    result = page.evaluate("([m, d]) => window.bench.run(m, d)",
                                           [metas[name], dims])
                    frames = result["frames"]
                    out.append({
                        "case": name, "points": n, "dims": dims,
                        "snapshot_bytes": metas[name]["bytes"],
                        "transfer_ms": result["fetch_ms"],
                        "first_render_ms": result["first_render_ms"],
                        "frame_ms_median": statistics.median(frames),
                        "frame_ms_p90": sorted(frames)[int(len(frames) * 0.9)],
                        "draw_call_ms_median": statistics.median(result["render_ms"] or [0]),
                        "fps": 1000 / statistics.median(frames),
                        "full_redraw_ms": result["full_frame_ms"],
                        "page_json_parse_ms": result["json_parse_ms"],
                        "page_binary_view_ms": result["binary_view_ms"],
                    })
                    page.screenshot(path=str(REPO / "screenshots" / f"projector_bench_{name}.png"))
                    page.close()
            finally:
                browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes (smoke run)")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    (REPO / "screenshots").mkdir(exist_ok=True)
    print("PCA (nbviz.reduce.pca vs scikit-learn PCA), 3 components")
    pca = bench_pca(1_000_000 // scale, 128)
    line = f"  {pca['rows']:,} x {pca['dims']}: nbviz {fmt_secs(pca['nbviz_s'])}"
    if "sklearn_s" in pca:
        line += (f", scikit-learn {fmt_secs(pca['sklearn_s'])} "
                 f"({pca['sklearn_s'] / pca['nbviz_s']:.1f}x), same axes: |corr| >= "
                 f"{pca['agreement_min_abs_corr']:.4f}")
    print(line)
    print("Positions on the wire (kernel side): binary part vs JSON list")
    wires = [bench_wire(n // scale) for n in (200_000, 1_000_000)]
    for w in wires:
        print(f"  {w['points']:,} x 3: binary {fmt_secs(w['binary_encode_s'])}, "
              f"{w['binary_bytes'] / 1e6:.1f} MB; JSON {fmt_secs(w['json_encode_s'])}, "
              f"{w['json_bytes'] / 1e6:.1f} MB ({w['json_encode_s'] / w['binary_encode_s']:.0f}x "
              f"slower, {w['json_bytes'] / w['binary_bytes']:.1f}x bigger)")
    print("Browser (headless Chromium, SwiftShader WebGL)")
    cases = [("p200k_3d", 200_000 // scale, 3), ("p1m_2d", 1_000_000 // scale, 2)]
    browser = bench_browser(cases)
    for b in browser:
        size = b["snapshot_bytes"] / 1e6
        print(f"  {b['points']:,} points {b['dims']}-D: snapshot {size:.1f} MB "
              f"transfer {b['transfer_ms']:.0f} ms, first render {b['first_render_ms']:.0f} ms, "
              f"frame {b['frame_ms_median']:.1f} ms median / {b['frame_ms_p90']:.1f} ms p90 "
              f"({b['fps']:.0f} fps) while {'rotating' if b['dims'] == 3 else 'zooming'} "
              f"(a 100k sample while moving), full redraw at rest {b['full_redraw_ms']:.0f} ms; "
              f"page decode: binary view {b['page_binary_view_ms']:.2f} ms vs JSON.parse "
              f"{b['page_json_parse_ms']:.0f} ms")
    record = {"pca": pca, "wire": wires, "browser": browser,
              "anchor": "TensorBoard projector: 100,000 points max"}
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))
    summary("projector_scale", pca_1m_s=pca["nbviz_s"],
            first_render_200k_3d_ms=browser[0]["first_render_ms"],
            first_render_1m_2d_ms=browser[1]["first_render_ms"],
            frame_200k_3d_ms=browser[0]["frame_ms_median"],
            frame_1m_2d_ms=browser[1]["frame_ms_median"],
            points_vs_tensorboard_cap=cases[1][1] / 100_000)


if __name__ == "__main__":
    main()
