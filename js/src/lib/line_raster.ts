/**
 * Polylines rasterised in typed arrays, for charts of hundreds to tens of
 * thousands of lines, where the browser's software canvas is slow. Two pens:
 *
 * - `LineRaster`: anti-aliased lines of any width, blended source-over (Scalars).
 * - `HairlineRaster`: 1-px aliased lines (a DDA walk), each line one RGBA word
 *   that overwrites what is below, so a pixel shows the last line drawn through
 *   it (`draw`); or counted in and out of a layer one line at a time, which
 *   then shows what drawing its lines shows (`count`; HParams' parallel
 *   coordinates, hparams/layer.ts, update it by the lines a brush changed).
 *
 * `LineRaster`: the browser's software canvas strokes 1,000 lines of 40 points
 * in ~150 ms per 390×230 chart (its stroker outlines every segment and join),
 * this walks each segment's pixel columns (or rows, when steep) once: a few ms.
 *
 * Coverage is the exact overlap of each pixel with the line's cross-section
 * along the segment's minor axis (a box filter, like a canvas stroke with butt
 * caps); colours blend source-over in premultiplied float RGBA. A segment owns
 * the columns whose centres lie in [x0, x1), so the segments of a line that
 * moves one way along x never cover a pixel twice (no darker joints on faint
 * lines).
 *
 * @example
 *   const r = new LineRaster();
 *   r.reset(400, 200);
 *   r.setPen([0, 145, 234, 1], 0.75);
 *   traceLine(r, xs, ys, 0, xs.length, axisMap(0, 10, 0, 400), axisMap(0, 1, 200, 0));
 *   const img = new ImageData(400, 200);
 *   r.pixels(img.data);
 */
import { parseColor } from "./colors";

/** red, green, blue (0–255) and alpha (0–1) */
export type Rgba = readonly [number, number, number, number];

export class LineRaster {
  width = 0;
  height = 0;
  /** premultiplied red, green, blue (0–255) and alpha (0–1) per pixel, row-major */
  private acc = new Float32Array(0);
  private color: Rgba = [0, 0, 0, 1];
  private half = 0.5;
  private penX = 0;
  private penY = 0;

  /** Size the raster to `width` × `height` pixels and clear it. */
  reset(width: number, height: number): void {
    const w = Math.max(0, Math.floor(width));
    const h = Math.max(0, Math.floor(height));
    const n = w * h * 4;
    if (this.acc.length < n) this.acc = new Float32Array(n);
    else this.acc.fill(0, 0, n);
    this.width = w;
    this.height = h;
  }

  /** Colour and half width (pixels) of what `lineTo` draws next. */
  setPen(color: Rgba, half: number): void {
    this.color = color;
    this.half = half;
  }

  /** Start a line at (x, y) (raster pixels). A LineSink: `traceLine` draws into a raster. */
  moveTo(x: number, y: number): void {
    this.penX = x;
    this.penY = y;
  }

  /** Draw from the pen to (x, y) with the current colour and width. */
  lineTo(x: number, y: number): void {
    this.segment(this.penX, this.penY, x, y, this.color, this.half);
    this.penX = x;
    this.penY = y;
  }

  /** One segment: along x when it is wider than tall, else along y. */
  segment(x0: number, y0: number, x1: number, y1: number, color: Rgba, half: number): void {
    const dx = x1 - x0;
    const dy = y1 - y0;
    if (dx === 0 && dy === 0) return;
    if (Math.abs(dx) >= Math.abs(dy)) {
      if (dx < 0) this.span(x1, y1, x0, y0, color, half, 4, this.width * 4, this.width, this.height);
      else this.span(x0, y0, x1, y1, color, half, 4, this.width * 4, this.width, this.height);
    } else if (dy < 0) this.span(y1, x1, y0, x0, color, half, this.width * 4, 4, this.height, this.width);
    else this.span(y0, x0, y1, x1, color, half, this.width * 4, 4, this.height, this.width);
  }

