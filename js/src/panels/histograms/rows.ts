/**
 * Fixed-stride float64 rows of the Histograms and Distributions panels
 * (docs/wire.md): for each SeriesInfo in order, `count` rows of `stride`
 * little-endian float64 values, no padding. Snapshots replace everything,
 * appends add rows; both only apply when their seq is greater than the held one.
 */
import { Float64Reader, type BufferLike } from "../../lib/buffer";
import { inOrder } from "../../lib/series_store";
import { compileTagFilter } from "../../lib/tags";

export interface HistSeriesInfo {
  id: number;
  run: string;
  tag: string;
  source: string;
  layer: string;
  param: string;
  group: string;
  color: number;
  count: number;
}

export interface HistSeries {
  info: HistSeriesInfo;
  /** rows × stride values, row-major; `length` rows are valid. */
  data: Float64Array;
  length: number;
}

/** Decode `series` rows from `buf` (copies). Throws when the buffer is too short. */
export function decodeRows(
  buf: BufferLike | null | undefined,
  series: readonly HistSeriesInfo[],
  stride: number,
): Float64Array[] {
  if (!(stride > 0)) throw new Error(`bad stride ${stride}`);
  let need = 0;
  for (const s of series) need += Math.max(0, s.count | 0) * stride * 8;
  if (buf == null) {
    if (need === 0) return series.map(() => new Float64Array(0));
    throw new Error(`missing buffer (need ${need} bytes)`);
  }
  const reader = new Float64Reader(buf, true);
  if (reader.byteLength < need) throw new Error(`buffer too short: ${reader.byteLength} bytes, rows need ${need}`);
  return series.map((s) => reader.take(Math.max(0, s.count | 0) * stride));
}

export class RowData {
  seq = -Infinity;
  stride = 0;
  readonly series = new Map<number, HistSeries>();
  readonly order: number[] = [];

  applySnapshot(seq: number, stride: number, infos: readonly HistSeriesInfo[], buf: BufferLike | null | undefined): boolean {
    if (!(seq > this.seq)) return false;
    const rows = decodeRows(buf, infos, stride);
    this.series.clear();
    this.order.length = 0;
    this.stride = stride;
    infos.forEach((info, i) => {
      const data = rows[i]!;
      this.series.set(info.id, { info: { ...info }, data, length: data.length / stride });
      this.order.push(info.id);
    });
    this.seq = seq;
    return true;
  }

  applyAppend(seq: number, infos: readonly HistSeriesInfo[], buf: BufferLike | null | undefined): boolean {
    if (!(seq > this.seq) || !(this.stride > 0)) return false;
    const rows = decodeRows(buf, infos, this.stride);
    infos.forEach((info, i) => {
      const fresh = rows[i]!;
      const s = this.series.get(info.id);
      if (!s) {
        this.series.set(info.id, { info: { ...info }, data: fresh, length: fresh.length / this.stride });
        this.order.push(info.id);
        return;
      }
      const need = (s.length + info.count) * this.stride;
      if (s.data.length < need) {
        const grown = new Float64Array(Math.max(need, s.data.length * 2));
        grown.set(s.data.subarray(0, s.length * this.stride));
        s.data = grown;
      }
      s.data.set(fresh, s.length * this.stride);
      s.length += info.count;
      s.info = { ...info, count: s.length };
    });
    this.seq = seq;
    return true;
  }

  list(): HistSeries[] {
    return inOrder(this.order, this.series);
  }

  totalRows(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.length;
    return n;
  }

  /** Row `i` of series `s` as a subarray view. */
  static row(s: HistSeries, stride: number, i: number): Float64Array {
    return s.data.subarray(i * stride, (i + 1) * stride);
  }
}

/** Indices of at most `max` rows of `n`, evenly spaced, always the first and the last. */
export function sampleIndices(n: number, max: number): number[] {
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  let last = -1;
  for (let k = 0; k < max; k++) {
    const i = Math.round((k * (n - 1)) / (max - 1));
    if (i !== last) out.push(i);
    last = i;
  }
  return out;
}

/** Case-insensitive regex filter; an invalid regex is a plain substring (lib/tags). */
export const tagMatcher: (filter: string) => (tag: string) => boolean = compileTagFilter;
