/**
 * One view of a Profile model: run selector, stacked per-step breakdown with
 * samples/s (uPlot), system meters, findings, and the latest capture
 * (breakdown by category, top operators, memory curve, zoomable timeline).
 * User strings (run names, messages, operator names) are set as text only.
 */
import type { AnyModel } from "@anywidget/types";
import uPlot from "uplot";
import { onThemeChange, readTheme, type Theme } from "../../lib/theme";
import { CATEGORY_COLORS, PHASES, PHASE_COLORS } from "./colors";
import { Timeline, formatUs } from "./timeline";
import {
  type CaptureInfo,
  type FindingInfo,
  type RunInfo,
  SYSTEM_COLUMNS,
  STEP_COLUMNS,
  float64,
  splitColumns,
  stack,
} from "./wire";
import { el, frameScheduler } from "../../lib/dom";
import { onTraits } from "../../lib/stream";

export interface ProfileModel {
  runs: RunInfo[];
  steps: DataView | ArrayBuffer | null;
  system: DataView | ArrayBuffer | null;
  findings: FindingInfo[];
  capture: CaptureInfo;
  capture_data: DataView | ArrayBuffer | null;
  snapshot_seq: number;
  hidden_runs: string[];
  max_points: number;
  title: string;
}

/** uPlot wants null for gaps: a NaN would poison its scale ranges. */
function gaps(column: Float64Array | undefined, count: number): (number | null)[] {
  const out = new Array<number | null>(count);
  for (let i = 0; i < count; i++) {
    const v = column ? column[i] : undefined;
    out[i] = v !== undefined && Number.isFinite(v) ? v : null;
  }
  return out;
}

function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? "–" : Number(v.toPrecision(digits)).toString();
}

export class ProfileView {
  readonly root: HTMLDivElement;
  private readonly model: AnyModel<ProfileModel>;
  private theme: Theme;
  private readonly titleEl: HTMLDivElement;
  private readonly runSelect: HTMLSelectElement;
  private readonly statusEl: HTMLDivElement;
  private readonly legendEl: HTMLDivElement;
  private readonly readoutEl: HTMLDivElement;
  private readonly stackEl: HTMLDivElement;
  private readonly systemEl: HTMLDivElement;
  private readonly findingsEl: HTMLDivElement;
  private readonly captureEl: HTMLDivElement;
  private readonly captureHead: HTMLDivElement;
  private readonly categoriesEl: HTMLDivElement;
  private readonly opsEl: HTMLTableElement;
  private readonly memoryEl: HTMLDivElement;
  private readonly timeline: Timeline;
  private stackPlot: uPlot | null = null;
  private systemPlot: uPlot | null = null;
  private memoryPlot: uPlot | null = null;
  private selected = "";
  private columns: Float64Array[] = [];
  private readonly cleanups: (() => void)[] = [];
  private readonly frame = frameScheduler(() => this.update());
  private captureSeen = "";

