"""HParams at scale: 10,000 runs × 30 axes — importance, the table on the wire, first render
and brush-drag frame time in headless Chromium, against TensorBoard's hparams plugin
loading the same sweep in the same run.

What is measured (median of ``--repeats``):

* kernel: ``encode_table`` (the binary snapshot) and ``hparam_importance`` (random forest +
  correlation; goal ≤ 1 s) on 10,000 runs × 25 hparams;
* browser (headless Debian Chromium, the real ``nbviz/static/hparams.js`` bundle driven by an
  in-page model): first render (decode + scales + every line drawn) and the frame time
  (p50 / p95) of a brush drag on a continuous and on a discrete parallel-coordinates axis,
  one pointer move per animation frame (goal ≤ 50 ms per frame, i.e. ≥ 20 fps under
  software rendering), the line-drawing time per frame, and the frames until every
  selected line is drawn once the drag ends (progressive drawing);
* the anchor: the same sweep written by ``torch.utils.tensorboard`` (one run directory per
  trial, ``add_hparams``), then (a) TensorBoard 2.x serving it — seconds from process start
  until its hparams plugin's ``session_groups`` endpoint returns every trial — and (b)
  ``nbviz.read(logdir, kind="hparams")`` + ``HParams(logdir)`` on the same directory, end to
  end (goal: well under 10 s for 10,000 trials), median of fresh processes; with ``--base``
  another checkout on the same sweep, interleaved, and whether its table is equal.

    python benchmarks/hparams_scale.py            # 10,000 runs (writing the anchor ~1 min)
    python benchmarks/hparams_scale.py --quick    # 1,000 runs
    python benchmarks/hparams_scale.py --read-only --sweep-dir /tmp/sweep10k --base ../main
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import CHROMIUM, CHROMIUM_ARGS, FAKE_MODEL_JS, REPO, fmt_secs, serve, summary

from nbviz.panels.hparams.encode import encode_table
from nbviz.panels.hparams.importance import hparam_importance

HPARAMS = 25
METRICS = 5

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>hparams bench</title>
<style>body{margin:0;padding:8px;font-family:sans-serif} #app{width:1200px}</style></head>
<body><div id="app"></div><script type="module">
import widget from "./hparams.js";
""" + FAKE_MODEL_JS + """const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
window.bench = {
  async run(meta) {
    const buf = await (await fetch(meta.url)).arrayBuffer();
    const model = new FakeModel({columns: [], runs: [], table: null, table_seq: 0,
      metric: meta.metric, goal: "max", hidden_runs: [], hidden_axes: [], axis_order: [],
      brushes: {}, scatter_x: meta.columns[0].name, table_columns: [], importance: meta.importance,
      importance_message: "", status: "", title: ""});
    const el = document.getElementById("app");
    el.replaceChildren();
    widget.render({model, el});
    const root = el.querySelector(".nbviz-hparams");
    await frame();
    const t0 = performance.now();
    model.setMany({columns: meta.columns, runs: meta.runs, table: new DataView(buf), table_seq: 1});
    const pc = root.nbvizHparams.parcoords;
    const front = root.querySelectorAll(".nbviz-hp-pc canvas")[1];
    front.getContext("2d").getImageData(0, 0, 1, 1);  // wait for the raster
    const t1 = performance.now();
    await frame();
    const firstPaint = performance.now() - t0;
    const over = root.querySelector(".nbviz-hp-over");
    const rect = over.getBoundingClientRect();
    const axis = pc.axisNames().indexOf(meta.brush_axis);
    const x = rect.left + pc.axisX(axis);
    const yTop = rect.top + pc.unitY(0.9), yBottom = rect.top + pc.unitY(0.1);
    const ev = (type, y, buttons) => over.dispatchEvent(new PointerEvent(type,
      {clientX: x, clientY: y, buttons, button: 0, bubbles: true, pointerId: 1}));
    ev("pointerdown", yTop, 1);
    const frames = [], draws = [], selected = [], changed = [];
    let last = performance.now();
    for (let i = 1; i <= meta.frames; i++) {
      ev("pointermove", yTop + (yBottom - yTop) * (0.1 + 0.9 * i / meta.frames), 1);
      await frame();
      front.getContext("2d").getImageData(0, 0, 1, 1);
      const now = performance.now();
      frames.push(now - last);
      draws.push(pc.lastFrameMs);
      changed.push(pc.lastChanged ?? -1);
      selected.push(+root.dataset.selected);
      last = now;
    }
    ev("pointerup", yBottom, 0);
    // lines still to draw after the last move (progressive drawing): frames until exact
    let settle = 0;
    const t2 = performance.now();
    while ((root.querySelector(".nbviz-hp-pc").dataset.pending ?? "0") !== "0" && settle < 600) {
      await frame();
      settle++;
    }
    const drawn = +(root.querySelector(".nbviz-hp-pc").dataset.drawn ?? -1);
    return {first_render_ms: t1 - t0, first_paint_ms: firstPaint, frames, draws, selected,
            changed, settle_frames: settle, settle_ms: performance.now() - t2, drawn,
            runs: +root.dataset.runs};
  },
};
window.benchReady = true;
</script></body></html>
"""


