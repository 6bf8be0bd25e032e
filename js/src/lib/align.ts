/**
 * Incremental alignment of several series (each with its own sorted x
 * column) onto one shared x array, the layout uPlot's default mode needs.
 *
 * The shared x is the multiset union of the series' x values (a value that
 * appears twice in one series appears twice in the union). Each series gets
 * `m` y columns (Float64Array, aligned with x) holding its values where it
 * has a point and NaN where it has none. NaN y values are skipped when the
 * line is drawn (so a run is connected across other runs' x values); gaps for
 * the series' own non-finite values are drawn separately (see chart.ts).
 *
 * `sync` extends the alignment in O(new points) when the new points land at
 * or after the series' previous point and either at the end of the union or
 * on an x value already present; otherwise it rebuilds (k-way merge).
 */
import { lowerBound } from "./nearest";

export interface AlignSource {
  /** stored x column (e.g. step or wall time) */
  xs: ArrayLike<number>;
  /** number of points available */
  n: number;
  /** x = (xs[i] - xOffset) * xScale */
  xOffset: number;
  xScale: number;
  /** m value columns, each at least n long */
  ys: readonly ArrayLike<number>[];
}

export interface SyncResult {
  rebuilt: boolean;
  /** number of points newly placed */
  added: number;
}

function nanArray(n: number): Float64Array {
  const a = new Float64Array(n);
  a.fill(NaN);
  return a;
}

export class Aligner {
  readonly m: number;
  private _x: Float64Array = new Float64Array(0);
  /** series-major: cols[s * m + c] */
  private _cols: Float64Array[] = [];
  private _length = 0;
  /** per series: index into x of each point (-1 = not placed, x was NaN) */
  pos: Int32Array[] = [];
  /** per series: points consumed */
  n: number[] = [];
  private lastPos: number[] = [];
  private offs: number[] = [];
  private scales: number[] = [];
  private k = -1;
  /** number of full rebuilds (for tests / diagnostics) */
  rebuilds = 0;

  constructor(m: number) {
    this.m = m;
  }

  get length(): number {
    return this._length;
  }

  /** Shared x, exactly `length` long (view; re-read after each sync). */
  get x(): Float64Array {
    return this._x.subarray(0, this._length);
  }

  /** Column `c` of series `s`, exactly `length` long (view; re-read after each sync). */
  col(s: number, c: number): Float64Array {
    return this._cols[s * this.m + c]!.subarray(0, this._length);
  }

  /** Forget everything; the next sync rebuilds. */
  reset(): void {
    this.k = -1;
  }

  sync(srcs: readonly AlignSource[]): SyncResult {
    const k = srcs.length;
    let needRebuild = k !== this.k;
    if (!needRebuild) {
      for (let s = 0; s < k; s++) {
        const src = srcs[s]!;
        if (src.n < this.n[s]! || src.xOffset !== this.offs[s] || src.xScale !== this.scales[s]) {
          needRebuild = true;
          break;
        }
      }
    }
    if (needRebuild) return this.rebuild(srcs);
    let added = 0;
    for (let s = 0; s < k; s++) {
      const src = srcs[s]!;
      const from = this.n[s]!;
      if (src.n === from) continue;
      if (!this.extend(s, src, from)) return this.rebuild(srcs);
      added += src.n - from;
    }
    return { rebuilt: false, added };
  }

  /** Rewrite column c of series s for points [from, to) from `ys` (e.g. after re-smoothing). */
  refill(s: number, c: number, ys: ArrayLike<number>, from = 0, to: number = this.n[s] ?? 0): void {
    const col = this._cols[s * this.m + c]!;
    const pos = this.pos[s]!;
    for (let i = from; i < to; i++) {
      const p = pos[i]!;
      if (p >= 0) col[p] = ys[i]!;
    }
  }

  private ensurePos(s: number, n: number): Int32Array {
    let p = this.pos[s]!;
    if (p.length < n) {
      let cap = Math.max(16, p.length);
      while (cap < n) cap *= 2;
      const q = new Int32Array(cap);
      q.set(p);
      this.pos[s] = p = q;
    }
    return p;
  }

