/**
 * One tag of the PR curves panel: chart, legend with AP / AUC, confusion
 * matrix at the hovered or pinned threshold, hover readout, step slider + play.
 */
import { paletteColor } from "../../lib/colors";
import { fmtCount, fmtStep, fmtValue } from "../../lib/format";
import { PrChart, type Baseline, type DrawCurve, type Hit, type Marker, type ThemeBox } from "./chart";
import { curveAtStep, seriesLabel, type Curve, type SeriesData, type TagData } from "./data";
import {
  bestF1,
  curveMetric,
  curvePoints,
  f1At,
  f1FromRates,
  fprAt,
  overlayAlpha,
  positiveRate,
  thresholdAt,
  tprAt,
  type View,
} from "./metrics";
import { el } from "../../lib/dom";

export const OVERLAY_MAX = 12;
export const PLAY_INTERVAL_MS = 700;
const RUN_DASHES: number[][] = [[], [7, 4], [2, 3], [9, 3, 2, 3]];

export interface CardParams {
  view: View;
  overlay: boolean;
  hiddenRuns: Set<string>;
  hiddenSeries: Set<string>;
  /** toggle a series (class) or a run from the legend */
  toggle: (s: SeriesData) => void;
}

function fmtCountish(v: number): string {
  return Number.isInteger(v) ? fmtCount(v) : fmtValue(v);
}

function fmtRate(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : "–";
}

interface Target {
  key: string;
  index: number;
}

export class PrCard {
  readonly el: HTMLDivElement;
  readonly tag: string;
  private readonly theme: ThemeBox;
  private readonly chart: PrChart;
  private readonly stepLabel: HTMLSpanElement;
  private readonly legendEl: HTMLDivElement;
  private readonly matrixEl: HTMLDivElement;
  private readonly noteEl: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly playBtn: HTMLButtonElement;
  private readonly stepText: HTMLSpanElement;
  private data: TagData | null = null;
  private params: CardParams | null = null;
  private stepIndex = 0;
  /** the slider follows the latest step as new steps arrive */
  private follow = true;
  private playTimer: ReturnType<typeof setInterval> | null = null;
  private pinned: Target | null = null;
  private hover: Hit | null = null;
  /** series drawn at the selected step, by key */
  private primary = new Map<string, { s: SeriesData; c: Curve; color: string }>();

  constructor(tag: string, theme: ThemeBox) {
    this.tag = tag;
    this.theme = theme;
    this.el = el("div", "nbviz-pr-card");
    this.el.dataset.tag = tag;
    const head = el("div", "nbviz-pr-card-head");
    const title = el("span", "nbviz-pr-card-title", tag);
    title.title = tag;
    this.stepLabel = el("span", "nbviz-pr-step-badge");
    head.append(title, this.stepLabel);

    const body = el("div", "nbviz-pr-body");
    this.chart = new PrChart(theme);
    const side = el("div", "nbviz-pr-side");
    this.legendEl = el("div", "nbviz-pr-legend");
    this.matrixEl = el("div", "nbviz-pr-matrix");
    this.noteEl = el("div", "nbviz-pr-note");
    side.append(this.legendEl, this.matrixEl, this.noteEl);
    const plotWrap = el("div", "nbviz-pr-plot-wrap");
    plotWrap.append(this.chart.el);
    body.append(plotWrap, side);

    const foot = el("div", "nbviz-pr-foot");
    this.playBtn = el("button", "nbviz-pr-play", "▶");
    this.playBtn.type = "button";
    this.playBtn.title = "Play through the steps";
    this.playBtn.setAttribute("aria-label", "Play through the steps");
    this.slider = el("input", "nbviz-pr-step");
    Object.assign(this.slider, { type: "range", min: "0", max: "0", step: "1", value: "0" });
    this.slider.setAttribute("aria-label", `Step of ${tag}`);
    this.stepText = el("span", "nbviz-pr-step-text");
    foot.append(this.playBtn, this.slider, this.stepText);

    this.tooltip = el("div", "nbviz-pr-tooltip");
    this.tooltip.hidden = true;
    this.el.append(head, body, foot, this.tooltip);

    this.slider.addEventListener("input", () => {
      this.stopPlay();
      this.setStepIndex(parseInt(this.slider.value, 10));
    });
    this.playBtn.addEventListener("click", () => (this.playTimer ? this.stopPlay() : this.startPlay()));
    this.chart.onHover = (hit) => {
      this.hover = hit;
      this.renderHover();
    };
    this.chart.onPick = (hit) => {
      const same = hit && this.pinned && this.pinned.key === hit.key && this.pinned.index === hit.index;
      this.pinned = hit && !same ? { key: hit.key, index: hit.index } : null;
      this.renderHover();
    };
  }

