import { describe, expect, it } from "vitest";
import { lowerBound, nearestIndex } from "../src/lib/nearest";

describe("nearestIndex", () => {
  const xs = new Float64Array([0, 10, 20, 30, 40]);
  it("finds exact and nearest points", () => {
    expect(nearestIndex(xs, 20)).toBe(2);
    expect(nearestIndex(xs, 21)).toBe(2);
    expect(nearestIndex(xs, 26)).toBe(3);
    expect(nearestIndex(xs, 25)).toBe(2); // tie → lower
  });
  it("clamps outside the range", () => {
    expect(nearestIndex(xs, -100)).toBe(0);
    expect(nearestIndex(xs, 1e9)).toBe(4);
  });
  it("handles empty arrays, NaN and a limited length", () => {
    expect(nearestIndex(new Float64Array(0), 1)).toBe(-1);
    expect(nearestIndex(xs, NaN)).toBe(-1);
    expect(nearestIndex(xs, 1e9, 3)).toBe(2);
  });
  it("returns the first of duplicated x values", () => {
    expect(nearestIndex(new Float64Array([0, 5, 5, 5, 9]), 5.5)).toBe(1);
    expect(nearestIndex(new Float64Array([0, 5, 5, 5, 9]), 4)).toBe(1);
  });
  it("applies a monotone map", () => {
    const wall = new Float64Array([3600, 7200, 10800]);
    expect(nearestIndex(wall, 1.4, 3, (v) => (v - 3600) / 3600)).toBe(1);
  });
  it("agrees with a linear scan on random data", () => {
    const arr = Float64Array.from({ length: 1000 }, (_, i) => i * 3 + ((i * 17) % 3));
    for (let q = -5; q < 3010; q += 7.3) {
      let best = 0;
      for (let i = 1; i < arr.length; i++) if (Math.abs(arr[i]! - q) < Math.abs(arr[best]! - q)) best = i;
      expect(Math.abs(arr[nearestIndex(arr, q)]! - q)).toBe(Math.abs(arr[best]! - q));
    }
  });
});

describe("lowerBound", () => {
  it("returns the first index >= x", () => {
    const xs = [1, 2, 2, 3];
    expect(lowerBound(xs, 2)).toBe(1);
    expect(lowerBound(xs, 2.5)).toBe(3);
    expect(lowerBound(xs, 9)).toBe(4);
    expect(lowerBound(xs, 2, 2)).toBe(2);
  });
});
