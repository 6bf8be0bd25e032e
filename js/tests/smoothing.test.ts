import { describe, expect, it } from "vitest";
import { EmaSmoother, smoothEma } from "../src/lib/smoothing";

/** Straight transcription of TensorBoard's classicSmoothing for one series. */
function tensorboardReference(ys: number[], w: number): number[] {
  const first = ys[0];
  if (ys.every((y) => y == first)) return ys.slice();
  let last = 0;
  let numAccum = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    numAccum++;
    const debias = w === 1 ? 1 : 1 - Math.pow(w, numAccum);
    return last / debias;
  });
}

describe("smoothEma", () => {
  it("matches a hand-computed debiased EMA (w = 0.6)", () => {
    // last1 = 0.4*1 = 0.4, debias 1-0.6 = 0.4 → 1
    // last2 = 0.4*0.6 + 0.4*2 = 1.04, debias 1-0.36 = 0.64 → 1.625
    // last3 = 1.04*0.6 + 0.4*4 = 2.224, debias 1-0.216 = 0.784 → 2.836734693877551
    const out = smoothEma([1, 2, 4], 0.6);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(1.625, 12);
    expect(out[2]).toBeCloseTo(2.836734693877551, 12);
  });

  it("equals the TensorBoard reference on noisy data for several weights", () => {
    const ys = Array.from({ length: 500 }, (_, i) => Math.sin(i / 7) + ((i * 7919) % 13) / 13);
    for (const w of [0, 0.3, 0.6, 0.9, 0.99]) {
      const ref = tensorboardReference(ys, w);
      const out = smoothEma(ys, w);
      for (let i = 0; i < ys.length; i++) expect(out[i]).toBe(ref[i]);
    }
  });

  it("stays exact on long series (past the point where the debias factor is 1)", () => {
    const ys = Array.from({ length: 6000 }, (_, i) => Math.log1p(i) + ((i * 7919) % 17) / 17);
    for (const w of [0.6, 0.99]) {
      const ref = tensorboardReference(ys, w);
      const out = smoothEma(ys, w);
      let same = 0;
      for (let i = 0; i < ys.length; i++) if (out[i] === ref[i]) same++;
      expect(same).toBe(ys.length);
    }
  });

  it("weight 0 returns the raw values", () => {
    const ys = [3, -1, 4, 1, -5, 9];
    expect([...smoothEma(ys, 0)]).toEqual(ys);
  });

  it("keeps a constant series constant (exactly)", () => {
    const ys = new Array(1000).fill(0.1);
    const out = smoothEma(ys, 0.99);
    expect(out.every((v) => v === 0.1)).toBe(true);
  });

  it("passes NaN / ±Inf through without poisoning later points", () => {
    const ys = [1, NaN, 2, Infinity, 4, -Infinity, 8];
    const out = smoothEma(ys, 0.6);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[3]).toBe(Infinity);
    expect(out[5]).toBe(-Infinity);
    // finite points are the EMA of the finite subsequence
    const finite = smoothEma([1, 2, 4, 8], 0.6);
    expect(out[0]).toBe(finite[0]);
    expect(out[2]).toBe(finite[1]);
    expect(out[4]).toBe(finite[2]);
    expect(out[6]).toBe(finite[3]);
    const ref = tensorboardReference(ys, 0.6);
    for (let i = 0; i < ys.length; i++) expect(Object.is(out[i], ref[i])).toBe(true);
  });
});

describe("EmaSmoother (incremental)", () => {
  it("extends in place and equals the batch result", () => {
    const ys = Array.from({ length: 300 }, (_, i) => Math.cos(i / 5) * (i % 3) + i * 0.01);
    const s = new EmaSmoother(0.8);
    let n = 0;
    for (const chunk of [3, 50, 0, 100, 147]) {
      n += chunk;
      const from = s.update(ys, n);
      expect(from).toBe(n - chunk);
    }
    const batch = smoothEma(ys, 0.8);
    expect([...s.output.subarray(0, n)]).toEqual([...batch]);
  });

  it("recomputes from 0 when a constant series stops being constant", () => {
    const ys = [5, 5, 5, 5, 1];
    const s = new EmaSmoother(0.5);
    expect(s.update(ys, 4)).toBe(0);
    expect([...s.output.subarray(0, 4)]).toEqual([5, 5, 5, 5]);
    const v0 = s.version;
    expect(s.update(ys, 5)).toBe(0);
    expect(s.version).toBeGreaterThan(v0);
    expect([...s.output.subarray(0, 5)]).toEqual(tensorboardReference(ys, 0.5));
  });
});
