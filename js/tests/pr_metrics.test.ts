import { describe, expect, it } from "vitest";
import type { Curve, CurveInfo } from "../src/panels/pr/data";
import {
  averagePrecision,
  bestF1,
  curveMetric,
  curvePoints,
  f1At,
  fprAt,
  isoF1,
  nearestPoint,
  overlayAlpha,
  positiveRate,
  rocAuc,
  thresholdAt,
} from "../src/panels/pr/metrics";

// nbviz.panels.pr.compute.tb_pr_curve([0,1,1,0,1,0], [0.1,0.8,0.6,0.4,0.9,0.65], num_thresholds=5);
// binned_average_precision = 0.91666…, binned_roc_auc = 0.94444…, binned_best_f1 = (0.5, 0.857…)
const ROWS = [
  [3, 3, 3, 2, 0],
  [3, 2, 1, 0, 0],
  [0, 1, 2, 3, 3],
  [0, 0, 0, 1, 3],
  [0.5, 0.6, 0.75, 1.0, 0.0],
  [1.0, 1.0, 1.0, 2 / 3, 0.0],
];

function info(extra: Partial<CurveInfo> = {}): CurveInfo {
  return {
    id: 1, run: "r", tag: "t", series: "", kind: "binary", class_index: -1, step: 0, wall_time: 0,
    num_thresholds: 5, color: 0, ap: null, auc: null, best_f1: null, best_f1_threshold: null, exact: null,
    ...extra,
  };
}

function curve(rows: number[][] = ROWS, extra: Partial<CurveInfo> = {}): Curve {
  const r = rows.map((x) => Float64Array.from(x));
  return { info: info({ num_thresholds: rows[0]!.length, ...extra }), tp: r[0]!, fp: r[1]!, tn: r[2]!, fn: r[3]!, precision: r[4]!, recall: r[5]! };
}

describe("binned metrics (same numbers as nbviz/panels/pr/compute.py)", () => {
  it("AP, AUC, best F1, positive rate", () => {
    const c = curve();
    expect(averagePrecision(c)).toBeCloseTo(0.9166666666666666, 12);
    expect(rocAuc(c)).toBeCloseTo(0.9444444444444444, 12);
    const best = bestF1(c)!;
    expect(thresholdAt(best.index, 5)).toBe(0.5);
    expect(best.f1).toBeCloseTo(6 / 7, 12);
    expect(f1At(c, 2)).toBeCloseTo(6 / 7, 12);
    expect(positiveRate(c)).toBe(0.5);
    expect(fprAt(c, 1)).toBeCloseTo(2 / 3, 12);
  });

  it("undefined metrics are null, not NaN", () => {
    const none = curve([[0, 0], [2, 1], [0, 1], [0, 0], [0, 0], [0, 0]]);
    expect(averagePrecision(none)).toBeNull();
    expect(rocAuc(none)).toBeNull();
    expect(bestF1(none)).toBeNull();
    const onlyPos = curve([[2, 1], [0, 0], [0, 0], [0, 1], [1, 1], [1, 0.5]]);
    expect(averagePrecision(onlyPos)).toBe(1);
    expect(rocAuc(onlyPos)).toBeNull();
  });

  it("prefers the kernel's exact metric when sent", () => {
    const c = curve(ROWS, { ap: 0.93, auc: null });
    expect(curveMetric(c, "pr")).toBe(0.93);
    expect(curveMetric(c, "roc")).toBeCloseTo(0.9444444444444444, 12);
  });

  it("macro curves take F1 from the averaged precision / recall rows", () => {
    const macro = curve(ROWS, { kind: "macro" });
    const best = bestF1(macro)!;
    const f = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(best.f1).toBeCloseTo(Math.max(f(0.5, 1), f(0.6, 1), f(0.75, 1), f(1, 2 / 3)), 12);
  });
});

describe("curvePoints", () => {
  it("PR: skips thresholds that predict nothing (precision 0 by convention)", () => {
    const p = curvePoints(curve(), "pr");
    expect(p.length).toBe(4);
    expect([...p.index.subarray(0, p.length)]).toEqual([0, 1, 2, 3]);
    expect([...p.x.subarray(0, 4)]).toEqual([1, 1, 1, 2 / 3]);
    expect([...p.y.subarray(0, 4)]).toEqual([0.5, 0.6, 0.75, 1]);
  });

  it("PR: skips NaN rates of raw curves", () => {
    const rows = ROWS.map((r) => [...r]);
    rows[4]![1] = NaN;
    expect(curvePoints(curve(rows), "pr").length).toBe(3);
  });

  it("ROC: every threshold then (0, 0); empty when a class is missing", () => {
    const p = curvePoints(curve(), "roc");
    expect(p.length).toBe(6);
    expect(p.index[5]).toBe(-1);
    expect([p.x[0], p.y[0]]).toEqual([1, 1]);
    expect([p.x[5], p.y[5]]).toEqual([0, 0]);
    const none = curve([[0, 0], [2, 1], [0, 1], [0, 0], [0, 0], [0, 0]]);
    expect(curvePoints(none, "roc").length).toBe(0);
  });
});

describe("isoF1 / nearestPoint / overlayAlpha", () => {
  it("iso-F1 points all have the given F1 and start at precision 1", () => {
    for (const f of [0.2, 0.5, 0.8]) {
      const c = isoF1(f, 32);
      expect(c.y[0]).toBeCloseTo(1, 12);
      expect(c.x[c.x.length - 1]).toBe(1);
      c.x.forEach((r, k) => {
        const p = c.y[k]!;
        expect((2 * p * r) / (p + r)).toBeCloseTo(f, 9);
      });
    }
    expect(isoF1(0).x).toEqual([]);
    expect(isoF1(1).x).toEqual([]);
  });

  it("nearest point in screen space, first of ties", () => {
    const pts = curvePoints(curve(), "pr"); // (1,.5) (1,.6) (1,.75) (2/3,1)
    const toPx = (x: number, y: number): [number, number] => [x * 100, (1 - y) * 100];
    expect(nearestPoint(pts, 100, 41, toPx)!.k).toBe(1);
    expect(nearestPoint(pts, 60, 0, toPx)!.k).toBe(3);
    const hit = nearestPoint(pts, 100, 25, toPx)!;
    expect(hit.k).toBe(2);
    expect(hit.dist).toBeCloseTo(0, 12);
    expect(nearestPoint({ ...pts, length: 0 }, 0, 0, toPx)).toBeNull();
  });

  it("newer overlaid steps are more opaque", () => {
    expect(overlayAlpha(0, 1)).toBe(1);
    const a = [0, 1, 2, 3].map((k) => overlayAlpha(k, 4));
    expect(a[3]).toBe(1);
    for (let k = 1; k < 4; k++) expect(a[k]!).toBeGreaterThan(a[k - 1]!);
    expect(a[0]!).toBeGreaterThan(0);
  });
});