  /** Make room for `n` union entries (new space is NaN). */
  private reserve(n: number): void {
    if (n <= this._x.length) return;
    let cap = Math.max(64, this._x.length);
    while (cap < n) cap *= 2;
    const grow = (a: Float64Array) => {
      const b = nanArray(cap);
      b.set(a.subarray(0, this._length));
      return b;
    };
    this._x = grow(this._x);
    this._cols = this._cols.map(grow);
  }

  private extend(s: number, src: AlignSource, from: number): boolean {
    const { xs, n, xOffset, xScale, ys } = src;
    const m = this.m;
    const pos = this.ensurePos(s, n);
    let lastPos = this.lastPos[s]!;
    for (let i = from; i < n; i++) {
      const xv = (xs[i]! - xOffset) * xScale;
      if (xv !== xv) {
        pos[i] = -1;
        continue;
      }
      const L = this._length;
      const x = this._x;
      const h = lastPos + 1;
      if (L === 0 || xv > x[L - 1]! || (xv === x[L - 1] && h === L)) {
        this.reserve(L + 1);
        this._x[L] = xv;
        for (let c = 0; c < m; c++) this._cols[s * m + c]![L] = ys[c]![i]!;
        this._length = L + 1;
        pos[i] = lastPos = L;
      } else {
        const j = lowerBound(x, xv, h, L);
        if (j < L && x[j] === xv) {
          for (let c = 0; c < m; c++) this._cols[s * m + c]![j] = ys[c]![i]!;
          pos[i] = lastPos = j;
        } else {
          return false; // needs an insertion (or the series went backwards)
        }
      }
    }
    this.lastPos[s] = lastPos;
    this.n[s] = n;
    return true;
  }

  private rebuild(srcs: readonly AlignSource[]): SyncResult {
    this.rebuilds++;
    const k = srcs.length;
    const m = this.m;
    this.k = k;
    let total = 0;
    for (const src of srcs) total += src.n;
    const cap = Math.max(64, total);
    const x = (this._x = nanArray(cap));
    const cols: Float64Array[] = [];
    for (let i = 0; i < k * m; i++) cols.push(nanArray(cap));
    this._cols = cols;
    this.pos = srcs.map((src) => new Int32Array(Math.max(16, src.n)));
    this.n = srcs.map((src) => src.n);
    this.offs = srcs.map((src) => src.xOffset);
    this.scales = srcs.map((src) => src.xScale);
    this.lastPos = srcs.map(() => -1);

    const idx = new Int32Array(k);
    const head = new Float64Array(k);
    const has = new Uint8Array(k);
    const lastPos = this.lastPos;
    // load the first non-NaN head of series s
    const load = (s: number) => {
      const src = srcs[s]!;
      const pos = this.pos[s]!;
      let i = idx[s]!;
      while (i < src.n) {
        const xv = (src.xs[i]! - src.xOffset) * src.xScale;
        if (xv === xv) {
          head[s] = xv;
          has[s] = 1;
          idx[s] = i;
          return;
        }
        pos[i] = -1;
        i++;
      }
      idx[s] = i;
      has[s] = 0;
    };
    for (let s = 0; s < k; s++) load(s);
    let L = 0;
    for (;;) {
      let any = false;
      let mn = Infinity;
      for (let s = 0; s < k; s++) {
        if (has[s] && (!any || head[s]! < mn)) {
          mn = head[s]!;
          any = true;
        }
      }
      if (!any) break;
      x[L] = mn;
      for (let s = 0; s < k; s++) {
        if (has[s] && head[s] === mn) {
          const i = idx[s]!;
          const ys = srcs[s]!.ys;
          for (let c = 0; c < m; c++) cols[s * m + c]![L] = ys[c]![i]!;
          this.pos[s]![i] = L;
          lastPos[s] = L;
          idx[s] = i + 1;
          load(s);
        }
      }
      L++;
    }
    this._length = L;
    return { rebuilt: true, added: total };
  }
}
