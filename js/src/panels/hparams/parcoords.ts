/**
 * Parallel coordinates on canvas. Stacked layers: `back` (every run, faint; redrawn only
 * when the layout or data change), `front` (runs passing the brushes, coloured by the
 * metric: 16 strokes for a few hundred lines, else an incremental SelectionLayer that
 * a brush frame updates by the lines whose selection changed), `axesLayer` (axes, ticks,
 * labels) and `over` (brushes, the hovered line). Axis titles are DOM (drag to reorder,
 * × hides).
 */
import { BUCKETS, BUCKET_COLORS } from "./colormap";
import type { Table } from "./model";
import { LAYER_MAX_RUNS, SelectionLayer } from "./layer";
import { Scale } from "./scales";
import { el } from "../../lib/dom";
import { HairlineRaster, rgbaWord } from "../../lib/line_raster";

/** Above this many lines a layer is rasterised in JS instead of stroked by Canvas 2D.
 * Canvas 2D defers strokes to the next flush (a paint or a pixel read), so its cost does
 * not show where they are issued: in software-rendered Chromium, 400 polylines × 30 axes
 * cost ~50 ms as 1-px hairlines and ~1.5 s at width 1.4 (the stroker turns a wide path
 * into a self-intersecting fill); the JS raster and the incremental layer cost a few ms. */
export const RASTER_LINES = 200;
/** Milliseconds of line drawing per brush frame; the rest of a big change follows in the
 * next frames (progressive), so a drag stays fluid whatever jumps in or out. */
export const FRAME_BUDGET_MS = 12;

export interface ParcoordsStyle {
  fg: string;
  muted: string;
  faint: string;
  axis: string;
  background: string;
  dark: boolean;
}

/** What passes the brushes: the brushes, the mask of runs passing them (and not hidden),
 * the runs drawn highlighted. */
export interface Selection {
  brushes: Record<string, [number, number]>;
  mask: Uint8Array;
  marked: Set<number>;
}

export interface ParcoordsEvents {
  /** a brush changed; `final` once the drag ends */
  brush(name: string, range: [number, number] | null, final: boolean): void;
  /** axis `name` dropped at position `to` */
  reorder(name: string, to: number): void;
  hide(name: string): void;
  hover(run: number | null, clientX: number, clientY: number): void;
  click(run: number, additive: boolean): void;
}

const TOP = 40;
const BOTTOM = 26;
const SIDE = 36;
const MISSING_GAP = 14;
const PICK_PX = 6;

export class Parcoords {
  readonly root: HTMLDivElement;
  private readonly back: HTMLCanvasElement;
  private readonly front: HTMLCanvasElement;
  private readonly axesLayer: HTMLCanvasElement;
  private readonly over: HTMLCanvasElement;
  private readonly titles: HTMLDivElement;
  private readonly events: ParcoordsEvents;
  private width = 600;
  private height = 320;
  private dpr = 1;
  private table: Table | null = null;
  private axes: string[] = [];
  private scales: Scale[] = [];
  private units: Float32Array[] = [];
  private buckets: Int8Array = new Int8Array(0);
  private visible: Uint8Array = new Uint8Array(0); // not hidden by the run selector
  private mask: Uint8Array = new Uint8Array(0); // visible and passing every brush
  private brushes: Record<string, [number, number]> = {};
  private hovered: number | null = null;
  private marked = new Set<number>();
  private style: ParcoordsStyle;
  private drag: { axis: number; u0: number; moved: boolean; rect: DOMRect } | null = null;
  private frame = 0;
  private font = "";
  /** every run's polyline in device pixels (made on first use, dropped when geometry changes) */
  private hairlines: HairlineRaster | null = null;
  /** runs by colour bucket (missing first, best last): the drawing order of raster layers */
  private order: Uint32Array = new Uint32Array(0);
  /** the selected lines of many runs (made on first use, dropped when geometry changes) */
  private layer: SelectionLayer | null = null;
  private layerCanvas: HTMLCanvasElement | null = null;
  private layerImage: ImageData | null = null;
  /** the layer's picture is on `front` (a drag used it since the layer was made) */
  private layerUsed = false;
  /** `front` holds exactly the layer's current pixels (a frame that changed no line
   * skips the copy) */
  private frontIsLayer = false;
  /** the animation frame that goes on drawing a selection change too big for one frame */
  private pending = 0;
  private prepare = 0;
  /** the timer drawing `back` after a paint whose front covered it */
  private backLater = 0;
  /** milliseconds of the last `front` redraw (benchmarks read it) */
  lastFrameMs = 0;
  /** selection layers built and lines the last layer update drew or erased (diagnostics) */
  layerBuilds = 0;
  lastChanged = 0;