  /**
   * A segment from (u0, v0) to (u1, v1), u0 < u1, |v1 - v0| ≤ u1 - u0, in a frame
   * where u is the major axis: pixel (u, v) is at acc[u·uStride + v·vStride];
   * uSize / vSize bound u and v.
   */
  private span(
    u0: number,
    v0: number,
    u1: number,
    v1: number,
    color: Rgba,
    half: number,
    uStride: number,
    vStride: number,
    uSize: number,
    vSize: number,
  ): void {
    const acc = this.acc;
    const cr = color[0];
    const cg = color[1];
    const cb = color[2];
    const ca = color[3];
    const slope = (v1 - v0) / (u1 - u0);
    // the line's extent across the major axis: `half` perpendicular, stretched by the slope
    const hv = half * Math.sqrt(1 + slope * slope);
    const first = Math.max(0, Math.ceil(u0 - 0.5));
    const end = Math.min(uSize, Math.ceil(u1 - 0.5));
    // the line's centre across the major axis at pixel centre u + 0.5, stepped by `slope`
    let vc = v0 + (first + 0.5 - u0) * slope;
    for (let u = first; u < end; u++, vc += slope) {
      const lo = vc - hv;
      const hi = vc + hv;
      const r0 = Math.max(0, Math.floor(lo));
      const r1 = Math.min(vSize - 1, Math.floor(hi));
      let o = u * uStride + r0 * vStride;
      for (let v = r0; v <= r1; v++, o += vStride) {
        let cov = Math.min(v + 1, hi) - Math.max(v, lo);
        if (cov <= 0) continue;
        if (cov > 1) cov = 1;
        const ea = ca * cov;
        const keep = 1 - ea;
        acc[o] = acc[o]! * keep + cr * ea;
        acc[o + 1] = acc[o + 1]! * keep + cg * ea;
        acc[o + 2] = acc[o + 2]! * keep + cb * ea;
        acc[o + 3] = acc[o + 3]! * keep + ea;
      }
    }
  }

  /** Write the raster as straight (not premultiplied) RGBA bytes, ImageData's layout. */
  pixels(out: Uint8ClampedArray): void {
    const n = this.width * this.height * 4;
    if (out.length < n) throw new Error(`pixels: need ${n} bytes, got ${out.length}`);
    const acc = this.acc;
    for (let o = 0; o < n; o += 4) {
      const a = acc[o + 3]!;
      if (a <= 0) {
        out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
        continue;
      }
      out[o] = acc[o]! / a;
      out[o + 1] = acc[o + 1]! / a;
      out[o + 2] = acc[o + 2]! / a;
      out[o + 3] = a * 255;
    }
  }
}

/**
 * A CSS colour ("#rrggbb", "rgb(r,g,b)", … as `parseColor` reads it; grey if it cannot
 * be read) with alpha `a` (0–255) as one little-endian RGBA word: the pixel a
 * `HairlineRaster` writes into the Uint32 view of an ImageData's bytes.
 *
 * @example
 *   rgbaWord("#ff0000", 255); // 0xff0000ff
 */