  destroy(): void {
    this.stopPlay();
    this.chart.destroy();
    this.el.remove();
  }

  /** Steps of the tag shown in the slider. */
  get steps(): number[] {
    return this.data?.steps ?? [];
  }

  get selectedStep(): number | null {
    const s = this.steps;
    return s.length ? s[Math.min(this.stepIndex, s.length - 1)]! : null;
  }

  update(data: TagData, params: CardParams): void {
    const prevStep = this.selectedStep;
    this.data = data;
    this.params = params;
    const n = data.steps.length;
    if (this.follow || prevStep === null) this.stepIndex = Math.max(0, n - 1);
    else {
      // keep the same step selected when steps are added or thinned out
      let k = data.steps.findIndex((st) => st >= prevStep);
      if (k < 0) k = n - 1;
      this.stepIndex = k;
    }
    this.render();
  }

  private setStepIndex(k: number): void {
    const n = this.steps.length;
    if (n === 0) return;
    this.stepIndex = Math.max(0, Math.min(n - 1, Number.isFinite(k) ? k : n - 1));
    this.follow = this.stepIndex === n - 1;
    this.render();
  }

  private startPlay(): void {
    const n = this.steps.length;
    if (n < 2) return;
    if (this.stepIndex >= n - 1) this.setStepIndex(0);
    this.playBtn.textContent = "❚❚";
    this.playBtn.classList.add("nbviz-on");
    this.playTimer = setInterval(() => {
      const last = this.steps.length - 1;
      if (this.stepIndex >= last) {
        this.stopPlay();
        return;
      }
      this.setStepIndex(this.stepIndex + 1);
      if (this.stepIndex >= last) this.stopPlay();
    }, PLAY_INTERVAL_MS);
  }

  private stopPlay(): void {
    if (this.playTimer !== null) clearInterval(this.playTimer);
    this.playTimer = null;
    this.playBtn.textContent = "▶";
    this.playBtn.classList.remove("nbviz-on");
  }

  private colorOf(s: SeriesData): string {
    return s.color >= 0 ? paletteColor(s.color) : this.theme.current.foreground;
  }

  private dashOf(s: SeriesData, data: TagData): number[] {
    if (s.kind === "macro") return [8, 4];
    if (s.kind === "micro") return [2, 3];
    if (s.kind === "binary") return [];
    return RUN_DASHES[data.runs.indexOf(s.run) % RUN_DASHES.length] ?? [];
  }

  private visible(s: SeriesData, p: CardParams): boolean {
    return !p.hiddenRuns.has(s.run) && !(s.series !== "" && p.hiddenSeries.has(s.series));
  }

