/** Viridis colours for the metric (16 buckets, so lines are drawn in 16 strokes). */

const STOPS: [number, number, number][] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

export const BUCKETS = 16;

/** Viridis at t ∈ [0, 1] as "rgb(…)". */
export function viridis(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  const c = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${c(0)},${c(1)},${c(2)})`;
}

export const BUCKET_COLORS: string[] = Array.from({ length: BUCKETS }, (_, i) => viridis(i / (BUCKETS - 1)));

/**
 * Bucket per run (0 … BUCKETS-1, higher = better for `goal`), -1 when the
 * metric is missing.
 */
export function colorBuckets(values: Float64Array | undefined, n: number, goal: "max" | "min"): Int8Array {
  const out = new Int8Array(n).fill(-1);
  if (!values) return out;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) return out;
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    let t = span > 0 ? (v - lo) / span : 0.5;
    if (goal === "min") t = 1 - t;
    out[i] = Math.min(BUCKETS - 1, Math.floor(t * BUCKETS));
  }
  return out;
}
