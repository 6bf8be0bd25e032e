import { describe, expect, it } from "vitest";
import { axisMap, clipOutside, traceLine, type LineSink, type RectSink } from "../src/lib/line_path";

class Recorder implements LineSink, RectSink {
  ops: string[] = [];
  moveTo(x: number, y: number): void {
    this.ops.push(`M${x},${y}`);
  }
  lineTo(x: number, y: number): void {
    this.ops.push(`L${x},${y}`);
  }
  rect(x: number, y: number, w: number, h: number): void {
    this.ops.push(`R${x},${y},${w},${h}`);
  }
}

describe("axisMap", () => {
  it("maps the two anchors, linear and log", () => {
    const m = axisMap(0, 10, 100, 200);
    expect(m.a + m.b * 0).toBe(100);
    expect(m.a + m.b * 10).toBe(200);
    const l = axisMap(1, 100, 300, 100, true);
    expect(l.a + l.b * Math.log10(10)).toBeCloseTo(200);
  });

  it("maps a degenerate span to its first pixel", () => {
    expect(axisMap(5, 5, 40, 80)).toEqual({ a: 40, b: 0, log: false });
  });
});

describe("traceLine", () => {
  const mx = axisMap(0, 10, 0, 100);
  const my = axisMap(0, 1, 50, 0);

  it("moves to the first point and joins the rest", () => {
    const r = new Recorder();
    const n = traceLine(r, [0, 5, 10], [0, 1, 0.5], 0, 3, mx, my);
    expect(n).toBe(3);
    expect(r.ops).toEqual(["M0,50", "L50,0", "L100,25"]);
  });

  it("skips NaN and ±Inf values (also a leading one) and honours [i0, i1)", () => {
    const r = new Recorder();
    const n = traceLine(r, [0, 1, 2, 3, 4, 5], [NaN, 0, Infinity, -Infinity, 1, 0], 0, 5, mx, my);
    expect(n).toBe(2);
    expect(r.ops).toEqual(["M10,50", "L40,0"]);
  });

  it("drops non-positive values on a log axis", () => {
    const r = new Recorder();
    const ly = axisMap(1, 100, 200, 0, true);
    const n = traceLine(r, [0, 1, 2, 3], [10, 0, -5, 100], 0, 4, mx, ly);
    expect(n).toBe(2);
    expect(r.ops).toEqual(["M0,100", "L30,0"]);
  });

  it("costs one pass over the points of each series (no shared x)", () => {
    // 100 series, 900 points each, every series on its own x values
    let ops = 0;
    const sink: LineSink = { moveTo: () => ops++, lineTo: () => ops++ };
    for (let s = 0; s < 100; s++) {
      const xs = Float64Array.from({ length: 900 }, (_, i) => i * 11 + s);
      const ys = Float64Array.from(xs, (x) => Math.sin(x));
      traceLine(sink, xs, ys, 0, xs.length, axisMap(0, 10000, 0, 800), my);
    }
    expect(ops).toBe(90_000);
  });
});

describe("clipOutside", () => {
  it("keeps the parts of the box between gaps", () => {
    const r = new Recorder();
    expect(clipOutside(r, [[20, 30], [50, 60]], 0, 10, 100, 40, 5)).toBe(true);
    expect(r.ops).toEqual(["R-5,5,25,50", "R30,5,20,50", "R60,5,45,50"]);
  });

  it("adds nothing without gaps and ignores empty ones", () => {
    const r = new Recorder();
    expect(clipOutside(r, [], 0, 0, 100, 40)).toBe(false);
    expect(r.ops).toEqual([]);
    expect(clipOutside(r, [[30, 30]], 0, 0, 100, 40, 0)).toBe(true);
    expect(r.ops).toEqual(["R0,0,100,40"]);
  });
});
