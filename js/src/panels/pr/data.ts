/**
 * Wire format and data model of the PR curves panel (docs/wire.md, "PR curves").
 *
 * Buffer layout, for each CurveInfo in order: a [6, T] row-major float64 block
 * (T = num_thresholds): TP[T], FP[T], TN[T], FN[T], precision[T], recall[T],
 * little-endian, no padding. Threshold i is i / (T - 1).
 */
import { Float64Reader, type BufferLike } from "../../lib/buffer";
import { upperBound } from "../../lib/nearest";
import { compareNatural } from "../../lib/tags";

export type CurveKind = "binary" | "class" | "micro" | "macro";

/** One curve = one (run, tag, series, step). Mirrors `_Curve.info()` in nbviz/panels/pr/widget.py. */
export interface CurveInfo {
  id: number;
  run: string;
  tag: string;
  /** "" for binary curves, the class name, "micro" or "macro" */
  series: string;
  kind: CurveKind;
  /** class index, -1 for binary / averages */
  class_index: number;
  step: number;
  wall_time: number;
  num_thresholds: number;
  /** palette index; -1 = averages (drawn in the foreground colour) */
  color: number;
  ap: number | null;
  auc: number | null;
  best_f1: number | null;
  best_f1_threshold: number | null;
  /** true: metrics computed on unbinned data; false: finely binned; null: not provided */
  exact: boolean | null;
}

export interface Curve {
  info: CurveInfo;
  tp: Float64Array;
  fp: Float64Array;
  tn: Float64Array;
  fn: Float64Array;
  precision: Float64Array;
  recall: Float64Array;
}

/** Bytes the buffer must hold for these curves. */
export function curvesByteLength(infos: readonly CurveInfo[]): number {
  let n = 0;
  for (const c of infos) n += 6 * Math.max(0, c.num_thresholds | 0);
  return n * 8;
}

/**
 * Decode curves from a buffer (zero-copy when 8-byte aligned on a little-endian
 * host, copied otherwise). Throws, before returning anything, if the buffer is
 * shorter than the curves need or a curve has fewer than 2 thresholds.
 */
export function decodeCurves(buf: BufferLike | null | undefined, infos: readonly CurveInfo[]): Curve[] {
  const need = curvesByteLength(infos);
  for (const c of infos) {
    if (!((c.num_thresholds | 0) >= 2)) throw new Error(`curve ${c.id}: num_thresholds ${c.num_thresholds} < 2`);
  }
  if (buf == null) {
    if (need === 0) return [];
    throw new Error(`missing buffer (need ${need} bytes)`);
  }
  const reader = new Float64Reader(buf);
  if (reader.byteLength < need) throw new Error(`buffer too short: ${reader.byteLength} bytes, curves need ${need}`);
  const row = (n: number): Float64Array => reader.take(n);
  return infos.map((info) => {
    const t = info.num_thresholds | 0;
    return { info: { ...info }, tp: row(t), fp: row(t), tn: row(t), fn: row(t), precision: row(t), recall: row(t) };
  });
}

/** Encode curves into the wire layout (tests and the dev harness). */
export function encodeCurves(rows: readonly (readonly ArrayLike<number>[])[]): Float64Array {
  let n = 0;
  for (const r of rows) for (const a of r) n += a.length;
  const out = new Float64Array(n);
  let o = 0;
  for (const r of rows) {
    if (r.length !== 6) throw new Error("each curve needs 6 rows");
    for (const a of r) {
      out.set(a, o);
      o += a.length;
    }
  }
  return out;
}

/** All steps of one (run, series) of a tag. */
export interface SeriesData {
  /** `${run}\u0000${series}` — unique within a tag */
  key: string;
  run: string;
  series: string;
  kind: CurveKind;
  classIndex: number;
  color: number;
  /** ascending */
  steps: number[];
  byStep: Map<number, Curve>;
}

export interface TagData {
  tag: string;
  /** ordered: runs in order of first appearance, then classes by index, then micro, macro */
  series: SeriesData[];
  /** union of all series' steps, ascending */
  steps: number[];
  runs: string[];
  multiclass: boolean;
}

