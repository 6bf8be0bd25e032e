/**
 * Pure geometry of the histogram charts (no DOM): nice axis ticks, ridgeline
 * layout and hit-testing, colour maps. Tested in js/tests/hist_geometry.test.ts.
 */
import type { Theme } from "../../lib/theme";

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const first = Math.ceil(lo / step - 1e-9);
  const out: number[] = [];
  for (let i = first; i * step <= hi + step * 1e-9; i++) {
    const v = Number((i * step).toPrecision(12));
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

export interface RidgeLayout {
  /** plot area in CSS pixels */
  left: number;
  top: number;
  width: number;
  height: number;
  /** number of ridges (rows drawn), oldest first */
  count: number;
  /** pixel height of the tallest ridge */
  peak: number;
  /** vertical distance between consecutive baselines */
  spacing: number;
  overlay: boolean;
}

export function ridgeLayout(
  left: number,
  top: number,
  width: number,
  height: number,
  count: number,
  overlay: boolean,
): RidgeLayout {
  const peak = overlay || count <= 1 ? height : Math.max(12, height * 0.38);
  const spacing = overlay || count <= 1 ? 0 : (height - peak) / (count - 1);
  return { left, top, width, height, count, peak, spacing, overlay };
}

/** Baseline (y of zero count) of ridge `j` (0 = oldest, drawn at the back/top). */
export function baseline(l: RidgeLayout, j: number): number {
  return l.top + l.peak + j * l.spacing;
}

/** Which ridge the pointer at `y` points at: the nearest baseline at or below it. */
export function ridgeAt(l: RidgeLayout, y: number): number {
  if (l.count <= 0) return -1;
  if (l.overlay || l.count === 1) return l.count - 1;
  const j = Math.ceil((y - (l.top + l.peak)) / l.spacing - 0.35);
  return Math.min(l.count - 1, Math.max(0, j));
}

/** x pixel of value v on the shared x axis [lo, hi]. */
export function xOf(l: RidgeLayout, lo: number, hi: number, v: number): number {
  const span = hi - lo || 1;
  return l.left + ((v - lo) / span) * l.width;
}

/** Bin index of value v in a row with range [low, high] and `bins` equal bins, -1 outside. */
export function binAt(low: number, high: number, bins: number, v: number): number {
  if (!(high > low) || v < low || v > high) return -1;
  return Math.min(bins - 1, Math.floor(((v - low) / (high - low)) * bins));
}

/** Linear interpolation through colour stops [t, r, g, b]. */
function ramp(stops: readonly (readonly [number, number, number, number])[], t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  for (let i = 1; i < stops.length; i++) {
    const a = stops[i - 1]!;
    const b = stops[i]!;
    if (x <= b[0]) {
      const f = (x - a[0]) / (b[0] - a[0] || 1);
      return [a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]), a[3] + f * (b[3] - a[3])];
    }
  }
  const last = stops[stops.length - 1]!;
  return [last[1], last[2], last[3]];
}

const MAGMA = [
  [0, 0, 0, 4],
  [0.25, 81, 18, 124],
  [0.5, 183, 55, 121],
  [0.75, 252, 137, 97],
  [1, 252, 253, 191],
] as const;

const AGE = [
  [0, 255, 171, 145],
  [1, 230, 74, 25],
] as const;

/** Magma-like colour for t in [0, 1] as "rgb(…)". */
export function magma(t: number): string {
  const [r, g, b] = ramp(MAGMA, t);
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

/** Ridge colour by age: t = 0 oldest (pale), 1 newest (deep orange, TensorBoard-like). */
export function ageColor(t: number, alpha = 1): string {
  const [r, g, b] = ramp(AGE, t);
  return `rgba(${Math.round(r)},${Math.round(g)},${Math.round(b)},${alpha})`;
}

/** Map a value to [0, 1] on a linear or log scale over [lo, hi]; NaN when it cannot. */
export function normalise(v: number, lo: number, hi: number, log: boolean): number {
  if (!Number.isFinite(v)) return NaN;
  if (log) {
    if (!(v > 0) || !(lo > 0) || !(hi > 0)) return NaN;
    const a = Math.log(lo);
    const b = Math.log(hi);
    return b > a ? (Math.log(v) - a) / (b - a) : 0.5;
  }
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

/** Finite (and, for log scales, positive) min/max of values; null if none. */
export function extent(values: ArrayLike<number>, positiveOnly: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || (positiveOnly && !(v > 0))) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Set the canvas up for axis ticks and labels: 10px text in the theme's muted colour, grid strokes. */
export function tickStyle(ctx: CanvasRenderingContext2D, theme: Theme, align: CanvasTextAlign, baseline: CanvasTextBaseline): void {
  ctx.font = `10px ${theme.fontFamily}`;
  ctx.fillStyle = theme.muted;
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
}