  constructor(parent: HTMLElement, style: ParcoordsStyle, events: ParcoordsEvents) {
    this.style = style;
    this.events = events;
    this.root = el("div", "nbviz-hp-pc");
    this.back = el("canvas", "nbviz-hp-layer");
    this.front = el("canvas", "nbviz-hp-layer");
    this.axesLayer = el("canvas", "nbviz-hp-layer nbviz-hp-axes");
    this.over = el("canvas", "nbviz-hp-layer nbviz-hp-over");
    this.titles = el("div", "nbviz-hp-titles");
    this.root.append(this.back, this.front, this.axesLayer, this.over, this.titles);
    parent.appendChild(this.root);
    this.over.addEventListener("pointerdown", (e) => this.onDown(e));
    this.over.addEventListener("pointermove", (e) => this.onMove(e));
    this.over.addEventListener("pointerup", (e) => this.onUp(e));
    this.over.addEventListener("pointerleave", () => {
      if (!this.drag) this.setHover(null, 0, 0);
    });
  }

  setStyle(style: ParcoordsStyle): void {
    this.style = style;
    this.dropLayer();
    this.drawAll();
  }

  resize(width: number, height: number): void {
    this.width = Math.max(200, Math.floor(width));
    this.height = Math.max(160, Math.floor(height));
    this.dpr = typeof devicePixelRatio === "number" ? Math.min(2, devicePixelRatio || 1) : 1;
    for (const c of [this.back, this.front, this.axesLayer, this.over]) {
      c.width = Math.round(this.width * this.dpr);
      c.height = Math.round(this.height * this.dpr);
      c.style.width = `${this.width}px`;
      c.style.height = `${this.height}px`;
    }
    this.root.style.height = `${this.height}px`;
    this.dropLayer();
    this.renderTitles();
    this.drawAll();
  }

  /** New data or axes: rebuild scales and unit positions, redraw everything. */
  setData(table: Table, axes: string[], buckets: Int8Array, visible: Uint8Array, logs: Map<string, boolean>, selection: Selection): void {
    this.table = table;
    this.brushes = selection.brushes;
    this.mask = selection.mask;
    this.marked = selection.marked;
    this.axes = axes.filter((a) => table.index.has(a));
    this.scales = this.axes.map((a) => new Scale(table.columns[table.index.get(a)!]!, logs.get(a) ?? null));
    this.units = this.axes.map((a, k) => this.scales[k]!.units(table.values[table.index.get(a)!]!));
    this.buckets = buckets;
    this.visible = visible;
    const idx = Array.from({ length: table.runs.length }, (_, i) => i);
    idx.sort((a, b) => buckets[a]! - buckets[b]!);
    this.order = Uint32Array.from(idx);
    this.dropLayer();
    this.renderTitles();
    this.drawAll();
  }

  /** Brushes and the resulting mask changed: only the front and overlay are redrawn. */
  setSelection(brushes: Record<string, [number, number]>, mask: Uint8Array, marked: Set<number>): void {
    this.brushes = brushes;
    this.mask = mask;
    this.marked = marked;
    if (!this.coversVisible()) this.drawBackNow();
    this.drawFront();
    this.drawOver();
  }

