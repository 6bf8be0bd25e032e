import { describe, expect, it } from "vitest";
import { ScalarData, decodeBuffer, encodeBuffer, expectedByteLength, type SeriesInfo } from "../src/lib/wire";

const info = (id: number, count: number, extra: Partial<SeriesInfo> = {}): SeriesInfo => ({
  id,
  run: `run${id}`,
  tag: "loss/train",
  color: id,
  count,
  decimated: false,
  ...extra,
});

function twoSeries() {
  const a = { step: [0, 1, 2], wall: [100, 101, 102], value: [1.5, NaN, -Infinity] };
  const b = { step: [10, 20], wall: [200, 210], value: [7, Infinity] };
  return { infos: [info(1, 3), info(2, 2)], buf: encodeBuffer([a, b]), a, b };
}

describe("decodeBuffer", () => {
  it("decodes columns in order step, wall, value per series", () => {
    const { infos, buf, a, b } = twoSeries();
    const d = decodeBuffer(buf.buffer, infos);
    expect(d).toHaveLength(2);
    expect([...d[0]!.step]).toEqual(a.step);
    expect([...d[0]!.wall]).toEqual(a.wall);
    expect(d[0]!.value[0]).toBe(1.5);
    expect(Number.isNaN(d[0]!.value[1])).toBe(true);
    expect(d[0]!.value[2]).toBe(-Infinity);
    expect([...d[1]!.step]).toEqual(b.step);
    expect([...d[1]!.wall]).toEqual(b.wall);
    expect([...d[1]!.value]).toEqual(b.value);
  });

  it("is zero-copy for an aligned DataView", () => {
    const { infos, buf } = twoSeries();
    const dv = new DataView(buf.buffer);
    const d = decodeBuffer(dv, infos);
    expect(d[0]!.step.buffer).toBe(buf.buffer);
    expect(d[1]!.value.byteOffset).toBe((3 * 3 + 2 * 2) * 8);
  });

  it("honours a DataView byteOffset (aligned, != 0)", () => {
    const { infos, buf, b } = twoSeries();
    const big = new ArrayBuffer(buf.byteLength + 16);
    new Uint8Array(big, 16).set(new Uint8Array(buf.buffer));
    const d = decodeBuffer(new DataView(big, 16, buf.byteLength), infos);
    expect(d[0]!.step.buffer).toBe(big); // still zero-copy
    expect([...d[0]!.step]).toEqual([0, 1, 2]);
    expect([...d[1]!.step]).toEqual(b.step);
    expect([...d[1]!.value]).toEqual(b.value);
  });

  it("copies when the DataView byteOffset is not 8-byte aligned", () => {
    const { infos, buf, a, b } = twoSeries();
    const big = new ArrayBuffer(buf.byteLength + 3);
    new Uint8Array(big, 3).set(new Uint8Array(buf.buffer));
    const d = decodeBuffer(new DataView(big, 3, buf.byteLength), infos);
    expect(d[0]!.step.buffer).not.toBe(big);
    expect([...d[0]!.step]).toEqual(a.step);
    expect([...d[0]!.wall]).toEqual(a.wall);
    expect(d[0]!.value[2]).toBe(-Infinity);
    expect([...d[1]!.value]).toEqual(b.value);
  });

  it("rejects a buffer shorter than the series need", () => {
    const { infos, buf } = twoSeries();
    expect(expectedByteLength(infos)).toBe(15 * 8);
    expect(() => decodeBuffer(new DataView(buf.buffer, 0, buf.byteLength - 8), infos)).toThrow(/too short/);
  });

  it("accepts an empty snapshot without a buffer", () => {
    expect(decodeBuffer(null, [])).toEqual([]);
    expect(decodeBuffer(null, [info(1, 0)])[0]!.step.length).toBe(0);
  });
});

