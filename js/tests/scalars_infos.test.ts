import { describe, expect, it } from "vitest";
import { FIELDS, unpackInfos } from "../src/panels/scalars/infos";

/** What nbviz/panels/scalars/infos.py pack_infos sends: FIELDS float64 per series. */
function packed(rows: number[][], runs: string[], tags: string[], offset = 0) {
  const bytes = new ArrayBuffer(offset + rows.length * FIELDS.length * 8);
  const dv = new DataView(bytes, offset);
  rows.flat().forEach((x, i) => dv.setFloat64(i * 8, x, true));
  return { packed: 1 as const, runs, tags, columns: dv };
}

describe("unpackInfos", () => {
  it("turns packed columns into series infos, NaN summaries into null", () => {
    const infos = unpackInfos(packed(
      [[0, 0, 1, 3, 40, 0, 40, 39, 0.5], [1, 1, 0, 4, 0, 1, 7, NaN, NaN]],
      ["run a", "run b"], ["loss", "acc"]));
    expect(infos).toEqual([
      { id: 0, run: "run a", tag: "acc", color: 3, count: 40, decimated: false, total: 40, last_step: 39, last: 0.5 },
      { id: 1, run: "run b", tag: "loss", color: 4, count: 0, decimated: true, total: 7, last_step: null, last: null },
    ]);
  });

  it("reads an unaligned buffer and passes a plain list through", () => {
    const infos = unpackInfos(packed([[5, 0, 0, 0, 2, 0, 2, 1, -1]], ["r"], ["t"], 4));
    expect(infos[0]!.id).toBe(5);
    const list = [{ id: 0, run: "r", tag: "t", color: 0, count: 0, decimated: false }];
    expect(unpackInfos(list)).toBe(list);
    expect(unpackInfos(null)).toEqual([]);
  });

  it("rejects what does not add up", () => {
    expect(() => unpackInfos(packed([[0, 2, 0, 0, 0, 0, 0, 0, 0]], ["r"], ["t"]))).toThrow(/names no run/);
    const short = { packed: 1, runs: [], tags: [], columns: new DataView(new ArrayBuffer(12)) };
    expect(() => unpackInfos(short)).toThrow(/whole number/);
    expect(() => unpackInfos({ series: 1 })).toThrow(/neither a list/);
  });
});
