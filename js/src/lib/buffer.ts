/**
 * Binary decoding shared by every panel: the byte view of whatever buffer the
 * widget manager hands over (DataView, ArrayBuffer, typed array) and a reader of
 * little-endian float64 columns — zero-copy views when the bytes are 8-byte
 * aligned on a little-endian host, DataView reads otherwise.
 */

/** What a synced `Bytes` trait or a message buffer arrives as. */
export type BufferLike = DataView | ArrayBufferLike | ArrayBufferView;

export interface ByteView {
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
}

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes `buf` covers. Throws a TypeError for anything that is not a buffer. */
export function bytesOf(buf: BufferLike): ByteView {
  if (ArrayBuffer.isView(buf)) return { buffer: buf.buffer, byteOffset: buf.byteOffset, byteLength: buf.byteLength };
  if (buf && typeof (buf as ArrayBufferLike).byteLength === "number") {
    return { buffer: buf as ArrayBufferLike, byteOffset: 0, byteLength: (buf as ArrayBufferLike).byteLength };
  }
  throw new TypeError("expected a DataView, ArrayBuffer or typed array");
}

/**
 * Reads consecutive little-endian float64 runs from a buffer. With `copy` every
 * run is a fresh array (safe to keep after the buffer is reused); without it
 * aligned runs are views into the buffer.
 */
export class Float64Reader {
  readonly byteLength: number;
  private readonly bytes: ByteView;
  private readonly dv: DataView | null;
  private offset = 0;

  constructor(buf: BufferLike, private readonly copy = false) {
    this.bytes = bytesOf(buf);
    this.byteLength = this.bytes.byteLength;
    const aligned = LITTLE_ENDIAN_HOST && this.bytes.byteOffset % 8 === 0;
    this.dv = aligned ? null : new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** The next `n` values. */
  take(n: number): Float64Array {
    const at = this.offset;
    if (at + n * 8 > this.byteLength) throw new Error(`buffer too short: ${this.byteLength} bytes, need ${at + n * 8}`);
    this.offset += n * 8;
    if (this.dv === null) {
      const start = this.bytes.byteOffset + at;
      return this.copy
        ? new Float64Array(this.bytes.buffer.slice(start, start + n * 8))
        : new Float64Array(this.bytes.buffer, start, n);
    }
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.dv.getFloat64(at + i * 8, true);
    return out;
  }
}
