import { describe, expect, it } from "vitest";
import { decodeRows, RowData, sampleIndices, tagMatcher, type HistSeriesInfo } from "../src/panels/histograms/rows";

function info(id: number, count: number, tag = `t${id}`): HistSeriesInfo {
  return { id, run: "r", tag, source: "weights", layer: "fc", param: "weight", group: "fc", color: 0, count };
}

function rows(values: number[][]): Float64Array {
  return new Float64Array(values.flat());
}

describe("decodeRows", () => {
  it("splits a buffer into per-series rows of a fixed stride", () => {
    const buf = rows([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const [a, b] = decodeRows(new DataView(buf.buffer), [info(0, 2), info(1, 1)], 3);
    expect([...a!]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...b!]).toEqual([7, 8, 9]);
  });
  it("reads unaligned little-endian buffers", () => {
    const raw = new Uint8Array(8 * 3 + 4);
    const dv = new DataView(raw.buffer, 4);
    [1.5, -2, 1e300].forEach((v, i) => dv.setFloat64(i * 8, v, true));
    const [a] = decodeRows(dv, [info(0, 1)], 3);
    expect([...a!]).toEqual([1.5, -2, 1e300]);
  });
  it("throws when the buffer is shorter than announced", () => {
    expect(() => decodeRows(new DataView(new ArrayBuffer(8)), [info(0, 1)], 3)).toThrow(/too short/);
    expect(() => decodeRows(null, [info(0, 1)], 3)).toThrow(/missing buffer/);
    expect(decodeRows(null, [info(0, 0)], 3)).toEqual([new Float64Array(0)]);
  });
});

describe("RowData", () => {
  it("applies snapshots and appends by seq", () => {
    const d = new RowData();
    expect(d.applySnapshot(2, 2, [info(0, 1)], rows([[0, 10]]))).toBe(true);
    expect(d.applyAppend(2, [info(0, 1)], rows([[1, 11]]))).toBe(false); // stale seq
    expect(d.applyAppend(3, [info(0, 2), info(5, 1)], rows([[1, 11], [2, 12], [0, 50]]))).toBe(true);
    const s = d.series.get(0)!;
    expect(s.length).toBe(3);
    expect([...s.data.subarray(0, 6)]).toEqual([0, 10, 1, 11, 2, 12]);
    expect(d.order).toEqual([0, 5]);
    expect(d.totalRows()).toBe(4);
    expect([...RowData.row(s, 2, 2)]).toEqual([2, 12]);
    // an older snapshot is ignored, a newer one replaces everything
    expect(d.applySnapshot(1, 2, [info(9, 1)], rows([[0, 0]]))).toBe(false);
    expect(d.applySnapshot(4, 2, [info(9, 1)], rows([[0, 0]]))).toBe(true);
    expect(d.order).toEqual([9]);
  });
  it("grows storage across many appends", () => {
    const d = new RowData();
    d.applySnapshot(1, 1, [info(0, 0)], null);
    for (let i = 0; i < 100; i++) d.applyAppend(2 + i, [info(0, 1)], rows([[i]]));
    expect(d.series.get(0)!.length).toBe(100);
    expect(d.series.get(0)!.data[99]).toBe(99);
  });
});

describe("helpers", () => {
  it("samples evenly, keeping the first and the last", () => {
    expect(sampleIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    const s = sampleIndices(1000, 40);
    expect(s.length).toBe(40);
    expect(s[0]).toBe(0);
    expect(s[39]).toBe(999);
    expect(sampleIndices(0, 3)).toEqual([]);
  });
  it("filters tags by regex, or by substring when the regex is invalid", () => {
    expect(tagMatcher("^grads/")("grads/fc1.weight")).toBe(true);
    expect(tagMatcher("^grads/")("weights/fc1.weight")).toBe(false);
    expect(tagMatcher("fc1.(")("weights/fc1.(x")).toBe(true);
    expect(tagMatcher("")("anything")).toBe(true);
  });
});
