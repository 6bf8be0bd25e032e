import { describe, expect, it } from "vitest";
import { bytesOf, Float64Reader } from "../src/lib/buffer";
import type { AnyModel } from "@anywidget/types";
import { SeqStream, stateRegistry, type SeqData } from "../src/lib/stream";

interface TestModel {
  series: Info[];
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
}

/** A minimal AnyModel: traits, change events, custom messages. */
class FakeModel {
  traits: Record<string, unknown>;
  private handlers = new Map<string, Set<(...a: unknown[]) => void>>();
  constructor(traits: Record<string, unknown>) {
    this.traits = traits;
  }
  get(k: string): unknown {
    return this.traits[k];
  }
  set(k: string, v: unknown): void {
    this.traits[k] = v;
    for (const h of this.handlers.get(`change:${k}`) ?? []) h();
  }
  on(ev: string, h: (...a: unknown[]) => void): void {
    if (!this.handlers.has(ev)) this.handlers.set(ev, new Set());
    this.handlers.get(ev)!.add(h);
  }
  off(ev: string, h: (...a: unknown[]) => void): void {
    this.handlers.get(ev)?.delete(h);
  }
  custom(msg: unknown, buffers: DataView[]): void {
    for (const h of this.handlers.get("msg:custom") ?? []) h(msg, buffers);
  }
  listeners(): number {
    let n = 0;
    for (const s of this.handlers.values()) n += s.size;
    return n;
  }
}

interface Info {
  id: number;
  count: number;
}

/** Holds one float64 column per id; applies snapshots and appends in seq order. */
class Columns implements SeqData<Info, number[]> {
  seq = 0;
  cols = new Map<number, number[]>();
  applySnapshot(seq: number, infos: Info[], buf: ArrayBuffer | DataView | null): number[] | null {
    const r = new Float64Reader(buf ?? new ArrayBuffer(0));
    const next = new Map(infos.map((i) => [i.id, Array.from(r.take(i.count))] as const));
    this.cols = next;
    this.seq = seq;
    return infos.map((i) => i.id);
  }
  applyAppend(seq: number, infos: Info[], buf: ArrayBuffer | DataView | null): number[] | null {
    if (!(seq > this.seq)) return null;
    const r = new Float64Reader(buf ?? new ArrayBuffer(0));
    for (const i of infos) this.cols.set(i.id, [...(this.cols.get(i.id) ?? []), ...r.take(i.count)]);
    this.seq = seq;
    return infos.map((i) => i.id);
  }
}

const f64 = (...v: number[]) => new DataView(new Float64Array(v).buffer);

describe("Float64Reader", () => {
  it("reads aligned views, unaligned copies, and rejects short buffers", () => {
    const aligned = new Float64Reader(new Float64Array([1, 2, 3]).buffer);
    expect(Array.from(aligned.take(2))).toEqual([1, 2]);
    expect(Array.from(aligned.take(1))).toEqual([3]);
    expect(() => aligned.take(1)).toThrow(/buffer too short/);
    const bytes = new Uint8Array(17);
    new DataView(bytes.buffer).setFloat64(1, 2.5, true);
    new DataView(bytes.buffer).setFloat64(9, -1, true);
    const unaligned = new Float64Reader(new DataView(bytes.buffer, 1, 16));
    expect(Array.from(unaligned.take(2))).toEqual([2.5, -1]);
    const source = new Float64Array([7, 8]);
    const copied = new Float64Reader(source, true).take(2);
    source[0] = 0;
    expect(copied[0]).toBe(7);
    expect(() => bytesOf(42 as unknown as ArrayBuffer)).toThrow(TypeError);
  });
});

describe("SeqStream", () => {
  it("applies the snapshot, then appends in seq order, and ignores stale ones", () => {
    const model = new FakeModel({ series: [{ id: 1, count: 2 }], snapshot: f64(1, 2), snapshot_seq: 1 });
    const asModel = model as unknown as AnyModel<TestModel>;
    const states = stateRegistry(
      (m: AnyModel<TestModel>) => new SeqStream<TestModel, Info, number[], Columns>(m, "test", "series", new Columns()),
    );
    const state = states.get(asModel);
    expect(state.data.cols.get(1)).toEqual([1, 2]);
    const seen: number[][] = [];
    state.subscribe((ids) => seen.push(ids));
    model.custom({ type: "append", seq: 2, series: [{ id: 1, count: 1 }] }, [f64(3)]);
    model.custom({ type: "append", seq: 2, series: [{ id: 1, count: 1 }] }, [f64(99)]); // stale
    model.custom({ type: "other" }, []);
    expect(state.data.cols.get(1)).toEqual([1, 2, 3]);
    model.traits.series = [{ id: 2, count: 1 }];
    model.traits.snapshot = f64(5);
    model.set("snapshot_seq", 3);
    expect([...state.data.cols.keys()]).toEqual([2]);
    expect(seen).toEqual([[1], [2]]);
    model.custom({ type: "append", seq: 4, series: [{ id: 2, count: 4 }] }, [f64(1)]); // too short
    expect(state.errors).toBe(1);
    expect(states.get(asModel)).toBe(state); // one state per model
    states.dispose(asModel);
    expect(model.listeners()).toBe(0);
  });
});
