/**
 * HParams wire contract (docs/wire.md, "HParams"): synced traits mirror
 * nbviz/panels/hparams/widget.py; `table` is float64 little-endian, one column
 * after the other (columns.length × runs.length), categories as codes, NaN = missing.
 */

export type AxisKind = "numeric" | "log" | "categorical";

export interface ColumnInfo {
  name: string;
  /** "hparam", "metric" (a tag's final value) or "summary" (min / max / last-N mean) */
  role: "hparam" | "metric" | "summary";
  kind: AxisKind;
  categories?: string[];
  min: number | null;
  max: number | null;
}

export interface ImportanceRow {
  hparam: string;
  importance: number | null;
  correlation: number | null;
  correlation_kind: "pearson" | "eta";
}

export interface HParamsModel {
  columns: ColumnInfo[];
  runs: string[];
  table: DataView | ArrayBuffer | null;
  table_seq: number;
  metric: string;
  goal: "max" | "min";
  hidden_runs: string[];
  hidden_axes: string[];
  axis_order: string[];
  brushes: Record<string, [number, number]>;
  scatter_x: string;
  table_columns: string[];
  importance: ImportanceRow[];
  importance_message: string;
  status: string;
  title: string;
}

/** The decoded table: one Float64Array per column, `runs.length` long. */
export interface Table {
  runs: string[];
  columns: ColumnInfo[];
  values: Float64Array[];
  index: Map<string, number>;
}

type BufferLike = DataView | ArrayBuffer | ArrayBufferView | null | undefined;

/** Little-endian float64 values of a buffer (copied when unaligned). */
export function float64s(buf: BufferLike): Float64Array {
  if (!buf) return new Float64Array(0);
  let bytes: Uint8Array;
  if (buf instanceof ArrayBuffer) bytes = new Uint8Array(buf);
  else bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.byteLength % 8 !== 0) throw new Error(`table buffer of ${bytes.byteLength} bytes is not float64`);
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new Float64Array(bytes.slice().buffer);
}

/** Split the buffer into columns; throws when its size disagrees with the infos. */
export function decodeTable(columns: ColumnInfo[], runs: string[], buf: BufferLike): Table {
  const data = float64s(buf);
  const n = runs.length;
  if (data.length !== columns.length * n) {
    throw new Error(`table holds ${data.length} values, expected ${columns.length} × ${n}`);
  }
  const values = columns.map((_, i) => data.subarray(i * n, (i + 1) * n));
  return { runs, columns, values, index: new Map(columns.map((c, i) => [c.name, i])) };
}

/** Axis order: the saved order first (names still present), then the rest in table order. */
export function orderedAxes(columns: readonly ColumnInfo[], order: readonly string[], hidden: readonly string[]): string[] {
  const names = new Set(columns.map((c) => c.name));
  const out = order.filter((n) => names.has(n));
  const seen = new Set(out);
  for (const c of columns) if (!seen.has(c.name)) out.push(c.name);
  const hide = new Set(hidden);
  return out.filter((n) => !hide.has(n));
}

/** Move `name` to position `to` (0-based, among `order`). */
export function moveAxis(order: readonly string[], name: string, to: number): string[] {
  const out = order.filter((n) => n !== name);
  const k = Math.max(0, Math.min(out.length, Math.round(to)));
  out.splice(k, 0, name);
  return out;
}
