import { describe, expect, it } from "vitest";
import { SeriesStore } from "../src/lib/series_store";
import { encodeBuffer, ScalarData, type SeriesInfo } from "../src/lib/wire";
import { strokeGroups } from "../src/panels/scalars/stroke_groups";

const info = (id: number, count: number, total = count): SeriesInfo => ({
  id, run: `run${id}`, tag: "loss", color: id, count, decimated: false, total,
});

describe("lazy series (summaries first, points on request)", () => {
  it("a store that holds nothing allocates nothing, and grows on its first append", () => {
    const s = new SeriesStore();
    expect(s.capacity).toBe(0);
    expect(s.length).toBe(0);
    s.append([1], [2], [3]);
    expect(s.capacity).toBe(64);
    expect([...s.value]).toEqual([3]);
  });

  it("the reply to a request is adopted without a copy, and later appends extend it", () => {
    const d = new ScalarData();
    d.applySnapshot(1, [info(0, 0, 3), info(1, 0, 2)], null); // summaries: no points yet
    expect(d.series.get(0)!.store.capacity).toBe(0);
    const cols = encodeBuffer([
      { step: [0, 1, 2], wall: [10, 11, 12], value: [5, NaN, 7] },
      { step: [0, 1], wall: [10, 11], value: [1, 2] },
    ]);
    const r = d.applyAppend(2, [info(0, 3), info(1, 2)], new DataView(cols.buffer));
    expect([...r!.changed].sort()).toEqual([0, 1]);
    const st = d.series.get(0)!.store;
    expect(st.rawValue.buffer).toBe(cols.buffer); // a view on the message, not a copy
    expect(st.nonFinite).toEqual([1]); // scanned like an append
    const more = encodeBuffer([{ step: [3], wall: [13], value: [8] }]);
    d.applyAppend(3, [info(0, 1)], new DataView(more.buffer));
    expect([...st.step]).toEqual([0, 1, 2, 3]);
    expect([...st.value].slice(2)).toEqual([7, 8]);
    expect(cols[2]).toBe(2); // the message's buffer was not written
    expect(d.series.get(0)!.info.count).toBe(4);
  });
});

describe("strokeGroups", () => {
  const store = (values: number[]) => {
    const s = new SeriesStore();
    s.append(values.map((_, i) => i), values, values);
    return s;
  };

  it("runs of one colour share a stroke, in order of first appearance", () => {
    const series = ["#a", "#b", "#a", "#c", "#b"].map((color) => ({ color, store: store([1, 2]) }));
    const g = strokeGroups(series, false);
    expect(g.members).toEqual([[0, 2], [1, 4], [3]]);
    expect(g.key).toBe("#a,#b,#c");
  });

  it("a run with non-finite values (or non-positive ones on log y) strokes alone", () => {
    const series = [
      { color: "#a", store: store([1, 2]) },
      { color: "#a", store: store([1, NaN]) },
      { color: "#a", store: store([0, 2]) },
    ];
    expect(strokeGroups(series, false).members).toEqual([[0, 2], [1]]);
    const log = strokeGroups(series, true);
    expect(log.members).toEqual([[0], [1], [2]]);
    expect(log.key).toBe("#a,#a!,#a!");
  });
});
