import { describe, expect, it } from "vitest";
import { m4Capacity, m4Indices } from "../src/lib/decimate";

function run(x: number[], ys: number[][], x0: number, x1: number, w: number, a = 0, b = x.length) {
  const out = new Int32Array(m4Capacity(w));
  const n = m4Indices(x, ys[0]!, ys[1] ?? ys[0]!, a, b, x0, x1, w, out);
  return [...out.subarray(0, n)];
}

describe("m4Indices", () => {
  it("keeps first, last, min and max of each column", () => {
    const x = Array.from({ length: 100 }, (_, i) => i);
    const y = x.map((i) => (i === 37 ? 50 : i === 62 ? -50 : 0));
    const idx = run(x, [y], 0, 99.5, 1);
    expect(idx).toEqual([0, 37, 62, 99]);
  });

  it("works per pixel column and stays sorted and unique", () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 50) + ((i * 7919) % 101) / 1000);
    const s = x.map((i) => Math.sin(i / 50));
    const idx = run(x, [y, s], 0, n, 100);
    expect(idx.length).toBeLessThanOrEqual(m4Capacity(100));
    expect(idx.length).toBeGreaterThan(100 * 2);
    for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
    // every column's extremes are kept
    for (let col = 0; col < 100; col++) {
      const lo = col * 100;
      let mi = lo;
      let ma = lo;
      for (let i = lo; i < lo + 100; i++) {
        if (y[i]! < y[mi]!) mi = i;
        if (y[i]! > y[ma]!) ma = i;
      }
      expect(idx).toContain(mi);
      expect(idx).toContain(ma);
      let smi = lo;
      for (let i = lo; i < lo + 100; i++) if (s[i]! < s[smi]!) smi = i;
      expect(idx).toContain(smi);
    }
  });

  it("ignores non-finite values for extremes but keeps column ends", () => {
    const x = [0, 1, 2, 3, 4];
    const y = [1, Infinity, NaN, -Infinity, 2];
    expect(run(x, [y], 0, 5, 1)).toEqual([0, 4]);
    expect(run([0, 1, 2], [[NaN, 5, NaN]], 0, 3, 1)).toEqual([0, 1, 2]);
  });

  it("puts points outside [x0, x1] in their own edge columns", () => {
    const x = [-5, 0, 1, 2, 3, 10];
    const y = [9, 0, 1, 2, 3, 9];
    // window [0, 3] at 1 column: the outside points survive
    expect(run(x, [y], 0, 3, 1)).toEqual([0, 1, 4, 5]);
  });

  it("respects the [a, b) range", () => {
    const x = [0, 1, 2, 3, 4, 5];
    const y = [5, 4, 3, 2, 1, 0];
    expect(run(x, [y], 0, 6, 1, 2, 5)).toEqual([2, 4]);
  });
});
