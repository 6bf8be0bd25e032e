/**
 * Audio maths of the Audio panel: read 16-bit PCM WAV bytes, min/max waveform columns,
 * a magnitude spectrogram (Hann window, radix-2 FFT) in decibels.
 */

export interface Pcm {
  samples: Float32Array;
  rate: number;
  channels: number;
}

/** Samples (first channel, in [-1, 1]) of a PCM WAV (8/16/32-bit); null when it is not one. */
export function parseWav(bytes: Uint8Array): Pcm | null {
  if (bytes.length < 44) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number) => String.fromCharCode(bytes[o]!, bytes[o + 1]!, bytes[o + 2]!, bytes[o + 3]!);
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") return null;
  let offset = 12;
  let channels = 1;
  let rate = 0;
  let bits = 16;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (view.getUint16(body, true) !== 1) return null; // PCM only
      channels = view.getUint16(body + 2, true);
      rate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
    } else if (id === "data") {
      const width = bits / 8;
      const frames = Math.floor(Math.min(size, bytes.length - body) / (width * channels));
      const out = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        const at = body + i * width * channels;
        out[i] = width === 2 ? view.getInt16(at, true) / 32767
          : width === 1 ? (view.getUint8(at) - 128) / 127
          : view.getInt32(at, true) / 2147483647;
      }
      return { samples: out, rate, channels };
    }
    offset = body + size + (size & 1);
  }
  return null;
}

/** min and max of the samples falling in each of `columns` columns. */
export function waveformColumns(samples: Float32Array, columns: number): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(columns);
  const max = new Float32Array(columns);
  const per = samples.length / columns;
  for (let c = 0; c < columns; c++) {
    const a = Math.floor(c * per);
    const b = Math.max(a + 1, Math.floor((c + 1) * per));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = a; i < b && i < samples.length; i++) {
      const v = samples[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[c] = lo === Infinity ? 0 : lo;
    max[c] = hi === -Infinity ? 0 : hi;
  }
  return { min, max };
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const ar = re[i + k + len / 2]!;
        const ai = im[i + k + len / 2]!;
        const xr = ar * wr - ai * wi;
        const xi = ar * wi + ai * wr;
        re[i + k + len / 2] = re[i + k]! - xr;
        im[i + k + len / 2] = im[i + k]! - xi;
        re[i + k] = re[i + k]! + xr;
        im[i + k] = im[i + k]! + xi;
      }
    }
  }
}

/**
 * Spectrogram: `columns` frames of `size` samples (Hann), magnitude in dB, `size / 2` bins
 * (row 0 = lowest frequency). Returns [columns × bins] row-major by column.
 */
export function spectrogram(samples: Float32Array, columns: number, size = 256): Float32Array {
  const bins = size / 2;
  const out = new Float32Array(columns * bins);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const hop = Math.max(1, (samples.length - size) / Math.max(1, columns - 1));
  for (let c = 0; c < columns; c++) {
    const start = Math.floor(c * hop);
    for (let i = 0; i < size; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
      re[i] = (samples[start + i] ?? 0) * w;
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < bins; k++) out[c * bins + k] = 20 * Math.log10(Math.hypot(re[k]!, im[k]!) + 1e-6);
  }
  return out;
}

const HEAT: readonly [number, number, number][] = [
  [0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164],
];

/** An inferno-like colour for t in [0, 1] (spectrogram levels). */
export function heat(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(x));
  const f = x - i;
  const a = HEAT[i]!;
  const b = HEAT[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}
