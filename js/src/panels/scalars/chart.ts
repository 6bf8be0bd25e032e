/**
 * One uPlot chart (one tag, one series per visible run): raw values faint
 * behind the smoothed line, non-finite markers, hover tooltip, drag-zoom.
 *
 * Each run is drawn from its own (windowed, decimated) x/y columns by a custom
 * uPlot path builder; uPlot itself gets only a two-point x (the window) and
 * empty y columns, so it owns scales, axes, cursor and selection but never
 * walks a shared x axis. Building or redrawing a chart of k runs with n_i
 * drawn points costs O(Σ n_i), not O(k × |∪ x|).
 *
 * Runs that share a colour (the palette repeats past its 14 colours) are one
 * uPlot series (stroke_groups.ts), so a chart of 500 runs has ~2 × 14 series,
 * not 1,000; the lines of those runs are rasterised in a typed array
 * (lib/line_raster.ts) and drawn as one image after uPlot's own series: the
 * software canvas would spend ~150 ms stroking 1,000 lines. A run with gaps
 * (non-finite values) is a uPlot series of its own, stroked by the canvas with
 * its gap clip.
 */
import uPlot from "uplot";
import { m4Capacity, m4Indices } from "../../lib/decimate";
import { parseColor, withAlpha } from "../../lib/colors";
import { RELATIVE_INCRS_H, fmtCount, fmtHours, fmtRelTick, fmtStep, fmtTick, fmtValue, fmtWall, fmtWallTicks } from "../../lib/format";
import { axisMap, clipOutside, traceLine } from "../../lib/line_path";
import { LineRaster, type Rgba } from "../../lib/line_raster";
import { lowerBound, nearestIndex, upperBound } from "../../lib/nearest";
import type { EmaSmoother } from "../../lib/smoothing";
import type { SeriesStore } from "../../lib/series_store";
import type { Theme } from "../../lib/theme";
import type { XAxis } from "./model_state";
import { strokeGroups } from "./stroke_groups";
import { el } from "../../lib/dom";
import { hoverText, shortText } from "../../lib/text";

export const PLOT_HEIGHT = 230;
/** horizontal padding of a chart card (scalars.css .nbviz-chart): clientWidth - PAD_X = the plot's width */
const PAD_X = 12;
/** decimate a series when it has more than this many points per pixel column */
const DECIMATE_ABOVE = 4;
const RAW_ALPHA = 0.25;
const MARKER_COLOR = "#e53935";
/** tooltip rows at most: beyond, the runs whose line passes nearest the cursor */
const TOOLTIP_ROWS = 20;

/**
 * One line raster, its image and the canvas that carries it onto a chart, shared
 * by every chart of the page: a chart draws synchronously, one at a time (a raster
 * per chart would hold ~1.5 MB each).
 */
const RASTER: { lines: LineRaster; canvas: HTMLCanvasElement | null; image: ImageData | null } = {
  lines: new LineRaster(),
  canvas: null,
  image: null,
};

export interface ChartSeries {
  id: number;
  run: string;
  color: string;
  store: SeriesStore;
  smoother: EmaSmoother;
  /** origin of the relative x axis (unix seconds) */
  wall0: number;
}

export interface ChartParams {
  xAxis: XAxis;
  logY: boolean;
  /** smoothing weight (0 = raw only) */
  weight: number;
}

interface RelColumn {
  wall0: number;
  epoch: number;
  n: number;
  arr: Float64Array;
}

/** The drawn (windowed, maybe decimated) points of one run. */
interface DrawnColumns {
  x: Float64Array;
  raw: Float64Array;
  sm: Float64Array;
}

export interface ThemeBox {
  current: Theme;
}