describe("ScalarData seq rule", () => {
  const snap = (values: number[], id = 1) => {
    const n = values.length;
    const step = values.map((_, i) => i);
    const wall = values.map((_, i) => 1000 + i);
    return { infos: [info(id, n)], buf: new DataView(encodeBuffer([{ step, wall, value: values }]).buffer) };
  };
  const app = (id: number, steps: number[], values: number[]) => ({
    infos: [info(id, steps.length)],
    buf: new DataView(encodeBuffer([{ step: steps, wall: steps.map((s) => 1000 + s), value: values }]).buffer),
  });

  it("applies a snapshot then appends with greater seq", () => {
    const d = new ScalarData();
    const s = snap([1, 2, 3]);
    expect(d.applySnapshot(5, s.infos, s.buf)).not.toBeNull();
    const a = app(1, [3, 4], [4, 5]);
    const r = d.applyAppend(6, a.infos, a.buf);
    expect(r).not.toBeNull();
    expect(r!.changed.has(1)).toBe(true);
    const st = d.series.get(1)!.store;
    expect([...st.value]).toEqual([1, 2, 3, 4, 5]);
    expect([...st.step]).toEqual([0, 1, 2, 3, 4]);
    expect(d.series.get(1)!.info.count).toBe(5);
    expect(d.seq).toBe(6);
  });

  it("ignores appends with seq <= held seq", () => {
    const d = new ScalarData();
    const s = snap([1, 2, 3]);
    d.applySnapshot(5, s.infos, s.buf);
    const a = app(1, [3], [9]);
    expect(d.applyAppend(5, a.infos, a.buf)).toBeNull();
    expect(d.applyAppend(4, a.infos, a.buf)).toBeNull();
    expect(d.series.get(1)!.store.length).toBe(3);
    expect(d.applyAppend(7, a.infos, a.buf)).not.toBeNull();
    // replaying the same append does nothing
    expect(d.applyAppend(7, a.infos, a.buf)).toBeNull();
    expect(d.series.get(1)!.store.length).toBe(4);
  });

  it("a snapshot with greater seq replaces all data; a stale snapshot is ignored", () => {
    const d = new ScalarData();
    const s1 = snap([1, 2, 3]);
    d.applySnapshot(1, s1.infos, s1.buf);
    const a = app(2, [0, 1], [7, 8]); // creates series 2
    const r = d.applyAppend(2, a.infos, a.buf);
    expect(r!.created.has(2)).toBe(true);
    expect(d.series.size).toBe(2);
    const s2 = snap([9, 9], 1);
    expect(d.applySnapshot(2, s2.infos, s2.buf)).toBeNull(); // seq 2 == held
    const r3 = d.applySnapshot(3, s2.infos, s2.buf);
    expect(r3!.replaced).toBe(true);
    expect(d.series.size).toBe(1); // series 2 not in the snapshot → dropped
    expect(d.order).toEqual([1]);
    expect([...d.series.get(1)!.store.value]).toEqual([9, 9]);
    // an append older than the snapshot is ignored
    const late = app(1, [5], [1]);
    expect(d.applyAppend(3, late.infos, late.buf)).toBeNull();
  });

  it("does not change anything when the buffer is too short", () => {
    const d = new ScalarData();
    const s = snap([1, 2, 3]);
    d.applySnapshot(1, s.infos, s.buf);
    const bad = { infos: [info(1, 4)], buf: new DataView(new ArrayBuffer(8)) };
    expect(() => d.applyAppend(2, bad.infos, bad.buf)).toThrow();
    expect(d.seq).toBe(1);
    expect(d.series.get(1)!.store.length).toBe(3);
  });

  it("tracks non-finite indices across appends", () => {
    const d = new ScalarData();
    const s = snap([1, NaN, 3]);
    d.applySnapshot(1, s.infos, s.buf);
    const a = app(1, [3, 4], [Infinity, 2]);
    d.applyAppend(2, a.infos, a.buf);
    expect(d.series.get(1)!.store.nonFinite).toEqual([1, 3]);
  });
});
