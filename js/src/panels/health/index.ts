/**
 * nbviz Health panel — a layer × step heat map of one statistic (gradient norm,
 * update ratio, % dead units, activation std), health findings as badges on the
 * affected layers and as a list (docs/wire.md, "Health").
 * Buffer: steps[S], then per statistic a row-major [layers, S] float64 matrix.
 */
import type { AnyModel } from "@anywidget/types";
import { fmtStep, fmtValue } from "../../lib/format";
import { onThemeChange, type Theme } from "../../lib/theme";
import { Float64Reader, type BufferLike } from "../../lib/buffer";
import { el, fillSelect, frameScheduler, releaseView, sizeCanvas, Tooltip } from "../../lib/dom";
import { applyTheme } from "../histograms/style";
import { extent, magma, normalise } from "../histograms/geometry";
import { definePanel, type PanelView } from "../../lib/panel";
import histCss from "../histograms/histograms.css";

export interface Finding {
  step: number;
  layer: string;
  rule: string;
  severity: string;
  message: string;
  param: string;
}

export interface HealthModel {
  layers: string[];
  statistics: string[];
  statistic: string;
  step_count: number;
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
  findings: Finding[];
  run_name: string;
  max_steps: number;
  title: string;
}

export const STAT_LABELS: Record<string, string> = {
  grad_norm: "gradient norm",
  update_ratio: "update ratio ‖Δw‖/‖w‖",
  dead_frac: "dead units (fraction)",
  act_std: "activation std",
};
const LOG_SCALE = new Set(["grad_norm", "update_ratio", "act_std"]);
const ROW = 18;

export interface HeatData {
  steps: Float64Array;
  matrices: Float64Array[];
}

/** Decode the Health buffer (copies); null when it is too short for the announced shape. */
export function decodeHeat(buf: BufferLike | null | undefined, layers: number, steps: number, statistics: number): HeatData | null {
  const need = (steps + layers * steps * statistics) * 8;
  if (buf == null) return need === 0 ? { steps: new Float64Array(0), matrices: [] } : null;
  let reader: Float64Reader;
  try {
    reader = new Float64Reader(buf, true);
  } catch {
    return null; // not a buffer
  }
  if (reader.byteLength < need) return null;
  const all = reader.take(need / 8);
  const out: Float64Array[] = [];
  for (let k = 0; k < statistics; k++) out.push(all.subarray(steps + k * layers * steps, steps + (k + 1) * layers * steps));
  return { steps: all.subarray(0, steps), matrices: out };
}

/** Number of findings per layer and the worst severity. */
export function badges(findings: readonly Finding[]): Map<string, { count: number; severity: string; rules: string[] }> {
  const out = new Map<string, { count: number; severity: string; rules: string[] }>();
  for (const f of findings) {
    if (!f.layer) continue;
    const b = out.get(f.layer) ?? { count: 0, severity: "warning", rules: [] };
    b.count++;
    if (f.severity === "error") b.severity = "error";
    if (!b.rules.includes(f.rule)) b.rules.push(f.rule);
    out.set(f.layer, b);
  }
  return out;
}

class HealthView {
  private readonly root: HTMLDivElement;
  private readonly select: HTMLSelectElement;
  private readonly labels: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly legend: HTMLDivElement;
  private readonly legendCanvas: HTMLCanvasElement;
  private readonly legendLo: HTMLSpanElement;
  private readonly legendHi: HTMLSpanElement;
  private readonly list: HTMLDivElement;
  private readonly axis: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  private readonly title: HTMLSpanElement;
  private readonly tooltip: Tooltip;
  private data: HeatData | null = null;
  private seq = -Infinity;
  private theme: Theme;
  private hover: { x: number; y: number } | null = null;
  private readonly frame = frameScheduler(() => this.draw());
  private readonly offs: (() => void)[] = [];
  private readonly resize: ResizeObserver | null;

