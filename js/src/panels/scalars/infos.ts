/**
 * The Scalars panel's `series` trait as the kernel sends it: packed columns
 * (nbviz/panels/scalars/infos.py, docs/wire.md) — run and tag names once each and
 * one float64 buffer of FIELDS per series — or, from an exported page, a plain
 * list of SeriesInfo objects. Both become SeriesInfo[] here.
 */
import { Float64Reader, type BufferLike } from "../../lib/buffer";
import type { SeriesInfo } from "../../lib/wire";

/** per series, in this order (nbviz/panels/scalars/infos.py FIELDS) */
export const FIELDS = ["id", "run", "tag", "color", "count", "decimated", "total", "last_step", "last"] as const;

export interface PackedInfos {
  packed: 1;
  runs: string[];
  tags: string[];
  columns: BufferLike;
}

function isPacked(value: unknown): value is PackedInfos {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return v.packed === 1 && Array.isArray(v.runs) && Array.isArray(v.tags) && v.columns != null;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** SeriesInfo[] of the trait's value; throws on a packed value that does not add up. */
export function unpackInfos(value: unknown): SeriesInfo[] {
  if (value == null) return [];
  if (Array.isArray(value)) return value as SeriesInfo[];
  if (!isPacked(value)) throw new Error("series: neither a list nor packed columns");
  const reader = new Float64Reader(value.columns);
  const width = FIELDS.length;
  if (reader.byteLength % (8 * width) !== 0) {
    throw new Error(`series: ${reader.byteLength} bytes is not a whole number of ${width}-field rows`);
  }
  const n = reader.byteLength / (8 * width);
  const t = reader.take(n * width);
  const { runs, tags } = value;
  const out: SeriesInfo[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    const run = runs[t[o + 1]!];
    const tag = tags[t[o + 2]!];
    if (run === undefined || tag === undefined) throw new Error(`series: row ${i} names no run or tag`);
    out[i] = {
      id: t[o]!,
      run,
      tag,
      color: t[o + 3]!,
      count: t[o + 4]!,
      decimated: t[o + 5]! !== 0,
      total: t[o + 6]!,
      last_step: finiteOrNull(t[o + 7]!),
      last: finiteOrNull(t[o + 8]!),
    };
  }
  return out;
}
