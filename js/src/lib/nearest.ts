/**
 * Index of the element of the sorted (non-decreasing) array `xs[0..n)` that is
 * nearest to `x`; ties go to the lower index; -1 if the array is empty or
 * x is NaN. Optional `map` transforms stored values (e.g. wall time → hours)
 * and must be monotone non-decreasing.
 */
export function nearestIndex(
  xs: ArrayLike<number>,
  x: number,
  n: number = xs.length,
  map?: (v: number) => number,
): number {
  if (n <= 0 || Number.isNaN(x)) return -1;
  const at = map ? (i: number) => map(xs[i]!) : (i: number) => xs[i]!;
  // lower bound: first i with at(i) >= x
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid) < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  if (lo === n) return n - 1;
  const before = at(lo - 1);
  const after = at(lo);
  // first of a run of equal values for the lower candidate
  if (x - before <= after - x) {
    let j = lo - 1;
    while (j > 0 && at(j - 1) === before) j--;
    return j;
  }
  return lo;
}

/** First index i in [lo, hi) with xs[i] >= x (hi if none). */
export function lowerBound(xs: ArrayLike<number>, x: number, lo = 0, hi: number = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i in [lo, hi) with xs[i] > x (hi if none). */
export function upperBound(xs: ArrayLike<number>, x: number, lo = 0, hi: number = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