const KIND_ORDER: Record<CurveKind, number> = { binary: 0, class: 1, micro: 2, macro: 3 };

/** The curve of `s` at `step`: the latest step <= `step` (null if none). */
export function curveAtStep(s: SeriesData, step: number): Curve | null {
  const i = upperBound(s.steps, step);
  return i === 0 ? null : (s.byStep.get(s.steps[i - 1]!) ?? null);
}

/** Display name of a series within its tag: run and/or class. */
export function seriesLabel(s: { run: string; series: string; kind: CurveKind }, multiRun: boolean): string {
  const cls = s.kind === "micro" ? "micro avg" : s.kind === "macro" ? "macro avg" : s.series;
  if (!cls) return s.run;
  return multiRun ? `${s.run} · ${cls}` : cls;
}

/**
 * Every curve of one PRCurves widget, with the seq rule of docs/wire.md: a
 * snapshot or append is applied only when its seq is greater than the seq held.
 */
export class PrData {
  seq = -Infinity;
  /** bumped on every applied change */
  version = 0;
  readonly curves = new Map<number, Curve>();
  private runOrder: string[] = [];
  private cache: { version: number; tags: Map<string, TagData> } | null = null;

  applySnapshot(seq: number, infos: readonly CurveInfo[], buf: BufferLike | null | undefined): boolean {
    if (!(seq > this.seq)) return false;
    const decoded = decodeCurves(buf, infos); // throws before mutating anything
    this.curves.clear();
    this.runOrder = [];
    for (const c of decoded) this.add(c);
    this.seq = seq;
    this.version++;
    return true;
  }

  applyAppend(seq: number, infos: readonly CurveInfo[], buf: BufferLike | null | undefined): boolean {
    if (!(seq > this.seq)) return false;
    const decoded = decodeCurves(buf, infos);
    for (const c of decoded) this.add(c); // same id = the step logged again: replaced
    this.seq = seq;
    this.version++;
    return true;
  }

  private add(c: Curve): void {
    this.curves.set(c.info.id, c);
    if (!this.runOrder.includes(c.info.run)) this.runOrder.push(c.info.run);
  }

  /** Runs in order of first appearance. */
  runs(): string[] {
    return [...this.runOrder];
  }

  /** Tags (natural order) with their series and steps; cached per version. */
  tags(): Map<string, TagData> {
    if (this.cache && this.cache.version === this.version) return this.cache.tags;
    const byTag = new Map<string, Map<string, SeriesData>>();
    const ids = [...this.curves.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const c = this.curves.get(id)!;
      const i = c.info;
      let tag = byTag.get(i.tag);
      if (!tag) byTag.set(i.tag, (tag = new Map()));
      const key = `${i.run}\u0000${i.series}`;
      let s = tag.get(key);
      if (!s) {
        s = { key, run: i.run, series: i.series, kind: i.kind, classIndex: i.class_index, color: i.color, steps: [], byStep: new Map() };
        tag.set(key, s);
      }
      if (!s.byStep.has(i.step)) s.steps.push(i.step);
      s.byStep.set(i.step, c);
    }
    const runRank = new Map(this.runOrder.map((r, k) => [r, k]));
    const out = new Map<string, TagData>();
    for (const tag of [...byTag.keys()].sort(compareNatural)) {
      const series = [...byTag.get(tag)!.values()];
      const steps = new Set<number>();
      for (const s of series) {
        s.steps.sort((a, b) => a - b);
        for (const st of s.steps) steps.add(st);
      }
      series.sort(
        (a, b) =>
          (runRank.get(a.run) ?? 0) - (runRank.get(b.run) ?? 0) ||
          KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
          a.classIndex - b.classIndex ||
          compareNatural(a.series, b.series),
      );
      const runs = [...new Set(series.map((s) => s.run))];
      out.set(tag, {
        tag,
        series,
        steps: [...steps].sort((a, b) => a - b),
        runs,
        multiclass: series.some((s) => s.kind !== "binary"),
      });
    }
    this.cache = { version: this.version, tags: out };
    return out;
  }
}
