/**
 * The selected lines of many runs, kept up to date incrementally while a brush moves.
 *
 * Per pixel and colour slot the layer counts the selected lines through that pixel
 * (Uint16), and keeps the highest slot with a non-zero count (`top`): slots are ordered
 * like the drawing order of the full raster (missing metric first, best bucket last), so
 * a pixel shows exactly what drawing every selected line in that order would show. A
 * brush frame then touches only the lines whose selection changed — adding a line
 * increments its pixels' counts, removing one decrements them — instead of redrawing
 * every selected line; when more lines changed than are selected now, the layer is
 * rebuilt from the selected lines. Lines are 1-px DDA polylines, as in raster.ts.
 *
 * An update can stop at a deadline and go on in the next call (progressive drawing):
 * the picture does not depend on the order lines are added or removed in, so a brush
 * that jumps over thousands of runs at once (a discrete axis) costs a bounded time per
 * frame and the lines complete over the next frames.
 */

/** Most runs the layer follows (pixel counts are Uint16). */
export const LAYER_MAX_RUNS = 65535;

export class SelectionLayer {
  readonly width: number;
  readonly height: number;
  /** RGBA bytes, row-major (wrap them in an ImageData to put them on a canvas) */
  readonly rgba: Uint8ClampedArray<ArrayBuffer>;
  private readonly pixels: Uint32Array;
  private readonly counts: Uint16Array;
  private readonly top: Uint8Array;
  private readonly xs: Float32Array;
  private readonly ys: Float32Array[];
  private readonly slot: Uint8Array;
  private readonly palette: Uint32Array;
  private readonly on: Uint8Array;
  private selected = 0;
  /** lines drawn or erased by the last `update` (a rebuild counts the lines drawn;
   * benchmarks and tests read it) */
  lastChanged = 0;
  /** the last `update` changed pixels (false: the picture is the one before) */
  pictureChanged = true;

  /**
   * `xs[k]` / `ys[k][i]`: pixel position of run i on axis k; `slot[i]`: its colour slot
   * (1 … palette.length - 1, 0 = never drawn); `palette[s]`: RGBA word of slot s.
   */
  constructor(width: number, height: number, xs: Float32Array, ys: Float32Array[], slot: Uint8Array, palette: Uint32Array) {
    if (slot.length > LAYER_MAX_RUNS) throw new Error(`SelectionLayer: at most ${LAYER_MAX_RUNS} runs, got ${slot.length}`);
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    const size = this.width * this.height;
    this.rgba = new Uint8ClampedArray(size * 4);
    this.pixels = new Uint32Array(this.rgba.buffer);
    this.counts = new Uint16Array(size * Math.max(1, palette.length - 1));
    this.top = new Uint8Array(size);
    this.xs = xs;
    this.ys = ys;
    this.slot = slot;
    this.palette = palette;
    this.on = new Uint8Array(slot.length);
  }

  /**
   * Move towards showing exactly the runs set in `mask`: draws and erases lines until
   * done or until `performance.now()` passes `deadline`. Returns how many lines still
   * differ (0: the picture is exact); call again to continue.
   */
  update(mask: Uint8Array, deadline = Infinity): number {
    const n = this.on.length;
    let changed = 0;
    let wanted = 0;
    for (let i = 0; i < n; i++) {
      const want = mask[i] === 1 && this.slot[i] !== 0 ? 1 : 0;
      wanted += want;
      if (want !== this.on[i]) changed++;
    }
    let erased = 0;
    if (changed > wanted) {
      // cheaper to start over from the lines wanted than to erase most of the picture
      erased = this.selected;
      this.counts.fill(0);
      this.top.fill(0);
      this.pixels.fill(0);
      this.on.fill(0);
      this.selected = 0;
      changed = wanted;
    }
    let done = 0;
    for (let i = 0; i < n && done < changed; i++) {
      const want = mask[i] === 1 && this.slot[i] !== 0 ? 1 : 0;
      if (want === this.on[i]) continue;
      this.trace(i, want === 1 ? 1 : -1);
      this.on[i] = want;
      this.selected += want === 1 ? 1 : -1;
      done++;
      if ((done & 3) === 0 && performance.now() > deadline) break;
    }
    this.lastChanged = done;
    this.pictureChanged = done > 0 || erased > 0;
    return changed - done;
  }

  /** Runs currently drawn. */
  count(): number {
    return this.selected;
  }

  /** Add (`delta` 1) or remove (-1) line `i`, keeping counts, top slots and pixels. */
  private trace(i: number, delta: 1 | -1): void {
    const s = this.slot[i]!;
    const base = (s - 1) * this.width * this.height;
    const counts = this.counts;
    const top = this.top;
    const pixels = this.pixels;
    const palette = this.palette;
    const w = this.width;
    const h = this.height;
    const word = palette[s]!;
    const axes = this.xs.length;
    for (let k = 0; k + 1 < axes; k++) {
      const x0 = this.xs[k]!;
      const y0 = this.ys[k]![i]!;
      const dx = this.xs[k + 1]! - x0;
      const dy = this.ys[k + 1]![i]! - y0;
      const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
      const sx = dx / steps;
      const sy = dy / steps;
      let x = x0;
      let y = y0;
      for (let t = 0; t <= steps; t++) {
        const px = x | 0;
        const py = y | 0;
        x += sx;
        y += sy;
        if (px < 0 || px >= w || py < 0 || py >= h) continue;
        const p = py * w + px;
        const c = counts[base + p]! + delta;
        counts[base + p] = c;
        if (delta === 1) {
          if (s > top[p]!) {
            top[p] = s;
            pixels[p] = word;
          }
        } else if (c === 0 && top[p] === s) {
          let next = s - 1;
          while (next > 0 && counts[(next - 1) * w * h + p] === 0) next--;
          top[p] = next;
          pixels[p] = next > 0 ? palette[next]! : 0;
        }
      }
    }
  }
}
