/**
 * Zoomable canvas timeline of a profiler capture: one band per lane (thread or
 * device stream), events as rectangles by nesting depth, coloured by category;
 * wheel zooms around the pointer, drag pans, double-click resets. Only events
 * wider than a pixel fraction in view are drawn, so redraws stay cheap.
 */
import { frameScheduler } from "../../lib/dom";
import { CATEGORY_COLORS } from "./colors";
import type { Theme } from "../../lib/theme";

const ROW = 14;
const LANE_GAP = 8;
const LABEL_W = 90;

export interface TimelineData {
  /** row-major [n × 6]: start, duration, lane, depth, name index, category */
  rows: Float64Array;
  count: number;
  names: string[];
  lanes: string[];
  steps: [number, number][];
  stepNumbers: number[];
}

export class Timeline {
  readonly el: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLDivElement;
  private data: TimelineData | null = null;
  private t0 = 0;
  private t1 = 1;
  private full: [number, number] = [0, 1];
  private depthOf: number[] = [];
  private laneTop: number[] = [];
  private height = 60;
  private width = 600;
  private drag: { x: number; t0: number; t1: number } | null = null;
  private readonly frame = frameScheduler(() => this.draw());
  private readonly ro: ResizeObserver | null = null;
  /** completed draws (tests) */
  draws = 0;

  constructor(private readonly theme: () => Theme) {
    this.el = document.createElement("div");
    this.el.className = "nbviz-profile-timeline";
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("aria-label", "Profiler timeline: wheel to zoom, drag to pan, double-click to reset");
    this.tip = document.createElement("div");
    this.tip.className = "nbviz-profile-tip";
    this.tip.hidden = true;
    this.el.append(this.canvas, this.tip);
    this.canvas.addEventListener("wheel", this.onWheel, { passive: false });
    this.canvas.addEventListener("pointerdown", this.onDown);
    this.canvas.addEventListener("pointermove", this.onMove);
    this.canvas.addEventListener("pointerup", this.onUp);
    this.canvas.addEventListener("pointerleave", () => (this.tip.hidden = true));
    this.canvas.addEventListener("dblclick", () => this.setRange(this.full[0], this.full[1]));
    if (typeof ResizeObserver !== "undefined") {
      this.ro = new ResizeObserver(() => this.schedule());
      this.ro.observe(this.el);
    }
  }

  destroy(): void {
    this.ro?.disconnect();
    this.frame.cancel();
    this.el.remove();
  }

