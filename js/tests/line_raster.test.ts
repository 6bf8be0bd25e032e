import { describe, expect, it } from "vitest";
import { axisMap, traceLine } from "../src/lib/line_path";
import { HairlineRaster, LineRaster, rgbaWord, type Rgba, type SlotPixels } from "../src/lib/line_raster";

const ident = axisMap(0, 1, 0, 1);
const RED: Rgba = [255, 0, 0, 1];

function image(r: LineRaster): Uint8ClampedArray {
  const out = new Uint8ClampedArray(r.width * r.height * 4);
  r.pixels(out);
  return out;
}
/** Stroke points [i0, i1) of (xs, ys) (raster pixels) with `color`, `half` px each side. */
function line(r: LineRaster, xs: number[], ys: number[], i0: number, i1: number, color: Rgba, half: number): number {
  r.setPen(color, half);
  return traceLine(r, xs, ys, i0, i1, ident, ident);
}
const alphaAt = (img: Uint8ClampedArray, w: number, x: number, y: number) => img[(y * w + x) * 4 + 3]!;

describe("LineRaster", () => {
  it("a horizontal line through pixel centres fills one row, from its start column to its end", () => {
    const r = new LineRaster();
    r.reset(20, 20);
    expect(line(r, [2, 12], [10.5, 10.5], 0, 2, RED, 0.5)).toBe(2);
    const img = image(r);
    for (let x = 2; x < 12; x++) expect(alphaAt(img, 20, x, 10)).toBe(255);
    expect(alphaAt(img, 20, 1, 10)).toBe(0);
    expect(alphaAt(img, 20, 12, 10)).toBe(0);
    expect(alphaAt(img, 20, 5, 9)).toBe(0);
    expect(alphaAt(img, 20, 5, 11)).toBe(0);
    expect([...img.subarray((10 * 20 + 5) * 4, (10 * 20 + 5) * 4 + 3)]).toEqual([255, 0, 0]);
  });

  it("a line between two rows shares its coverage between them (anti-aliased)", () => {
    const r = new LineRaster();
    r.reset(20, 20);
    line(r, [0, 20], [10, 10], 0, 2, RED, 0.5);
    const img = image(r);
    expect(alphaAt(img, 20, 7, 9)).toBeCloseTo(128, -1);
    expect(alphaAt(img, 20, 7, 10)).toBeCloseTo(128, -1);
  });

  it("a steep line walks rows (a vertical line is drawn, one column wide)", () => {
    const r = new LineRaster();
    r.reset(20, 20);
    line(r, [4.5, 4.5], [2, 15], 0, 2, RED, 0.5);
    const img = image(r);
    for (let y = 2; y < 15; y++) expect(alphaAt(img, 20, 4, y)).toBe(255);
    expect(alphaAt(img, 20, 3, 8) + alphaAt(img, 20, 5, 8)).toBe(0);
  });

  it("a faint line is not darker where its segments join", () => {
    const r = new LineRaster();
    r.reset(20, 20);
    line(r, [1, 6, 11, 16], [5.5, 5.5, 5.5, 5.5], 0, 4, [0, 0, 255, 0.25], 0.5);
    const img = image(r);
    const row = Array.from({ length: 15 }, (_, i) => alphaAt(img, 20, 1 + i, 5));
    expect(new Set(row)).toEqual(new Set([64]));
  });

  it("blends source-over in order, skips non-finite points and clips to its size", () => {
    const r = new LineRaster();
    r.reset(10, 10);
    line(r, [-5, 15], [4.5, 4.5], 0, 2, [0, 0, 255, 1], 0.5); // clipped at both ends
    line(r, [-5, NaN, 15], [4.5, 3, 4.5], 0, 3, [255, 0, 0, 0.5], 0.5);
    const img = image(r);
    for (let x = 0; x < 10; x++) {
      const o = (4 * 10 + x) * 4;
      expect([...img.subarray(o, o + 4)]).toEqual([128, 0, 128, 255]); // half red over blue
    }
    expect(alphaAt(img, 10, 5, 3)).toBe(0); // the NaN point is joined over, not drawn
    expect(() => r.pixels(new Uint8ClampedArray(10))).toThrow(/need 400 bytes/);
  });

  it("reset clears what was drawn", () => {
    const r = new LineRaster();
    r.reset(8, 8);
    line(r, [0, 8], [4.5, 4.5], 0, 2, RED, 0.5);
    r.reset(8, 8);
    expect(image(r).some((v) => v !== 0)).toBe(false);
  });
});

/** Lines through two axes, one (x, y) column per axis: line i from (xs[0], ys[0][i]) to (xs[1], ys[1][i]). */
function hairlines(w: number, h: number, xs: number[], ys: number[][]): HairlineRaster {
  return new HairlineRaster(w, h, Float32Array.from(xs), ys.map((col) => Float32Array.from(col)));
}
const set = (pixels: Uint32Array) => pixels.reduce<number[]>((out, v, p) => (v !== 0 ? [...out, p] : out), []);

describe("rgbaWord", () => {
  it("packs a CSS colour and an alpha into the little-endian word of an ImageData pixel", () => {
    expect(rgbaWord("#ff0000", 255)).toBe(0xff0000ff);
    expect(rgbaWord("rgb(90,90,90)", 40)).toBe(0x285a5a5a);
    expect(rgbaWord("rgba(0, 145, 234, 0.4)", 235)).toBe(0xebea9100); // the colour's own alpha is not used
    const bytes = new Uint8ClampedArray(new Uint32Array([rgbaWord("#0091ea", 200)]).buffer);
    expect([...bytes]).toEqual([0, 145, 234, 200]);
    expect(rgbaWord("not a colour", 14)).toBe(0x0e808080); // grey
  });
});

