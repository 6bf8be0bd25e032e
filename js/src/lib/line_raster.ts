/**
 * Anti-aliased polylines rasterised in a typed array, for charts with hundreds
 * of lines: the browser's software canvas strokes 1,000 lines of 40 points in
 * ~150 ms per 390×230 chart (its stroker outlines every segment and join), this
 * walks each segment's pixel columns (or rows, when steep) once: a few ms.
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
