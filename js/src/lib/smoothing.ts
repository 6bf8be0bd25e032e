/**
 * TensorBoard's scalar smoothing ("classic" debiased exponential moving
 * average), reproduced exactly:
 *
 *   - a constant series (every value == the first) is returned unchanged;
 *   - non-finite values (NaN, ±Inf) pass through unsmoothed and do not enter
 *     the average (they don't poison later points);
 *   - last = last * w + (1 - w) * v;  n += 1;  out = last / (1 - w^n)
 *     with last starting at 0 and n counting finite points only.
 *
 * With w = 0 the output equals the input.
 */

export const MAX_SMOOTHING = 0.999;

/** below this, 1 - p === 1 in float64 */
const DEBIAS_EPS = 2 ** -54;

export function clampWeight(w: number): number {
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(w, MAX_SMOOTHING);
}

/** Batch version: smooth `values[0..n)` into a new Float64Array. */
export function smoothEma(values: ArrayLike<number>, weight: number, n = values.length): Float64Array {
  const s = new EmaSmoother(weight);
  s.update(values, n);
  return s.output.slice(0, n);
}

/**
 * Incremental smoother: feed it a growing value column with `update`; it
 * extends its output in O(new points). It recomputes from scratch only when
 * the series stops being constant (TensorBoard returns constant series raw,
 * and that branch covers the whole series) or on `reset`.
 */
export class EmaSmoother {
  readonly weight: number;
  private out: Float64Array = new Float64Array(64);
  private n = 0;
  private last = 0;
  private numAccum = 0;
  private isConstant = true;
  private first = NaN;
  /** Incremented every time previously produced values change. */
  version = 0;

  constructor(weight: number) {
    this.weight = clampWeight(weight);
  }

  get length(): number {
    return this.n;
  }

  /** Smoothed values; the first `length` entries are valid. */
  get output(): Float64Array {
    return this.out;
  }

  reset(): void {
    this.n = 0;
    this.last = 0;
    this.numAccum = 0;
    this.isConstant = true;
    this.first = NaN;
    this.version++;
  }

  private reserve(n: number): void {
    if (n <= this.out.length) return;
    let cap = this.out.length;
    while (cap < n) cap *= 2;
    const b = new Float64Array(cap);
    b.set(this.out.subarray(0, this.n));
    this.out = b;
  }

  /**
   * Bring the output up to `n` points of `values` (values[0..this.length)
   * must be unchanged since the last call). Returns the first index whose
   * output changed (== previous length unless a recompute happened).
   */
  update(values: ArrayLike<number>, n = values.length): number {
    if (n < this.n) {
      this.reset();
    }
    const start = this.n;
    if (n === start) return start;
    this.reserve(n);
    const out = this.out;
    const w = this.weight;
    if (start === 0) this.first = values[0]!;
    let from = start;
    let i = start;
    if (this.isConstant) {
      const first = this.first;
      for (; i < n; i++) {
        const v = values[i]!;
        if (v == first) out[i] = v;
        else break;
      }
      if (i === n) {
        this.n = n;
        return from;
      }
      // no longer constant: TensorBoard smooths the whole series
      this.isConstant = false;
      this.last = 0;
      this.numAccum = 0;
      i = 0;
      from = 0;
      this.version++;
    }
    let last = this.last;
    let numAccum = this.numAccum;
    // Once w^numAccum < 2^-54, 1 - w^numAccum rounds to exactly 1 and stays
    // there (w^n decreases): skip Math.pow from then on — same result, faster.
    let debiased = w === 0 || (numAccum > 0 && Math.pow(w, numAccum) < DEBIAS_EPS);
    for (; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        out[i] = v; // NaN, ±Inf pass through
      } else {
        last = last * w + (1 - w) * v;
        numAccum++;
        if (debiased) {
          out[i] = last;
        } else {
          const p = Math.pow(w, numAccum);
          out[i] = last / (1 - p);
          if (p < DEBIAS_EPS) debiased = true;
        }
      }
    }
    this.last = last;
    this.numAccum = numAccum;
    this.n = n;
    return from;
  }
}
