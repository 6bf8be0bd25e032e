/**
 * nbviz Histograms panel — TensorBoard-style ridgelines (steps stacked in depth,
 * newest in front) or overlaid histograms, one chart per tag (docs/wire.md,
 * "Histograms"). Rows: step, wall_time, low, high, count[bins].
 */
import type { AnyModel } from "@anywidget/types";
import { fmtCount, fmtStep, fmtTick, fmtValue } from "../../lib/format";
import type { Theme } from "../../lib/theme";
import { segmented } from "../../lib/dom";
import { ageColor, baseline, binAt, niceTicks, ridgeAt, ridgeLayout, tickStyle, xOf, type RidgeLayout } from "./geometry";
import { RecordPanelView, type ChartRenderer, type RecordModel } from "./record_panel";
import { sampleIndices, type HistSeries } from "./rows";
import { definePanel, type PanelView } from "../../lib/panel";
import histCss from "./histograms.css";

export interface HistogramsModel extends RecordModel {
  bins: number;
  mode: "offset" | "overlay";
}

/** At most this many ridges are drawn per chart (evenly spaced steps, newest kept). */
export const MAX_RIDGES = 40;
const PAD = { left: 6, right: 46, top: 6, bottom: 18 };

interface Frame {
  layout: RidgeLayout;
  rows: number[];
  lo: number;
  hi: number;
  /** largest bucket count of the drawn rows: heights are count / peak (TensorBoard-like) */
  peakCount: number;
  bins: number;
}

export class RidgeRenderer implements ChartRenderer {
  constructor(private readonly stride: () => number, private readonly mode: () => "offset" | "overlay") {}

  frame(s: HistSeries, w: number, h: number): Frame | null {
    const stride = this.stride();
    const bins = stride - 4;
    if (bins < 1 || s.length === 0) return null;
    const rows = sampleIndices(s.length, MAX_RIDGES);
    let lo = Infinity;
    let hi = -Infinity;
    let peak = 0;
    for (const i of rows) {
      const r = s.data.subarray(i * stride, (i + 1) * stride);
      const low = r[2]!;
      const high = r[3]!;
      if (low < lo) lo = low;
      if (high > hi) hi = high;
      for (let b = 0; b < bins; b++) peak = Math.max(peak, r[4 + b]!);
    }
    if (!(hi > lo)) {
      const pad = Math.abs(lo) * 1e-3 || 1e-3;
      lo -= pad;
      hi += pad;
    }
    const layout = ridgeLayout(PAD.left, PAD.top, Math.max(10, w - PAD.left - PAD.right), Math.max(10, h - PAD.top - PAD.bottom), rows.length, this.mode() === "overlay");
    return { layout, rows, lo, hi, peakCount: peak || 1, bins };
  }