  constructor(private readonly model: AnyModel<HealthModel>, host: HTMLElement) {
    this.root = el("div", "nbviz-hpanel nbviz-health");
    host.appendChild(this.root);
    this.theme = applyTheme(this.root);
    const toolbar = el("div", "nbviz-htoolbar");
    this.title = el("span", "nbviz-htitle");
    toolbar.appendChild(this.title);
    this.select = el("select", "nbviz-health-stat");
    fillSelect(this.select, model.get("statistics") ?? Object.keys(STAT_LABELS), (name) => STAT_LABELS[name] ?? name);
    this.select.value = model.get("statistic");
    this.select.addEventListener("change", () => {
      model.set("statistic", this.select.value);
      model.save_changes();
      this.frame.request();
    });
    toolbar.appendChild(this.select);
    this.legend = el("div", "nbviz-hlegend");
    this.legendLo = el("span");
    this.legendCanvas = el("canvas");
    this.legendCanvas.style.width = "120px";
    this.legendHi = el("span");
    this.legend.append(this.legendLo, this.legendCanvas, this.legendHi);
    toolbar.appendChild(this.legend);
    this.root.appendChild(toolbar);
    const map = el("div", "nbviz-hmap nbviz-health-map");
    this.labels = el("div", "nbviz-hlabels");
    this.canvas = el("canvas");
    this.axis = el("div", "nbviz-haxis");
    map.append(this.labels, this.canvas, el("div"), this.axis);
    this.root.appendChild(map);
    this.empty = el("div", "nbviz-hempty", "No layer statistics yet: nbviz.watch(model, optimizer) records them on sampled steps.");
    this.root.appendChild(this.empty);
    this.list = el("div", "nbviz-hfindings");
    this.root.appendChild(this.list);
    this.tooltip = new Tooltip(this.root);

    const update = () => this.update();
    for (const ev of ["change:snapshot_seq", "change:snapshot", "change:findings", "change:layers", "change:title"]) {
      model.on(ev, update);
      this.offs.push(() => model.off(ev, update));
    }
    const restat = () => {
      this.select.value = model.get("statistic");
      this.frame.request();
    };
    model.on("change:statistic", restat);
    this.offs.push(() => model.off("change:statistic", restat));
    this.offs.push(
      onThemeChange(() => {
        this.theme = applyTheme(this.root);
        this.frame.request();
      }),
    );
    this.canvas.addEventListener("mousemove", (ev) => {
      const r = this.canvas.getBoundingClientRect();
      this.hover = { x: ev.clientX - r.left, y: ev.clientY - r.top };
      const text = this.describe(r.width);
      if (text) this.tooltip.show(text, ev.clientX, ev.clientY);
      else this.tooltip.hide();
      this.frame.request();
    });
    this.canvas.addEventListener("mouseleave", () => {
      this.hover = null;
      this.tooltip.hide();
      this.frame.request();
    });
    this.resize = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => this.frame.request()) : null;
    this.resize?.observe(this.root);
    this.update();
  }

  private update(): void {
    const m = this.model;
    this.title.textContent = m.get("title") || (m.get("run_name") ? `health · ${m.get("run_name")}` : "health");
    const seq = Number(m.get("snapshot_seq") ?? 0);
    if (seq > this.seq) {
      const decoded = decodeHeat(m.get("snapshot") as BufferLike | null, (m.get("layers") ?? []).length, Number(m.get("step_count") ?? 0), (m.get("statistics") ?? []).length);
      if (decoded) {
        this.data = decoded;
        this.seq = seq;
      }
    }
    const layers = m.get("layers") ?? [];
    const findings = m.get("findings") ?? [];
    const marks = badges(findings);
    this.labels.replaceChildren();
    for (const name of layers) {
      const row = el("div", "nbviz-hlabel");
      row.style.height = `${ROW}px`;
      row.dataset.layer = name;
      row.appendChild(el("span", "", name || "<model>"));
      const b = marks.get(name);
      if (b) {
        const badge = el("span", "nbviz-health-badge", String(b.count));
        badge.dataset.layer = name;
        badge.dataset.severity = b.severity;
        badge.title = b.rules.join(", ");
        row.appendChild(badge);
      }
      this.labels.appendChild(row);
    }
    this.list.replaceChildren();
    for (const f of findings) {
      const item = el("div", "nbviz-health-finding");
      item.dataset.severity = f.severity;
      item.dataset.rule = f.rule;
      item.dataset.layer = f.layer;
      item.appendChild(el("span", "nbviz-hsev", f.severity === "error" ? "✖ error" : "⚠ warning"));
      item.appendChild(el("span", "", `step ${fmtStep(f.step)} · ${f.rule} · ${f.message}`));
      this.list.appendChild(item);
    }
    const steps = this.data?.steps.length ?? 0;
    this.axis.replaceChildren();
    if (this.data && steps > 0) {
      const first = this.data.steps[0]!;
      const last = this.data.steps[steps - 1]!;
      this.axis.append(el("span", "", fmtStep(first)), el("span", "", "step"), el("span", "", steps > 1 ? fmtStep(last) : ""));
    }
    this.root.dataset.layers = String(layers.length);
    this.root.dataset.steps = String(steps);
    this.root.dataset.findings = String(findings.length);
    this.empty.style.display = layers.length && steps ? "none" : "block";
    this.frame.request();
  }

  private current(): { matrix: Float64Array; name: string } | null {
    if (!this.data) return null;
    const names = this.model.get("statistics") ?? [];
    const name = this.model.get("statistic");
    const k = names.indexOf(name);
    const matrix = this.data.matrices[k];
    return matrix ? { matrix, name } : null;
  }

  private cell(width: number): { row: number; col: number } | null {
    if (!this.hover || !this.data) return null;
    const S = this.data.steps.length;
    const L = (this.model.get("layers") ?? []).length;
    const col = Math.floor((this.hover.x / width) * S);
    const row = Math.floor(this.hover.y / ROW);
    return col >= 0 && col < S && row >= 0 && row < L ? { row, col } : null;
  }

  private describe(width: number): string | null {
    const cur = this.current();
    const c = this.cell(width);
    if (!cur || !c || !this.data) return null;
    const layers = this.model.get("layers") ?? [];
    const S = this.data.steps.length;
    const v = cur.matrix[c.row * S + c.col]!;
    return `${layers[c.row] || "<model>"}\nstep ${fmtStep(this.data.steps[c.col]!)}\n${STAT_LABELS[cur.name] ?? cur.name}: ${Number.isFinite(v) ? fmtValue(v) : "–"}`;
  }

  private draw(): void {
    const layers = this.model.get("layers") ?? [];
    const cur = this.current();
    const width = this.canvas.clientWidth || 400;
    const height = Math.max(ROW, layers.length * ROW);
    const ctx = sizeCanvas(this.canvas, width, height);
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    if (!cur || !this.data || this.data.steps.length === 0) return;
    const S = this.data.steps.length;
    const log = LOG_SCALE.has(cur.name);
    const range = cur.name === "dead_frac" ? ([0, 1] as [number, number]) : extent(cur.matrix, log);
    const cellW = width / S;
    for (let r = 0; r < layers.length; r++) {
      for (let c = 0; c < S; c++) {
        const v = cur.matrix[r * S + c]!;
        const t = range ? normalise(v, range[0], range[1], log) : NaN;
        if (Number.isNaN(t)) {
          ctx.fillStyle = this.theme.dark ? "rgba(255,255,255,0.04)" : "rgba(0,0,0,0.04)";
        } else {
          ctx.fillStyle = magma(0.08 + 0.9 * t);
        }
        ctx.fillRect(Math.floor(c * cellW), r * ROW, Math.ceil(cellW) + 0.5, ROW - 1);
      }
    }
    // findings: outline the first cell where each appeared
    const findings = this.model.get("findings") ?? [];
    ctx.lineWidth = 1.5;
    for (const f of findings) {
      const r = layers.indexOf(f.layer);
      if (r < 0) continue;
      let c = 0;
      while (c < S - 1 && this.data.steps[c]! < f.step) c++;
      ctx.strokeStyle = f.severity === "error" ? "#e53935" : "#ffb300";
      ctx.strokeRect(Math.floor(c * cellW) + 0.75, r * ROW + 0.75, Math.max(2, Math.ceil(cellW) - 1.5), ROW - 2.5);
    }
    const cell = this.cell(width);
    if (cell) {
      ctx.strokeStyle = this.theme.foreground;
      ctx.lineWidth = 1;
      ctx.strokeRect(Math.floor(cell.col * cellW) + 0.5, cell.row * ROW + 0.5, Math.max(2, Math.ceil(cellW) - 1), ROW - 2);
    }
    // legend
    const lctx = sizeCanvas(this.legendCanvas, 120, 10);
    if (lctx) {
      for (let i = 0; i < 120; i++) {
        lctx.fillStyle = magma(0.08 + (0.9 * i) / 119);
        lctx.fillRect(i, 0, 1.5, 10);
      }
    }
    this.legendLo.textContent = range ? fmtValue(range[0]) : "";
    this.legendHi.textContent = range ? `${fmtValue(range[1])}${log ? " (log)" : ""}` : "";
  }

  destroy(): void {
    releaseView({ frame: this.frame, offs: this.offs, resize: this.resize, tooltip: this.tooltip, root: this.root });
  }
}

function mount(model: AnyModel<HealthModel>, host: HTMLElement): PanelView {
  const view = new HealthView(model, host);
  return view;
}

export default definePanel<HealthModel>({ name: "hist", css: [histCss], view: mount });