export function rgbaWord(color: string, a: number): number {
  const rgb = parseColor(color) ?? [128, 128, 128, 1];
  const [r, g, b] = rgb.map((v) => Math.round(v) & 255) as [number, number, number];
  return (((a & 255) << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

const NO_COUNTS = new Uint16Array(0);
const NO_SLOTS = new Uint8Array(0);
const NO_WORDS = new Uint32Array(0);

/**
 * The pixels of a layer of 1-px lines in colour slots, kept so that lines can be added
 * and removed in any order and each pixel still shows its highest slot with a line
 * through it: what drawing the layer's lines in slot order (later overwrite) shows.
 * Slot 0 is never drawn. For `HairlineRaster.count`.
 */
export interface SlotPixels {
  /** what each pixel shows (RGBA words, row-major) */
  readonly pixels: Uint32Array;
  /** lines through each pixel per slot s ≥ 1, at (s - 1)·width·height + pixel */
  readonly counts: Uint16Array;
  /** the highest slot with a line through each pixel (0: none) */
  readonly top: Uint8Array;
  /** RGBA word of each slot */
  readonly palette: Uint32Array;
}

/**
 * 1-px polylines through the same axes, one per line: line i passes through
 * (xs[k], ys[k][i]) for every k (raster pixels; a column per axis, as parallel
 * coordinates keep them). A segment is walked in max(|dx|, |dy|) rounded-up steps
 * from its start, each sample covering the pixel it falls in (both ends included,
 * so the pixel where two segments meet comes twice); samples outside the raster
 * are dropped.
 *
 * @example
 *   const lines = new HairlineRaster(400, 200, xs, ys);
 *   const image = new ImageData(400, 200);
 *   lines.draw(new Uint32Array(image.data.buffer), order, (i) => rgbaWord("#0091ea", 235));
 */
export class HairlineRaster {
  readonly width: number;
  readonly height: number;
  private readonly xs: Float32Array;
  private readonly ys: readonly Float32Array[];

  constructor(width: number, height: number, xs: Float32Array, ys: readonly Float32Array[]) {
    if (!(width >= 0 && height >= 0)) {
      throw new Error(`HairlineRaster: width and height must be >= 0, got ${width} × ${height}`);
    }
    if (ys.length !== xs.length) {
      throw new Error(`HairlineRaster: ys needs one column per axis in xs (${xs.length}), got ${ys.length}`);
    }
    const lines = ys[0]?.length ?? 0;
    const bad = ys.findIndex((col) => col.length !== lines);
    if (bad >= 0) {
      throw new Error(`HairlineRaster: every ys column needs ${lines} lines, ys[${bad}] has ${ys[bad]!.length}`);
    }
    this.width = Math.floor(width);
    this.height = Math.floor(height);
    this.xs = xs;
    this.ys = ys;
  }

  /**
   * Draw line i for every i in `order` with the RGBA word `color(i)` (0 = skip) into
   * `pixels` (width × height words, row-major): later lines overwrite earlier ones.
   */
  draw(pixels: Uint32Array, order: ArrayLike<number>, color: (i: number) => number): void {
    if (pixels.length < this.width * this.height) {
      throw new Error(`HairlineRaster.draw: pixels needs ${this.width * this.height} words, got ${pixels.length}`);
    }
    for (let o = 0; o < order.length; o++) {
      const i = order[o]!;
      const c = color(i);
      if (c !== 0) this.walk(i, pixels, c, null, 0, 1);
    }
  }

  /**
   * Add (`delta` 1) or remove (-1) line `i` in colour slot `slot` (1 … palette.length - 1)
   * of `layer`: its pixels then show what `draw` of the lines added, in slot order,
   * shows, whatever order they were added or removed in.
   */
  count(i: number, slot: number, delta: 1 | -1, layer: SlotPixels): void {
    const size = this.width * this.height;
    if (!(slot >= 1 && slot < layer.palette.length) || layer.counts.length < (layer.palette.length - 1) * size) {
      throw new Error(
        `HairlineRaster.count: slot must be 1…${layer.palette.length - 1} with ${layer.palette.length - 1} count planes of ${size} pixels, got slot ${slot} and ${layer.counts.length} counts`,
      );
    }
    this.walk(i, layer.pixels, layer.palette[slot]!, layer, slot, delta);
  }

  /**
   * Walk line `i` (one walk for `draw` and `count`, so both cover the same pixels): write
   * `word` into each of its pixels of `pixels`, or, given `layer`, count the line in or
   * out of its slot there. The two are one loop with a branch: listing a line's pixels
   * and then applying the list measured 1.3–1.6× slower.
   */
  private walk(i: number, pixels: Uint32Array, word: number, layer: SlotPixels | null, slot: number, delta: 1 | -1): void {
    const xs = this.xs;
    const ys = this.ys;
    const w = this.width;
    const h = this.height;
    const counting = layer !== null;
    const counts = layer ? layer.counts : NO_COUNTS;
    const top = layer ? layer.top : NO_SLOTS;
    const palette = layer ? layer.palette : NO_WORDS;
    const base = (slot - 1) * w * h;
    for (let k = 0; k + 1 < xs.length; k++) {
      const x0 = xs[k]!;
      const y0 = ys[k]![i]!;
      const dx = xs[k + 1]! - x0;
      const dy = ys[k + 1]![i]! - y0;
      const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
      const sx = dx / steps;
      const sy = dy / steps;
      let x = x0;
      let y = y0;
      for (let s = 0; s <= steps; s++) {
        const px = x | 0;
        const py = y | 0;
        x += sx;
        y += sy;
        if (px < 0 || px >= w || py < 0 || py >= h) continue;
        const p = py * w + px;
        if (!counting) {
          pixels[p] = word;
          continue;
        }
        const c = counts[base + p]! + delta;
        counts[base + p] = c;
        if (delta === 1) {
          if (slot > top[p]!) {
            top[p] = slot;
            pixels[p] = word;
          }
        } else if (c === 0 && top[p] === slot) {
          // the line was the last of the top slot here: show the next slot still drawn
          let next = slot - 1;
          while (next > 0 && counts[(next - 1) * w * h + p] === 0) next--;
          top[p] = next;
          pixels[p] = next > 0 ? palette[next]! : 0;
        }
      }
    }
  }
}