describe("HairlineRaster", () => {
  it("a horizontal line covers one row from its start pixel to its end pixel, both included", () => {
    const r = hairlines(20, 10, [2, 12], [[5.5], [5.5]]);
    const pixels = new Uint32Array(200);
    r.draw(pixels, [0], () => 7);
    expect(set(pixels)).toEqual(Array.from({ length: 11 }, (_, k) => 5 * 20 + 2 + k));
  });

  it("a steep line covers one pixel per row, a diagonal one per row and column", () => {
    const r = hairlines(10, 20, [3, 5], [[1, 1], [18, 3]]);
    const pixels = new Uint32Array(200);
    r.draw(pixels, [0], () => 1);
    const steep = set(pixels);
    expect(steep.length).toBe(18);
    expect(new Set(steep.map((p) => Math.floor(p / 10))).size).toBe(18); // rows 1 … 18, once each
    pixels.fill(0);
    r.draw(pixels, [1], () => 1);
    expect(set(pixels)).toEqual([13, 24, 35]); // (3,1) (4,2) (5,3)
  });

  it("draws in the given order (later lines overwrite), skips colour 0 and drops what is outside", () => {
    const r = hairlines(10, 10, [0, 9], [[4, 4, 2], [4, 4, 2]]);
    const pixels = new Uint32Array(100);
    r.draw(pixels, [1, 0, 2], (i) => [11, 22, 0][i]!);
    expect(pixels[4 * 10 + 3]).toBe(11); // line 0 drawn after line 1
    expect(pixels[2 * 10 + 3]).toBe(0); // line 2's colour is 0: not drawn
    r.draw(pixels, [0, 1], (i) => [11, 22][i]!);
    expect(pixels[4 * 10 + 3]).toBe(22);
    // a line from outside on the left to outside on the right: its row only, nothing wraps
    const out = hairlines(10, 10, [-6, 16], [[3.5], [3.5]]);
    pixels.fill(0);
    out.draw(pixels, [0], () => 5);
    expect(set(pixels)).toEqual(Array.from({ length: 10 }, (_, x) => 30 + x));
    const below = hairlines(10, 10, [0, 9], [[12], [15]]);
    pixels.fill(0);
    below.draw(pixels, [0], () => 5);
    expect(set(pixels)).toEqual([]);
  });

  it("counting lines in and out of slots, in any order, shows what drawing them by slot shows", () => {
    const W = 40;
    const H = 30;
    // scattered but fixed positions, slots and order (a sine hash)
    const hash = (a: number, b: number) => (Math.abs(Math.sin(a * 12.9898 + b * 78.233)) * 43758.5453) % 1;
    const xs = Float32Array.from([1, 13, 26, 38]);
    const ys = Array.from(xs, (_, k) => Float32Array.from({ length: 60 }, (_, i) => hash(i, k) * H));
    const r = new HairlineRaster(W, H, xs, ys);
    const slotOf = Uint8Array.from({ length: 60 }, (_, i) => 1 + Math.floor(hash(i, 9) * 3));
    const palette = new Uint32Array([0, 0xff0000ff, 0xff00ff00, 0xffff0000]);
    const layer: SlotPixels = {
      pixels: new Uint32Array(W * H),
      counts: new Uint16Array(3 * W * H),
      top: new Uint8Array(W * H),
      palette,
    };
    const drawn = (lines: number[]) => {
      const pixels = new Uint32Array(W * H);
      r.draw(pixels, [...lines].sort((a, b) => slotOf[a]! - slotOf[b]!), (i) => palette[slotOf[i]!]!);
      return Array.from(pixels);
    };
    const all = Array.from({ length: 60 }, (_, i) => i).sort((a, b) => hash(a, 5) - hash(b, 5));
    for (const i of all) r.count(i, slotOf[i]!, 1, layer);
    expect(Array.from(layer.pixels)).toEqual(drawn(all));
    const kept = all.filter((i) => i % 3 !== 0);
    for (const i of all) if (i % 3 === 0) r.count(i, slotOf[i]!, -1, layer);
    expect(Array.from(layer.pixels)).toEqual(drawn(kept));
    for (const i of kept) r.count(i, slotOf[i]!, -1, layer);
    expect(layer.pixels.every((p) => p === 0) && layer.counts.every((c) => c === 0) && layer.top.every((t) => t === 0)).toBe(true);
  });

  it("says which argument is wrong", () => {
    expect(() => new HairlineRaster(10, 10, new Float32Array(3), [new Float32Array(2)])).toThrow(/ys needs one column per axis in xs \(3\), got 1/);
    expect(() => new HairlineRaster(10, 10, new Float32Array(2), [new Float32Array(2), new Float32Array(3)])).toThrow(/ys\[1\] has 3/);
    expect(() => new HairlineRaster(-1, 10, new Float32Array(0), [])).toThrow(/width and height must be >= 0, got -1/);
    const r = hairlines(10, 10, [0, 9], [[1], [2]]);
    expect(() => r.draw(new Uint32Array(50), [0], () => 1)).toThrow(/pixels needs 100 words, got 50/);
    const layer: SlotPixels = { pixels: new Uint32Array(100), counts: new Uint16Array(100), top: new Uint8Array(100), palette: new Uint32Array(2) };
    expect(() => r.count(0, 2, 1, layer)).toThrow(/slot must be 1…1 .* got slot 2/);
    expect(() => r.count(0, 1, 1, { ...layer, counts: new Uint16Array(10) })).toThrow(/got slot 1 and 10 counts/);
  });
});
