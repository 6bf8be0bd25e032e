/**
 * nbviz Distributions panel — TensorBoard's percentile bands over steps
 * (min, 7 %, 16 %, 31 %, 50 %, 69 %, 84 %, 93 %, max), one chart per tag
 * (docs/wire.md, "Distributions"). Rows: step, wall_time, p[9].
 */
import type { AnyModel } from "@anywidget/types";
import { paletteColor, withAlpha } from "../../lib/colors";
import { fmtStep, fmtTick, fmtValue } from "../../lib/format";
import { nearestIndex } from "../../lib/nearest";
import type { Theme } from "../../lib/theme";
import { niceTicks, tickStyle } from "../histograms/geometry";
import { RecordPanelView, type ChartRenderer, type RecordModel } from "../histograms/record_panel";
import type { HistSeries } from "../histograms/rows";
import { definePanel, type PanelView } from "../../lib/panel";
import histCss from "../histograms/histograms.css";

export interface DistributionsModel extends RecordModel {
  basis_points: number[];
}

const PAD = { left: 44, right: 8, top: 6, bottom: 18 };
const BAND_ALPHA = [0.16, 0.26, 0.38, 0.5];

export interface BandFrame {
  steps: Float64Array;
  lo: number;
  hi: number;
  x0: number;
  x1: number;
}

/** Steps and value extent of a series (pure; tested). */
export function bandFrame(s: HistSeries, stride: number): BandFrame | null {
  if (s.length === 0 || stride < 11) return null;
  const steps = new Float64Array(s.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < s.length; i++) {
    const r = s.data.subarray(i * stride, (i + 1) * stride);
    steps[i] = r[0]!;
    for (let p = 2; p < 11; p++) {
      const v = r[p]!;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!(hi >= lo)) return null;
  if (hi === lo) {
    const pad = Math.abs(lo) * 0.05 || 0.05;
    lo -= pad;
    hi += pad;
  }
  const x0 = steps[0]!;
  const x1 = steps[steps.length - 1]!;
  return { steps, lo, hi, x0, x1: x1 > x0 ? x1 : x0 + 1 };
}

export class BandRenderer implements ChartRenderer {
  constructor(private readonly stride: () => number, private readonly labels: () => number[]) {}

  private px(f: BandFrame, w: number, h: number) {
    const W = Math.max(10, w - PAD.left - PAD.right);
    const H = Math.max(10, h - PAD.top - PAD.bottom);
    return {
      x: (step: number) => PAD.left + ((step - f.x0) / (f.x1 - f.x0)) * W,
      y: (v: number) => PAD.top + (1 - (v - f.lo) / (f.hi - f.lo)) * H,
      W,
      H,
    };
  }

  draw(ctx: CanvasRenderingContext2D, s: HistSeries, w: number, h: number, theme: Theme, hover: { x: number; y: number } | null): void {
    const stride = this.stride();
    const f = bandFrame(s, stride);
    if (!f) return;
    const { x, y, W, H } = this.px(f, w, h);
    tickStyle(ctx, theme, "right", "middle");
    for (const t of niceTicks(f.lo, f.hi, Math.max(2, Math.floor(H / 40)))) {
      const yy = Math.round(y(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(PAD.left, yy);
      ctx.lineTo(PAD.left + W, yy);
      ctx.stroke();
      ctx.fillText(fmtTick(t), PAD.left - 4, yy);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(f.x0, f.x1, Math.max(2, Math.floor(W / 80)))) {
      ctx.fillText(fmtTick(t), x(t), PAD.top + H + 3);
    }
    const color = paletteColor(s.info.color);
    const n = s.length;
    const at = (i: number, p: number) => s.data[i * stride + 2 + p]!;
    for (let band = 0; band < 4; band++) {
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const xx = x(f.steps[i]!);
        const yy = y(at(i, 8 - band));
        if (i === 0) ctx.moveTo(xx, yy);
        else ctx.lineTo(xx, yy);
      }
      for (let i = n - 1; i >= 0; i--) ctx.lineTo(x(f.steps[i]!), y(at(i, band)));
      ctx.closePath();
      ctx.fillStyle = withAlpha(color, BAND_ALPHA[band]!);
      ctx.fill();
    }
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const xx = x(f.steps[i]!);
      const yy = y(at(i, 4));
      if (i === 0) ctx.moveTo(xx, yy);
      else ctx.lineTo(xx, yy);
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    if (n === 1) {
      ctx.fillStyle = color;
      ctx.fillRect(x(f.steps[0]!) - 2, y(at(0, 8)), 4, Math.max(2, y(at(0, 0)) - y(at(0, 8))));
    }
    if (hover) {
      const i = this.index(f, w, h, hover.x);
      if (i >= 0) {
        const xx = Math.round(x(f.steps[i]!)) + 0.5;
        ctx.strokeStyle = theme.foreground;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(xx, PAD.top);
        ctx.lineTo(xx, PAD.top + H);
        ctx.stroke();
      }
    }
  }

  private index(f: BandFrame, w: number, h: number, px: number): number {
    const W = Math.max(10, w - PAD.left - PAD.right);
    const step = f.x0 + ((px - PAD.left) / W) * (f.x1 - f.x0);
    return nearestIndex(f.steps, step);
  }

  describe(s: HistSeries, w: number, h: number, px: number): string | null {
    const stride = this.stride();
    const f = bandFrame(s, stride);
    if (!f) return null;
    const i = this.index(f, w, h, px);
    if (i < 0) return null;
    const labels = this.labels();
    const lines = [`step ${fmtStep(f.steps[i]!)}`];
    for (let p = 8; p >= 0; p--) {
      const bp = labels[p] ?? 0;
      const name = bp === 0 ? "min" : bp === 10000 ? "max" : `${Math.round(bp / 100)}%`;
      lines.push(`${name.padStart(4)}  ${fmtValue(s.data[i * stride + 2 + p]!)}`);
    }
    return lines.join("\n");
  }
}

function mount(m: AnyModel<DistributionsModel>, el: HTMLElement): PanelView {
  const renderer = new BandRenderer(
    () => Number(m.get("stride")),
    () => m.get("basis_points") ?? [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000],
  );
  const view = new RecordPanelView<DistributionsModel>(m, el, "nbviz-distributions", "nbviz-dist-chart", renderer, 190, () => undefined);
  return view;
}

export default definePanel<DistributionsModel>({ name: "hist", css: [histCss], view: mount });