def sweep_frame(runs: int, seed: int = 0) -> pd.DataFrame:
    """A synthetic sweep: 25 hparams (log-uniform, numeric, categorical, bool) + 5 metrics."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {"run": [f"trial{i:05d}" for i in range(runs)]}
    kinds: dict[str, str] = {}
    for j in range(HPARAMS):
        name = f"h{j:02d}"
        if j % 5 == 0:
            data[name] = 10 ** rng.uniform(-5, -1, runs)
        elif j % 5 == 1:
            data[name] = rng.choice(["adam", "sgd", "rmsprop", "adamw"], runs).astype(object)
        elif j % 5 == 2:
            data[name] = pd.array(rng.random(runs) < 0.5, dtype="boolean")
        else:
            data[name] = rng.choice([16.0, 32.0, 64.0, 128.0, 256.0], runs) + j
        kinds[name] = ("categorical" if j % 5 == 1 else "bool" if j % 5 == 2 else "numeric")
    signal = -np.abs(np.log10(data["h00"]) + 3) + 0.3 * (data["h01"] == "adam")
    for k in range(METRICS):
        data[f"m{k}"] = signal * (k + 1) + rng.normal(0, 0.2, runs)
    frame = pd.DataFrame(data)
    frame.attrs.update(hparams=[f"h{j:02d}" for j in range(HPARAMS)], hparam_kinds=kinds,
                       metrics=[f"m{k}" for k in range(METRICS)], metric_summaries=[])
    return frame


def bench_kernel(frame: pd.DataFrame, repeats: int) -> dict[str, Any]:
    from nbviz.panels.hparams.importance import sklearn_missing_message

    sklearn_missing_message()  # import scikit-learn outside the timing
    encode, importance = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        infos, data = encode_table(frame)
        encode.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = hparam_importance(frame, "m0")
        importance.append(time.perf_counter() - t)
    return {"encode_s": statistics.median(encode), "importance_s": statistics.median(importance),
            "wire_bytes": int(data.nbytes), "axes": len(infos),
            "top_hparams": result["hparam"].head(3).tolist()}


BRUSH_AXES = {"h00": "continuous, log-uniform", "h03": "discrete, 5 values"}


def bench_browser(frame: pd.DataFrame, repeats: int, frames: int) -> dict[str, Any]:
    """First render and a brush drag on each axis of BRUSH_AXES (a continuous axis changes
    a few lines per frame; a discrete one makes thousands jump in or out at once)."""
    from playwright.sync_api import sync_playwright

    bundle = REPO / "nbviz" / "static" / "hparams.js"
    if not bundle.exists():
        raise SystemExit(f"{bundle} is missing: run `cd js && npm run build` first")
    infos, data = encode_table(frame)
    result = hparam_importance(frame, "m0")
    importance = [{"hparam": r.hparam, "importance": float(r.importance),
                   "correlation": float(r.correlation), "correlation_kind": r.correlation_kind}
                  for r in result.itertuples(index=False)]
    runs_out: dict[str, list[dict[str, Any]]] = {axis: [] for axis in BRUSH_AXES}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        shutil.copy(bundle, directory / "hparams.js")
        (directory / "index.html").write_text(PAGE)
        (directory / "table.bin").write_bytes(data.tobytes())
        with serve(directory) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            try:
                for repeat in range(repeats):
                    for axis in BRUSH_AXES:
                        meta = {"url": "table.bin", "columns": infos,
                                "runs": frame["run"].tolist(), "metric": "m0",
                                "importance": importance, "brush_axis": axis, "frames": frames}
                        page = browser.new_page(viewport={"width": 1240, "height": 900})
                        page.goto(f"{url}/index.html")
                        page.wait_for_function("() => window.benchReady === true")
                        out = page.evaluate("(m) => window.bench.run(m)", meta)
                        if repeat == 0:
                            (REPO / "screenshots").mkdir(exist_ok=True)
                            page.screenshot(path=str(REPO / "screenshots" /
                                                     f"hparams_bench_{axis}.png"))
                        page.close()
                        runs_out[axis].append(out)
            finally:
                browser.close()
    every = [r for outs in runs_out.values() for r in outs]
    assert all(r["runs"] == len(frame) for r in every), "not every run reached the page"
    # every selected run drawn once the drag settled (-1: a bundle that does not say)
    assert all(r["drawn"] in (-1, r["selected"][-1]) for r in every), "drawn != selected runs"

    def pct(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * q))]

    out: dict[str, Any] = {
        "first_render_ms": statistics.median(r["first_render_ms"] for r in every),
        "first_paint_ms": statistics.median(r["first_paint_ms"] for r in every),
    }
    for axis, outs in runs_out.items():
        frames_ms = [f for r in outs for f in r["frames"]]
        draws = [d for r in outs for d in r["draws"]]
        out[axis] = {
            "frame_ms_p50": statistics.median(frames_ms), "frame_ms_p95": pct(frames_ms, 0.95),
            "draw_ms_p50": statistics.median(draws), "draw_ms_p95": pct(draws, 0.95),
            "lines_changed_max": max(c for r in outs for c in r["changed"]),
            "settle_frames_max": max(r["settle_frames"] for r in outs),
            "selected_range": [min(outs[0]["selected"]), max(outs[0]["selected"])],
        }
    return out


def write_torch_sweep(frame: pd.DataFrame, logdir: Path) -> float:
    from torch.utils.tensorboard import SummaryWriter

    hparams = frame.attrs["hparams"]
    metrics = frame.attrs["metrics"]
    records = frame[["run", *hparams, *metrics]].to_dict("records")
    t = time.perf_counter()
    for row in records:
        writer = SummaryWriter(str(logdir / row["run"]))
        writer.add_hparams({h: (bool(row[h]) if isinstance(row[h], (bool, np.bool_))
                                else row[h]) for h in hparams},
                           {m: float(row[m]) for m in metrics}, run_name=".")
        writer.close()
    return time.perf_counter() - t


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_tensorboard(logdir: Path, runs: int, timeout: float) -> dict[str, Any]:
    port = _free_port()
    body = json.dumps({"experimentName": "", "allowedStatuses": [
        "STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
        "colParams": [], "startIndex": 0, "sliceSize": runs + 10}).encode()
    exe = Path(sys.executable).with_name("tensorboard")
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe), "--logdir", str(logdir), "--port", str(port),
                             "--host", "127.0.0.1", "--reload_interval", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen, last_request = 0, 0.0
    try:
        while time.perf_counter() - t0 < timeout:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/data/plugin/hparams/session_groups", data=body,
                    headers={"Content-Type": "application/json"})
                t = time.perf_counter()
                with urllib.request.urlopen(request, timeout=60) as response:
                    reply = json.loads(response.read())
                last_request = time.perf_counter() - t
                seen = int(reply.get("totalSize", len(reply.get("sessionGroups", []))))
                if seen >= runs:
                    return {"load_s": time.perf_counter() - t0, "sessions": seen,
                            "last_request_s": last_request}
            except OSError:
                pass
            time.sleep(0.5)
        return {"load_s": float("nan"), "sessions": seen, "timed_out_after_s": timeout}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# One end-to-end measurement in a fresh process: nbviz.read(kind="hparams") then
# HParams(logdir) (the panel's kernel side), and a digest of the table (equal digests: the
# same frame, columns, dtypes and attrs) so two checkouts can be compared on one logdir.
READ_SCRIPT = r"""
import hashlib, json, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
import nbviz
from nbviz.panels.hparams.widget import HParams
logdir = sys.argv[1]
t, cpu = time.perf_counter(), time.process_time()
df = nbviz.read(logdir, kind="hparams")
read_s, read_cpu_s = time.perf_counter() - t, time.process_time() - cpu
t, cpu = time.perf_counter(), time.process_time()
panel = HParams(logdir, metric="m0")
panel_s, panel_cpu_s = time.perf_counter() - t, time.process_time() - cpu
rows = len(panel.runs)
panel.close()
keys = ("hparams", "hparam_kinds", "metrics", "metric_summaries", "metric_tags")
digest = hashlib.sha1(pd.util.hash_pandas_object(df, index=True).values.tobytes()
                      + repr([list(df.columns), [str(d) for d in df.dtypes]]).encode()
                      + json.dumps({k: df.attrs.get(k) for k in keys}, sort_keys=True,
                                   default=str).encode()).hexdigest()[:16]