export class ChartView {
  readonly el: HTMLDivElement;
  readonly tag: string;
  private readonly plotEl: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly theme: ThemeBox;
  private u: uPlot | null = null;
  /** per visible run: the points drawn at the last redraw */
  private cols: DrawnColumns[] = [];
  /** uPlot series 1..G (raw) and G+1..2G (smoothed): indices into `series` of each group's runs */
  private groups: number[][] = [];
  /** per group: a run with gaps, stroked by uPlot (the others are rasterised) */
  private gapped: boolean[] = [];
  /** `series` ids at the last update (hover dots follow them) */
  private idsKey = "";
  /** x window of the last redraw (axis units) */
  private win: { min: number; max: number } = { min: 0, max: 1 };
  private key = "";
  private series: ChartSeries[] = [];
  private params: ChartParams = { xAxis: "step", logY: false, weight: 0 };
  /** user x zoom (axis units), null = whole data */
  private zoom: { min: number; max: number } | null = null;
  private ro: ResizeObserver | null = null;
  private width = 0;
  private dots: HTMLDivElement[] = [];
  /** hover dots shown by the last cursor move (hidden by the next) */
  private dotsShown: HTMLDivElement[] = [];
  /** per series: exactly one point in the drawn window (drawn as a marker: a line of one point is invisible) */
  private readonly lone: boolean[] = [];
  /** relative-time x columns per series id, extended incrementally */
  private readonly rel = new Map<number, RelColumn>();
  /** scratch buffers for decimated data, reused between redraws */
  private idxBuf: Int32Array = new Int32Array(0);
  private gather: Float64Array[] = [];
  /** points handed to uPlot at the last redraw (diagnostics) */
  drawnPoints = 0;
  /** raw points drawn (sum over visible runs) */
  points = 0;
  /** needs an update next time it is visible */
  dirty = true;
  /** canvas pixels redrawn by an update (for the per-frame budget) */
  get canvasPixels(): number {
    const pr = uPlot.pxRatio || 1;
    return Math.round((this.width || 400) * PLOT_HEIGHT * pr * pr);
  }
  /** in or near the viewport (IntersectionObserver); off-screen charts redraw last */
  onScreen = true;
  /** has been in or near the viewport once: its series are asked for (lazy panels) */
  seen = false;
  /** called when the plot width changed (the owner schedules an update) */
  onResize: (() => void) | null = null;
  /** number of completed uPlot draws (diagnostics) */
  draws = 0;

  constructor(tag: string, theme: ThemeBox) {
    this.tag = tag;
    this.theme = theme;
    this.el = el("div", "nbviz-chart");
    this.el.dataset.tag = tag;
    this.el.dataset.points = "0";
    const title = el("div", "nbviz-chart-title", shortText(tag));
    title.title = hoverText(tag);
    this.plotEl = el("div", "nbviz-plot");
    this.emptyEl = el("div", "nbviz-chart-empty", "All runs hidden");
    this.emptyEl.hidden = true;
    this.tooltip = el("div", "nbviz-tooltip");
    this.tooltip.hidden = true;
    this.el.append(title, this.plotEl, this.emptyEl, this.tooltip);
    if (typeof ResizeObserver !== "undefined") {
      // the card, not the plot: the plot is hidden while its runs load, the card
      // has its width from its first layout (content box = the plot's width)
      this.ro = new ResizeObserver((entries) => {
        const w = Math.floor(entries[entries.length - 1]!.contentRect.width);
        if (w > 0 && w !== this.width) {
          this.width = w;
          if (this.u) {
            // resized (and re-decimated for the new width) at the next update
            if (this.onResize) this.onResize();
            else this.applySize();
          }
        }
      });
      this.ro.observe(this.el);
    }
  }

  destroy(): void {
    this.ro?.disconnect();
    this.ro = null;
    this.destroyPlot();
    this.el.remove();
  }

  private destroyPlot(): void {
    if (this.u) {
      this.u.destroy();
      this.u = null;
    }
    this.dots = [];
    this.dotsShown = [];
    this.tooltip.hidden = true;
  }

  /**
   * Read the plot's width now if the ResizeObserver has not reported it yet. The
   * owner calls this for every chart it is about to update before updating any
   * (reads before writes: one layout, not one per chart).
   */
  measure(): void {
    if (this.width > 0) return;
    const w = Math.floor(this.el.clientWidth - PAD_X);
    if (w > 0) this.width = w;
  }

  /** CSS pixel width of the plot (what the kernel decimates a requested series to). */
  get plotWidth(): number {
    return Math.round(this.width || 400);
  }

  /** Redraw axes/grid with the current theme. */
  retheme(): void {
    this.u?.redraw(false, false);
  }

