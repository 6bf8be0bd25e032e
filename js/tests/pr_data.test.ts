import { describe, expect, it } from "vitest";
import { PrData, curveAtStep, curvesByteLength, decodeCurves, encodeCurves, seriesLabel, type CurveInfo } from "../src/panels/pr/data";

let nextId = 0;
function info(extra: Partial<CurveInfo> = {}): CurveInfo {
  return {
    id: nextId++, run: "r", tag: "val/pr", series: "", kind: "binary", class_index: -1, step: 0, wall_time: 0,
    num_thresholds: 3, color: 0, ap: null, auc: null, best_f1: null, best_f1_threshold: null, exact: null,
    ...extra,
  };
}

/** A [6, T] block whose every value encodes (curve k, row r, column i) for checking the layout. */
function rows(k: number, t: number): number[][] {
  return Array.from({ length: 6 }, (_, r) => Array.from({ length: t }, (_, i) => k * 100 + r * 10 + i));
}

describe("decodeCurves", () => {
  it("decodes [6, T] row-major blocks in order", () => {
    const infos = [info({ num_thresholds: 3 }), info({ num_thresholds: 4 })];
    const buf = encodeCurves([rows(1, 3), rows(2, 4)]);
    expect(buf.byteLength).toBe(curvesByteLength(infos));
    const [a, b] = decodeCurves(buf.buffer, infos);
    expect([...a!.tp]).toEqual([100, 101, 102]);
    expect([...a!.recall]).toEqual([150, 151, 152]);
    expect([...b!.fn]).toEqual([230, 231, 232, 233]);
    expect([...b!.precision]).toEqual([240, 241, 242, 243]);
  });

  it("copies from an unaligned DataView", () => {
    const infos = [info({ num_thresholds: 2 })];
    const src = encodeCurves([rows(3, 2)]);
    const bytes = new Uint8Array(src.byteLength + 4);
    bytes.set(new Uint8Array(src.buffer), 4);
    const [c] = decodeCurves(new DataView(bytes.buffer, 4, src.byteLength), infos);
    expect([...c!.tn]).toEqual([320, 321]);
  });

  it("throws on a short buffer or a curve with < 2 thresholds", () => {
    expect(() => decodeCurves(new Float64Array(5), [info({ num_thresholds: 3 })])).toThrow(/too short/);
    expect(() => decodeCurves(new Float64Array(6), [info({ num_thresholds: 1 })])).toThrow(/< 2/);
    expect(() => decodeCurves(null, [info()])).toThrow(/missing buffer/);
    expect(decodeCurves(null, [])).toEqual([]);
  });
});

describe("PrData", () => {
  it("applies snapshots and appends by seq, replacing curves by id", () => {
    const d = new PrData();
    const a = info({ step: 0 });
    const b = info({ step: 1 });
    expect(d.applySnapshot(1, [a, b], encodeCurves([rows(1, 3), rows(2, 3)]))).toBe(true);
    expect(d.curves.size).toBe(2);
    expect(d.applyAppend(1, [info({ step: 2 })], encodeCurves([rows(3, 3)]))).toBe(false); // stale
    expect(d.applyAppend(2, [{ ...b }], encodeCurves([rows(9, 3)]))).toBe(true); // same id: replaced
    expect(d.curves.size).toBe(2);
    expect(d.curves.get(b.id)!.tp[0]).toBe(900);
    expect(d.applySnapshot(2, [a], encodeCurves([rows(1, 3)]))).toBe(false);
    expect(d.applySnapshot(3, [a], encodeCurves([rows(1, 3)]))).toBe(true);
    expect(d.curves.size).toBe(1);
  });

  it("a bad append changes nothing", () => {
    const d = new PrData();
    d.applySnapshot(1, [info()], encodeCurves([rows(1, 3)]));
    const v = d.version;
    expect(() => d.applyAppend(2, [info({ num_thresholds: 4 })], encodeCurves([rows(1, 3)]))).toThrow();
    expect(d.version).toBe(v);
    expect(d.seq).toBe(1);
  });

  it("groups tags → series (runs, classes, averages) → steps", () => {
    const d = new PrData();
    const infos = [
      info({ run: "b", tag: "t", series: "macro", kind: "macro", step: 0, color: -1 }),
      info({ run: "b", tag: "t", series: "dog", kind: "class", class_index: 1, step: 0, color: 1 }),
      info({ run: "b", tag: "t", series: "cat", kind: "class", class_index: 0, step: 0, color: 0 }),
      info({ run: "b", tag: "t", series: "cat", kind: "class", class_index: 0, step: 4, color: 0 }),
      info({ run: "a", tag: "t", series: "cat", kind: "class", class_index: 0, step: 2, color: 0 }),
      info({ run: "a", tag: "s10" }),
      info({ run: "a", tag: "s9" }),
    ];
    d.applySnapshot(1, infos, encodeCurves(infos.map((_, k) => rows(k, 3))));
    const tags = d.tags();
    expect([...tags.keys()]).toEqual(["s9", "s10", "t"]);
    const t = tags.get("t")!;
    expect(t.runs).toEqual(["b", "a"]);
    expect(t.multiclass).toBe(true);
    expect(t.steps).toEqual([0, 2, 4]);
    expect(t.series.map((s) => `${s.run}/${s.series}`)).toEqual(["b/cat", "b/dog", "b/macro", "a/cat"]);
    const cat = t.series[0]!;
    expect(cat.steps).toEqual([0, 4]);
    expect(curveAtStep(cat, 3)!.info.step).toBe(0); // latest step <= 3
    expect(curveAtStep(cat, 4)!.info.step).toBe(4);
    expect(curveAtStep(t.series[3]!, 1)).toBeNull(); // run a starts at step 2
    expect(d.tags()).toBe(tags); // cached until the next change
  });

  it("labels series for legends", () => {
    expect(seriesLabel({ run: "r", series: "", kind: "binary" }, false)).toBe("r");
    expect(seriesLabel({ run: "r", series: "cat", kind: "class" }, true)).toBe("r · cat");
    expect(seriesLabel({ run: "r", series: "micro", kind: "micro" }, false)).toBe("micro avg");
  });
});
