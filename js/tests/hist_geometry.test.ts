import { describe, expect, it } from "vitest";
import { ageColor, baseline, binAt, extent, magma, niceTicks, normalise, ridgeAt, ridgeLayout, xOf } from "../src/panels/histograms/geometry";
import { bandFrame } from "../src/panels/distributions";
import { badges, decodeHeat } from "../src/panels/health";

describe("niceTicks", () => {
  it("gives round values inside the range", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1000, 4).every((v) => v % 100 === 0)).toBe(true);
    const t = niceTicks(-0.13, 0.27, 4);
    expect(t[0]).toBeGreaterThanOrEqual(-0.13);
    expect(t.at(-1)!).toBeLessThanOrEqual(0.27);
    expect(t).toContain(0);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(NaN, 1)).toEqual([]);
  });
});

describe("ridgelines", () => {
  const L = ridgeLayout(0, 0, 200, 100, 11, false);
  it("stacks baselines from the back (oldest, top) to the front (newest, bottom)", () => {
    expect(baseline(L, 0)).toBeCloseTo(L.peak);
    expect(baseline(L, 10)).toBeCloseTo(100);
    expect(baseline(L, 5)).toBeGreaterThan(baseline(L, 4));
  });
  it("hit-tests the ridge whose baseline is just below the pointer", () => {
    expect(ridgeAt(L, baseline(L, 3) - 1)).toBe(3);
    expect(ridgeAt(L, -50)).toBe(0);
    expect(ridgeAt(L, 1e6)).toBe(10);
    expect(ridgeAt(ridgeLayout(0, 0, 200, 100, 11, true), 10)).toBe(10); // overlay: newest
  });
  it("maps values to pixels and bins", () => {
    expect(xOf(L, -1, 1, 0)).toBe(100);
    expect(binAt(0, 1, 10, 0.05)).toBe(0);
    expect(binAt(0, 1, 10, 1)).toBe(9);
    expect(binAt(0, 1, 10, 1.01)).toBe(-1);
    expect(binAt(1, 1, 10, 1)).toBe(-1);
  });
});

describe("colours and scales", () => {
  it("ramps", () => {
    expect(magma(0)).toBe("rgb(0,0,4)");
    expect(magma(1)).toBe("rgb(252,253,191)");
    expect(ageColor(1, 0.5)).toBe("rgba(230,74,25,0.5)");
  });
  it("normalises on linear and log scales", () => {
    expect(normalise(5, 0, 10, false)).toBe(0.5);
    expect(normalise(10, 1, 100, true)).toBeCloseTo(0.5);
    expect(Number.isNaN(normalise(0, 1, 100, true))).toBe(true);
    expect(extent([NaN, 0, 2, -1, Infinity], true)).toEqual([2, 2]);
    expect(extent([NaN], false)).toBeNull();
  });
});

describe("distributions", () => {
  it("frames steps and the value extent", () => {
    const data = new Float64Array([0, 0, -3, -2, -1, 0, 0, 0, 1, 2, 3, 5, 0, -1, 0, 0, 0, 0, 0, 0, 1, 4]);
    const f = bandFrame({ info: { id: 0, run: "r", tag: "t", source: "user", layer: "", param: "", group: "", color: 0, count: 2 }, data, length: 2 }, 11);
    expect(f).not.toBeNull();
    expect([...f!.steps]).toEqual([0, 5]);
    expect(f!.lo).toBe(-3);
    expect(f!.hi).toBe(4);
  });
});

describe("health", () => {
  it("decodes steps and one matrix per statistic", () => {
    const buf = new Float64Array([0, 10, 1, 2, 3, 4, 5, 6, 7, 8]); // S=2, L=2, K=2
    const h = decodeHeat(new DataView(buf.buffer), 2, 2, 2)!;
    expect([...h.steps]).toEqual([0, 10]);
    expect([...h.matrices[1]!]).toEqual([5, 6, 7, 8]);
    expect(decodeHeat(new DataView(new ArrayBuffer(8)), 2, 2, 2)).toBeNull();
  });
  it("counts findings per layer with the worst severity", () => {
    const b = badges([
      { step: 1, layer: "fc1", rule: "dead_units", severity: "warning", message: "", param: "" },
      { step: 2, layer: "fc1", rule: "nonfinite", severity: "error", message: "", param: "" },
      { step: 2, layer: "", rule: "nonfinite_loss", severity: "error", message: "", param: "" },
    ]);
    expect(b.get("fc1")).toEqual({ count: 2, severity: "error", rules: ["dead_units", "nonfinite"] });
    expect(b.size).toBe(1);
  });
});
