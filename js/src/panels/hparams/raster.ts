/**
 * A plain line rasteriser into RGBA pixels, for many lines at once: Canvas 2D strokes
 * thousands of anti-aliased, translucent polylines slowly under software rendering
 * (~0.3 ms each), while writing 1-px lines into an ImageData costs ~one store per pixel.
 * Later lines overwrite earlier ones (callers draw the best runs last).
 */

/** "rgb(r,g,b)" / "#rrggbb" → a little-endian RGBA word with alpha `a` (0–255). */
export function rgbaWord(color: string, a: number): number {
  let r = 128;
  let g = 128;
  let b = 128;
  const m = color.match(/\d+(\.\d+)?/g);
  if (color.startsWith("#") && (color.length === 7 || color.length === 9)) {
    r = parseInt(color.slice(1, 3), 16);
    g = parseInt(color.slice(3, 5), 16);
    b = parseInt(color.slice(5, 7), 16);
  } else if (m && m.length >= 3) {
    [r, g, b] = [Number(m[0]), Number(m[1]), Number(m[2])];
  }
  return ((a & 255) << 24 | (b & 255) << 16 | (g & 255) << 8 | (r & 255)) >>> 0;
}

/**
 * Draw polyline `i` through (xs[k], ys[k][i]) for every i in `order` with `color(i)`
 * (0 = skip) into `pixels` (width × height, row-major). Coordinates are in pixels.
 */
export function rasterPolylines(
  pixels: Uint32Array,
  width: number,
  height: number,
  xs: Float32Array,
  ys: Float32Array[],
  order: ArrayLike<number>,
  color: (i: number) => number,
): void {
  const axes = xs.length;
  for (let o = 0; o < order.length; o++) {
    const i = order[o]!;
    const c = color(i);
    if (c === 0) continue;
    for (let k = 0; k + 1 < axes; k++) {
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
        if (px >= 0 && px < width && py >= 0 && py < height) pixels[py * width + px] = c;
        x += sx;
        y += sy;
      }
    }
  }
}