  /**
   * Bring the chart up to date with `series` (visible runs of this tag that have
   * points); `pending` runs have points the kernel has not sent yet.
   */
  update(series: ChartSeries[], p: ChartParams, pending = 0): void {
    this.dirty = false;
    const rawShown = p.weight > 0;
    const groups = strokeGroups(series, p.logY);
    const key = `${p.xAxis}|${p.logY ? 1 : 0}|${rawShown ? 1 : 0}|${groups.key}`;
    const idsKey = series.map((s) => s.id).join(",");
    const prevParams = this.params;
    this.series = series;
    this.params = p;
    this.groups = groups.members;
    this.gapped = groups.gapped;
    if (key !== this.key) {
      this.destroyPlot();
      this.key = key;
      if (prevParams.xAxis !== p.xAxis) this.zoom = null;
    }
    if (idsKey !== this.idsKey) {
      this.idsKey = idsKey;
      this.hideHover();
      for (const d of this.dots) d.remove();
      this.dots = []; // made again on the next hover
      this.dotsShown = [];
      if (this.rel.size > 0) {
        const ids = new Set(series.map((s) => s.id));
        for (const id of [...this.rel.keys()]) if (!ids.has(id)) this.rel.delete(id);
      }
    }
    let points = 0;
    for (const s of series) points += s.store.length;
    this.points = points;
    this.el.dataset.points = String(points);

    if (series.length === 0) {
      this.destroyPlot();
      this.emptyEl.textContent = pending > 0 ? "Loading…" : "All runs hidden";
      this.emptyEl.hidden = false;
      this.plotEl.hidden = true;
      return;
    }
    this.emptyEl.hidden = true;
    this.plotEl.hidden = false;
    this.redraw();
  }

  /** Full x extent of the visible series (axis units). */
  private extent(): { min: number; max: number } | null {
    let min = Infinity;
    let max = -Infinity;
    for (const s of this.series) {
      const n = s.store.length;
      if (n === 0) continue;
      const x = this.xColumn(s);
      const a = x[0]!;
      const b = x[n - 1]!;
      if (a < min) min = a;
      if (b > max) max = b;
    }
    return min <= max ? { min, max } : null;
  }

  /** x column of series s on the current axis (zero-copy for step / wall). */
  private xColumn(s: ChartSeries): Float64Array {
    const n = s.store.length;
    const ax = this.params.xAxis;
    if (ax === "step") return s.store.rawStep.subarray(0, n);
    if (ax === "wall") return s.store.rawWall.subarray(0, n);
    let r = this.rel.get(s.id);
    if (!r || r.wall0 !== s.wall0 || r.epoch !== s.store.epoch || r.n > n) {
      r = { wall0: s.wall0, epoch: s.store.epoch, n: 0, arr: new Float64Array(Math.max(64, n)) };
      this.rel.set(s.id, r);
    }
    if (r.arr.length < n) {
      let cap = r.arr.length;
      while (cap < n) cap *= 2;
      const b = new Float64Array(cap);
      b.set(r.arr.subarray(0, r.n));
      r.arr = b;
    }
    const wall = s.store.rawWall;
    const arr = r.arr;
    const w0 = s.wall0;
    for (let i = r.n; i < n; i++) arr[i] = (wall[i]! - w0) / 3600;
    r.n = n;
    return arr.subarray(0, n);
  }

  /** Canvas pixels available for the plot area (decimation resolution). */
  private plotPixels(): number {
    const u = this.u;
    if (u) {
      // plot area follows the pending width (the axes keep their size)
      const pr = uPlot.pxRatio || 1;
      const dw = this.width > 0 ? this.width - u.width : 0;
      return Math.max(50, u.bbox.width + dw * pr);
    }
    const css = (this.width || 400) - 60;
    return Math.max(50, css * (uPlot.pxRatio || 1));
  }

  /**
   * Pick the drawn points for the visible x window: per series the points
   * inside it (plus one each side), M4-decimated to the pixel columns when
   * there are more than a few per column. uPlot gets the window as a
   * two-point x and one empty column per series (the lines are drawn from
   * `cols` by `linePaths`). Cost O(points in window) with tight typed-array loops.
   */
  private buildData(): uPlot.AlignedData {
    const series = this.series;
    const k = series.length;
    const full = this.extent();
    const win = this.zoom ?? full ?? { min: 0, max: 1 };
    const W = this.plotPixels();
    const cols: DrawnColumns[] = [];
    let drawn = 0;
    for (let si = 0; si < k; si++) {
      const s = series[si]!;
      const n = s.store.length;
      const x = this.xColumn(s);
      const raw = s.store.rawValue.subarray(0, n);
      const sm = s.smoother.output.subarray(0, n);
      let a = 0;
      let b = n;
      if (this.zoom) {
        a = Math.max(0, lowerBound(x, win.min) - 1);
        b = Math.min(n, upperBound(x, win.max) + 1);
      }
      if (b - a <= DECIMATE_ABOVE * W) {
        cols.push({ x: x.subarray(a, b), raw: raw.subarray(a, b), sm: sm.subarray(a, b) });
        drawn += b - a;
        continue;
      }
      const cap = m4Capacity(W);
      if (this.idxBuf.length < cap) this.idxBuf = new Int32Array(cap);
      const cnt = m4Indices(x, raw, sm, a, b, win.min, win.max, W, this.idxBuf);
      const g = this.gatherBuffers(si, cnt);
      const idx = this.idxBuf;
      for (let j = 0; j < cnt; j++) {
        const i = idx[j]!;
        g.x[j] = x[i]!;
        g.raw[j] = raw[i]!;
        g.sm[j] = sm[i]!;
      }
      cols.push({ x: g.x.subarray(0, cnt), raw: g.raw.subarray(0, cnt), sm: g.sm.subarray(0, cnt) });
      drawn += cnt;
    }
    this.drawnPoints = drawn;
    this.cols = cols;
    this.win = win;
    for (let si = 0; si < k; si++) this.lone[si] = cols[si]!.x.length === 1;
    this.lone.length = k;
    const empty = new Float64Array([NaN, NaN]);
    const data: Float64Array[] = [new Float64Array([win.min, win.max])];
    for (let i = 0; i < 2 * k; i++) data.push(empty);
    return data;
  }

