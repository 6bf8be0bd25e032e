/**
 * Wire format of the Projector panel (docs/wire.md, "Projector").
 *
 * Every per-point array is one part of a binary buffer, described by a header
 * `{role, offset, length, dtype, …}` (offsets 8-byte aligned, little-endian).
 */
import { bytesOf, type BufferLike, type ByteView } from "../../lib/buffer";

export type Method = "pca" | "tsne" | "umap";
export type Metric = "cosine" | "euclidean";
export type ColumnKind = "category" | "number" | "text";

export interface DatasetInfo {
  id: number;
  group: number;
  run: string;
  tag: string;
  step: number;
  wall_time: number;
  n: number;
  d: number;
  columns: { name: string; kind: ColumnKind }[];
  images: boolean;
  dropped: number;
}

export interface PartHeader {
  role: "positions" | "column" | "images" | "vectors";
  offset: number;
  length: number;
  dtype: string;
  // positions
  method?: Method;
  dims?: number;
  params?: Record<string, unknown>;
  seconds?: number;
  fit_size?: number;
  explained?: number[];
  // columns
  name?: string;
  kind?: ColumnKind;
  categories?: string[];
  min?: number | null;
  max?: number | null;
  // images
  width?: number;
  height?: number;
  // vectors
  d?: number;
}

export interface Projection {
  method: Method;
  dims: number;
  params: Record<string, unknown>;
}

export type Column =
  | { name: string; kind: "category"; codes: Int32Array; categories: string[] }
  | { name: string; kind: "number"; values: Float32Array; min: number; max: number }
  | { name: string; kind: "text"; texts: string[] };

export interface Positions {
  key: string;
  projection: Projection;
  /** row-major [n, dims] */
  data: Float32Array;
  dims: number;
  seconds: number;
  fitSize: number;
  explained: number[];
}

export interface DatasetData {
  columns: Column[];
  images: { data: Uint8Array; width: number; height: number } | null;
  vectors: { data: Float32Array; d: number } | null;
}

export interface Decoded {
  positions: Positions[];
  /** columns, images, vectors found (empty for a positions-only buffer) */
  data: DatasetData;
}

/** JSON with sorted keys (nested), so equal parameter sets give equal strings. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(",")}}`;
}

/**
 * Key of a projection in the page's caches. PCA is one projection whatever the
 * view's dimensions (the kernel sends 3 axes; 2-D shows the first two).
 */
export function projectionKey(p: Projection): string {
  if (p.method === "pca") return "pca";
  return `${p.method}:${p.dims}:${stableStringify(p.params ?? {})}`;
}

function typed<T>(
  ctor: { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T; BYTES_PER_ELEMENT: number },
  src: ByteView,
  part: PartHeader,
): T {
  const size = ctor.BYTES_PER_ELEMENT;
  if (part.offset < 0 || part.length < 0 || part.offset + part.length > src.byteLength) {
    throw new Error(`part ${part.role} [${part.offset}, +${part.length}) outside a ${src.byteLength}-byte buffer`);
  }
  if (part.length % size !== 0) throw new Error(`part ${part.role}: ${part.length} bytes is not a multiple of ${size}`);
  const start = src.byteOffset + part.offset;
  if (start % size === 0) return new ctor(src.buffer, start, part.length / size);
  // unaligned view (should not happen: parts are 8-byte aligned): copy
  const copy = new Uint8Array(part.length);
  copy.set(new Uint8Array(src.buffer, start, part.length));
  return new ctor(copy.buffer, 0, part.length / size);
}

const DTYPE: Record<string, string> = { float32: "f4", int32: "i4", uint8: "u1" };

function expectDtype(part: PartHeader, want: string): void {
  if (DTYPE[part.dtype] !== want) throw new Error(`part ${part.role}: dtype ${part.dtype}, expected ${want}`);
}

/** Decode the parts of one buffer (snapshot trait or message). Throws on a malformed header. */
export function decodeParts(parts: readonly PartHeader[], buf: BufferLike, n: number): Decoded {
  const src = bytesOf(buf);
  const positions: Positions[] = [];
  const columns: Column[] = [];
  let images: DatasetData["images"] = null;
  let vectors: DatasetData["vectors"] = null;
  for (const part of parts) {
    if (part.role === "positions") {
      expectDtype(part, "f4");
      const data = typed(Float32Array, src, part);
      const dims = part.dims ?? 0;
      if (dims < 1 || data.length !== n * dims) throw new Error(`positions: ${data.length} values for ${n} points x ${dims}`);
      const projection: Projection = { method: part.method ?? "pca", dims, params: part.params ?? {} };
      positions.push({
        key: projectionKey(projection),
        projection,
        data,
        dims,
        seconds: part.seconds ?? 0,
        fitSize: part.fit_size ?? n,
        explained: part.explained ?? [],
      });
    } else if (part.role === "column") {
      const name = String(part.name ?? "");
      if (part.kind === "category") {
        expectDtype(part, "i4");
        const codes = typed(Int32Array, src, part);
        if (codes.length !== n) throw new Error(`column ${name}: ${codes.length} codes for ${n} points`);
        columns.push({ name, kind: "category", codes, categories: (part.categories ?? []).map(String) });
      } else if (part.kind === "number") {
        expectDtype(part, "f4");
        const values = typed(Float32Array, src, part);
        if (values.length !== n) throw new Error(`column ${name}: ${values.length} values for ${n} points`);
        columns.push({ name, kind: "number", values, min: part.min ?? 0, max: part.max ?? 1 });
      } else if (part.kind === "text") {
        expectDtype(part, "u1");
        const bytes = typed(Uint8Array, src, part);
        const texts = n === 0 ? [] : new TextDecoder().decode(bytes).split("\n");
        if (texts.length !== n) throw new Error(`column ${name}: ${texts.length} texts for ${n} points`);
        columns.push({ name, kind: "text", texts });
      }
    } else if (part.role === "images") {
      expectDtype(part, "u1");
      const data = typed(Uint8Array, src, part);
      const width = part.width ?? 0;
      const height = part.height ?? 0;
      if (data.length !== n * width * height * 3) throw new Error(`images: ${data.length} bytes for ${n} of ${width}x${height}`);
      images = { data, width, height };
    } else if (part.role === "vectors") {
      expectDtype(part, "f4");
      const data = typed(Float32Array, src, part);
      const d = part.d ?? 0;
      if (d < 1 || data.length !== n * d) throw new Error(`vectors: ${data.length} values for ${n} x ${d}`);
      vectors = { data, d };
    }
  }
  return { positions, data: { columns, images, vectors } };
}

/** The text shown for point `i` of a column. */
export function columnText(c: Column, i: number): string {
  if (c.kind === "category") {
    const code = c.codes[i] ?? -1;
    return code >= 0 ? (c.categories[code] ?? "") : "";
  }
  if (c.kind === "number") {
    const v = c.values[i] ?? NaN;
    return Number.isNaN(v) ? "" : formatValue(v);
  }
  return c.texts[i] ?? "";
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}