  constructor(model: AnyModel<ProfileModel>, host: HTMLElement) {
    this.model = model;
    this.root = el("div", "nbviz-profile");
    host.appendChild(this.root);
    this.theme = readTheme(host);
    this.titleEl = el("div", "nbviz-profile-title");
    const bar = el("div", "nbviz-profile-bar");
    const label = el("label", "nbviz-profile-field");
    label.append(el("span", undefined, "Run"));
    this.runSelect = el("select", "nbviz-profile-run");
    this.runSelect.setAttribute("aria-label", "Run");
    label.append(this.runSelect);
    this.statusEl = el("div", "nbviz-profile-status");
    bar.append(label, this.statusEl);
    this.legendEl = el("div", "nbviz-profile-legend");
    PHASES.forEach((phase, i) => {
      const item = el("span", "nbviz-profile-key");
      const swatch = el("i");
      swatch.style.background = PHASE_COLORS[i]!;
      item.append(swatch, document.createTextNode(phase));
      this.legendEl.append(item);
    });
    const rate = el("span", "nbviz-profile-key");
    const rateSwatch = el("i", "nbviz-profile-line");
    rate.append(rateSwatch, document.createTextNode("samples/s"));
    this.legendEl.append(rate);
    this.readoutEl = el("div", "nbviz-profile-readout");
    this.stackEl = el("div", "nbviz-profile-stack");
    this.findingsEl = el("div", "nbviz-profile-findings");
    this.systemEl = el("div", "nbviz-profile-system");
    this.captureEl = el("div", "nbviz-profile-capture");
    this.captureHead = el("div", "nbviz-profile-capture-head");
    this.categoriesEl = el("div", "nbviz-profile-categories");
    this.opsEl = el("table", "nbviz-profile-ops");
    this.memoryEl = el("div", "nbviz-profile-memory");
    this.timeline = new Timeline(() => this.theme);
    const opsBox = el("div", "nbviz-profile-ops-box");
    opsBox.append(el("div", "nbviz-profile-h", "Top operators by self time"), this.opsEl);
    const memBox = el("div", "nbviz-profile-mem-box");
    memBox.append(el("div", "nbviz-profile-h", "Memory during the capture"), this.memoryEl);
    const row = el("div", "nbviz-profile-row");
    row.append(opsBox, memBox);
    this.captureEl.append(
      this.captureHead,
      el("div", "nbviz-profile-h", "Step time by category"),
      this.categoriesEl,
      row,
      el("div", "nbviz-profile-h", "Timeline (wheel: zoom, drag: pan, double-click: reset)"),
      this.timeline.el,
    );
    this.captureEl.hidden = true;
    const stepHead = el("div", "nbviz-profile-h", "Step time breakdown (ms per step)");
    const sysHead = el("div", "nbviz-profile-h", "System");
    this.root.append(this.titleEl, bar, this.findingsEl, stepHead, this.legendEl, this.stackEl, this.readoutEl, sysHead, this.systemEl, this.captureEl);

    this.runSelect.addEventListener("change", () => {
      this.selected = this.runSelect.value;
      this.rebuildCharts();
    });
    this.cleanups.push(
      onTraits(model, ["runs", "steps", "system", "findings", "snapshot_seq", "hidden_runs", "title"], () =>
        this.schedule()),
      onTraits(model, ["capture", "capture_data"], () => this.showCapture()),
    );
    this.cleanups.push(
      onThemeChange(() => {
        this.theme = readTheme(this.root);
        this.root.classList.toggle("nbviz-dark", this.theme.dark);
        this.rebuildCharts();
        this.timeline.schedule();
      }),
    );
    this.root.classList.toggle("nbviz-dark", this.theme.dark);
    if (typeof ResizeObserver !== "undefined") {
      let lastWidth = 0;
      const ro = new ResizeObserver(() => {
        const width = this.width(this.root);
        if (Math.abs(width - lastWidth) < 4) return;
        lastWidth = width;
        this.stackPlot?.setSize({ width: this.width(this.stackEl), height: 220 });
        this.systemPlot?.setSize({ width: this.width(this.systemEl), height: 150 });
        this.timeline.schedule();
      });
      ro.observe(this.root);
      this.cleanups.push(() => ro.disconnect());
    }
    this.update();
    this.showCapture();
  }

  destroy(): void {
    for (const c of this.cleanups) c();
    this.frame.cancel();
    this.stackPlot?.destroy();
    this.systemPlot?.destroy();
    this.memoryPlot?.destroy();
    this.timeline.destroy();
    this.root.remove();
  }

  private schedule(): void {
    this.frame.request();
  }

  private runs(): RunInfo[] {
    const hidden = new Set(this.model.get("hidden_runs") ?? []);
    return (this.model.get("runs") ?? []).filter((r) => !hidden.has(r.name));
  }

  private update(): void {
    this.titleEl.textContent = this.model.get("title") ?? "";
    this.titleEl.hidden = !this.titleEl.textContent;
    const all = this.model.get("runs") ?? [];
    const runs = this.runs();
    const names = runs.map((r) => r.name);
    if (this.runSelect.options.length !== names.length || names.some((n, i) => this.runSelect.options[i]!.value !== n)) {
      this.runSelect.replaceChildren(...names.map((n) => {
        const o = el("option", undefined, n);
        o.value = n;
        return o;
      }));
    }
    if (!names.includes(this.selected)) this.selected = names[names.length - 1] ?? "";
    this.runSelect.value = this.selected;
    const index = all.findIndex((r) => r.name === this.selected);
    const info = all[index];
    let stepCols: Float64Array[] = [];
    let sysCols: Float64Array[] = [];
    try {
      const steps = splitColumns(float64(this.model.get("steps")), all.map((r) => r.count), STEP_COLUMNS.length);
      const system = splitColumns(float64(this.model.get("system")), all.map((r) => r.system_count), SYSTEM_COLUMNS.length);
      if (index >= 0) {
        stepCols = steps[index]!;
        sysCols = system[index]!;
      }
    } catch (error) {
      console.error("nbviz.Profile: bad snapshot", error);
    }
    this.columns = stepCols;
    const count = stepCols[0]?.length ?? 0;
    this.root.dataset.steps = String(count);
    this.root.dataset.run = this.selected;
    if (info) {
      const last = count - 1;
      const median = (col: Float64Array | undefined) => {
        if (!col || !col.length) return NaN;
        const sorted = Array.from(col).filter(Number.isFinite).sort((a, b) => a - b);
        return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
      };
      this.statusEl.textContent = count
        ? `${info.steps_total} steps timed · median ${fmt(median(stepCols[6]))} ms/step · ${fmt(stepCols[7]?.[last])} samples/s now`
        : "waiting for timed steps — nbviz.watch(model, optimizer) times every step";
    } else {
      this.statusEl.textContent = "no profile data yet — nbviz.watch(model, optimizer) times every step";
    }
    this.drawStack(stepCols);
    this.drawSystem(sysCols);
    this.drawFindings();
  }