  /**
   * uPlot path builder: the lines of uPlot series `ui` (raw groups 1..G, smoothed
   * G+1..2G), one sub-path per run of the group, each from its own columns.
   */
  private linePaths(u: uPlot, ui: number): uPlot.Series.Paths | null {
    const G = this.groups.length;
    const raw = ui <= G;
    const g = raw ? ui - 1 : ui - G - 1;
    const members = this.groups[g];
    const sx = u.scales.x!;
    const sy = u.scales.y!;
    // groups without gaps are drawn by drawRaster
    if (!members || !this.gapped[g] || sx.min == null || sx.max == null || sy.min == null || sy.max == null) return null;
    const log = this.params.logY;
    const mx = axisMap(sx.min, sx.max, u.valToPos(sx.min, "x", true), u.valToPos(sx.max, "x", true));
    const my = axisMap(sy.min, sy.max, u.valToPos(sy.min, "y", true), u.valToPos(sy.max, "y", true), log);
    const stroke = new Path2D();
    for (const si of members) {
      const c = this.cols[si];
      if (c) traceLine(stroke, c.x, raw ? c.raw : c.sm, 0, c.x.length, mx, my);
    }
    const s = this.series[members[0]!];
    // only a group of one run has gaps (strokeGroups): its clip is that run's
    const gaps = members.length === 1 && s ? this.gapsFor(u, s) : [];
    let clip: Path2D | null = null;
    if (gaps.length > 0) {
      const { left, top, width, height } = u.bbox;
      clipOutside((clip = new Path2D()), gaps, left, top, width, height);
    }
    return { stroke, fill: null, clip, band: null, gaps, flags: 0 };
  }

  private gatherBuffers(si: number, n: number): { x: Float64Array; raw: Float64Array; sm: Float64Array } {
    const base = si * 3;
    if ((this.gather[base]?.length ?? 0) < n) {
      const cap = Math.max(256, n);
      this.gather[base] = new Float64Array(cap);
      this.gather[base + 1] = new Float64Array(cap);
      this.gather[base + 2] = new Float64Array(cap);
    }
    return { x: this.gather[base]!, raw: this.gather[base + 1]!, sm: this.gather[base + 2]! };
  }

  private applySize(): void {
    const u = this.u;
    if (u && this.width > 0 && u.width !== this.width) u.setSize({ width: this.width, height: PLOT_HEIGHT });
  }

  /** Recompute the drawn data (window + decimation) and draw synchronously. */
  private redraw(): void {
    if (this.series.length === 0) return;
    const data = this.buildData();
    if (!this.u) {
      this.u = this.createPlot(data, this.params.weight > 0);
      return;
    }
    const zoom = this.zoom;
    // batch: draw now (inside this frame's flush) instead of in a microtask
    this.u.batch((u: uPlot) => {
      this.applySize();
      u.setData(data);
      if (zoom) u.setScale("x", zoom);
    });
  }

  private setZoom(z: { min: number; max: number } | null): void {
    const full = this.extent();
    if (z && full && z.min <= full.min && z.max >= full.max) z = null;
    if (z && !(z.max > z.min)) return;
    this.zoom = z;
    this.hideHover();
    this.redraw();
  }

