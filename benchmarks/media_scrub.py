"""Scrubbing 1,000 steps x 16 images (64x64) in the Images panel, against TensorBoard.

Claims measured, all in this run on this machine:

* **store size per image** — nbviz's PNG records vs the raw pixels (uint8 RGB and the
  float32 CHW a model outputs) and vs the event file torch's ``SummaryWriter.add_image``
  writes for the same 16,000 images;
* **reading every image back** — ``nbviz.read(kind="images", decode=False)`` (what the
  panel needs: metadata + encoded bytes) and with decoding, vs TensorBoard's own loader
  (``EventAccumulator`` with ``size_guidance={IMAGES: 0}``, i.e. keep all; by default it
  keeps 4 per tag, TensorBoard's server 10) reading the same images;
* **kernel cost and bytes per step on the wire** — the panel's ``blobs`` message of one
  step (16 PNGs, binary buffers);
* **step changes per second** in headless Chromium: the built ``images.js`` bundle in a
  page with a fake anywidget model that answers the panel's ``want`` requests with the
  kernel's real blob messages (computed beforehand by the real widget); one step change =
  slider moved → all 16 cells of the new step decoded and drawn (``data-drawn-step``).
  Goal: >= 30 step changes/s.

    PYTHONPATH=. python benchmarks/media_scrub.py [--steps 1000] [--repeats 3]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CHROMIUM, CHROMIUM_ARGS, REPO, fmt_bytes, fmt_secs, serve, summary

SIDE = 64
SAMPLES = 16

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>media scrub bench</title>
<style>body{margin:0;padding:8px;font-family:sans-serif} #app{width:2100px}</style></head>
<body><div id="app"></div><script type="module">
import widget from "./images.js";
class FakeModel {
  constructor(state, blobs) { this.state = {...state}; this.handlers = new Map(); this.blobs = blobs; this.sentBytes = 0; }
  get(k) { return this.state[k]; }
  set(k, v) { this.state[k] = v; this.emit(`change:${k}`); }
  on(e, cb) { if (!this.handlers.has(e)) this.handlers.set(e, new Set()); this.handlers.get(e).add(cb); }
  off(e, cb) { this.handlers.get(e)?.delete(cb); }
  emit(e, ...a) { for (const cb of [...(this.handlers.get(e) ?? [])]) cb(...a); }
  save_changes() {}
  // the kernel: answer {type: "want", ids} with the widget's real blob messages
  send(msg) {
    if (msg.type !== "want") return;
    const items = [], buffers = [];
    for (const id of msg.ids) {
      const b = this.blobs.get(id);
      if (!b) continue;
      items.push({id, mime: "image/png", part: buffers.length, mask_part: -1});
      buffers.push(b);
      this.sentBytes += b.byteLength;
    }
    setTimeout(() => this.emit("msg:custom", {type: "blobs", items}, buffers), 0);
  }
}
window.bench = {
  async setup(meta) {
    const index = await (await fetch("entries.json")).json();
    const data = new Uint8Array(await (await fetch("blobs.bin")).arrayBuffer());
    const blobs = new Map();
    for (const [id, start, stop] of index.parts) blobs.set(id, new DataView(data.buffer, start, stop - start));
    const model = new FakeModel({entries: index.entries, snapshot: null, snapshot_seq: 1,
                                 runs: ["bench"], title: "", max_samples: 16}, blobs);
    widget.initialize({model});
    const el = document.getElementById("app");
    widget.render({model, el});
    window.model = model;
    window.root = el.querySelector(".nbviz-images");
    return index.entries.length;
  },
  // move the slider through `count` steps from `first`; wait for each step to be drawn
  async scrub(first, count) {
    const slider = root.querySelector("input.nbviz-media-slider");
    const drawn = (s) => new Promise((resolve) => {
      if (root.dataset.drawnStep === String(s)) return resolve();
      const on = (e) => { if (e.detail === s) { root.removeEventListener("nbviz:drawn", on); resolve(); } };
      root.addEventListener("nbviz:drawn", on);
    });
    const bytes0 = model.sentBytes;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      slider.value = String(first + i);
      slider.dispatchEvent(new Event("input", {bubbles: true}));
      await drawn(first + i);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cells = root.querySelectorAll("canvas.nbviz-images-thumb");
    const ok = [...cells].every((c) => c.dataset.step === String(first + count - 1));
    return {seconds, rate: count / seconds, bytes: model.sentBytes - bytes0, cells: cells.length, ok};
  },
};
window.benchReady = true;
</script></body></html>
"""  # noqa: E501


