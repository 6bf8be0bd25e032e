import { describe, expect, it } from "vitest";
import { bestRuns, brushMask, maskedRuns } from "../src/panels/hparams/brush";
import { colorBuckets, BUCKETS } from "../src/panels/hparams/colormap";
import { decodeTable, moveAxis, orderedAxes, type ColumnInfo } from "../src/panels/hparams/model";
import { Scale } from "../src/panels/hparams/scales";
import { sortRows } from "../src/panels/hparams/table";
import { placeLabel, type LabelBox } from "../src/panels/hparams/scatter";

const columns: ColumnInfo[] = [
  { name: "lr", role: "hparam", kind: "log", min: 1e-4, max: 1e-1 },
  { name: "opt", role: "hparam", kind: "categorical", categories: ["adam", "sgd"], min: 0, max: 1 },
  { name: "acc", role: "metric", kind: "numeric", min: 0.5, max: 0.9 },
];
const runs = ["a", "b", "c", "d"];
const flat = new Float64Array([1e-4, 1e-3, 1e-2, 1e-1, 0, 1, NaN, 0, 0.5, 0.9, 0.7, NaN]);

describe("hparams table", () => {
  it("decodes columns and rejects a size mismatch", () => {
    const t = decodeTable(columns, runs, new DataView(flat.buffer));
    expect(Array.from(t.values[1]!)).toEqual([0, 1, NaN, 0]);
    expect(() => decodeTable(columns, ["a"], flat.buffer)).toThrow(/expected 3 × 1/);
  });

  it("brushes combine with AND, NaN never passes, hidden runs are out", () => {
    const t = decodeTable(columns, runs, flat.buffer);
    expect(maskedRuns(t, brushMask(t, { lr: [5e-4, 0.2] }, new Set()))).toEqual(["b", "c", "d"]);
    expect(maskedRuns(t, brushMask(t, { lr: [5e-4, 0.2], opt: [0, 0] }, new Set()))).toEqual(["d"]);
    expect(maskedRuns(t, brushMask(t, { acc: [0, 1] }, new Set(["a"])))).toEqual(["b", "c"]);
  });

  it("best runs by goal skip NaN", () => {
    const t = decodeTable(columns, runs, flat.buffer);
    expect(bestRuns(t.values[2]!, "max", 2)).toEqual([1, 2]);
    expect(bestRuns(t.values[2]!, "min", 1)).toEqual([0]);
  });

  it("sorts rows with NaN last and categories by name", () => {
    const t = decodeTable(columns, runs, flat.buffer);
    expect(sortRows(t, [0, 1, 2, 3], 2, true)).toEqual([1, 2, 0, 3]);
    expect(sortRows(t, [0, 1, 2, 3], 1, false)).toEqual([0, 3, 1, 2]);
  });

  it("orders, hides and moves axes", () => {
    expect(orderedAxes(columns, ["acc", "gone"], ["opt"])).toEqual(["acc", "lr"]);
    expect(moveAxis(["a", "b", "c"], "c", 0)).toEqual(["c", "a", "b"]);
  });
});

describe("hparams scales", () => {
  it("log axes map decades evenly and invert", () => {
    const s = new Scale(columns[0]!);
    expect(s.unit(1e-4)).toBeCloseTo(0);
    expect(s.unit(1e-2)).toBeCloseTo(2 / 3);
    expect(s.value(1 / 3)).toBeCloseTo(1e-3);
    expect(s.ticks().map((t) => t.label)).toEqual(["1e-4", "0.001", "0.01", "0.1"]);
    expect(new Scale(columns[0]!, false).kind).toBe("numeric");
  });

  it("categorical brushes cover the codes inside", () => {
    const s = new Scale(columns[1]!);
    expect(s.unit(0)).toBeCloseTo(0.25);
    expect(s.bounds(0, 0.4)).toEqual([0, 0]);
    expect(s.bounds(0.1, 0.9)).toEqual([0, 1]);
    expect(Number.isNaN(s.unit(NaN))).toBe(true);
  });

  it("colour buckets rank by goal; missing is -1", () => {
    const b = colorBuckets(new Float64Array([0, 1, NaN]), 3, "max");
    expect(Array.from(b)).toEqual([0, BUCKETS - 1, -1]);
    expect(Array.from(colorBuckets(new Float64Array([0, 1]), 2, "min"))).toEqual([BUCKETS - 1, 0]);
  });
});

describe("placeLabel (the best runs' rank numbers in the scatter)", () => {
  it("puts the first label above right of its ring", () => {
    const box = placeLabel(100, 50, 6, []);
    expect(box).toEqual({ x: 108, y: 39, w: 6, h: 10 });
  });
  it("moves a label that would cover another, and leaves it out when every spot is taken", () => {
    const placed: LabelBox[] = [];
    const first = placeLabel(100, 50, 6, placed)!;
    placed.push(first);
    const second = placeLabel(101, 50, 6, placed)!; // a ring one pixel to the right
    expect(second).not.toBeNull();
    expect(second.y).toBeGreaterThan(first.y); // below right
    placed.push(second);
    const third = placeLabel(100, 51, 6, placed)!;
    expect(third.x).toBeLessThan(100); // left of the ring
    placed.push(third);
    placed.push(placeLabel(100, 50, 6, placed)!);
    expect(placeLabel(100, 50, 6, placed)).toBeNull();
  });
  it("keeps labels of distant rings where they always were", () => {
    const a = placeLabel(10, 50, 6, [])!;
    expect(placeLabel(200, 50, 6, [a])).toEqual({ x: 208, y: 39, w: 6, h: 10 });
  });
});