  axisNames(): string[] {
    return [...this.axes];
  }

  /** Scale of a shown axis (tests and the view convert pixels ↔ values with it). */
  scaleOf(name: string): Scale | null {
    const k = this.axes.indexOf(name);
    return k < 0 ? null : this.scales[k]!;
  }

  /** Canvas-relative x of axis `k`, and y of unit position `u`. */
  axisX(k: number): number {
    const n = this.axes.length;
    if (n <= 1) return this.width / 2;
    return SIDE + (k * (this.width - 2 * SIDE - 40)) / (n - 1);
  }

  unitY(u: number): number {
    const plot = this.height - TOP - BOTTOM - MISSING_GAP;
    if (Number.isNaN(u)) return this.height - BOTTOM + 4; // the "missing" slot
    return TOP + (1 - u) * plot;
  }

  private yUnit(y: number): number {
    const plot = this.height - TOP - BOTTOM - MISSING_GAP;
    return Math.max(0, Math.min(1, 1 - (y - TOP) / plot));
  }

  private drawAll(): void {
    this.hairlines = null;
    if (this.backLater) clearTimeout(this.backLater);
    this.backLater = 0;
    if (this.coversVisible()) {
      // every visible line is selected: the front covers the faint back lines exactly, so
      // they are drawn after this paint (before any brush can uncover them)
      this.ctx(this.back);
      this.backLater = window.setTimeout(() => this.drawBackNow(), 0);
    } else {
      this.drawBack();
    }
    this.drawFront();
    this.drawAxes();
    this.drawOver();
    // make the selection layer (geometry, buffers) after this paint, not in the first
    // frame of the first brush drag
    if (this.prepare) clearTimeout(this.prepare);
    this.prepare = 0;
    if (!this.layer && this.table && this.table.runs.length > RASTER_LINES && this.table.runs.length <= LAYER_MAX_RUNS) {
      this.prepare = window.setTimeout(() => {
        this.prepare = 0;
        if (this.table && this.axes.length > 0) this.selectionLayer();
      }, 0);
    }
  }

  private ctx(c: HTMLCanvasElement): CanvasRenderingContext2D | null {
    const ctx = c.getContext("2d");
    if (!ctx) return null;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    return ctx;
  }