  /** Redraw the chart, legend, slider and matrix for the selected step. */
  render(): void {
    const data = this.data;
    const p = this.params;
    if (!data || !p) return;
    const steps = data.steps;
    const step = this.selectedStep;
    const n = steps.length;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(this.stepIndex);
    this.slider.disabled = n < 2;
    this.playBtn.disabled = n < 2;
    this.stepText.textContent = step === null ? "" : `step ${fmtStep(step)} (${this.stepIndex + 1}/${n})`;
    this.stepLabel.textContent = step === null ? "" : `step ${fmtStep(step)}`;
    this.el.dataset.step = step === null ? "" : String(step);
    this.el.dataset.steps = String(n);

    const multiRun = data.runs.length > 1;
    const curves: DrawCurve[] = [];
    const baselines: Baseline[] = [];
    this.primary.clear();
    if (step !== null) {
      for (const s of data.series) {
        if (!this.visible(s, p)) continue;
        const c = curveAtStep(s, step);
        if (!c) continue;
        const color = this.colorOf(s);
        const dash = this.dashOf(s, data);
        if (p.overlay) {
          const older = s.steps.filter((st) => st < c.info.step).slice(-(OVERLAY_MAX - 1));
          older.forEach((st, rank) => {
            const oc = s.byStep.get(st);
            if (!oc) return;
            curves.push({
              points: curvePoints(oc, p.view),
              color,
              alpha: overlayAlpha(rank, older.length + 1),
              width: 1.3,
              dash,
              primary: false,
              key: s.key,
            });
          });
        }
        curves.push({ points: curvePoints(c, p.view), color, alpha: 1, width: s.kind === "class" || s.kind === "binary" ? 2 : 1.8, dash, primary: true, key: s.key });
        this.primary.set(s.key, { s, c, color });
      }
      if (p.view === "pr") {
        const few = this.primary.size <= 3;
        const seen = new Set<string>();
        for (const { s, c, color } of this.primary.values()) {
          if (!few && s.kind !== "binary" && s.kind !== "micro") continue;
          const rate = positiveRate(c);
          if (rate === null) continue;
          const k = `${rate.toFixed(4)}|${color}`;
          if (seen.has(k)) continue;
          seen.add(k);
          baselines.push({ y: rate, color });
        }
      }
    }
    this.el.dataset.curves = String(this.primary.size);
    this.chart.update(p.view, curves, baselines);
    this.renderLegend(data, p, step, multiRun);
    if (this.pinned && !this.primary.has(this.pinned.key)) this.pinned = null;
    if (this.hover && !this.primary.has(this.hover.key)) this.hover = null;
    this.renderHover();
  }

  private renderLegend(data: TagData, p: CardParams, step: number | null, multiRun: boolean): void {
    this.legendEl.textContent = "";
    const metricName = p.view === "pr" ? "AP" : "AUC";
    for (const s of data.series) {
      const on = this.visible(s, p);
      const c = step === null ? null : curveAtStep(s, step);
      const row = el("button", "nbviz-pr-legend-row");
      row.type = "button";
      row.dataset.key = s.key;
      row.dataset.series = s.series;
      row.dataset.run = s.run;
      row.classList.toggle("nbviz-off", !on);
      row.setAttribute("aria-pressed", String(on));
      const sw = el("span", "nbviz-pr-swatch");
      const color = this.colorOf(s);
      const dash = this.dashOf(s, data);
      sw.style.borderTopColor = color;
      sw.style.borderTopStyle = dash.length === 0 ? "solid" : dash[0]! <= 2 ? "dotted" : "dashed";
      const label = el("span", "nbviz-pr-legend-label", seriesLabel(s, multiRun));
      const metric = c ? curveMetric(c, p.view) : null;
      const value = el("span", "nbviz-pr-legend-metric", metric === null ? "" : `${metricName} ${metric.toFixed(3)}`);
      if (c) {
        const how =
          c.info.exact === true
            ? "exact, from the unbinned predictions"
            : c.info.exact === false
              ? "from a fine histogram of the predictions"
              : `from the ${c.info.num_thresholds} stored thresholds`;
        const macro = c.info.kind === "macro" ? " (mean of the per-class values)" : "";
        row.title = `${seriesLabel(s, true)} at step ${fmtStep(c.info.step)}: ${metricName}${macro} ${how}. Click to ${on ? "hide" : "show"}.`;
      } else {
        row.title = `${seriesLabel(s, true)}: no curve at or before this step`;
        row.classList.add("nbviz-missing");
      }
      row.append(sw, label, value);
      row.addEventListener("click", () => p.toggle(s));
      this.legendEl.appendChild(row);
    }
  }

