/**
 * A series' line drawn from its own x/y columns (no shared x axis), so a chart
 * of k series costs O(sum of their points) instead of O(k × union of x).
 *
 * Positions are affine maps of the values (`px = a + b·v`, on a log axis of
 * log10(v)), taken from the chart's scales once per draw; the loops below are
 * plain typed-array walks.
 *
 * @example
 *   const p = new Path2D();
 *   traceLine(p, xs, ys, 0, xs.length, axisMap(0, 10, 0, 500), axisMap(0, 1, 200, 0));
 */

/** px = a + b · v (or a + b · log10(v) when `log`) */
export interface AxisMap {
  a: number;
  b: number;
  log: boolean;
}

/** What a line is traced into (a Path2D or a canvas context). */
export interface LineSink {
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
}

/** What a gap clip is made of (a Path2D). */
export interface RectSink {
  rect(x: number, y: number, w: number, h: number): void;
}

/**
 * Map taking `v0 → p0` and `v1 → p1` (linear, or linear in log10 when `log`).
 * A degenerate span maps everything to p0.
 */
export function axisMap(v0: number, v1: number, p0: number, p1: number, log = false): AxisMap {
  const f0 = log ? Math.log10(v0) : v0;
  const f1 = log ? Math.log10(v1) : v1;
  const b = (p1 - p0) / (f1 - f0);
  if (!Number.isFinite(b)) return { a: p0, b: 0, log };
  return { a: p0 - b * f0, b, log };
}

/**
 * Trace points [i0, i1) of (xs, ys) as one polyline. Points whose position is
 * not finite (NaN/±Inf values, and non-positive values on a log axis) are
 * skipped, so the line joins its neighbours; the gap clip (see `clipOutside`)
 * cuts the hole. Returns the number of points traced.
 */
export function traceLine(
  sink: LineSink,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  i0: number,
  i1: number,
  mx: AxisMap,
  my: AxisMap,
): number {
  const { a: ax, b: bx, log: logX } = mx;
  const { a: ay, b: by, log: logY } = my;
  let traced = 0;
  for (let i = i0; i < i1; i++) {
    const xv = xs[i]!;
    const yv = ys[i]!;
    const px = ax + bx * (logX ? Math.log10(xv) : xv);
    const py = ay + by * (logY ? Math.log10(yv) : yv);
    // finite check without a call: Inf - Inf and NaN - NaN are NaN
    if (px - px !== 0 || py - py !== 0) continue;
    if (traced === 0) sink.moveTo(px, py);
    else sink.lineTo(px, py);
    traced++;
  }
  return traced;
}

/**
 * Fill `sink` with the parts of the box [left, left + width] × [top, top + height]
 * outside the sorted, disjoint x ranges `gaps` (canvas px), i.e. a clip that
 * hides the line inside each gap. `pad` extends the kept parts vertically so
 * thick strokes at the edges are not cut. Returns false (nothing added) when
 * there are no gaps.
 */
export function clipOutside(
  sink: RectSink,
  gaps: readonly (readonly [number, number])[],
  left: number,
  top: number,
  width: number,
  height: number,
  pad = 5,
): boolean {
  if (gaps.length === 0) return false;
  let from = left - pad;
  for (const [a, b] of gaps) {
    if (!(b > a)) continue;
    if (a > from) sink.rect(from, top - pad, a - from, height + 2 * pad);
    if (b > from) from = b;
  }
  const end = left + width + pad;
  if (end > from) sink.rect(from, top - pad, end - from, height + 2 * pad);
  return true;
}