  private rebuildCharts(): void {
    this.stackPlot?.destroy();
    this.stackPlot = null;
    this.systemPlot?.destroy();
    this.systemPlot = null;
    this.memoryPlot?.destroy();
    this.memoryPlot = null;
    this.captureSeen = "";
    this.update();
    this.showCapture();
  }

  private axes(label: string, side = 3): uPlot.Axis {
    const t = this.theme;
    return { label, side, stroke: t.muted, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 }, font: `11px ${t.fontFamily}`, labelFont: `11px ${t.fontFamily}` } as uPlot.Axis;
  }

  private width(host: HTMLElement): number {
    return Math.max(host.clientWidth || this.root.clientWidth || 640, 240);
  }

  private drawStack(cols: Float64Array[]): void {
    const count = cols[0]?.length ?? 0;
    const step = cols[0] ?? new Float64Array(0);
    const phases = cols.slice(1, 6);
    const stacked = count ? stack(phases) : PHASES.map(() => new Float64Array(0));
    // Draw the totals first so each lower band paints over the one above it.
    const data: uPlot.AlignedData = [step, ...stacked.slice().reverse(), gaps(cols[7], count)] as unknown as uPlot.AlignedData;
    if (!this.stackPlot) {
      const series: uPlot.Series[] = [{}];
      for (let i = PHASES.length - 1; i >= 0; i--) {
        series.push({ label: PHASES[i], stroke: PHASE_COLORS[i], fill: PHASE_COLORS[i], width: 0, points: { show: false } });
      }
      series.push({ label: "samples/s", stroke: "#d81b60", width: 1.5, scale: "rate", points: { show: false } });
      this.stackPlot = new uPlot(
        {
          width: this.width(this.stackEl),
          height: 220,
          legend: { show: false },
          scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
          axes: [this.axes("step", 2), this.axes("ms / step"), { ...this.axes("samples/s", 1), scale: "rate", grid: { show: false } }],
          series,
          cursor: { drag: { x: true, y: false } },
          hooks: { setCursor: [(u) => this.readout(u.cursor.idx ?? null)] },
        },
        data,
        this.stackEl,
      );
    } else {
      this.stackPlot.setData(data);
    }
  }

  private readout(idx: number | null): void {
    const cols = this.columns;
    if (idx === null || !cols[0] || idx >= cols[0].length) {
      this.readoutEl.textContent = "";
      return;
    }
    const parts = PHASES.map((p, i) => `${p} ${fmt(cols[i + 1]![idx])}`);
    this.readoutEl.textContent = `step ${cols[0][idx]} · ${parts.join(" · ")} · total ${fmt(cols[6]![idx])} ms · ${fmt(cols[7]![idx])} samples/s`;
  }

  private drawSystem(cols: Float64Array[]): void {
    const count = cols[0]?.length ?? 0;
    this.systemEl.dataset.samples = String(count);
    const wall = cols[1] ?? new Float64Array(0);
    const rel = new Float64Array(count);
    for (let i = 0; i < count; i++) rel[i] = wall[i]! - wall[0]!;
    const data = [rel, gaps(cols[2], count), gaps(cols[3], count), gaps(cols[4], count)] as unknown as uPlot.AlignedData;
    if (!this.systemPlot) {
      this.systemPlot = new uPlot(
        {
          width: this.width(this.systemEl),
          height: 150,
          scales: { x: { time: false } },
          axes: [this.axes("seconds", 2), this.axes("CPU %"), { ...this.axes("MB", 1), scale: "mb", grid: { show: false } }],
          series: [
            {},
            { label: "process CPU %", stroke: "#0091ea", width: 1.5, points: { show: false } },
            { label: "RSS MB", stroke: "#8e24aa", width: 1.5, scale: "mb", points: { show: false } },
            { label: "CUDA allocated MB", stroke: "#d81b60", width: 1.5, scale: "mb", points: { show: false } },
          ],
        },
        data,
        this.systemEl,
      );
    } else {
      this.systemPlot.setData(data);
    }
  }

  private drawFindings(): void {
    const findings = (this.model.get("findings") ?? []).filter((f) => f.run === this.selected);
    this.findingsEl.dataset.count = String(findings.length);
    this.findingsEl.replaceChildren(
      ...findings.map((f) => {
        const box = el("div", `nbviz-profile-finding nbviz-${f.severity === "error" ? "error" : "warning"}`);
        box.dataset.rule = f.rule;
        box.append(el("b", undefined, f.rule.replace(/_/g, " ")), el("span", "nbviz-profile-step", ` step ${f.step}`), el("div", undefined, f.message));
        return box;
      }),
    );
  }

  private showCapture(): void {
    const info = this.model.get("capture") ?? {};
    const key = `${this.model.get("capture") === info ? JSON.stringify([info.run, info.steps, info.timeline_count]) : ""}`;
    if (!info.run || !info.steps) {
      this.captureEl.hidden = true;
      return;
    }
    this.captureEl.hidden = false;
    if (key === this.captureSeen) return;
    this.captureSeen = key;
    const values = float64(this.model.get("capture_data"));
    const memoryCount = info.memory_count ?? 0;
    const timelineCount = info.timeline_count ?? 0;
    const memory = values.subarray(0, memoryCount * 2);
    const rows = values.subarray(memoryCount * 2, memoryCount * 2 + timelineCount * 6);
    const steps = info.steps ?? [];
    this.captureHead.textContent = `Capture of run ${info.run}, steps ${steps[0]}–${steps[steps.length - 1]} on ${info.device ?? "cpu"}` + (info.trace_path ? ` · trace: ${info.trace_path}` : "");
    // Categories: one stacked bar per captured step.
    const categories = info.categories ?? [];
    const breakdown = info.breakdown_us ?? [];
    this.categoriesEl.replaceChildren();
    const legend = el("div", "nbviz-profile-legend");
    categories.forEach((c, i) => {
      const item = el("span", "nbviz-profile-key");
      const sw = el("i");
      sw.style.background = CATEGORY_COLORS[i] ?? "#999";
      item.append(sw, document.createTextNode(c));
      legend.append(item);
    });
    this.categoriesEl.append(legend);
    const longest = Math.max(1, ...breakdown.map((r) => r.reduce((a, b) => a + b, 0)));
    breakdown.forEach((row, s) => {
      const line = el("div", "nbviz-profile-catrow");
      line.append(el("span", "nbviz-profile-catlabel", `step ${steps[s]}`));
      const bar = el("div", "nbviz-profile-catbar");
      const total = row.reduce((a, b) => a + b, 0);
      bar.style.width = `${(100 * total) / longest}%`;
      row.forEach((v, i) => {
        if (v <= 0) return;
        const part = el("i");
        part.style.background = CATEGORY_COLORS[i] ?? "#999";
        part.style.flexGrow = String(v);
        part.title = `${categories[i]}: ${formatUs(v)}`;
        bar.append(part);
      });
      line.append(bar, el("span", "nbviz-profile-catlabel", formatUs(total)));
      this.categoriesEl.append(line);
    });
    // Top operators.
    const head = el("tr");
    for (const h of ["operator", "calls", "self CPU", "CPU total", "self device"]) head.append(el("th", undefined, h));
    this.opsEl.replaceChildren(head, ...(info.operators ?? []).slice(0, 15).map((op) => {
      const tr = el("tr");
      const name = el("td", "nbviz-profile-opname", op.name);
      name.title = op.name;
      tr.append(name, el("td", undefined, String(op.calls)), el("td", undefined, formatUs(op.self_cpu_us)), el("td", undefined, formatUs(op.cpu_total_us)), el("td", undefined, op.self_device_us ? formatUs(op.self_device_us) : "–"));
      return tr;
    }));
    // Memory curve.
    const mt = new Float64Array(memoryCount);
    const mv = new Float64Array(memoryCount);
    for (let i = 0; i < memoryCount; i++) {
      mt[i] = memory[i * 2]! / 1e3;
      mv[i] = memory[i * 2 + 1]! / 2 ** 20;
    }
    this.memoryPlot?.destroy();
    this.memoryPlot = new uPlot(
      {
        width: Math.max(Math.floor(this.width(this.captureEl) / 2) - 20, 220),
        height: 170,
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [this.axes("ms", 2), this.axes("MB allocated")],
        series: [{}, { label: "allocated MB", stroke: "#26a69a", fill: "rgba(38,166,154,0.2)", width: 1.5, points: { show: false } }],
      },
      [mt, mv] as unknown as uPlot.AlignedData,
      this.memoryEl,
    );
    this.timeline.setData({
      rows,
      count: timelineCount,
      names: info.names ?? [],
      lanes: info.lanes ?? [],
      steps: info.step_us ?? [],
      stepNumbers: steps,
    });
  }
}
