/**
 * Wire format of the Scalars panel (see docs/wire.md).
 *
 * Buffer layout, for each SeriesInfo in order: step[count], wall_time[count],
 * value[count], little-endian float64, no padding.
 */
import { Float64Reader, type BufferLike } from "./buffer";
import { inOrder, SeriesStore } from "./series_store";

export type { BufferLike } from "./buffer";

export interface SeriesInfo {
  id: number;
  run: string;
  tag: string;
  color: number;
  count: number;
  decimated: boolean;
  /** summary over every point logged (the kernel may send fewer, or none until asked) */
  total?: number;
  last_step?: number | null;
  last?: number | null;
}

export interface DecodedSeries {
  info: SeriesInfo;
  step: Float64Array;
  wall: Float64Array;
  value: Float64Array;
}

export function expectedByteLength(series: readonly SeriesInfo[]): number {
  let n = 0;
  for (const s of series) n += s.count;
  return n * 24;
}

/**
 * Decode a buffer into per-series float64 columns. The columns are zero-copy
 * views on the buffer when it is 8-byte aligned (and the host little-endian),
 * copies otherwise. Throws if the buffer is shorter than the series need.
 */
export function decodeBuffer(buf: BufferLike | null | undefined, series: readonly SeriesInfo[]): DecodedSeries[] {
  const need = expectedByteLength(series);
  if (buf == null) {
    if (need === 0) return series.map((info) => emptyDecoded(info));
    throw new Error(`missing buffer (need ${need} bytes)`);
  }
  const reader = new Float64Reader(buf);
  if (reader.byteLength < need) {
    throw new Error(`buffer too short: ${reader.byteLength} bytes, series need ${need}`);
  }
  const out: DecodedSeries[] = [];
  const column = (count: number): Float64Array => reader.take(count);
  for (const info of series) {
    const count = Math.max(0, info.count | 0);
    if (count === 0) {
      // a lazy panel's summaries: thousands of series without points, no views to make
      out.push(emptyDecoded(info));
      continue;
    }
    const step = column(count);
    const wall = column(count);
    const value = column(count);
    out.push({ info, step, wall, value });
  }
  return out;
}

/** shared by every series decoded without points (length 0: nothing can write to it) */
const EMPTY = new Float64Array(0);

function emptyDecoded(info: SeriesInfo): DecodedSeries {
  return { info, step: EMPTY, wall: EMPTY, value: EMPTY };
}

/** Encode series columns into the wire layout (used by tests and the dev harness). */
export function encodeBuffer(
  cols: readonly { step: ArrayLike<number>; wall: ArrayLike<number>; value: ArrayLike<number> }[],
): Float64Array {
  let n = 0;
  for (const c of cols) n += c.step.length;
  const out = new Float64Array(n * 3);
  let o = 0;
  for (const c of cols) {
    out.set(c.step, o);
    o += c.step.length;
    out.set(c.wall, o);
    o += c.wall.length;
    out.set(c.value, o);
    o += c.value.length;
  }
  return out;
}

/** Result of applying a snapshot or an append. */
export interface ApplyResult {
  /** true when the whole data set was replaced (snapshot). */
  replaced: boolean;
  /** series ids whose data changed. */
  changed: Set<number>;
  /** series ids that did not exist before. */
  created: Set<number>;
}

export interface ScalarSeries {
  info: SeriesInfo;
  store: SeriesStore;
}

/**
 * All series of one Scalars widget, with the seq rule of docs/wire.md:
 * a snapshot or an append is applied only when its seq is greater than the
 * seq held (the last applied snapshot's or append's).
 */
export class ScalarData {
  /** seq of the last applied snapshot or append; -Infinity before any. */
  seq = -Infinity;
  readonly series = new Map<number, ScalarSeries>();
  /** ids in order of first appearance */
  readonly order: number[] = [];

  /** Apply a snapshot (trait change). Returns null if not applied (stale seq). */
  applySnapshot(seq: number, infos: readonly SeriesInfo[], buf: BufferLike | null | undefined): ApplyResult | null {
    if (!(seq > this.seq)) return null;
    const decoded = decodeBuffer(buf, infos); // throws before mutating anything
    const created = new Set<number>();
    const changed = new Set<number>();
    const keep = new Set<number>();
    for (const d of decoded) {
      keep.add(d.info.id);
      let s = this.series.get(d.info.id);
      if (!s) {
        s = { info: { ...d.info }, store: new SeriesStore() };
        this.series.set(d.info.id, s);
        this.order.push(d.info.id);
        created.add(d.info.id);
      } else {
        s.info = { ...d.info };
      }
      // zero-copy: the store takes the decoded columns (views on the
      // snapshot buffer, or copies when it was unaligned)
      s.store.adopt(d.step, d.wall, d.value);
      changed.add(d.info.id);
    }
    // series absent from the snapshot are dropped
    for (const id of [...this.series.keys()]) {
      if (!keep.has(id)) {
        this.series.delete(id);
        changed.add(id);
      }
    }
    if (this.order.length !== this.series.size) {
      const kept = this.order.filter((id) => this.series.has(id));
      this.order.length = 0;
      this.order.push(...kept);
    }
    this.seq = seq;
    return { replaced: true, changed, created };
  }

  /** Apply an append message. Returns null if not applied (stale seq). */
  applyAppend(seq: number, infos: readonly SeriesInfo[], buf: BufferLike | null | undefined): ApplyResult | null {
    if (!(seq > this.seq)) return null;
    const decoded = decodeBuffer(buf, infos);
    const created = new Set<number>();
    const changed = new Set<number>();
    for (const d of decoded) {
      let s = this.series.get(d.info.id);
      if (!s) {
        s = { info: { ...d.info }, store: new SeriesStore() };
        this.series.set(d.info.id, s);
        this.order.push(d.info.id);
        created.add(d.info.id);
      } else {
        const { count: _count, ...rest } = d.info;
        Object.assign(s.info, rest);
      }
      if (d.step.length > 0) {
        // a series' first points (a lazy panel's reply): the store takes the decoded
        // columns as they are (views on the message buffer), later ones are appended
        if (s.store.length === 0) s.store.adopt(d.step, d.wall, d.value);
        else s.store.append(d.step, d.wall, d.value);
        changed.add(d.info.id);
      }
      s.info.count = s.store.length;
    }
    this.seq = seq;
    return { replaced: false, changed, created };
  }

  /** Series in order of first appearance. */
  list(): ScalarSeries[] {
    return inOrder(this.order, this.series);
  }

  totalPoints(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.store.length;
    return n;
  }
}
