/**
 * One PR / ROC chart on two stacked canvases: the base layer (grid, iso-F1
 * contours or the ROC diagonal, baselines, curves) and a marker layer (hover
 * and pinned points) redrawn alone on pointer moves.
 *
 * A plain canvas rather than uPlot: both axes are the fixed unit interval and a
 * PR curve is not a function of x (uPlot aligns series on a shared x), and the
 * contours and markers are simple to draw directly.
 */
import { withAlpha } from "../../lib/colors";
import type { Theme } from "../../lib/theme";
import { isoF1, nearestPoint, type Points, type View } from "./metrics";

/** Chart height in CSS px for a chart `width` px wide: near-square plots, bounded. */
export function chartHeight(width: number): number {
  return Math.round(Math.min(340, Math.max(240, width * 0.8)));
}
const MARGIN = { left: 44, right: 14, top: 10, bottom: 36 };
const HOVER_RADIUS = 28;
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

export interface DrawCurve {
  points: Points;
  color: string;
  alpha: number;
  width: number;
  dash: number[];
  /** curves of the selected step take part in hover / pin */
  primary: boolean;
  /** series key */
  key: string;
}

export interface Baseline {
  /** PR view: precision of a no-skill classifier (positive rate) */
  y: number;
  color: string;
}

export interface Marker {
  x: number;
  y: number;
  color: string;
  pinned: boolean;
}

export interface Hit {
  key: string;
  /** threshold column */
  index: number;
  x: number;
  y: number;
  /** pointer position in CSS px relative to the chart element */
  px: number;
  py: number;
}

export interface ThemeBox {
  current: Theme;
}

export class PrChart {
  readonly el: HTMLDivElement;
  private readonly base: HTMLCanvasElement;
  private readonly over: HTMLCanvasElement;
  private readonly theme: ThemeBox;
  private width = 0;
  private height = chartHeight(0);
  private view: View = "pr";
  private curves: DrawCurve[] = [];
  private baselines: Baseline[] = [];
  private markers: Marker[] = [];
  private isoLabels: { text: string; x: number; y: number }[] = [];
  private ro: ResizeObserver | null = null;
  /** called with the nearest primary point under the pointer (null when none) */
  onHover: (hit: Hit | null) => void = () => {};
  /** called on click with the hit under the pointer (null = empty area) */
  onPick: (hit: Hit | null) => void = () => {};
  /** number of base-layer draws (diagnostics / tests) */
  draws = 0;

  constructor(theme: ThemeBox) {
    this.theme = theme;
    this.el = document.createElement("div");
    this.el.className = "nbviz-pr-plot";
    this.base = document.createElement("canvas");
    this.base.className = "nbviz-pr-canvas";
    this.over = document.createElement("canvas");
    this.over.className = "nbviz-pr-overlay-canvas";
    this.el.append(this.base, this.over);
    this.el.style.height = `${this.height}px`;
    const move = (e: PointerEvent) => this.onHover(this.hitAt(e));
    const leave = () => this.onHover(null);
    const click = (e: MouseEvent) => this.onPick(this.hitAt(e));
    this.over.addEventListener("pointermove", move);
    this.over.addEventListener("pointerleave", leave);
    this.over.addEventListener("click", click);
    if (typeof ResizeObserver !== "undefined") {
      this.ro = new ResizeObserver((entries) => {
        const w = Math.floor(entries[entries.length - 1]!.contentRect.width);
        if (w > 0 && w !== this.width) {
          this.width = w;
          this.resize();
          this.draw();
        }
      });
      this.ro.observe(this.el);
    }
  }

  destroy(): void {
    this.ro?.disconnect();
    this.ro = null;
    this.el.remove();
  }

  /** Plot area in CSS px relative to the chart element. */
  plotBox(): { left: number; top: number; width: number; height: number } {
    const w = Math.max(60, this.width - MARGIN.left - MARGIN.right);
    const h = Math.max(60, this.height - MARGIN.top - MARGIN.bottom);
    return { left: MARGIN.left, top: MARGIN.top, width: w, height: h };
  }

