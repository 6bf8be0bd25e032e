/**
 * Wire format of the Profile panel (docs/wire.md, "Profile").
 *
 * `steps`: for each run in `runs` order, 8 columns of `count` little-endian
 * float64: step, data_ms, forward_ms, backward_ms, optimizer_ms, other_ms,
 * step_ms, samples_per_s. `system`: for each run, 8 columns of `system_count`:
 * step, wall, cpu_percent, rss_mb, cuda_allocated_mb, cuda_reserved_mb,
 * cuda_peak_mb, gpu_util. `capture_data`: memory [memory_count × 2] row-major
 * (µs, bytes) then timeline [timeline_count × 6] row-major (start µs,
 * duration µs, lane, depth, name index, category).
 */

export type BufferLike = DataView | ArrayBufferLike | ArrayBufferView;

export interface RunInfo {
  name: string;
  color: number;
  count: number;
  steps_total: number;
  system_count: number;
  capture: boolean;
}

export interface FindingInfo {
  run: string;
  step: number;
  rule: string;
  severity: string;
  message: string;
  phase: string;
}

export interface Operator {
  name: string;
  calls: number;
  self_cpu_us: number;
  cpu_total_us: number;
  self_device_us: number;
}

export interface CaptureInfo {
  run?: string;
  steps?: number[];
  step_us?: [number, number][];
  categories?: string[];
  breakdown_us?: number[][];
  operators?: Operator[];
  device?: string;
  trace_path?: string;
  names?: string[];
  lanes?: string[];
  memory_count?: number;
  timeline_count?: number;
}

export const STEP_COLUMNS = ["step", "data", "forward", "backward", "optimizer", "other", "step_ms", "samples_per_s"] as const;
export const SYSTEM_COLUMNS = ["step", "wall", "cpu_percent", "rss_mb", "cuda_allocated_mb", "cuda_reserved_mb", "cuda_peak_mb", "gpu_util"] as const;

/** Little-endian float64 view of a buffer (copied when unaligned). */
export function float64(buf: BufferLike | null | undefined): Float64Array {
  if (buf == null) return new Float64Array(0);
  let bytes: Uint8Array;
  if (ArrayBuffer.isView(buf)) bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  else bytes = new Uint8Array(buf as ArrayBufferLike);
  const n = Math.floor(bytes.byteLength / 8);
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(n * 8);
  copy.set(bytes.subarray(0, n * 8));
  return new Float64Array(copy.buffer);
}

/** Split column-major per-run tables: for each run, `width` columns of its row count. */
export function splitColumns(data: Float64Array, counts: readonly number[], width: number): Float64Array[][] {
  const out: Float64Array[][] = [];
  let offset = 0;
  for (const count of counts) {
    const columns: Float64Array[] = [];
    for (let c = 0; c < width; c++) {
      if (offset + count > data.length) throw new Error(`buffer too short: need ${offset + count} values, have ${data.length}`);
      columns.push(data.subarray(offset, offset + count));
      offset += count;
    }
    out.push(columns);
  }
  return out;
}

/** Cumulative sums of the phase columns (for a stacked chart): out[i] = sum of cols[0..i]. */
export function stack(columns: readonly Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  let previous: Float64Array | null = null;
  for (const column of columns) {
    const sum = new Float64Array(column.length);
    for (let i = 0; i < column.length; i++) {
      const v = column[i]!;
      sum[i] = (previous ? previous[i]! : 0) + (Number.isFinite(v) ? v : 0);
    }
    out.push(sum);
    previous = sum;
  }
  return out;
}