def _images(steps: int) -> np.ndarray:
    """uint8 [steps, 16, 64, 64, 3]: sklearn digits upsampled (bilinear), one per sample,
    morphing from one digit to the next over the steps and tinted per sample — smooth,
    natural-looking images, different at every step."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits().images[:32] / 16.0
    big = np.stack([np.asarray(Image.fromarray((d * 255).astype(np.uint8)).resize(
        (SIDE, SIDE), Image.Resampling.BILINEAR), np.float32) / 255 for d in digits])
    t = (np.arange(steps) / max(steps - 1, 1))[:, None, None, None]
    mix = big[None, :SAMPLES] * (1 - t) + big[None, SAMPLES:] * t            # [S, 16, H, W]
    tint = np.linspace(0.4, 1.0, SAMPLES)[None, :, None, None, None]
    rgb = np.stack([mix, mix * 0.8 + 0.1, 1 - mix * 0.7], axis=-1) * tint
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-anchor", action="store_true",
                        help="skip torch's writer and TensorBoard's loader (quick re-runs)")
    args = parser.parse_args()
    import nbviz
    from nbviz.widgets import _ticker

    steps = args.steps
    count = steps * SAMPLES
    work = Path(tempfile.mkdtemp(prefix="nbviz_media_bench_"))
    try:
        images = _images(steps)
        print(f"{steps} steps x {SAMPLES} images of {SIDE}x{SIDE} RGB = {count} images")

        # -- write: nbviz log_image vs torch add_image (one tag per sample, as TB groups)
        t0 = time.perf_counter()
        with nbviz.init("bench", logdir=work / "nb") as run:
            for step in range(steps):
                run.log_image("samples", images[step], step=step)
        nb_write = time.perf_counter() - t0
        from torch.utils.tensorboard import SummaryWriter as TorchWriter

        t0 = time.perf_counter()
        with TorchWriter(str(work / "tb" / "bench")) as writer:
            if args.no_anchor:
                writer.add_image("samples/0", images[0, 0], 0, dataformats="HWC")
            for step in range(0 if args.no_anchor else steps):
                for sample in range(SAMPLES):
                    writer.add_image(f"samples/{sample}", images[step, sample], step,
                                     dataformats="HWC")
        tb_write = time.perf_counter() - t0
        nb_size = sum(p.stat().st_size for p in (work / "nb").rglob("*") if p.is_file())
        tb_size = sum(p.stat().st_size for p in (work / "tb").rglob("*") if p.is_file())
        raw_u8 = SIDE * SIDE * 3
        raw_f32 = SIDE * SIDE * 3 * 4
        print(f"write: nbviz log_image {fmt_secs(nb_write / count)}/image, torch add_image "
              f"{fmt_secs(tb_write / count)}/image ({tb_write / nb_write:.2f}x nbviz's time)")
        print(f"store per image: nbviz {fmt_bytes(nb_size / count)} (SQLite file incl. "
              f"metadata), torch event file {fmt_bytes(tb_size / count)}; raw uint8 RGB "
              f"{fmt_bytes(raw_u8)} ({raw_u8 / (nb_size / count):.1f}x nbviz), float32 CHW "
              f"{fmt_bytes(raw_f32)} ({raw_f32 / (nb_size / count):.1f}x nbviz)")

        # -- read everything back
        from tensorboard.backend.event_processing import event_accumulator as ea

        def tb_read() -> int:
            acc = ea.EventAccumulator(str(work / "tb" / "bench"), size_guidance={ea.IMAGES: 0})
            acc.Reload()
            return sum(len(acc.Images(tag)) for tag in acc.Tags()["images"])

        def tb_read_default() -> int:
            acc = ea.EventAccumulator(str(work / "tb" / "bench"))
            acc.Reload()
            return sum(len(acc.Images(tag)) for tag in acc.Tags()["images"])

        def timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
            values = []
            result = None
            for _ in range(args.repeats):
                t = time.perf_counter()
                result = fn()
                values.append(time.perf_counter() - t)
            return statistics.median(values), result

        tb_time, tb_count = timed(tb_read)
        _, tb_default = timed(tb_read_default)
        if args.no_anchor:
            print("(--no-anchor: TensorBoard figures below are for one image, not comparable)")
        raw_time, raw_frame = timed(lambda: nbviz.read(work / "nb", "images", decode=False))
        dec_time, dec_frame = timed(lambda: nbviz.read(work / "nb", "images"))
        assert len(raw_frame) == len(dec_frame) == count  # type: ignore[arg-type]
        np.testing.assert_array_equal(dec_frame.image.iloc[-1], images[-1, -1])  # type: ignore[union-attr]
        print(f"read all: TensorBoard EventAccumulator (keep all) {fmt_secs(tb_time)} for "
              f"{tb_count} images; nbviz.read decode=False {fmt_secs(raw_time)} "
              f"({tb_time / raw_time:.2f}x faster), decoded to arrays {fmt_secs(dec_time)} "
              f"({tb_time / dec_time:.2f}x); TensorBoard's default guidance keeps "
              f"{tb_default} of {count}")

        # -- the panel: entries, kernel cost and bytes of one step's blob message
        panel = nbviz.Images(work / "nb")
        _ticker.unregister(panel)
        entries = list(panel.entries)
        by_step: dict[int, list[int]] = {}
        for entry in entries:
            by_step.setdefault(entry["step"], []).append(entry["id"])
        t0 = time.perf_counter()
        sizes = []
        parts: list[list[int]] = []
        chunks: list[bytes] = []
        offset = 0
        for step in range(steps):
            items, buffers = panel._blob_message(by_step[step])
            sizes.append(sum(len(b) for b in buffers) + len(json.dumps(
                {"type": "blobs", "items": items})))
            for item, buffer in zip(items, buffers, strict=True):
                parts.append([item["id"], offset, offset + len(buffer)])
                chunks.append(buffer)
                offset += len(buffer)
        kernel_per_step = (time.perf_counter() - t0) / steps
        panel.close()
        wire = statistics.median(sizes)
        print(f"wire: {fmt_bytes(wire)} per step (16 PNGs in binary buffers + JSON); kernel "
              f"builds a step's message in {fmt_secs(kernel_per_step)}; entries for "
              f"{len(entries)} images: {fmt_bytes(len(json.dumps(entries)))} JSON once")

        rate = None
        if not args.no_browser:
            from playwright.sync_api import sync_playwright

            site = work / "site"
            site.mkdir()
            (site / "index.html").write_text(PAGE, encoding="utf-8")
            shutil.copy(REPO / "nbviz" / "static" / "images.js", site / "images.js")
            (site / "entries.json").write_text(json.dumps({"entries": entries, "parts": parts}))
            (site / "blobs.bin").write_bytes(b"".join(chunks))
            with serve(site) as url, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
                page = browser.new_page(viewport={"width": 2200, "height": 700})
                page.goto(f"{url}/index.html")
                page.wait_for_function("() => window.benchReady === true")
                page.evaluate("() => bench.setup()")
                page.wait_for_function(f"() => root.dataset.drawnStep === '{steps - 1}'",
                                       timeout=60_000)
                runs = []
                chunk = min(200, steps - 1)
                for repeat in range(args.repeats):
                    first = (repeat * chunk) % max(1, steps - chunk)
                    result = page.evaluate(f"() => bench.scrub({first}, {chunk})")
                    assert result["ok"] and result["cells"] == SAMPLES, result
                    runs.append(result)
                browser.close()
            rate = statistics.median(r["rate"] for r in runs)
            page_bytes = statistics.median(r["bytes"] / chunk for r in runs)
            print(f"browser: {rate:.1f} step changes/s (median of {args.repeats} x {chunk} "
                  f"steps, all 16 cells decoded and drawn each step; goal >= 30), "
                  f"{fmt_bytes(page_bytes)} of image bytes per step")
        summary("media_scrub", steps=steps, images=count,
                store_bytes_per_image=nb_size / count, tb_bytes_per_image=tb_size / count,
                raw_uint8_bytes=raw_u8, raw_float32_bytes=raw_f32,
                nb_write_s=nb_write, tb_write_s=tb_write, tb_read_s=tb_time,
                nb_read_raw_s=raw_time, nb_read_decoded_s=dec_time,
                tb_default_kept=tb_default, wire_bytes_per_step=wire,
                kernel_s_per_step=kernel_per_step, step_changes_per_s=rate)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