  private toPx = (x: number, y: number): [number, number] => {
    const b = this.plotBox();
    return [b.left + x * b.width, b.top + (1 - y) * b.height];
  };

  private resize(): void {
    this.height = chartHeight(this.width);
    this.el.style.height = `${this.height}px`;
    const dpr = globalThis.devicePixelRatio || 1;
    for (const c of [this.base, this.over]) {
      c.width = Math.max(1, Math.round(this.width * dpr));
      c.height = Math.max(1, Math.round(this.height * dpr));
      c.style.width = `${this.width}px`;
      c.style.height = `${this.height}px`;
    }
    const b = this.plotBox();
    const d = this.el.dataset;
    d.plotLeft = String(b.left);
    d.plotTop = String(b.top);
    d.plotWidth = String(b.width);
    d.plotHeight = String(b.height);
  }

  /** Replace what is drawn and redraw. */
  update(view: View, curves: DrawCurve[], baselines: Baseline[]): void {
    this.view = view;
    this.curves = curves;
    this.baselines = baselines;
    if (this.width === 0) {
      this.width = Math.floor(this.el.clientWidth) || 0;
      if (this.width > 0) this.resize();
    }
    this.draw();
  }

  setMarkers(markers: Marker[]): void {
    this.markers = markers;
    this.drawMarkers();
  }

  private ctx(c: HTMLCanvasElement): CanvasRenderingContext2D | null {
    const ctx = c.getContext("2d");
    if (!ctx) return null;
    const dpr = globalThis.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }

  draw(): void {
    if (this.width === 0) return;
    const ctx = this.ctx(this.base);
    if (!ctx) return;
    const t = this.theme.current;
    const b = this.plotBox();
    ctx.clearRect(0, 0, this.width, this.height);
    ctx.font = `11px ${t.fontFamily}`;
    // grid and ticks
    ctx.lineWidth = 1;
    ctx.strokeStyle = t.grid;
    ctx.fillStyle = t.muted;
    ctx.textBaseline = "middle";
    for (const v of TICKS) {
      const [gx] = this.toPx(v, 0);
      const [, gy] = this.toPx(0, v);
      ctx.beginPath();
      ctx.moveTo(Math.round(gx) + 0.5, b.top);
      ctx.lineTo(Math.round(gx) + 0.5, b.top + b.height);
      ctx.moveTo(b.left, Math.round(gy) + 0.5);
      ctx.lineTo(b.left + b.width, Math.round(gy) + 0.5);
      ctx.stroke();
      const label = v === 0 || v === 1 ? String(v) : v.toFixed(1);
      ctx.textAlign = "right";
      ctx.fillText(label, b.left - 6, gy);
      ctx.textAlign = "center";
      ctx.fillText(label, gx, b.top + b.height + 10);
    }
    ctx.fillStyle = t.muted;
    ctx.textAlign = "center";
    ctx.fillText(this.view === "pr" ? "Recall" : "False positive rate", b.left + b.width / 2, b.top + b.height + 26);
    ctx.save();
    ctx.translate(11, b.top + b.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(this.view === "pr" ? "Precision" : "True positive rate", 0, 0);
    ctx.restore();

    ctx.save();
    ctx.beginPath();
    ctx.rect(b.left - 3, b.top - 3, b.width + 6, b.height + 6);
    ctx.clip();
    // reference lines
    ctx.lineWidth = 1;
    if (this.view === "pr") {
      // iso-F1 contours: faint dotted lines, labels with a halo of the background
      ctx.strokeStyle = t.faint;
      ctx.textAlign = "right";
      ctx.textBaseline = "bottom";
      for (const f of [0.2, 0.4, 0.6, 0.8]) {
        const c = isoF1(f);
        ctx.globalAlpha = 0.6;
        ctx.setLineDash([1, 3]);
        ctx.beginPath();
        c.x.forEach((x, k) => {
          const [sx, sy] = this.toPx(x, c.y[k]!);
          if (k === 0) ctx.moveTo(sx, sy);
          else ctx.lineTo(sx, sy);
        });
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
      }
      this.isoLabels = [0.2, 0.4, 0.6, 0.8].map((f) => {
        const [lx, ly] = this.toPx(1, f / (2 - f));
        return { text: `F1=${f}`, x: lx - 3, y: ly - 1 };
      });
      ctx.lineWidth = 1.2;
      for (const bl of this.baselines) {
        const [, sy] = this.toPx(0, bl.y);
        ctx.strokeStyle = withAlpha(bl.color, 0.55);
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(b.left, sy);
        ctx.lineTo(b.left + b.width, sy);
        ctx.stroke();
      }
      ctx.setLineDash([]);
    } else {
      this.isoLabels = [];
      // chance diagonal (theme colours may carry their own alpha: scale, don't replace)
      ctx.strokeStyle = t.faint;
      ctx.globalAlpha = 0.7;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      const [x0, y0] = this.toPx(0, 0);
      const [x1, y1] = this.toPx(1, 1);
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }
    // curves: faint (older steps) first, primary last
    const order = [...this.curves].sort((a, b2) => Number(a.primary) - Number(b2.primary) || a.alpha - b2.alpha);
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    for (const c of order) {
      const p = c.points;
      if (p.length === 0) continue;
      ctx.strokeStyle = withAlpha(c.color, c.alpha);
      ctx.lineWidth = c.width;
      ctx.setLineDash(c.dash);
      ctx.beginPath();
      for (let k = 0; k < p.length; k++) {
        const [sx, sy] = this.toPx(p.x[k]!, p.y[k]!);
        if (k === 0) ctx.moveTo(sx, sy);
        else ctx.lineTo(sx, sy);
      }
      if (p.length === 1) {
        const [sx, sy] = this.toPx(p.x[0]!, p.y[0]!);
        ctx.arc(sx, sy, c.width, 0, Math.PI * 2);
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    // contour labels above the curves, readable over them
    ctx.font = `10px ${t.fontFamily}`;
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.lineWidth = 3;
    ctx.lineJoin = "round";
    ctx.strokeStyle = t.background;
    ctx.fillStyle = t.faint;
    for (const l of this.isoLabels) {
      ctx.strokeText(l.text, l.x, l.y);
      ctx.fillText(l.text, l.x, l.y);
    }
    ctx.restore();
    // frame
    ctx.strokeStyle = t.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(b.left + 0.5, b.top + 0.5, b.width - 1, b.height - 1);
    this.draws++;
    this.drawMarkers();
    this.el.dispatchEvent(new CustomEvent("nbviz:draw", { bubbles: true }));
  }

  private drawMarkers(): void {
    if (this.width === 0) return;
    const ctx = this.ctx(this.over);
    if (!ctx) return;
    ctx.clearRect(0, 0, this.width, this.height);
    const t = this.theme.current;
    for (const m of this.markers) {
      const [sx, sy] = this.toPx(m.x, m.y);
      ctx.beginPath();
      ctx.arc(sx, sy, m.pinned ? 6 : 4.5, 0, Math.PI * 2);
      ctx.fillStyle = t.background;
      ctx.fill();
      ctx.lineWidth = m.pinned ? 2.5 : 2;
      ctx.strokeStyle = m.color;
      ctx.stroke();
      if (m.pinned) {
        ctx.beginPath();
        ctx.arc(sx, sy, 2, 0, Math.PI * 2);
        ctx.fillStyle = m.color;
        ctx.fill();
      }
    }
  }

  /** Nearest primary point within HOVER_RADIUS px of the pointer. */
  private hitAt(e: MouseEvent): Hit | null {
    const rect = this.over.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    let best: Hit | null = null;
    let bestD = HOVER_RADIUS;
    for (const c of this.curves) {
      if (!c.primary) continue;
      const n = nearestPoint(c.points, px, py, this.toPx);
      if (!n || n.dist > bestD) continue;
      const index = c.points.index[n.k]!;
      if (index < 0) continue; // the ROC (0, 0) end point is not a threshold
      bestD = n.dist;
      best = { key: c.key, index, x: c.points.x[n.k]!, y: c.points.y[n.k]!, px, py };
    }
    return best;
  }
}
