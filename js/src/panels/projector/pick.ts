/**
 * Hover/click picking without a GPU read-back: every point is projected to
 * screen pixels once per camera change and bucketed into a grid of cells; a
 * query looks at the cells around the cursor. Ties in 3-D go to the point
 * nearest the eye.
 */
import { type Mat4 } from "./camera";

export class ScreenIndex {
  readonly cell: number;
  private cols = 0;
  private rows = 0;
  private start = new Int32Array(0);
  private order = new Int32Array(0);
  private sx = new Float32Array(0);
  private sy = new Float32Array(0);
  private depth = new Float32Array(0);

  constructor(cell = 12) {
    this.cell = cell;
  }

  /** Project `xyz` ([n, 3]) with `m`; `visible[i] === 0` excludes a point. */
  build(xyz: Float32Array, n: number, m: Mat4, width: number, height: number, visible?: Uint8Array | null): void {
    const cell = this.cell;
    this.cols = Math.max(1, Math.ceil(width / cell));
    this.rows = Math.max(1, Math.ceil(height / cell));
    const cells = this.cols * this.rows;
    const sx = (this.sx = new Float32Array(n));
    const sy = (this.sy = new Float32Array(n));
    const depth = (this.depth = new Float32Array(n));
    const key = new Int32Array(n);
    const count = new Int32Array(cells + 1);
    const m0 = m[0]!, m1 = m[1]!, m3 = m[3]!, m4 = m[4]!, m5 = m[5]!, m7 = m[7]!;
    const m8 = m[8]!, m9 = m[9]!, m11 = m[11]!, m12 = m[12]!, m13 = m[13]!, m15 = m[15]!;
    for (let i = 0; i < n; i++) {
      const x = xyz[i * 3]!, y = xyz[i * 3 + 1]!, z = xyz[i * 3 + 2]!;
      const w = m3 * x + m7 * y + m11 * z + m15;
      key[i] = -1;
      if (w <= 1e-6 || (visible && !visible[i])) continue;
      const px = (((m0 * x + m4 * y + m8 * z + m12) / w + 1) / 2) * width;
      const py = ((1 - (m1 * x + m5 * y + m9 * z + m13) / w) / 2) * height;
      sx[i] = px;
      sy[i] = py;
      depth[i] = w;
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      const k = Math.floor(py / cell) * this.cols + Math.floor(px / cell);
      key[i] = k;
      count[k + 1]!++;
    }
    for (let k = 0; k < cells; k++) count[k + 1]! += count[k]!;
    this.start = count.slice();
    const fill = count;
    const order = new Int32Array(this.start[cells]!);
    for (let i = 0; i < n; i++) {
      const k = key[i]!;
      if (k >= 0) order[fill[k]!++] = i;
    }
    this.order = order;
  }

  /** Screen position of point i from the last build (CSS pixels). */
  screen(i: number): [number, number] | null {
    if (i < 0 || i >= this.sx.length || this.depth[i] === 0) return null;
    return [this.sx[i]!, this.sy[i]!];
  }

  /** Nearest point within `radius` pixels of (x, y), or -1. */
  query(x: number, y: number, radius: number): number {
    const cell = this.cell;
    const r = Math.ceil(radius / cell);
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    let best = -1;
    let bestD = radius * radius;
    let bestDepth = Infinity;
    for (let gy = Math.max(0, cy - r); gy <= Math.min(this.rows - 1, cy + r); gy++) {
      for (let gx = Math.max(0, cx - r); gx <= Math.min(this.cols - 1, cx + r); gx++) {
        const k = gy * this.cols + gx;
        for (let p = this.start[k]!; p < this.start[k + 1]!; p++) {
          const i = this.order[p]!;
          const dx = this.sx[i]! - x;
          const dy = this.sy[i]! - y;
          const d = dx * dx + dy * dy;
          // within 1 px of the best: prefer the point in front
          if (d < bestD - 1 || (d <= bestD + 1 && this.depth[i]! < bestDepth && d <= radius * radius)) {
            best = i;
            bestD = Math.min(d, bestD);
            bestDepth = this.depth[i]!;
          }
        }
      }
    }
    return best;
  }
}
