import { describe, expect, it } from "vitest";
import { Aligner, type AlignSource } from "../src/lib/align";

const src = (xs: number[], ys: number[], n = xs.length): AlignSource => ({
  xs,
  n,
  xOffset: 0,
  xScale: 1,
  ys: [ys],
});
const arr = (a: Float64Array) => [...a].map((v) => (Number.isNaN(v) ? "-" : v));

describe("Aligner", () => {
  it("merges x columns (multiset union) with NaN where a series has no point", () => {
    const a = new Aligner(1);
    const r = a.sync([src([0, 1, 2, 2], [10, 11, 12, 13]), src([1, 2, 5], [21, 22, 25])]);
    expect(r.rebuilt).toBe(true);
    expect([...a.x]).toEqual([0, 1, 2, 2, 5]);
    expect(arr(a.col(0, 0))).toEqual([10, 11, 12, 13, "-"]);
    expect(arr(a.col(1, 0))).toEqual(["-", 21, 22, "-", 25]);
  });

  it("keeps non-finite values as they are", () => {
    const a = new Aligner(1);
    a.sync([src([0, 1, 2], [1, NaN, Infinity]), src([1], [5])]);
    expect(arr(a.col(0, 0))).toEqual([1, "-", Infinity]);
  });

  it("extends incrementally (no rebuild) when points land at the end or on existing x", () => {
    const a = new Aligner(1);
    const xa = [0, 1, 2, 3];
    const ya = [0, 1, 2, 3];
    const xb = [0, 1, 2, 3];
    const yb = [5, 6, 7, 8];
    a.sync([src(xa, ya, 2), src(xb, yb, 1)]);
    expect(a.rebuilds).toBe(1);
    const r = a.sync([src(xa, ya, 4), src(xb, yb, 3)]);
    expect(r.rebuilt).toBe(false);
    expect(r.added).toBe(4);
    expect(a.rebuilds).toBe(1);
    expect([...a.x]).toEqual([0, 1, 2, 3]);
    expect(arr(a.col(1, 0))).toEqual([5, 6, 7, "-"]);
    // equals a fresh rebuild
    const fresh = new Aligner(1);
    fresh.sync([src(xa, ya, 4), src(xb, yb, 3)]);
    expect([...fresh.x]).toEqual([...a.x]);
    expect(arr(fresh.col(0, 0))).toEqual(arr(a.col(0, 0)));
    expect(arr(fresh.col(1, 0))).toEqual(arr(a.col(1, 0)));
  });

  it("grows past its initial capacity while extending", () => {
    const n = 1000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((v) => v * 2);
    const a = new Aligner(1);
    a.sync([src(xs, ys, 1), src(xs, ys, 1)]);
    for (let k = 2; k <= n; k += 37) a.sync([src(xs, ys, k), src(xs, ys, Math.max(1, k - 5))]);
    a.sync([src(xs, ys, n), src(xs, ys, n)]);
    expect(a.rebuilds).toBe(1);
    expect(a.length).toBe(n);
    expect(a.col(1, 0)[n - 1]).toBe(2 * (n - 1));
    expect(a.col(0, 0)[500]).toBe(1000);
  });

  it("rebuilds when a point needs an insertion", () => {
    const a = new Aligner(1);
    a.sync([src([0, 10], [1, 2]), src([0, 5, 20], [3, 4, 5], 1)]);
    const r = a.sync([src([0, 10], [1, 2]), src([0, 5, 20], [3, 4, 5])]);
    expect(r.rebuilt).toBe(true);
    expect([...a.x]).toEqual([0, 5, 10, 20]);
    expect(arr(a.col(0, 0))).toEqual([1, "-", 2, "-"]);
    expect(arr(a.col(1, 0))).toEqual([3, 4, "-", 5]);
  });

  it("refills a column through the position map", () => {
    const a = new Aligner(2);
    a.sync([
      { xs: [0, 2], n: 2, xOffset: 0, xScale: 1, ys: [[1, 2], [1, 2]] },
      { xs: [1], n: 1, xOffset: 0, xScale: 1, ys: [[9], [9]] },
    ]);
    a.refill(0, 1, [100, 200]);
    expect(arr(a.col(0, 1))).toEqual([100, "-", 200]);
    expect(arr(a.col(0, 0))).toEqual([1, "-", 2]);
  });

  it("applies the x transform and rebuilds when it changes", () => {
    const a = new Aligner(1);
    a.sync([{ xs: [3600, 7200], n: 2, xOffset: 3600, xScale: 1 / 3600, ys: [[1, 2]] }]);
    expect([...a.x]).toEqual([0, 1]);
    a.sync([{ xs: [3600, 7200], n: 2, xOffset: 0, xScale: 1 / 3600, ys: [[1, 2]] }]);
    expect([...a.x]).toEqual([1, 2]);
    expect(a.rebuilds).toBe(2);
  });

  it("skips points whose x is NaN", () => {
    const a = new Aligner(1);
    a.sync([src([0, NaN, 2], [1, 2, 3]), src([1], [7])]);
    expect([...a.x]).toEqual([0, 1, 2]);
    expect(arr(a.col(0, 0))).toEqual([1, "-", 3]);
    expect(a.pos[0]![1]).toBe(-1);
  });
});
