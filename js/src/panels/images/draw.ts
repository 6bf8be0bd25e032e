/**
 * Pure drawing helpers of the Images panel: class colours, mask colouring, the
 * difference of two images, grey-level windowing, which boxes pass the score threshold,
 * fitting sizes.
 */
import { PALETTE } from "../../lib/colors";

/** RGB of a class index (class 0 is the first palette colour too; hidden by default). */
export function classColor(index: number): [number, number, number] {
  const hex = PALETTE[index % PALETTE.length]!.replace("#", "");
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
}

/**
 * Colour a class-index mask (RGBA pixels whose red channel is the class): visible classes
 * get their colour at full alpha, hidden ones become transparent. Returns new RGBA pixels.
 */
export function colorMask(pixels: Uint8ClampedArray, hidden: ReadonlySet<number>): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(pixels.length);
  const lut = new Uint8ClampedArray(256 * 4);
  for (let c = 0; c < 256; c++) {
    if (hidden.has(c)) continue;
    const [r, g, b] = classColor(c);
    lut.set([r, g, b, 255], c * 4);
  }
  for (let i = 0; i < pixels.length; i += 4) {
    const c = pixels[i]! * 4;
    out[i] = lut[c]!;
    out[i + 1] = lut[c + 1]!;
    out[i + 2] = lut[c + 2]!;
    out[i + 3] = lut[c + 3]!;
  }
  return out;
}

/** |a − b| per channel (alpha opaque), for the difference compare mode. */
export function differencePixels(a: Uint8ClampedArray, b: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  const n = Math.min(a.length, b.length);
  const out = new Uint8ClampedArray(n);
  for (let i = 0; i < n; i += 4) {
    out[i] = Math.abs(a[i]! - b[i]!);
    out[i + 1] = Math.abs(a[i + 1]! - b[i + 1]!);
    out[i + 2] = Math.abs(a[i + 2]! - b[i + 2]!);
    out[i + 3] = 255;
  }
  return out;
}

/**
 * Grey-level window: the grey values `low`..`high` (0–255) spread over full black..white,
 * values below `low` black, above `high` white (linear, rounded); alpha kept. A window
 * narrower than 1 grey level is widened to 1 (a threshold at `low`). Returns new RGBA pixels.
 */
export function windowPixels(pixels: Uint8ClampedArray, low: number, high: number): Uint8ClampedArray<ArrayBuffer> {
  const lo = Math.min(255, Math.max(0, low));
  const width = Math.max(1, Math.min(255, high) - lo);
  const lut = new Uint8ClampedArray(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round(((v - lo) * 255) / width); // clamped to 0..255
  const out = new Uint8ClampedArray(pixels.length);
  for (let i = 0; i < pixels.length; i += 4) {
    out[i] = lut[pixels[i]!]!;
    out[i + 1] = lut[pixels[i + 1]!]!;
    out[i + 2] = lut[pixels[i + 2]!]!;
    out[i + 3] = pixels[i + 3]!;
  }
  return out;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  label: string;
  score: number | null;
  color: [number, number, number];
}

/** The boxes of an entry's meta that pass `threshold` (boxes without a score always do). */
export function visibleBoxes(meta: Record<string, any>, threshold: number): Box[] {
  const boxes = (meta.boxes ?? []) as number[][];
  const labels = (meta.box_labels ?? []) as string[];
  const scores = (meta.box_scores ?? null) as number[] | null;
  const names = [...new Set(labels)];
  const out: Box[] = [];
  boxes.forEach((b, i) => {
    const score = scores ? scores[i] ?? null : null;
    if (score !== null && score < threshold) return;
    const label = labels[i] ?? "";
    out.push({ x0: b[0]!, y0: b[1]!, x1: b[2]!, y1: b[3]!, label, score,
               color: classColor(label ? names.indexOf(label) + 1 : 1) });
  });
  return out;
}

/** Thumbnail size: the longer side `max` px (small images scaled up, pixelated). */
export function fitSize(w: number, h: number, max: number): [number, number] {
  const s = max / Math.max(w, h, 1);
  return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))];
}
