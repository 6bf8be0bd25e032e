/**
 * The metric against one hparam (canvas): one point per run, brushed-out runs faint,
 * the best runs (by the goal) ringed and numbered; hover shows the run.
 */
import { colorBuckets, BUCKET_COLORS } from "./colormap";
import type { Table } from "./model";
import { Scale } from "./scales";

const PAD = { left: 48, right: 12, top: 12, bottom: 34 };
const BEST_LABEL = "runs ringed";
/** Above this many points they are small squares (cheaper to fill than circles). */
const POINT_DOTS = 2000;

export class Scatter {
  readonly canvas: HTMLCanvasElement;
  private width = 360;
  private readonly height = 240;
  private points: { i: number; x: number; y: number }[] = [];
  private readonly onHover: (run: number | null, clientX: number, clientY: number) => void;
  private readonly onClick: (run: number, additive: boolean) => void;

  constructor(parent: HTMLElement, onHover: (run: number | null, x: number, y: number) => void, onClick: (run: number, additive: boolean) => void) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "nbviz-hp-scatter";
    parent.appendChild(this.canvas);
    this.onHover = onHover;
    this.onClick = onClick;
    this.canvas.addEventListener("pointermove", (e) => {
      const hit = this.hit(e);
      this.onHover(hit, e.clientX, e.clientY);
    });
    this.canvas.addEventListener("pointerleave", () => this.onHover(null, 0, 0));
    this.canvas.addEventListener("click", (e) => {
      const hit = this.hit(e);
      if (hit !== null) this.onClick(hit, e.shiftKey || e.metaKey || e.ctrlKey);
    });
  }

  private hit(e: MouseEvent): number | null {
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    let best: number | null = null;
    let bestD = 36;
    for (const p of this.points) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p.i;
      }
    }
    return best;
  }

  draw(
    table: Table,
    xName: string,
    metric: string,
    goal: "max" | "min",
    visible: Uint8Array,
    mask: Uint8Array,
    best: number[],
    style: { fg: string; muted: string; faint: string; axis: string },
    width: number,
  ): void {
    this.width = Math.max(220, Math.floor(width));
    const dpr = typeof devicePixelRatio === "number" ? Math.min(2, devicePixelRatio || 1) : 1;
    if (this.canvas.width !== Math.round(this.width * dpr)) {
      this.canvas.width = Math.round(this.width * dpr);
      this.canvas.height = Math.round(this.height * dpr);
      this.canvas.style.width = `${this.width}px`;
      this.canvas.style.height = `${this.height}px`;
    }
    const ctx = this.canvas.getContext("2d");
    this.points = [];
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    ctx.font = `10px ${getComputedStyle(this.canvas).fontFamily || "sans-serif"}`;
    const xi = table.index.get(xName);
    const yi = table.index.get(metric);
    if (xi === undefined || yi === undefined) {
      ctx.fillStyle = style.muted;
      ctx.fillText(yi === undefined ? "choose a metric to plot" : "choose an hparam", PAD.left, this.height / 2);
      return;
    }
    const sx = new Scale(table.columns[xi]!);
    const sy = new Scale(table.columns[yi]!);
    const w = this.width - PAD.left - PAD.right;
    const h = this.height - PAD.top - PAD.bottom;
    // 5 % inset, so the extreme (often the best) points and their rings stay inside
    const px = (u: number) => PAD.left + (0.05 + 0.9 * u) * w;
    const py = (u: number) => PAD.top + (0.95 - 0.9 * u) * h;
    ctx.strokeStyle = style.axis;
    ctx.strokeRect(PAD.left + 0.5, PAD.top + 0.5, w, h);
    ctx.fillStyle = style.muted;
    ctx.textBaseline = "top";
    for (const t of sx.ticks(5)) if (t.u >= 0 && t.u <= 1) ctx.fillText(t.label.slice(0, 10), px(t.u) - 8, PAD.top + h + 4);
    ctx.textBaseline = "middle";
    for (const t of sy.ticks(5)) if (t.u >= 0 && t.u <= 1) ctx.fillText(t.label.slice(0, 7), 4, py(t.u));
    ctx.fillStyle = style.fg;
    ctx.fillText(`${metric} vs ${xName} — best ${BEST_LABEL} by ${goal === "max" ? "highest" : "lowest"}`, PAD.left, this.height - 8);
    const xs = table.values[xi]!;
    const ys = table.values[yi]!;
    const buckets = colorBuckets(ys, ys.length, goal);
    const jitter = sx.kind === "categorical" ? 0.25 / Math.max(1, sx.categories.length) : 0;
    // one path per pass and colour (not one fill per point): 10,000 points stay cheap
    const radius = ys.length > POINT_DOTS ? 2 : 3;
    for (let pass = 0; pass < 2; pass++) {
      const paths = new Map<number, Path2D>();
      for (let i = 0; i < ys.length; i++) {
        if (visible[i] !== 1 || (pass === 0) === (mask[i] === 1)) continue;
        const ux = sx.unit(xs[i]!);
        const uy = sy.unit(ys[i]!);
        if (Number.isNaN(ux) || Number.isNaN(uy)) continue;
        const offset = jitter ? (((i * 2654435761) % 1000) / 1000 - 0.5) * 2 * jitter : 0;
        const x = px(ux + offset);
        const y = py(uy);
        const colour = pass === 0 ? -1 : Math.max(0, buckets[i]!);
        let path = paths.get(colour);
        if (!path) paths.set(colour, (path = new Path2D()));
        if (radius === 2) path.rect(x - radius, y - radius, 2 * radius, 2 * radius);
        else {
          path.moveTo(x + radius, y);
          path.arc(x, y, radius, 0, Math.PI * 2);
        }
        if (pass === 1) this.points.push({ i, x, y });
      }
      ctx.globalAlpha = pass === 0 ? 0.35 : 0.9;
      for (const [colour, path] of [...paths].sort((a, b) => a[0] - b[0])) {
        ctx.fillStyle = colour < 0 ? style.faint : BUCKET_COLORS[colour]!;
        ctx.fill(path);
      }
    }
    ctx.globalAlpha = 1;
    const placed: LabelBox[] = [];
    best.forEach((i, rank) => {
      const p = this.points.find((q) => q.i === i);
      if (!p) return;
      ctx.strokeStyle = "#ff4081";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 6.5, 0, Math.PI * 2);
      ctx.stroke();
      const text = String(rank + 1);
      const box = placeLabel(p.x, p.y, ctx.measureText(text).width, placed);
      if (box === null) return; // the ring stays; its number would cover another's
      placed.push(box);
      ctx.fillStyle = style.fg;
      ctx.fillText(text, box.x, box.y + box.h / 2); // textBaseline is "middle" here
    });
    ctx.lineWidth = 1;
  }
}

/** A label's box on the canvas: top-left corner, width and height in CSS pixels. */
export interface LabelBox { x: number; y: number; w: number; h: number }

const LABEL_HEIGHT = 10;

/**
 * Where the rank number of a ringed point at (x, y) goes: the first of four spots around
 * the ring (above right, below right, above left, below left) that overlaps no label
 * already placed, or null when all four do (close best runs: the ring is drawn, the
 * number is left out rather than drawn over another one).
 */
export function placeLabel(x: number, y: number, width: number, placed: readonly LabelBox[]): LabelBox | null {
  const spots: [number, number][] = [
    [x + 8, y - 6 - LABEL_HEIGHT / 2], [x + 8, y + 6 - LABEL_HEIGHT / 2],
    [x - 8 - width, y - 6 - LABEL_HEIGHT / 2], [x - 8 - width, y + 6 - LABEL_HEIGHT / 2],
  ];
  for (const [left, top] of spots) {
    const box = { x: left, y: top, w: width, h: LABEL_HEIGHT };
    const hit = placed.some((o) => box.x < o.x + o.w + 2 && o.x < box.x + box.w + 2
      && box.y < o.y + o.h && o.y < box.y + box.h);
    if (!hit) return box;
  }
  return null;
}
