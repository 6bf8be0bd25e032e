import { describe, expect, it } from "vitest";
import { axisMap, traceLine } from "../src/lib/line_path";
import { LineRaster, type Rgba } from "../src/lib/line_raster";

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