  setData(data: TimelineData): void {
    this.data = data;
    const lanes = data.lanes.length;
    const depth = new Array<number>(lanes).fill(0);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.count; i++) {
      const s = data.rows[i * 6]!;
      const e = s + data.rows[i * 6 + 1]!;
      const lane = data.rows[i * 6 + 2]!;
      const d = data.rows[i * 6 + 3]!;
      if (d + 1 > depth[lane]!) depth[lane] = d + 1;
      if (s < lo) lo = s;
      if (e > hi) hi = e;
    }
    if (data.steps.length) {
      lo = Math.min(lo, data.steps[0]![0]);
      hi = Math.max(hi, data.steps[data.steps.length - 1]![1]);
    }
    if (!(hi > lo)) {
      lo = 0;
      hi = 1;
    }
    this.depthOf = depth.map((d) => Math.min(Math.max(d, 1), 12));
    this.laneTop = [];
    let y = 18;
    for (const d of this.depthOf) {
      this.laneTop.push(y);
      y += d * ROW + LANE_GAP;
    }
    this.height = y + 4;
    this.full = [lo, hi];
    this.setRange(lo, hi);
  }

  /** The visible time range (µs): [start, end]. */
  get range(): [number, number] {
    return [this.t0, this.t1];
  }

  setRange(t0: number, t1: number): void {
    const [lo, hi] = this.full;
    const span = Math.max(Math.min(t1 - t0, hi - lo), 1);
    let a = Math.max(lo, t0);
    if (a + span > hi) a = hi - span;
    this.t0 = a;
    this.t1 = a + span;
    this.el.dataset.range = `${this.t0.toFixed(1)},${this.t1.toFixed(1)}`;
    this.schedule();
  }

  /** Zoom by `factor` (< 1 zooms in) around the time at canvas x `x` (CSS px). */
  zoomAt(x: number, factor: number): void {
    const t = this.timeAt(x);
    this.setRange(t - (t - this.t0) * factor, t + (this.t1 - t) * factor);
  }

  private timeAt(x: number): number {
    const w = Math.max(this.width - LABEL_W, 1);
    return this.t0 + ((x - LABEL_W) / w) * (this.t1 - this.t0);
  }

  private readonly onWheel = (event: WheelEvent): void => {
    if (!this.data) return;
    event.preventDefault();
    const box = this.canvas.getBoundingClientRect();
    this.zoomAt(event.clientX - box.left, Math.exp(event.deltaY * 0.002));
  };

  private readonly onDown = (event: PointerEvent): void => {
    this.drag = { x: event.clientX, t0: this.t0, t1: this.t1 };
    this.canvas.setPointerCapture?.(event.pointerId);
  };

  private readonly onUp = (event: PointerEvent): void => {
    this.drag = null;
    this.canvas.releasePointerCapture?.(event.pointerId);
  };

  private readonly onMove = (event: PointerEvent): void => {
    const box = this.canvas.getBoundingClientRect();
    if (this.drag) {
      const w = Math.max(this.width - LABEL_W, 1);
      const dt = ((event.clientX - this.drag.x) / w) * (this.drag.t1 - this.drag.t0);
      this.setRange(this.drag.t0 - dt, this.drag.t1 - dt);
      return;
    }
    this.hover(event.clientX - box.left, event.clientY - box.top);
  };

  private hover(x: number, y: number): void {
    const data = this.data;
    if (!data || x < LABEL_W) {
      this.tip.hidden = true;
      return;
    }
    const t = this.timeAt(x);
    const lane = this.laneTop.findIndex((top, i) => y >= top && y < top + this.depthOf[i]! * ROW);
    if (lane < 0) {
      this.tip.hidden = true;
      return;
    }
    const depth = Math.floor((y - this.laneTop[lane]!) / ROW);
    const slack = (2 / Math.max(this.width - LABEL_W, 1)) * (this.t1 - this.t0);
    for (let i = 0; i < data.count; i++) {
      const r = i * 6;
      if (data.rows[r + 2] !== lane || data.rows[r + 3] !== depth) continue;
      const s = data.rows[r]!;
      const d = data.rows[r + 1]!;
      if (t >= s - slack && t <= s + d + slack) {
        this.tip.textContent = `${data.names[data.rows[r + 4]!] ?? "?"} — ${formatUs(d)}`;
        this.tip.style.left = `${Math.min(x + 12, this.width - 220)}px`;
        this.tip.style.top = `${y + 12}px`;
        this.tip.hidden = false;
        return;
      }
    }
    this.tip.hidden = true;
  }

  schedule(): void {
    this.frame.request();
  }

  draw(): void {
    const data = this.data;
    const theme = this.theme();
    const width = Math.max(this.el.clientWidth || 600, 200);
    this.width = width;
    const ratio = window.devicePixelRatio || 1;
    const height = this.height;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, width, height);
    ctx.font = `11px ${theme.fontFamily}`;
    if (!data) return;
    const span = this.t1 - this.t0;
    const plotW = width - LABEL_W;
    const px = (t: number) => LABEL_W + ((t - this.t0) / span) * plotW;
    // Step bands and labels.
    data.steps.forEach(([s, e], i) => {
      const a = Math.max(px(s), LABEL_W);
      const b = Math.min(px(e), width);
      if (b <= a) return;
      ctx.fillStyle = i % 2 ? theme.surface : theme.background;
      ctx.fillRect(a, 0, b - a, height);
      ctx.fillStyle = theme.muted;
      ctx.fillText(`step ${data.stepNumbers[i] ?? i}`, a + 3, 12);
    });
    // Events: skip those outside the view; those narrower than 0.3 px are merged per pixel.
    const lastPixel = new Map<number, number>();
    for (let i = 0; i < data.count; i++) {
      const r = i * 6;
      const s = data.rows[r]!;
      const d = data.rows[r + 1]!;
      if (s + d < this.t0 || s > this.t1) continue;
      const lane = data.rows[r + 2]!;
      const depth = data.rows[r + 3]!;
      if (depth >= this.depthOf[lane]!) continue;
      const x0 = px(s);
      const w = (d / span) * plotW;
      const y = this.laneTop[lane]! + depth * ROW;
      if (w < 0.3) {
        const key = lane * 64 + depth;
        const pixel = Math.floor(x0);
        if (lastPixel.get(key) === pixel) continue;
        lastPixel.set(key, pixel);
      }
      ctx.fillStyle = CATEGORY_COLORS[data.rows[r + 5]!] ?? "#9e9e9e";
      const a = Math.max(x0, LABEL_W);
      const b = Math.min(x0 + Math.max(w, 1), width);
      ctx.fillRect(a, y, b - a, ROW - 2);
      if (b - a > 40) {
        ctx.save();
        ctx.beginPath();
        ctx.rect(a, y, b - a, ROW - 2);
        ctx.clip();
        ctx.fillStyle = "#ffffff";
        ctx.fillText(data.names[data.rows[r + 4]!] ?? "", a + 2, y + ROW - 4);
        ctx.restore();
      }
    }
    // Lane labels on top.
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, LABEL_W, height);
    ctx.fillStyle = theme.foreground;
    data.lanes.forEach((name, i) => ctx.fillText(name, 4, this.laneTop[i]! + 11));
    this.draws += 1;
    this.el.dataset.draws = String(this.draws);
  }
}

export function formatUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toPrecision(3)} s`;
  if (us >= 1e3) return `${(us / 1e3).toPrecision(3)} ms`;
  return `${us.toPrecision(3)} µs`;
}