  /** One path through every run in `which` (by index), in axis order. */
  private tracePath(ctx: CanvasRenderingContext2D, which: (i: number) => boolean): void {
    const n = this.table?.runs.length ?? 0;
    const xs = this.axes.map((_, k) => this.axisX(k));
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (!which(i)) continue;
      for (let k = 0; k < this.units.length; k++) {
        const y = this.unitY(this.units[k]![i]!);
        if (k === 0) ctx.moveTo(xs[k]!, y);
        else ctx.lineTo(xs[k]!, y);
      }
    }
  }

  /** Pixel coordinates of the axes and of every run on every axis (× `scale` pixels). */
  private pixelGeometry(scale: number): [Float32Array, Float32Array[]] {
    const xs = new Float32Array(this.axes.map((_, k) => this.axisX(k) * scale));
    const ys = this.units.map((col) => {
      const out = new Float32Array(col.length);
      for (let i = 0; i < col.length; i++) out[i] = this.unitY(col[i]!) * scale;
      return out;
    });
    return [xs, ys];
  }

  /** Geometry, colours or size changed: the next picture is a full raster, then a new layer. */
  private dropLayer(): void {
    this.layer = null;
    this.layerUsed = false;
    this.frontIsLayer = false;
  }

  /** The incremental layer of the selected lines, in CSS pixels (colour slot per run:
   * 1 = missing metric, 2 + bucket otherwise — the raster's drawing order). */
  private selectionLayer(): SelectionLayer {
    if (this.layer) return this.layer;
    const [xs, ys] = this.pixelGeometry(1);
    const slots = new Uint8Array(this.buckets.length);
    for (let i = 0; i < slots.length; i++) slots[i] = this.buckets[i]! < 0 ? 1 : this.buckets[i]! + 2;
    const palette = new Uint32Array(BUCKETS + 2);
    palette[1] = rgbaWord(this.style.faint, 200);
    BUCKET_COLORS.forEach((c, b) => {
      palette[b + 2] = rgbaWord(c, 235);
    });
    this.layer = new SelectionLayer(this.width, this.height, xs, ys, slots, palette);
    this.layerUsed = false;
    this.layerBuilds++;
    return this.layer;
  }

  private raster(canvas: HTMLCanvasElement, order: ArrayLike<number>, color: (i: number) => number): void {
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const w = canvas.width;
    const h = canvas.height;
    const image = ctx.createImageData(w, h);
    let lines = this.hairlines;
    if (!lines || lines.width !== w || lines.height !== h) {
      const [xs, ys] = this.pixelGeometry(this.dpr);
      lines = this.hairlines = new HairlineRaster(w, h, xs, ys);
    }
    lines.draw(new Uint32Array(image.data.buffer), order, color);
    ctx.putImageData(image, 0, 0);
  }

  /** Every run not hidden by the run selector passes the brushes (nothing brushed). */
  private coversVisible(): boolean {
    const n = this.table?.runs.length ?? 0;
    if (this.mask.length !== n || this.visible.length !== n) return false;
    for (let i = 0; i < n; i++) if (this.mask[i] !== this.visible[i]) return false;
    return true;
  }

  /** The back lines now, if their drawing was put off after the last paint. */
  private drawBackNow(): void {
    if (!this.backLater) return;
    clearTimeout(this.backLater);
    this.backLater = 0;
    this.drawBack();
  }

  private drawBack(): void {
    const n0 = this.table?.runs.length ?? 0;
    if (n0 > RASTER_LINES && this.table && this.axes.length > 0) {
      const faint = rgbaWord(this.style.dark ? "rgb(200,200,200)" : "rgb(90,90,90)", 40);
      const fainter = rgbaWord(this.style.dark ? "rgb(200,200,200)" : "rgb(90,90,90)", 14);
      this.raster(this.back, this.order, (i) => (this.visible[i] === 1 ? faint : fainter));
      return;
    }
    const ctx = this.ctx(this.back);
    if (!ctx || !this.table || this.axes.length === 0) return;
    const n = this.table.runs.length;
    ctx.lineWidth = 1;
    ctx.strokeStyle = this.style.dark ? "rgba(200,200,200,0.10)" : "rgba(90,90,90,0.10)";
    this.tracePath(ctx, (i) => this.visible[i] === 1);
    ctx.stroke();
    ctx.strokeStyle = this.style.dark ? "rgba(200,200,200,0.04)" : "rgba(90,90,90,0.04)";
    this.tracePath(ctx, (i) => this.visible[i] !== 1 && i < n);
    ctx.stroke();
  }

  private drawFront(): void {
    const t0 = performance.now();
    if (!this.table || this.axes.length === 0) {
      this.ctx(this.front);
      this.frontIsLayer = false;
      return;
    }
    let count = 0;
    for (let i = 0; i < this.mask.length; i++) count += this.mask[i]!;
    this.root.dataset.drawn = String(count);
    if (count > RASTER_LINES && this.table.runs.length <= LAYER_MAX_RUNS && (this.drag || this.layerUsed)) {
      // many lines while a brush moves (and after, until the data or layout change): the
      // incremental layer, updated by the lines whose selection changed — every selected
      // line is drawn on every frame. Before the first brush, one plain raster below.
      const layer = this.selectionLayer();
      this.layerUsed = true;
      const left = layer.update(this.mask, t0 + FRAME_BUDGET_MS);
      this.lastChanged = layer.lastChanged;
      if (layer.pictureChanged || !this.frontIsLayer) this.blit(layer);
      this.frontIsLayer = true;
      this.root.dataset.pending = String(left);
      if (left > 0 && !this.pending) {
        this.pending = requestAnimationFrame(() => {
          this.pending = 0;
          this.drawFront();
        });
      }
      this.lastFrameMs = performance.now() - t0;
      return;
    }
    this.root.dataset.pending = "0";
    this.frontIsLayer = false;
    if (count > RASTER_LINES) {
      // the whole selection rasterised (first paint; more runs than the layer takes)
      const words = BUCKET_COLORS.map((c) => rgbaWord(c, 235));
      const missing = rgbaWord(this.style.faint, 200);
      this.raster(this.front, this.order, (i) => {
        if (this.mask[i] !== 1) return 0;
        const b = this.buckets[i]!;
        return b < 0 ? missing : words[b]!;
      });
      this.lastFrameMs = performance.now() - t0;
      return;
    }
    const ctx = this.ctx(this.front);
    if (!ctx) return;
    // one device pixel: Skia's hairline path (a wider stroke costs 15-30x more to flush)
    ctx.lineWidth = 1 / this.dpr;
    ctx.globalAlpha = count > 100 ? 0.6 : 0.9;
    ctx.strokeStyle = this.style.faint;
    this.tracePath(ctx, (i) => this.mask[i] === 1 && this.buckets[i] === -1);
    ctx.stroke();
    for (let b = 0; b < BUCKETS; b++) {
      ctx.strokeStyle = BUCKET_COLORS[b]!;
      this.tracePath(ctx, (i) => this.mask[i] === 1 && this.buckets[i] === b);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    this.lastFrameMs = performance.now() - t0;
  }

  /** Put the layer's pixels on `front` (scaled up on high-DPI screens, without smoothing). */
  private blit(layer: SelectionLayer): void {
    const ctx = this.front.getContext("2d");
    if (!ctx) return;
    if (this.layerImage?.data !== layer.rgba) this.layerImage = new ImageData(layer.rgba, layer.width, layer.height);
    const image = this.layerImage;
    if (this.front.width === layer.width && this.front.height === layer.height) {
      ctx.putImageData(image, 0, 0);
      return;
    }
    const canvas = this.layerCanvas ?? (this.layerCanvas = document.createElement("canvas"));
    if (canvas.width !== layer.width || canvas.height !== layer.height) {
      canvas.width = layer.width;
      canvas.height = layer.height;
    }
    canvas.getContext("2d")?.putImageData(image, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.front.width, this.front.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(canvas, 0, 0, this.front.width, this.front.height);
  }

  /** Axes, ticks and labels: a layer of their own, redrawn only when the layout changes. */
  private drawAxes(): void {
    const ctx = this.ctx(this.axesLayer);
    if (!ctx || !this.table) return;
    const s = this.style;
    this.font ||= `10px ${getComputedStyle(this.root).fontFamily || "sans-serif"}`;
    ctx.font = this.font;
    ctx.textBaseline = "middle";
    for (let k = 0; k < this.axes.length; k++) {
      const x = this.axisX(k);
      ctx.strokeStyle = s.axis;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x + 0.5, this.unitY(1));
      ctx.lineTo(x + 0.5, this.unitY(0));
      ctx.stroke();
      ctx.fillStyle = s.muted;
      const scale = this.scales[k]!;
      const ticks = scale.ticks(5);
      const every = Math.max(1, Math.ceil(ticks.length / 12));
      ticks.forEach((tick, j) => {
        if (j % every !== 0 || !(tick.u >= -1e-6 && tick.u <= 1 + 1e-6)) return;
        const y = this.unitY(tick.u);
        ctx.fillRect(x - 3, Math.round(y), 3, 1);
        const label = tick.label.length > 12 ? `${tick.label.slice(0, 11)}…` : tick.label;
        ctx.fillText(label, x + 4, y);
      });
      ctx.fillStyle = s.faint;
      ctx.fillText("∅", x - 3, this.unitY(NaN));
    }
  }

  /** Brushes and highlighted lines (every brush frame). */
  private drawOver(): void {
    const ctx = this.ctx(this.over);
    if (!ctx || !this.table) return;
    const s = this.style;
    for (let k = 0; k < this.axes.length; k++) {
      const x = this.axisX(k);
      const scale = this.scales[k]!;
      const brush = this.brushes[this.axes[k]!];
      if (brush) {
        const u0 = scale.kind === "categorical" ? scale.unit(brush[0]) - 0.5 / Math.max(1, scale.categories.length) : scale.unit(brush[0]);
        const u1 = scale.kind === "categorical" ? scale.unit(brush[1]) + 0.5 / Math.max(1, scale.categories.length) : scale.unit(brush[1]);
        const y0 = this.unitY(Math.max(0, Math.min(1, u1)));
        const y1 = this.unitY(Math.max(0, Math.min(1, u0)));
        ctx.fillStyle = s.dark ? "rgba(120,170,255,0.25)" : "rgba(30,100,220,0.18)";
        ctx.strokeStyle = s.dark ? "rgba(140,190,255,0.9)" : "rgba(30,100,220,0.9)";
        ctx.fillRect(x - 7, y0, 14, Math.max(2, y1 - y0));
        ctx.strokeRect(x - 7 + 0.5, y0 + 0.5, 13, Math.max(2, y1 - y0));
      }
    }
    const highlight = (i: number, width: number, color: string) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      this.tracePath(ctx, (j) => j === i);
      ctx.stroke();
    };
    for (const i of this.marked) highlight(i, 2.2, s.dark ? "#ffffff" : "#000000");
    if (this.hovered !== null) highlight(this.hovered, 3, "#ff4081");
  }

  private renderTitles(): void {
    this.titles.replaceChildren();
    const table = this.table;
    if (!table) return;
    this.axes.forEach((name, k) => {
      const title = el("div", "nbviz-hp-title");
      title.style.left = `${this.axisX(k)}px`;
      title.dataset.axis = name;
      const info = table.columns[table.index.get(name)!]!;
      const label = el("span", `nbviz-hp-title-label nbviz-hp-role-${info.role}`, name);
      label.title = `${name} (${info.role}, ${this.scales[k]!.kind}) — drag to move`;
      const close = el("button", "nbviz-hp-title-hide", "×");
      close.type = "button";
      close.title = `Hide axis ${name}`;
      close.addEventListener("click", (e) => {
        e.stopPropagation();
        this.events.hide(name);
      });
      title.append(label, close);
      label.addEventListener("pointerdown", (e) => this.startReorder(e, name, title));
      this.titles.appendChild(title);
    });
  }

  private startReorder(e: PointerEvent, name: string, title: HTMLDivElement): void {
    e.preventDefault();
    const rect = this.root.getBoundingClientRect();
    const start = e.clientX;
    const left = parseFloat(title.style.left);
    title.classList.add("nbviz-hp-dragging");
    const move = (ev: PointerEvent) => {
      title.style.left = `${left + ev.clientX - start}px`;
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      title.classList.remove("nbviz-hp-dragging");
      const x = ev.clientX - rect.left;
      const n = this.axes.length;
      const span = (this.width - 2 * SIDE - 40) / Math.max(1, n - 1);
      const to = n <= 1 ? 0 : Math.round((x - SIDE) / span);
      if (Math.abs(ev.clientX - start) > 4) this.events.reorder(name, Math.max(0, Math.min(n - 1, to)));
      else title.style.left = `${left}px`;
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  private local(e: PointerEvent | MouseEvent, rect?: DOMRect): [number, number] {
    const r = rect ?? this.over.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private axisAt(x: number): number {
    for (let k = 0; k < this.axes.length; k++) if (Math.abs(this.axisX(k) - x) <= 10) return k;
    return -1;
  }

  private onDown(e: PointerEvent): void {
    const rect = this.over.getBoundingClientRect();
    const [x, y] = this.local(e, rect);
    const k = this.axisAt(x);
    if (k < 0 || y < TOP - 6 || y > this.height - BOTTOM) return;
    e.preventDefault();
    this.over.setPointerCapture?.(e.pointerId);
    // the rect is read once per drag: reading it per move would force a layout each frame
    this.drag = { axis: k, u0: this.yUnit(y), moved: false, rect };
  }

  private onMove(e: PointerEvent): void {
    const [x, y] = this.local(e, this.drag?.rect);
    if (this.drag) {
      const u = this.yUnit(y);
      if (Math.abs(u - this.drag.u0) * (this.height - TOP - BOTTOM) > 2) this.drag.moved = true;
      if (!this.drag.moved) return;
      const scale = this.scales[this.drag.axis]!;
      const range = scale.bounds(this.drag.u0, u);
      const name = this.axes[this.drag.axis]!;
      if (this.frame) cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.events.brush(name, range, false);
      });
      return;
    }
    this.over.style.cursor = this.axisAt(x) >= 0 && y >= TOP - 6 ? "ns-resize" : "default";
    this.setHover(this.pick(x, y), e.clientX, e.clientY);
  }

  private onUp(e: PointerEvent): void {
    const drag = this.drag;
    this.drag = null;
    const [x, y] = this.local(e, drag?.rect);
    if (drag) {
      const name = this.axes[drag.axis]!;
      if (this.frame) {
        cancelAnimationFrame(this.frame);
        this.frame = 0;
      }
      if (drag.moved) {
        this.events.brush(name, this.scales[drag.axis]!.bounds(drag.u0, this.yUnit(y)), true);
        return;
      } else if (this.brushes[name]) {
        this.events.brush(name, null, true); // a click on a brushed axis clears its brush
        return;
      }
    }
    const hit = this.pick(x, y); // a click on a line (or on an unbrushed axis, on a line)
    if (hit !== null) this.events.click(hit, e.shiftKey || e.metaKey || e.ctrlKey);
  }

  /** The run whose line passes nearest (x, y) among the brushed-in runs, within a few px. */
  pick(x: number, y: number): number | null {
    const n = this.axes.length;
    if (!this.table || n === 0) return null;
    let k = 0;
    while (k < n - 1 && this.axisX(k + 1) < x) k++;
    const x0 = this.axisX(k);
    const x1 = n > 1 ? this.axisX(Math.min(n - 1, k + 1)) : x0;
    const f = x1 > x0 ? Math.max(0, Math.min(1, (x - x0) / (x1 - x0))) : 0;
    const a = this.units[k]!;
    const b = this.units[Math.min(n - 1, k + 1)]!;
    let best: number | null = null;
    let bestD = PICK_PX;
    for (let i = 0; i < a.length; i++) {
      if (this.mask[i] !== 1) continue;
      const ya = this.unitY(a[i]!);
      const yb = this.unitY(b[i]!);
      const d = Math.abs(ya + (yb - ya) * f - y);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  /** Canvas-relative point on run `i`'s line midway between axes k and k+1 (tests click it). */
  pointOnRun(i: number, k = 0): [number, number] {
    const n = this.axes.length;
    const k1 = Math.min(n - 1, k + 1);
    const x = (this.axisX(k) + this.axisX(k1)) / 2;
    const y = (this.unitY(this.units[k]![i]!) + this.unitY(this.units[k1]![i]!)) / 2;
    return [x, y];
  }

  setHover(i: number | null, clientX: number, clientY: number): void {
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawOver();
    }
    this.events.hover(i, clientX, clientY);
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    if (this.pending) cancelAnimationFrame(this.pending);
    if (this.prepare) clearTimeout(this.prepare);
    if (this.backLater) clearTimeout(this.backLater);
    this.root.remove();
  }
}