  /** The (series, threshold) the matrix shows: pinned, else hovered, else best F1 of the first curve. */
  private target(): { entry: { s: SeriesData; c: Curve; color: string }; index: number; mode: "pinned" | "hover" | "best" } | null {
    const pick = (t: Target | null) => {
      if (!t) return null;
      const entry = this.primary.get(t.key);
      if (!entry) return null;
      return { entry, index: Math.min(t.index, entry.c.tp.length - 1) };
    };
    const pinned = pick(this.pinned);
    if (pinned) return { ...pinned, mode: "pinned" };
    const hover = pick(this.hover);
    if (hover) return { ...hover, mode: "hover" };
    for (const entry of this.primary.values()) {
      const b = bestF1(entry.c);
      if (b) return { entry, index: b.index, mode: "best" };
    }
    return null;
  }

  private renderHover(): void {
    const markers: Marker[] = [];
    const view = this.params?.view ?? "pr";
    const multiRun = (this.data?.runs.length ?? 0) > 1;
    const add = (t: Target | null, pinned: boolean) => {
      if (!t) return;
      const e = this.primary.get(t.key);
      if (!e) return;
      const i = Math.min(t.index, e.c.tp.length - 1);
      const x = view === "pr" ? e.c.recall[i]! : fprAt(e.c, i);
      const y = view === "pr" ? e.c.precision[i]! : tprAt(e.c, i);
      if (Number.isFinite(x) && Number.isFinite(y)) markers.push({ x, y, color: e.color, pinned });
    };
    add(this.pinned, true);
    if (this.hover && !(this.pinned && this.pinned.key === this.hover.key && this.pinned.index === this.hover.index)) {
      add(this.hover, false);
    }
    this.chart.setMarkers(markers);
    this.renderTooltip(view, multiRun);
    this.renderMatrix(multiRun);
  }

  private renderTooltip(view: View, multiRun: boolean): void {
    const h = this.hover;
    const e = h ? this.primary.get(h.key) : undefined;
    const tip = this.tooltip;
    if (!h || !e) {
      tip.hidden = true;
      return;
    }
    const c = e.c;
    const i = Math.min(h.index, c.tp.length - 1);
    tip.textContent = "";
    const head = el("div", "nbviz-pr-tt-head");
    const sw = el("span", "nbviz-pr-dot");
    sw.style.background = e.color;
    head.append(sw, el("span", undefined, `${seriesLabel(e.s, multiRun)} · step ${fmtStep(c.info.step)}`));
    const table = el("table");
    const row = (k: string, v: string) => {
      const tr = el("tr");
      tr.append(el("th", undefined, k), el("td", undefined, v));
      table.appendChild(tr);
    };
    row("Threshold", thresholdAt(i, c.tp.length).toFixed(3));
    row("Precision", fmtRate(c.precision[i]!));
    row("Recall", fmtRate(c.recall[i]!));
    row("F1", fmtRate(c.info.kind === "macro" ? f1FromRates(c, i) : f1At(c, i)));
    if (view === "roc") row("FPR", fmtRate(fprAt(c, i)));
    row("TP / FP", `${fmtCountish(c.tp[i]!)} / ${fmtCountish(c.fp[i]!)}`);
    row("TN / FN", `${fmtCountish(c.tn[i]!)} / ${fmtCountish(c.fn[i]!)}`);
    const hint = el("div", "nbviz-pr-tt-hint", this.pinned && this.pinned.key === h.key && this.pinned.index === h.index ? "click to unpin" : "click to pin");
    tip.append(head, table, hint);
    tip.hidden = false;
    // place next to the pointer, inside the card
    const plotRect = this.chart.el.getBoundingClientRect();
    const cardRect = this.el.getBoundingClientRect();
    const cx = plotRect.left - cardRect.left + h.px;
    const cy = plotRect.top - cardRect.top + h.py;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let tx = cx + 14;
    if (tx + tw > cardRect.width - 4) tx = Math.max(4, cx - tw - 14);
    let ty = cy + 14;
    if (ty + th > cardRect.height - 4) ty = Math.max(4, cy - th - 14);
    tip.style.transform = `translate(${Math.round(tx)}px, ${Math.round(ty)}px)`;
  }

