/**
 * M4-style decimation for line charts: for every pixel column keep the first
 * and last point and, for each of two y columns (raw and smoothed), the
 * points holding its finite min and max. A line drawn through the kept points
 * covers the same pixels as one drawn through all points, so charts with far
 * more points than pixels draw from a few thousand points instead of millions.
 */

/** Upper bound of indices m4Indices can write for `width` pixel columns. */
export function m4Capacity(width: number): number {
  return (Math.max(1, Math.floor(width)) + 2) * 6;
}

/** Put a bucket's points (first, last, min/max of each series; -1 = none) in tmp; returns their count. */
function bucketPoints(tmp: Int32Array, first: number, last: number, min0: number, max0: number, min1: number, max1: number): number {
  let t = 0;
  tmp[t++] = first;
  if (last !== first) tmp[t++] = last;
  if (min0 >= 0) {
    tmp[t++] = min0;
    tmp[t++] = max0;
  }
  if (min1 >= 0) {
    tmp[t++] = min1;
    tmp[t++] = max1;
  }
  return t;
}

/** Sort up to 6 indices in tmp[0..t) and append the ones not already last in out. */
function emit(tmp: Int32Array, t: number, out: Int32Array, n: number): number {
  for (let i = 1; i < t; i++) {
    const v = tmp[i]!;
    let j = i - 1;
    while (j >= 0 && tmp[j]! > v) {
      tmp[j + 1] = tmp[j]!;
      j--;
    }
    tmp[j + 1] = v;
  }
  let prev = n > 0 ? out[n - 1]! : -1;
  for (let i = 0; i < t; i++) {
    const v = tmp[i]!;
    if (v !== prev) {
      out[n++] = v;
      prev = v;
    }
  }
  return n;
}

/**
 * Write into `out` (ascending, unique) the indices in [a, b) to keep when
 * drawing x[a..b) with y columns y0 and y1 over [x0, x1] at `width` pixel
 * columns. Points left of x0 or right of x1 fall in one extra column each
 * side. `x` must be sorted for the result to be minimal (it stays correct
 * otherwise). `out` needs m4Capacity(width) entries. Returns the count.
 */
export function m4Indices(
  x: ArrayLike<number>,
  y0: ArrayLike<number>,
  y1: ArrayLike<number>,
  a: number,
  b: number,
  x0: number,
  x1: number,
  width: number,
  out: Int32Array,
): number {
  const W = Math.max(1, Math.floor(width));
  const span = x1 - x0;
  const scale = span > 0 ? W / span : 0;
  const tmp = new Int32Array(6);
  let n = 0;
  let cur = -2;
  let first = -1;
  let last = -1;
  let min0 = -1;
  let max0 = -1;
  let min1 = -1;
  let max1 = -1;
  let vmin0 = 0;
  let vmax0 = 0;
  let vmin1 = 0;
  let vmax1 = 0;
  for (let i = a; i < b; i++) {
    const xv = x[i]!;
    let bk = Math.floor((xv - x0) * scale);
    if (!(bk >= 0)) bk = -1; // also NaN
    else if (bk >= W) bk = xv > x1 ? W : W - 1;
    if (bk !== cur) {
      if (first >= 0) n = emit(tmp, bucketPoints(tmp, first, last, min0, max0, min1, max1), out, n);
      cur = bk;
      first = i;
      min0 = max0 = min1 = max1 = -1;
    }
    last = i;
    const v0 = y0[i]!;
    if (v0 - v0 === 0) {
      if (min0 < 0) {
        min0 = max0 = i;
        vmin0 = vmax0 = v0;
      } else if (v0 < vmin0) {
        min0 = i;
        vmin0 = v0;
      } else if (v0 > vmax0) {
        max0 = i;
        vmax0 = v0;
      }
    }
    const v1 = y1[i]!;
    if (v1 - v1 === 0) {
      if (min1 < 0) {
        min1 = max1 = i;
        vmin1 = vmax1 = v1;
      } else if (v1 < vmin1) {
        min1 = i;
        vmin1 = v1;
      } else if (v1 > vmax1) {
        max1 = i;
        vmax1 = v1;
      }
    }
  }
  if (first >= 0) n = emit(tmp, bucketPoints(tmp, first, last, min0, max0, min1, max1), out, n);
  return n;
}