  draw(ctx: CanvasRenderingContext2D, s: HistSeries, w: number, h: number, theme: Theme, hover: { x: number; y: number } | null): void {
    const f = this.frame(s, w, h);
    if (!f) return;
    const stride = this.stride();
    const { layout: L, rows, lo, hi, bins } = f;
    const hot = hover ? this.hit(f, s, hover.x, hover.y) : null;
    // x axis
    tickStyle(ctx, theme, "center", "top");
    for (const t of niceTicks(lo, hi, Math.max(2, Math.floor(L.width / 70)))) {
      const x = xOf(L, lo, hi, t);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, L.top);
      ctx.lineTo(x + 0.5, L.top + L.height);
      ctx.stroke();
      ctx.fillText(fmtTick(t), x, L.top + L.height + 3);
    }
    const n = rows.length;
    for (let k = 0; k < n; k++) {
      const i = rows[k]!;
      const r = s.data.subarray(i * stride, (i + 1) * stride);
      const low = r[2]!;
      const high = r[3]!;
      const width = (high - low) / bins || 1;
      const base = L.overlay ? L.top + L.height : baseline(L, k);
      const age = n > 1 ? k / (n - 1) : 1;
      const scale = L.peak / f.peakCount;
      ctx.beginPath();
      ctx.moveTo(xOf(L, lo, hi, low), base);
      for (let b = 0; b < bins; b++) {
        const y = base - r[4 + b]! * scale;
        const x0 = xOf(L, lo, hi, low + b * width);
        const x1 = xOf(L, lo, hi, low + (b + 1) * width);
        ctx.lineTo(x0, y);
        ctx.lineTo(x1, y);
      }
      ctx.lineTo(xOf(L, lo, hi, high), base);
      const isHot = hot !== null && hot.k === k;
      if (!L.overlay) {
        // Opaque underlay first: ridges in front hide the ones behind (TensorBoard's look).
        ctx.fillStyle = theme.background;
        ctx.fill();
        ctx.fillStyle = ageColor(age, theme.dark ? 0.62 : 0.5);
        ctx.fill();
      }
      ctx.strokeStyle = isHot ? theme.foreground : ageColor(age, L.overlay ? 0.25 + 0.75 * age : 1);
      ctx.lineWidth = isHot ? 1.6 : L.overlay ? 1 : 0.8;
      ctx.stroke();
    }
    // step labels on the right (offset mode): oldest, middle, newest
    ctx.fillStyle = theme.muted;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    const labelled = L.overlay ? [n - 1] : [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
    for (const k of labelled) {
      const r = s.data.subarray(rows[k]! * stride, (rows[k]! + 1) * stride);
      const y = L.overlay ? L.top + 6 : baseline(L, k);
      ctx.fillText(fmtStep(r[0]!), L.left + L.width + 4, y);
    }
    if (hot) {
      const r = s.data.subarray(rows[hot.k]! * stride, (rows[hot.k]! + 1) * stride);
      const width = (r[3]! - r[2]!) / bins;
      const x0 = xOf(L, lo, hi, r[2]! + hot.bin * width);
      const x1 = xOf(L, lo, hi, r[2]! + (hot.bin + 1) * width);
      ctx.fillStyle = theme.dark ? "rgba(255,255,255,0.18)" : "rgba(0,0,0,0.12)";
      ctx.fillRect(x0, L.top, Math.max(1, x1 - x0), L.height);
    }
  }

  private hit(f: Frame, s: HistSeries, x: number, y: number): { k: number; bin: number } | null {
    const stride = this.stride();
    const k = ridgeAt(f.layout, y);
    if (k < 0) return null;
    const i = f.rows[k]!;
    const r = s.data.subarray(i * stride, (i + 1) * stride);
    const span = f.hi - f.lo || 1;
    const v = f.lo + ((x - f.layout.left) / f.layout.width) * span;
    const bin = binAt(r[2]!, r[3]!, f.bins, v);
    return bin < 0 ? null : { k, bin };
  }

  describe(s: HistSeries, w: number, h: number, x: number, y: number): string | null {
    const f = this.frame(s, w, h);
    if (!f) return null;
    const hot = this.hit(f, s, x, y);
    if (!hot) return null;
    const stride = this.stride();
    const r = s.data.subarray(f.rows[hot.k]! * stride, (f.rows[hot.k]! + 1) * stride);
    const width = (r[3]! - r[2]!) / f.bins;
    const a = r[2]! + hot.bin * width;
    const b = a + width;
    return `step ${fmtStep(r[0]!)}\n[${fmtValue(a)}, ${fmtValue(b)})\ncount ${fmtCount(Math.round(r[4 + hot.bin]! * 100) / 100)}`;
  }
}

function mount(m: AnyModel<HistogramsModel>, el: HTMLElement): PanelView {
  const renderer = new RidgeRenderer(
    () => Number(m.get("stride")),
    () => (m.get("mode") === "overlay" ? "overlay" : "offset"),
  );
  const view = new RecordPanelView<HistogramsModel>(m, el, "nbviz-histograms", "nbviz-hist-chart", renderer, 210, (toolbar, redraw) => {
    const toggle = segmented(
      "nbviz-hist-mode",
      [
        { value: "offset", label: "offset" },
        { value: "overlay", label: "overlay" },
      ],
      m.get("mode"),
      (v) => {
        m.set("mode", v as HistogramsModel["mode"]);
        m.save_changes();
        toggle.set(v);
        redraw();
      },
    );
    for (const b of toggle.root.querySelectorAll("button")) b.dataset.mode = b.dataset.value ?? "";
    m.on("change:mode", () => {
      toggle.set(m.get("mode"));
      redraw();
    });
    toolbar.appendChild(toggle.root);
  });
  return view;
}

export default definePanel<HistogramsModel>({ name: "hist", css: [histCss], view: mount });
