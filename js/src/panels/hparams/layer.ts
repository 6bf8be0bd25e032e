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
 * rebuilt from the selected lines. Lines are the 1-px polylines of lib/line_raster.ts'
 * HairlineRaster: its `count` keeps the counts and top slots, its `draw` is the full raster.
 *
 * An update can stop at a deadline and go on in the next call (progressive drawing):
 * the picture does not depend on the order lines are added or removed in, so a brush
 * that jumps over thousands of runs at once (a discrete axis) costs a bounded time per
 * frame and the lines complete over the next frames.
 */

import { HairlineRaster, type SlotPixels } from "../../lib/line_raster";

/** Most runs the layer follows (pixel counts are Uint16). */
export const LAYER_MAX_RUNS = 65535;

export class SelectionLayer {
  readonly width: number;
  readonly height: number;
  /** RGBA bytes, row-major (wrap them in an ImageData to put them on a canvas) */
  readonly rgba: Uint8ClampedArray<ArrayBuffer>;
  /** pixels, per-slot counts and top slots (see SlotPixels) */
  private readonly slots: SlotPixels;
  private readonly lines: HairlineRaster;
  private readonly slot: Uint8Array;
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
    this.slots = {
      pixels: new Uint32Array(this.rgba.buffer),
      counts: new Uint16Array(size * Math.max(1, palette.length - 1)),
      top: new Uint8Array(size),
      palette,
    };
    this.lines = new HairlineRaster(this.width, this.height, xs, ys);
    this.slot = slot;
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
      this.slots.counts.fill(0);
      this.slots.top.fill(0);
      this.slots.pixels.fill(0);
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
    this.lines.count(i, this.slot[i]!, delta, this.slots);
  }
}