  /**
   * Gaps (canvas px) where series s has non-finite values (or non-positive
   * ones on a log scale): from its previous point to its next point.
   */
  private gapsFor(u: uPlot, s: ChartSeries): [number, number][] {
    const gaps: [number, number][] = [];
    const idx = this.params.logY ? mergeSorted(s.store.nonFinite, s.store.nonPositive) : s.store.nonFinite;
    if (idx.length === 0) return gaps;
    const sx = u.scales.x!;
    if (sx.min == null || sx.max == null) return gaps;
    const n = s.store.length;
    const x = this.xColumn(s);
    let k = 0;
    while (k < idx.length) {
      // a run of consecutive bad indices i..j
      const i = idx[k]!;
      let j = i;
      while (k + 1 < idx.length && idx[k + 1] === j + 1) {
        k++;
        j++;
      }
      k++;
      const from = x[Math.max(0, i - 1)]!;
      const to = x[Math.min(n - 1, j + 1)]!;
      if (to < sx.min || from > sx.max) continue;
      const a = Math.round(u.valToPos(from, "x", true));
      const b = Math.round(u.valToPos(to, "x", true));
      const last = gaps[gaps.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else gaps.push([a, b]);
    }
    return gaps;
  }

  /** y range of the drawn points in the x window, ignoring non-finite (and, on log, non-positive) values. */
  private yRange(u: uPlot): uPlot.Range.MinMax {
    const log = this.params.logY;
    const k = this.series.length;
    const G = this.groups.length;
    const rawShown = !!u.series[1]?.show;
    const smShown = !!u.series[G + 1]?.show;
    const win = this.win;
    let lo = Infinity;
    let hi = -Infinity;
    for (let si = 0; si < k; si++) {
      const c = this.cols[si];
      if (!c) continue;
      const i0 = lowerBound(c.x, win.min);
      const i1 = upperBound(c.x, win.max);
      for (const [shown, ys] of [[rawShown, c.raw], [smShown, c.sm]] as const) {
        if (!shown) continue;
        for (let i = i0; i < i1; i++) {
          const v = ys[i]!;
          if (v - v === 0 && (!log || v > 0)) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
        }
      }
    }
    if (lo > hi) return log ? [1, 10] : [0, 1];
    if (log) return uPlot.rangeLog(lo, hi, 10, false);
    return uPlot.rangeNum(lo, hi, {
      min: { pad: 0.08, soft: 0, mode: 2 },
      max: { pad: 0.08, soft: 0, mode: 2 },
    });
  }

  private createPlot(data: uPlot.AlignedData, rawShown: boolean): uPlot {
    const p = this.params;
    const theme = this.theme;
    const font = () => `11px ${theme.current.fontFamily}`;
    const axisBase = (): uPlot.Axis => ({
      stroke: () => theme.current.muted,
      grid: { stroke: () => theme.current.grid, width: 1 },
      ticks: { stroke: () => theme.current.grid, width: 1, size: 4 },
      border: { show: false },
      font: font(),
      gap: 4,
    });
    const xAxis: uPlot.Axis = { ...axisBase(), space: 56, size: p.xAxis === "wall" ? 44 : 30 };
    if (p.xAxis === "step") xAxis.values = (_u, splits) => splits.map(fmtTick);
    else if (p.xAxis === "relative") {
      xAxis.incrs = RELATIVE_INCRS_H;
      xAxis.values = (_u, splits, _ax, _space, incr) => splits.map((v) => fmtRelTick(v, incr));
    } else xAxis.values = (_u, splits, _ax, _space, incr) => fmtWallTicks(splits, incr);
    const yAxis: uPlot.Axis = {
      ...axisBase(),
      space: 28,
      values: (_u, splits) => splits.map(fmtTick),
      size: (_u, values) => {
        let w = 0;
        for (const v of values ?? []) w = Math.max(w, v.length);
        return Math.max(34, Math.ceil(w * 6.6) + 14);
      },
    };
    const series: uPlot.Series[] = [{}];
    // lines come from each run's own columns; uPlot's data holds no points (auto: false)
    const paths: uPlot.Series.PathBuilder = (u, ui) => this.linePaths(u, ui);
    const line = { paths, auto: false, points: { show: false } };
    const colors = this.groups.map((m) => this.series[m[0]!]!.color);
    for (const c of colors) {
      series.push({ ...line, label: `${c} (raw)`, stroke: withAlpha(c, RAW_ALPHA), width: 1, show: rawShown });
    }
    for (const c of colors) series.push({ ...line, label: c, stroke: c, width: 1.5 });
    const opts: uPlot.Options = {
      width: this.width || 400,
      height: PLOT_HEIGHT,
      legend: { show: false },
      padding: [10, 14, 0, 2],
      cursor: {
        // drag selects; the setSelect hook zooms (so the window is re-decimated)
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        y: false,
        bind: {
          dblclick: () => () => {
            this.setZoom(null);
            return null;
          },
        },
      },
      scales: {
        x: { time: p.xAxis === "wall", auto: () => this.zoom === null },
        y: {
          distr: p.logY ? 3 : 1,
          range: (u) => this.yRange(u),
          // log: non-positive values are not clamped to the bottom but dropped (gaps)
          ...(p.logY ? { clamp: () => NaN } : {}),
        },
      },
      axes: [xAxis, yAxis],
      series,
      hooks: {
        draw: [
          (u) => {
            this.drawRaster(u);
            this.drawMarkers(u);
          },
        ],
        setCursor: [(u) => this.onCursor(u)],
        setSelect: [(u) => this.onSelect(u)],
      },
    };
    const zoom = this.zoom;
    // first draw synchronously (batch) rather than in a microtask
    const u = new uPlot(opts, data, (self: uPlot, init: Function) => {
      this.plotEl.appendChild(self.root);
      self.batch(() => {
        (init as () => void)();
        if (zoom) self.setScale("x", zoom);
      });
    });
    u.over.addEventListener("mouseleave", () => this.hideHover());
    return u;
  }

  /** One hover dot per run, made at the first hover (not for every chart drawn). */
  private hoverDots(u: uPlot): HTMLDivElement[] {
    if (this.dots.length !== this.series.length) {
      for (const d of this.dots) d.remove();
      this.dots = this.series.map((s) => {
        const d = el("div", "nbviz-dot");
        d.style.borderColor = s.color;
        d.hidden = true;
        u.over.appendChild(d);
        return d;
      });
    }
    return this.dots;
  }

  /**
   * The lines of every run without gaps (raw ones faint, when shown, then the
   * smoothed ones, each in run order as the canvas would stack them),
   * rasterised (lib/line_raster.ts) and drawn over the plot area.
   */
  private drawRaster(u: uPlot): void {
    const { left, top, width, height } = u.bbox;
    const W = Math.round(width);
    const H = Math.round(height);
    const sx = u.scales.x!;
    const sy = u.scales.y!;
    if (W <= 0 || H <= 0 || sx.min == null || sx.max == null || sy.min == null || sy.max == null) return;
    const raster = RASTER.lines;
    raster.reset(W, H);
    const mx = axisMap(sx.min, sx.max, u.valToPos(sx.min, "x", true) - left, u.valToPos(sx.max, "x", true) - left);
    const my = axisMap(sy.min, sy.max, u.valToPos(sy.min, "y", true) - top, u.valToPos(sy.max, "y", true) - top, this.params.logY);
    const pr = uPlot.pxRatio || 1;
    const stroked = new Uint8Array(this.series.length); // runs uPlot strokes (gap clips)
    this.groups.forEach((members, g) => {
      if (this.gapped[g]) for (const si of members) stroked[si] = 1;
    });
    const colors = new Map<string, Rgba>();
    const passes: [boolean, number, number][] = [[false, RAW_ALPHA, 0.5 * pr], [true, 1, 0.75 * pr]];
    let any = false;
    for (const [smoothed, alpha, half] of passes) {
      if (!smoothed && !(this.params.weight > 0)) continue;
      this.series.forEach((s, si) => {
        const c = this.cols[si];
        if (!c || stroked[si]) return;
        const key = `${s.color}|${alpha}`;
        let color = colors.get(key);
        if (!color) {
          const rgb = parseColor(s.color) ?? [128, 128, 128, 1];
          colors.set(key, (color = [rgb[0], rgb[1], rgb[2], alpha * rgb[3]]));
        }
        raster.setPen(color, half);
        if (traceLine(raster, c.x, smoothed ? c.sm : c.raw, 0, c.x.length, mx, my) > 1) any = true;
      });
    }
    if (!any) return;
    const canvas = (RASTER.canvas ??= document.createElement("canvas"));
    if (canvas.width < W || canvas.height < H) {
      canvas.width = Math.max(canvas.width, W);
      canvas.height = Math.max(canvas.height, H);
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    let image = RASTER.image;
    if (!image || image.width !== W || image.height !== H) image = RASTER.image = ctx.createImageData(W, H);
    raster.pixels(image.data);
    ctx.putImageData(image, 0, 0);
    u.ctx.drawImage(canvas, 0, 0, W, H, left, top, W, H);
  }

  private onSelect(u: uPlot): void {
    const sel = u.select;
    if (sel.width < 3) return;
    const min = u.posToVal(sel.left, "x");
    const max = u.posToVal(sel.left + sel.width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.setZoom({ min, max });
  }

  /** x value of point i of series s on the current axis */
  private xOf(s: ChartSeries, i: number): number {
    const p = this.params;
    if (p.xAxis === "step") return s.store.rawStep[i]!;
    const w = s.store.rawWall[i]!;
    return p.xAxis === "relative" ? (w - s.wall0) / 3600 : w;
  }

  private drawMarkers(u: uPlot): void {
    this.draws++;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const sx = u.scales.x!;
    if (sx.min == null || sx.max == null) return;
    const pr = uPlot.pxRatio || 1;
    const size = 4.5 * pr;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - size * 3, width, height + size * 6);
    ctx.clip();
    ctx.fillStyle = MARKER_COLOR;
    ctx.strokeStyle = MARKER_COLOR;
    ctx.lineWidth = 1.5 * pr;
    this.drawLone(u);
    for (const s of this.series) {
      const nf = s.store.nonFinite;
      if (nf.length === 0) continue;
      const vals = s.store.rawValue;
      let lastPx = [-1e9, -1e9, -1e9];
      for (const i of nf) {
        const xv = this.xOf(s, i);
        if (!(xv >= sx.min && xv <= sx.max)) continue;
        const px = u.valToPos(xv, "x", true);
        const v = vals[i]!;
        const kind = Number.isNaN(v) ? 0 : v > 0 ? 1 : 2;
        if (Math.abs(px - lastPx[kind]!) < size) continue; // one marker per few pixels
        lastPx[kind] = px;
        if (kind === 1) {
          // +Inf: ▲ at the top edge
          ctx.beginPath();
          ctx.moveTo(px, top);
          ctx.lineTo(px - size, top + size * 1.6);
          ctx.lineTo(px + size, top + size * 1.6);
          ctx.closePath();
          ctx.fill();
        } else if (kind === 2) {
          // -Inf: ▼ at the bottom edge
          const b = top + height;
          ctx.beginPath();
          ctx.moveTo(px, b);
          ctx.lineTo(px - size, b - size * 1.6);
          ctx.lineTo(px + size, b - size * 1.6);
          ctx.closePath();
          ctx.fill();
        } else {
          // NaN: ✕ at the top edge
          const cy = top + size;
          ctx.beginPath();
          ctx.moveTo(px - size * 0.8, cy - size * 0.8);
          ctx.lineTo(px + size * 0.8, cy + size * 0.8);
          ctx.moveTo(px + size * 0.8, cy - size * 0.8);
          ctx.lineTo(px - size * 0.8, cy + size * 0.8);
          ctx.stroke();
        }
      }
    }
    ctx.restore();
    this.el.dispatchEvent(new CustomEvent("nbviz:draw", { bubbles: true }));
  }

  /** A run with one point in the window: a dot on its smoothed line (a line of one point is invisible). */
  private drawLone(u: uPlot): void {
    const ctx = u.ctx;
    const r = 3.5 * (uPlot.pxRatio || 1);
    this.series.forEach((s, si) => {
      const c = this.cols[si];
      if (!this.lone[si] || !c) return;
      const px = u.valToPos(c.x[0]!, "x", true);
      const py = u.valToPos(c.sm[0]!, "y", true);
      if (px - px !== 0 || py - py !== 0) return;
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fillStyle = s.color;
      ctx.fill();
    });
    ctx.fillStyle = MARKER_COLOR;
  }

  private hideHover(): void {
    this.tooltip.hidden = true;
    for (const d of this.dotsShown) d.hidden = true;
    this.dotsShown = [];
  }

  private onCursor(u: uPlot): void {
    const left = u.cursor.left;
    if (left == null || left < 0 || this.series.length === 0) {
      this.hideHover();
      return;
    }
    const p = this.params;
    const xv = u.posToVal(left, "x");
    const tip = this.tooltip;
    tip.textContent = "";
    const head = el("div", "nbviz-tt-head");
    const table = el("table");
    const hr = el("tr");
    for (const h of ["", "Run", "Smoothed", "Value", "Step", p.xAxis === "wall" ? "Time" : "Relative"]) {
      hr.appendChild(el("th", undefined, h));
    }
    table.appendChild(hr);
    // each run's point nearest the cursor's x; with many runs, the rows (and dots) of
    // the TOOLTIP_ROWS runs whose line passes nearest the cursor, in run order
    const hits: { si: number; i: number; dist: number }[] = [];
    const cy0 = u.cursor.top ?? 0;
    this.series.forEach((s, si) => {
      const xs = p.xAxis === "step" ? s.store.rawStep : s.store.rawWall;
      const q = p.xAxis === "relative" ? xv * 3600 + s.wall0 : xv;
      const i = nearestIndex(xs, q, s.store.length);
      if (i < 0) return;
      const yv = p.weight > 0 ? s.smoother.output[i]! : s.store.rawValue[i]!;
      const py = u.valToPos(yv, "y");
      hits.push({ si, i, dist: py - py === 0 ? Math.abs(py - cy0) : Infinity });
    });
    const more = Math.max(0, hits.length - TOOLTIP_ROWS);
    if (more > 0) {
      hits.sort((a, b) => a.dist - b.dist);
      hits.length = TOOLTIP_ROWS;
      hits.sort((a, b) => a.si - b.si);
    }
    const anyRow = hits.length > 0;
    let headX = NaN;
    const dots = this.hoverDots(u);
    for (const d of this.dotsShown) d.hidden = true;
    this.dotsShown = [];
    for (const { si, i } of hits) {
      const s = this.series[si]!;
      const dot = dots[si];
      const raw = s.store.rawValue[i]!;
      const sm = s.smoother.output[i]!;
      const x = this.xOf(s, i);
      if (Number.isNaN(headX) || Math.abs(x - xv) < Math.abs(headX - xv)) headX = x;
      const tr = el("tr");
      const sw = el("td");
      const swatch = el("span", "nbviz-swatch");
      swatch.style.background = s.color;
      sw.appendChild(swatch);
      const wall = s.store.rawWall[i]!;
      tr.append(
        sw,
        el("td", "nbviz-tt-run", shortText(s.run, 60)),
        el("td", "nbviz-tt-num", fmtValue(p.weight > 0 ? sm : raw)),
        el("td", "nbviz-tt-num", fmtValue(raw)),
        el("td", "nbviz-tt-num", fmtStep(s.store.rawStep[i]!)),
        el("td", "nbviz-tt-num", p.xAxis === "wall" ? fmtWall(wall) : fmtHours((wall - s.wall0) / 3600)),
      );
      table.appendChild(tr);
      // hover dot on the smoothed line
      if (dot) {
        const yv = p.weight > 0 ? sm : raw;
        const visible = Number.isFinite(yv) && (!p.logY || yv > 0) && x >= u.scales.x!.min! && x <= u.scales.x!.max!;
        dot.hidden = !visible;
        if (visible) {
          const px = u.valToPos(x, "x");
          const py = u.valToPos(yv, "y");
          dot.style.transform = `translate(${px}px, ${py}px)`;
          this.dotsShown.push(dot);
        }
      }
    }
    if (more > 0) {
      const tr = el("tr", "nbviz-tt-more");
      const td = el("td", undefined, `+ ${fmtCount(more)} more run${more === 1 ? "" : "s"} (the ${TOOLTIP_ROWS} nearest the cursor are listed)`);
      td.colSpan = 6;
      tr.appendChild(td);
      table.appendChild(tr);
    }
    if (!anyRow) {
      this.hideHover();
      return;
    }
    head.textContent =
      p.xAxis === "step" ? `Step ${fmtStep(headX)}` : p.xAxis === "relative" ? `${fmtHours(headX)} since start` : fmtWall(headX);
    tip.append(head, table);
    tip.hidden = false;
    // position next to the cursor, inside the chart card
    const overRect = u.over.getBoundingClientRect();
    const cardRect = this.el.getBoundingClientRect();
    const cx = overRect.left - cardRect.left + left;
    const cy = overRect.top - cardRect.top + (u.cursor.top ?? 0);
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let tx = cx + 14;
    if (tx + tw > cardRect.width - 4) tx = Math.max(4, cx - tw - 14);
    let ty = cy + 14;
    const maxY = overRect.bottom - cardRect.top - th;
    if (ty > maxY) ty = Math.max(0, maxY);
    tip.style.transform = `translate(${Math.round(tx)}px, ${Math.round(ty)}px)`;
  }
}

/** Merge two ascending index lists. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  if (b.length === 0) return a as number[];
  if (a.length === 0) return b as number[];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