print(json.dumps({"read_s": read_s, "panel_s": panel_s, "read_cpu_s": read_cpu_s,
                  "panel_cpu_s": panel_cpu_s, "rows": len(df), "panel_rows": rows,
                  "digest": digest, "nbviz": nbviz.__file__}))
"""


def read_once(logdir: Path, tree: Path) -> dict[str, Any]:
    """:data:`READ_SCRIPT` with ``tree``'s nbviz (``PYTHONPATH=tree``)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", READ_SCRIPT, str(logdir)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"nbviz read in {tree} failed:\n{done.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["total_s"] = out["read_s"] + out["panel_s"]
    out["total_cpu_s"] = out["read_cpu_s"] + out["panel_cpu_s"]
    return out


def bench_nbviz_read(logdir: Path, runs: int, repeats: int, base: Path | None
                     ) -> dict[str, Any]:
    """read + panel on the anchor logdir, median of ``repeats`` fresh processes; with
    ``base`` (another checkout), that checkout too, interleaved in the same run."""
    trees = {"ours": REPO} | ({"base": base} if base is not None else {})
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for path in logdir.rglob("*tfevents*"):  # page cache warm for whichever side goes first
        path.read_bytes()
    for repeat in range(repeats):
        order = list(trees.items())
        for name, tree in order[::-1] if repeat % 2 else order:  # alternate who goes first
            samples[name].append(read_once(logdir, tree))
    out: dict[str, Any] = {}
    for name, outs in samples.items():
        out[name] = {key: statistics.median(o[key] for o in outs)
                     for key in ("read_s", "panel_s", "total_s", "total_cpu_s")}
        out[name].update(rows=outs[0]["rows"], panel_rows=outs[0]["panel_rows"],
                         digest=outs[0]["digest"], totals=[o["total_s"] for o in outs],
                         complete=outs[0]["rows"] == runs == outs[0]["panel_rows"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs instead of 10,000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames", type=int, default=40, help="brush-drag frames per repeat")
    parser.add_argument("--no-anchor", action="store_true", help="skip TensorBoard")
    parser.add_argument("--tb-timeout", type=float, default=900.0)
    parser.add_argument("--anchor-runs", type=int, default=0,
                        help="trials in the TensorBoard comparison (default: all runs)")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    parser.add_argument("--sweep-dir", type=Path,
                        help="the anchor sweep's directory: written there by torch when it "
                        "does not exist yet, reused as it is when it does (writing 10,000 "
                        "trials takes ~1 min); default: a temporary directory")
    parser.add_argument("--base", type=Path,
                        help="another nbviz checkout (e.g. main's) whose read + panel is timed "
                        "on the same sweep, interleaved with this one's, and whose table "
                        "must be equal")
    parser.add_argument("--read-only", action="store_true",
                        help="only the anchor comparison (no kernel/browser figures)")
    parser.add_argument("--no-tensorboard", action="store_true",
                        help="in the anchor comparison, time nbviz (and --base) only")
    args = parser.parse_args()
    runs = 1_000 if args.quick else 10_000
    frame = sweep_frame(runs)
    print(f"HParams at scale: {runs:,} runs × {HPARAMS + METRICS} axes "
          f"({HPARAMS} hparams, {METRICS} metrics), median of {args.repeats}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s) (figures scale with it)")
    record: dict[str, Any] = {"runs": runs}
    fields: dict[str, Any] = {"runs": runs}
    if not args.read_only:
        bench_in_kernel_and_browser(frame, args, record, fields)
    if not args.no_anchor:
        bench_anchor(args, runs, record, fields)
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(record, indent=1, default=float))
    summary("hparams_scale", **fields)


def bench_in_kernel_and_browser(frame: pd.DataFrame, args: argparse.Namespace,
                                record: dict[str, Any], fields: dict[str, Any]) -> None:
    kernel = bench_kernel(frame, args.repeats)
    print(f"  kernel: table encode {fmt_secs(kernel['encode_s'])} "
          f"({kernel['wire_bytes'] / 1e6:.1f} MB binary), importance "
          f"{fmt_secs(kernel['importance_s'])} (goal ≤ 1 s; top: "
          f"{', '.join(kernel['top_hparams'])})")
    browser = bench_browser(frame, args.repeats, args.frames)
    print(f"  browser: first render {browser['first_render_ms']:.0f} ms (to first paint "
          f"{browser['first_paint_ms']:.0f} ms)")
    for axis, kind in BRUSH_AXES.items():
        b = browser[axis]
        print(f"  brush drag on {axis} ({kind}): {b['frame_ms_p50']:.1f} ms per frame p50 / "
              f"{b['frame_ms_p95']:.1f} ms p95 ({1000 / b['frame_ms_p50']:.0f} fps; goal ≤ 50 ms);"
              f" line drawing {b['draw_ms_p50']:.1f} / {b['draw_ms_p95']:.1f} ms; selected "
              f"{b['selected_range'][0]}–{b['selected_range'][1]} runs, up to "
              f"{b['lines_changed_max']} lines drawn or erased in one frame, every selected "
              f"line drawn {b['settle_frames_max']} frame(s) after the drag")
    record.update(kernel=kernel, browser=browser)
    fields.update({
        "importance_s": kernel["importance_s"],
        "first_render_ms": browser["first_render_ms"],
        "brush_frame_ms_p50": {a: browser[a]["frame_ms_p50"] for a in BRUSH_AXES},
        "brush_frame_ms_p95": {a: browser[a]["frame_ms_p95"] for a in BRUSH_AXES},
    })


def bench_anchor(args: argparse.Namespace, runs: int, record: dict[str, Any],
                 fields: dict[str, Any]) -> None:
    """TensorBoard's hparams plugin and nbviz (read + panel; ``--base`` too) on one sweep
    written by torch."""
    anchor_runs = args.anchor_runs or runs
    with tempfile.TemporaryDirectory() as tmp:
        logdir = args.sweep_dir or Path(tmp) / "sweep"
        if logdir.exists():
            found = sum(1 for _ in logdir.iterdir())
            if found != anchor_runs:
                raise SystemExit(f"--sweep-dir {logdir} holds {found} entries, not the "
                                 f"{anchor_runs:,} trials asked for: pass an empty or new "
                                 "directory, or the matching --quick / --anchor-runs")
            print(f"  anchor sweep reused: {logdir} ({anchor_runs:,} run dirs written by "
                  "torch.utils.tensorboard)")
        else:
            write_s = write_torch_sweep(sweep_frame(anchor_runs), logdir)
            print(f"  anchor sweep written by torch.utils.tensorboard: {anchor_runs:,} run "
                  f"dirs in {write_s:.0f} s")
        tb = ({} if args.no_tensorboard
              else bench_tensorboard(logdir, anchor_runs, args.tb_timeout))
        nb = bench_nbviz_read(logdir, anchor_runs, args.repeats, args.base)
    ours = nb["ours"]
    version = __import__("tensorboard").__version__
    ratio = math.nan
    if not tb:
        compared = "not measured (--no-tensorboard)"
    elif "timed_out_after_s" in tb:  # TensorBoard never listed every trial: a lower bound
        ratio = tb["timed_out_after_s"] / ours["total_s"]
        print(f"  TensorBoard {version} hparams plugin: did NOT list all {anchor_runs:,} "
              f"trials within {tb['timed_out_after_s']:.0f} s (session_groups listed "
              f"{tb['sessions']:,}; raise --tb-timeout to wait longer)")
        compared = f"> {ratio:.2f} (a lower bound: TensorBoard timed out)"
    else:
        ratio = tb["load_s"] / ours["total_s"]
        print(f"  TensorBoard {version} hparams plugin: {tb['load_s']:.1f} s from start "
              f"until session_groups lists all {tb['sessions']:,} trials")
        compared = f"= {ratio:.2f}"
    print(f"  nbviz on the same logdir (median of {args.repeats} fresh processes): "
          f"read(kind='hparams') {ours['read_s']:.2f} s + HParams(logdir) "
          f"{ours['panel_s']:.2f} s = {ours['total_s']:.2f} s end to end, "
          f"{ours['total_cpu_s']:.2f} s of CPU ({ours['rows']:,} rows; goal: well under 10 s "
          f"for 10,000 trials); TensorBoard "
          f"time / nbviz end-to-end time {compared} (> 1: nbviz is faster)")
    if "base" in nb:
        base = nb["base"]
        same = "equal" if base["digest"] == ours["digest"] else "DIFFERENT"
        print(f"  --base {args.base}: read {base['read_s']:.2f} s + HParams "
              f"{base['panel_s']:.2f} s = {base['total_s']:.2f} s ({base['total_cpu_s']:.2f} s "
              f"of CPU); base / this checkout = {base['total_s'] / ours['total_s']:.1f}x end "
              f"to end, {base['total_cpu_s'] / ours['total_cpu_s']:.1f}x in CPU (same run, "
              "interleaved); "
              f"tables {same} (digest {base['digest']} vs {ours['digest']})")
        fields.update(base_total_s=base["total_s"],
                      base_over_ours=base["total_s"] / ours["total_s"],
                      tables_equal=base["digest"] == ours["digest"])
    record.update(tensorboard=tb, nbviz_read=nb)
    fields.update(anchor_runs=anchor_runs, tensorboard_load_s=tb.get("load_s", math.nan),
                  nbviz_read_s=ours["read_s"], nbviz_panel_s=ours["panel_s"],
                  nbviz_total_s=ours["total_s"], nbviz_total_cpu_s=ours["total_cpu_s"],
                  tensorboard_over_nbviz=ratio,
                  tensorboard_timed_out="timed_out_after_s" in tb)


if __name__ == "__main__":
    main()
