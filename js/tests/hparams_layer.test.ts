import { describe, expect, it } from "vitest";
import { SelectionLayer } from "../src/panels/hparams/layer";
import { HairlineRaster } from "../src/lib/line_raster";

// A small random sweep drawn as parallel coordinates: 5 axes, 300 runs, 3 colour slots
const W = 120;
const H = 60;
const RUNS = 300;
let seed = 3;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const xs = new Float32Array([2, 30, 60, 90, 117]);
const ys = Array.from({ length: xs.length }, (_, k) =>
  Float32Array.from({ length: RUNS }, () => (k === 2 ? 5 + 10 * Math.floor(rand() * 5) : 1 + rand() * (H - 2))));
const slot = Uint8Array.from({ length: RUNS }, (_, i) => (i % 17 === 0 ? 0 : 1 + Math.floor(rand() * 3)));
const palette = new Uint32Array([0, 0xff0000ff, 0xff00ff00, 0xffff0000]);

/** What drawing every selected line in slot order (missing first, best last) shows. */
function fullRaster(mask: Uint8Array): Uint32Array {
  const pixels = new Uint32Array(W * H);
  const order = Array.from({ length: RUNS }, (_, i) => i).sort((a, b) => slot[a]! - slot[b]!);
  new HairlineRaster(W, H, xs, ys).draw(pixels, order, (i) => (mask[i] === 1 && slot[i] !== 0 ? palette[slot[i]!]! : 0));
  return pixels;
}

function masks(): Uint8Array[] {
  // a brush sweeping over axis 1, jumping over the discrete axis 2, then cleared
  const out: Uint8Array[] = [];
  for (let step = 0; step <= 10; step++) {
    const lo = H - 1 - step * 6;
    out.push(Uint8Array.from({ length: RUNS }, (_, i) => (ys[1]![i]! >= lo ? 1 : 0)));
  }
  for (const level of [5, 25, 45, 15]) out.push(Uint8Array.from({ length: RUNS }, (_, i) => (ys[2]![i]! <= level ? 1 : 0)));
  out.push(new Uint8Array(RUNS).fill(1), new Uint8Array(RUNS), new Uint8Array(RUNS).fill(1));
  return out;
}

describe("hparams selection layer", () => {
  it("shows exactly what a full raster of the selected lines shows, after every change", () => {
    const layer = new SelectionLayer(W, H, xs, ys, slot, palette);
    for (const mask of masks()) {
      expect(layer.update(mask)).toBe(0);
      const pixels = new Uint32Array(layer.rgba.buffer);
      expect(Array.from(pixels)).toEqual(Array.from(fullRaster(mask)));
      let wanted = 0;
      for (let i = 0; i < RUNS; i++) wanted += mask[i] === 1 && slot[i] !== 0 ? 1 : 0;
      expect(layer.count()).toBe(wanted);
    }
  });

  it("draws only the lines whose selection changed, and rebuilds when that is cheaper", () => {
    const layer = new SelectionLayer(W, H, xs, ys, slot, palette);
    const all = new Uint8Array(RUNS).fill(1);
    const drawable = Array.from(slot).filter((s) => s !== 0).length;
    layer.update(all);
    expect(layer.lastChanged).toBe(drawable);
    const one = new Uint8Array(RUNS).fill(1);
    one[5] = 0;
    layer.update(one);
    expect(layer.lastChanged).toBe(1); // one line erased, nothing else touched
    const few = new Uint8Array(RUNS);
    few[1] = few[2] = 1;
    layer.update(few);
    expect(layer.lastChanged).toBe(2); // rebuilt from the 2 wanted lines, not 297 erased
    expect(Array.from(new Uint32Array(layer.rgba.buffer))).toEqual(Array.from(fullRaster(few)));
    layer.update(few);
    expect([layer.lastChanged, layer.pictureChanged]).toEqual([0, false]); // nothing to copy
    layer.update(new Uint8Array(RUNS)); // rebuilt from no line: 0 drawn, yet every pixel cleared
    expect([layer.lastChanged, layer.pictureChanged]).toEqual([0, true]);
    expect(new Uint32Array(layer.rgba.buffer).every((p) => p === 0)).toBe(true);
  });

  it("stops at a deadline and completes over later calls (progressive)", () => {
    const layer = new SelectionLayer(W, H, xs, ys, slot, palette);
    const mask = masks()[13]!;
    let left = layer.update(mask, -1); // already past the deadline: a few lines, then stop
    expect(left).toBeGreaterThan(0);
    let calls = 1;
    while (left > 0 && calls < 100) {
      left = layer.update(mask, -1);
      calls++;
    }
    expect(left).toBe(0);
    expect(calls).toBeGreaterThan(1);
    expect(Array.from(new Uint32Array(layer.rgba.buffer))).toEqual(Array.from(fullRaster(mask)));
  });
});
