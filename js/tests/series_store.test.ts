import { describe, expect, it } from "vitest";
import { SeriesStore } from "../src/lib/series_store";

describe("SeriesStore", () => {
  it("appends columns and exposes length-exact views", () => {
    const s = new SeriesStore();
    s.append([0, 1], [10, 11], [0.5, 0.25]);
    s.append(new Float64Array([2]), new Float64Array([12]), new Float64Array([0.125]));
    expect(s.length).toBe(3);
    expect([...s.step]).toEqual([0, 1, 2]);
    expect([...s.wall]).toEqual([10, 11, 12]);
    expect([...s.value]).toEqual([0.5, 0.25, 0.125]);
  });

  it("grows by doubling (amortised O(1) per point)", () => {
    const s = new SeriesStore(64);
    const caps = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      s.append([i], [i], [i * 2]);
      caps.add(s.capacity);
    }
    expect(s.length).toBe(10_000);
    expect(s.capacity).toBe(16384);
    // 64, 128, …, 16384: log2(16384/64) + 1 = 9 reallocations at most
    expect(caps.size).toBe(9);
    expect(s.value[9999]).toBe(19998);
    expect(s.step[5000]).toBe(5000);
  });

  it("rejects mismatched columns", () => {
    const s = new SeriesStore();
    expect(() => s.append([1, 2], [1], [1, 2])).toThrow();
    expect(s.length).toBe(0);
  });

  it("records non-finite value indices and clears them with the data", () => {
    const s = new SeriesStore();
    s.append([0, 1, 2, 3], [0, 0, 0, 0], [1, NaN, Infinity, -Infinity]);
    expect(s.nonFinite).toEqual([1, 2, 3]);
    const e = s.epoch;
    s.replace([0], [0], [1]);
    expect(s.nonFinite).toEqual([]);
    expect(s.epoch).toBe(e + 1);
    expect([...s.value]).toEqual([1]);
  });
});

describe("SeriesStore.adopt", () => {
  it("takes the columns without copying, then grows on append", () => {
    const step = new Float64Array([0, 1, 2]);
    const wall = new Float64Array([5, 6, 7]);
    const value = new Float64Array([1, -2, 0]);
    const s = new SeriesStore();
    s.adopt(step, wall, value);
    expect(s.rawStep).toBe(step);
    expect(s.length).toBe(3);
    expect(s.nonPositive).toEqual([1, 2]);
    s.append([3], [8], [4]);
    expect(s.rawStep).not.toBe(step);
    expect([...s.step]).toEqual([0, 1, 2, 3]);
    expect([...s.value]).toEqual([1, -2, 0, 4]);
    expect(step[0]).toBe(0); // the adopted array is not written past its end
  });
});