  private renderMatrix(multiRun: boolean): void {
    const m = this.matrixEl;
    m.textContent = "";
    const t = this.target();
    this.el.dataset.pinned = this.pinned ? `${this.pinned.key}|${this.pinned.index}` : "";
    if (!t) {
      this.el.dataset.threshold = "";
      m.appendChild(el("div", "nbviz-pr-matrix-empty", "No curve at this step"));
      this.noteEl.textContent = "";
      return;
    }
    const { entry, index: i, mode } = t;
    const c = entry.c;
    const thr = thresholdAt(i, c.tp.length);
    this.el.dataset.threshold = thr.toFixed(6);
    m.dataset.mode = mode;
    const head = el("div", "nbviz-pr-matrix-head");
    const sw = el("span", "nbviz-pr-dot");
    sw.style.background = entry.color;
    const what = mode === "pinned" ? "pinned" : mode === "hover" ? "hovered" : "best F1";
    const titleEl = el("span", "nbviz-pr-matrix-title", seriesLabel(entry.s, multiRun));
    titleEl.title = `${seriesLabel(entry.s, true)} at step ${fmtStep(c.info.step)}, threshold ${thr.toFixed(4)}`;
    head.append(sw, titleEl);
    const badge = el("span", `nbviz-pr-badge nbviz-pr-badge-${mode}`, what);
    if (mode === "pinned") {
      badge.title = "Click the point again (or empty chart space) to unpin";
    }
    head.appendChild(badge);
    const thrEl = el("div", "nbviz-pr-matrix-threshold");
    thrEl.append(el("span", "nbviz-pr-rate-name", "threshold"), el("span", "nbviz-pr-threshold-value", thr.toFixed(3)));
    const tp = c.tp[i]!;
    const fp = c.fp[i]!;
    const tn = c.tn[i]!;
    const fn = c.fn[i]!;
    const pos = tp + fn;
    const neg = fp + tn;
    const table = el("table", "nbviz-pr-cm");
    const hr = el("tr");
    hr.append(el("th"), el("th", undefined, "pred +"), el("th", undefined, "pred −"));
    const cell = (name: string, v: number, total: number, good: boolean) => {
      const td = el("td", `nbviz-pr-cell ${good ? "nbviz-good" : "nbviz-bad"}`);
      td.dataset.cell = name;
      td.dataset.value = String(v);
      const frac = total > 0 ? v / total : 0;
      td.style.setProperty("--frac", frac.toFixed(3));
      td.append(el("span", "nbviz-pr-cell-name", name.toUpperCase()), el("span", "nbviz-pr-cell-value", fmtCountish(v)));
      td.title = `${name.toUpperCase()} ${fmtCountish(v)} (${(100 * frac).toFixed(1)}% of actual ${name === "tp" || name === "fn" ? "positives" : "negatives"})`;
      return td;
    };
    const r1 = el("tr");
    r1.append(el("th", undefined, "actual +"), cell("tp", tp, pos, true), cell("fn", fn, pos, false));
    const r2 = el("tr");
    r2.append(el("th", undefined, "actual −"), cell("fp", fp, neg, false), cell("tn", tn, neg, true));
    table.append(hr, r1, r2);
    const rates = el("div", "nbviz-pr-rates");
    const f1 = c.info.kind === "macro" ? f1FromRates(c, i) : f1At(c, i);
    for (const [k, v] of [
      ["P", c.precision[i]!],
      ["R", c.recall[i]!],
      ["F1", f1],
      ["FPR", fprAt(c, i)],
    ] as const) {
      const span = el("span", "nbviz-pr-rate");
      span.dataset.rate = k.toLowerCase();
      span.append(el("span", "nbviz-pr-rate-name", k), el("span", "nbviz-pr-rate-value", fmtRate(v)));
      rates.appendChild(span);
    }
    m.append(head, thrEl, table, rates);
    const best = bestF1(c);
    const notes: string[] = [];
    if (best) notes.push(`best F1 ${best.f1.toFixed(3)} at ${thresholdAt(best.index, c.tp.length).toFixed(3)}`);
    if (c.info.kind === "macro") notes.push("counts summed over classes");
    if (mode !== "pinned") notes.push("hover a curve, click to pin a threshold");
    this.noteEl.textContent = notes.join(" · ");
  }
}
