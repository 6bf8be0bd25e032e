/**
 * PR / ROC math on binned curves (TensorBoard layout, thresholds i / (T - 1)),
 * mirroring nbviz/panels/pr/compute.py: binned AP, ROC AUC, best F1, point lists for
 * drawing, iso-F1 contours and nearest-point lookup for the hover readout.
 */
import type { Curve } from "./data";

export type View = "pr" | "roc";

/** Threshold of column i of a curve with T columns. */
export function thresholdAt(i: number, t: number): number {
  return t > 1 ? i / (t - 1) : 0;
}

/** Total positive weight (TP + FN at threshold 0). */
export function positives(c: Curve): number {
  return c.tp[0]! + c.fn[0]!;
}

/** Total negative weight (FP + TN at threshold 0). */
export function negatives(c: Curve): number {
  return c.fp[0]! + c.tn[0]!;
}

/** Fraction of positives: the precision of a no-skill classifier (null if empty). */
export function positiveRate(c: Curve): number | null {
  const p = positives(c);
  const total = p + negatives(c);
  return total > 0 ? p / total : null;
}

/** AP = sum_i (R_i - R_{i+1}) * P_i, R_T = 0 (= scikit-learn's AP on bucketed scores). */
export function averagePrecision(c: Curve): number | null {
  if (!(positives(c) > 0)) return null;
  const t = c.recall.length;
  let ap = 0;
  for (let i = 0; i < t; i++) {
    const next = i + 1 < t ? c.recall[i + 1]! : 0;
    const drop = c.recall[i]! - next;
    const p = c.precision[i]!;
    if (drop !== 0 && Number.isFinite(drop) && Number.isFinite(p)) ap += drop * p;
  }
  return Math.max(0, ap);
}

/** ROC AUC by trapezoids through every threshold and (0, 0). Null unless both classes. */
export function rocAuc(c: Curve): number | null {
  const p = positives(c);
  const n = negatives(c);
  if (!(p > 0 && n > 0)) return null;
  const t = c.tp.length;
  let area = 0;
  for (let i = 0; i < t; i++) {
    const x0 = c.fp[i]! / n;
    const y0 = c.tp[i]! / p;
    const x1 = i + 1 < t ? c.fp[i + 1]! / n : 0;
    const y1 = i + 1 < t ? c.tp[i + 1]! / p : 0;
    area += ((x0 - x1) * (y0 + y1)) / 2;
  }
  return area;
}

/** F1 at column i from the counts (0 when undefined). */
export function f1At(c: Curve, i: number): number {
  const tp = c.tp[i]!;
  const d = 2 * tp + c.fp[i]! + c.fn[i]!;
  return d > 0 ? (2 * tp) / d : 0;
}

/** F1 at column i from the stored precision and recall rows (used for macro averages). */
export function f1FromRates(c: Curve, i: number): number {
  const p = c.precision[i]!;
  const r = c.recall[i]!;
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/** Column with the highest F1 (first on ties); null when no positives. */
export function bestF1(c: Curve): { index: number; f1: number } | null {
  if (!(positives(c) > 0)) return null;
  const macro = c.info.kind === "macro";
  let best = 0;
  let bestF = -1;
  for (let i = 0; i < c.tp.length; i++) {
    const f = macro ? f1FromRates(c, i) : f1At(c, i);
    if (f > bestF) {
      bestF = f;
      best = i;
    }
  }
  return { index: best, f1: bestF };
}

export function fprAt(c: Curve, i: number): number {
  const n = negatives(c);
  return n > 0 ? c.fp[i]! / n : NaN;
}

export function tprAt(c: Curve, i: number): number {
  const p = positives(c);
  return p > 0 ? c.tp[i]! / p : NaN;
}

/** Stored AP / AUC when the kernel sent one (exact), else computed from the bins. */
export function curveMetric(c: Curve, view: View): number | null {
  if (view === "pr") return c.info.ap ?? averagePrecision(c);
  return c.info.auc ?? rocAuc(c);
}

/** Drawable points of a curve: x, y and the threshold column of each point. */
export interface Points {
  x: Float64Array;
  y: Float64Array;
  /** threshold column; -1 for the ROC (0, 0) end point */
  index: Int32Array;
  length: number;
}

/**
 * PR view: (recall, precision) at every threshold that predicts something
 * positive (TP + FP > 0) with finite rates — empty thresholds above the top
 * score would otherwise drop the curve to precision 0. ROC view: (FPR, TPR) at
 * every threshold, then (0, 0).
 */
export function curvePoints(c: Curve, view: View): Points {
  const t = c.tp.length;
  const x = new Float64Array(t + 1);
  const y = new Float64Array(t + 1);
  const index = new Int32Array(t + 1);
  let k = 0;
  if (view === "pr") {
    for (let i = 0; i < t; i++) {
      const r = c.recall[i]!;
      const p = c.precision[i]!;
      if (!(c.tp[i]! + c.fp[i]! > 0) || !Number.isFinite(r) || !Number.isFinite(p)) continue;
      x[k] = r;
      y[k] = p;
      index[k++] = i;
    }
  } else {
    const p = positives(c);
    const n = negatives(c);
    if (p > 0 && n > 0) {
      for (let i = 0; i < t; i++) {
        x[k] = c.fp[i]! / n;
        y[k] = c.tp[i]! / p;
        index[k++] = i;
      }
      x[k] = 0;
      y[k] = 0;
      index[k++] = -1;
    }
  }
  return { x, y, index, length: k };
}

/** Iso-F1 contour: precision = f·r / (2r − f) for recall r in (f/2, 1], clipped to precision ≤ 1. */
export function isoF1(f: number, n = 64): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  if (!(f > 0 && f < 1)) return { x, y };
  const r0 = f / (2 - f); // where precision reaches 1
  for (let k = 0; k <= n; k++) {
    const r = r0 + ((1 - r0) * k) / n;
    const p = (f * r) / (2 * r - f);
    x.push(r);
    y.push(Math.min(1, p));
  }
  return { x, y };
}

/**
 * Nearest point (squared screen distance, after mapping with `toPx`) among
 * `pts`; returns its position in `pts` and the distance, or null if empty.
 */
export function nearestPoint(
  pts: Points,
  px: number,
  py: number,
  toPx: (x: number, y: number) => [number, number],
): { k: number; dist: number } | null {
  let best = -1;
  let bestD = Infinity;
  for (let k = 0; k < pts.length; k++) {
    const [sx, sy] = toPx(pts.x[k]!, pts.y[k]!);
    const d = (sx - px) * (sx - px) + (sy - py) * (sy - py);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best < 0 ? null : { k: best, dist: Math.sqrt(bestD) };
}

/** Opacity of overlaid step `rank` (0 = oldest) of `total` drawn: newer steps darker. */
export function overlayAlpha(rank: number, total: number): number {
  if (total <= 1) return 1;
  return 0.12 + (0.88 * rank) / (total - 1);
}
