/**
 * Decoding what `nbviz/export/html.py` writes: base64 text of gzip bytes (bundles,
 * each widget's binary buffers, lazy chunks), and the state JSON whose
 * `{"$nbviz_buffer": i}` leaves stand for slices of the widget's blob (as DataViews,
 * like anywidget's).
 */

export const BUFFER_KEY = "$nbviz_buffer";

type Base64Decoder = (text: string) => Uint8Array;

/** The bytes of base64 `text` (the native `Uint8Array.fromBase64` where the browser has it). */
export function fromBase64(text: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: Base64Decoder }).fromBase64;
  if (native) return native(text.replace(/\s+/g, ""));
  const binary = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The bytes of the gzip+base64 text of `script` (a `<script type="application/octet-stream">`). */
export function unpackScript(script: Element | null, what: string): Promise<Uint8Array> {
  if (!script?.textContent) return Promise.reject(new Error(`the page lacks ${what}`));
  return gunzip(fromBase64(script.textContent));
}

/** gunzip `bytes` with the browser's DecompressionStream. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Split `blob` into DataViews of the given byte lengths (consecutive). */
export function splitBuffers(blob: Uint8Array, sizes: readonly number[]): DataView[] {
  const views: DataView[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at + size > blob.byteLength) throw new Error(`snapshot buffers too short: need ${at + size} bytes, have ${blob.byteLength}`);
    // a copy per buffer: 8-byte aligned, so Float64Array views work on it
    views.push(new DataView(blob.slice(at, at + size).buffer));
    at += size;
  }
  return views;
}

/** `value` with every `{"$nbviz_buffer": i}` replaced by `buffers[i]`. */
export function reviveBuffers(value: unknown, buffers: readonly DataView[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reviveBuffers(v, buffers));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === BUFFER_KEY) {
      const index = record[BUFFER_KEY];
      const found = typeof index === "number" ? buffers[index] : undefined;
      if (!found) throw new Error(`snapshot: no buffer ${String(index)}`);
      return found;
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = reviveBuffers(record[k], buffers);
    return out;
  }
  return value;
}
