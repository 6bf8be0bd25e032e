/**
 * One view of an HParams model: toolbar (colour metric, goal, selection buttons, axes
 * menu), parallel coordinates, scatter + importance, and the runs table. Brushes,
 * axis order / visibility and the chosen columns are saved in traits (so a reload
 * keeps them); the run selection is `hidden_runs` — the Dashboard's shared selector.
 */
import type { AnyModel } from "@anywidget/types";
import { onThemeChange, readTheme, type Theme } from "../../lib/theme";
import { bestRuns, brushMask, maskedRuns, type Brushes } from "./brush";
import { colorBuckets } from "./colormap";
import { renderImportance } from "./importance";
import { decodeTable, moveAxis, orderedAxes, type HParamsModel, type Table } from "./model";
import { Parcoords, type ParcoordsStyle } from "./parcoords";
import { Scatter } from "./scatter";
import { formatCell, RunsTable } from "./table";
import { el, setThemeVars, showText } from "../../lib/dom";
import { onTraits } from "../../lib/stream";

const BEST = 5;
const LOWER_MS = 150;
const TRAITS = [
  "table_seq", "metric", "goal", "hidden_runs", "hidden_axes", "axis_order", "brushes",
  "scatter_x", "table_columns", "importance", "importance_message", "status", "title",
] as const;

function button(text: string, title: string): HTMLButtonElement {
  const b = el("button", "nbviz-hp-button", text);
  b.type = "button";
  b.title = title;
  return b;
}

export class HParamsView {
  readonly root: HTMLDivElement;
  private readonly model: AnyModel<HParamsModel>;
  private readonly titleEl: HTMLDivElement;
  private readonly countEl: HTMLSpanElement;
  private readonly metricSelect: HTMLSelectElement;
  private readonly goalSelect: HTMLSelectElement;
  private readonly axesMenu: HTMLDetailsElement;
  private readonly statusEl: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly parcoords: Parcoords;
  private readonly scatterX: HTMLSelectElement;
  private readonly scatter: Scatter;
  private readonly scatterBox: HTMLDivElement;
  private readonly importanceEl: HTMLDivElement;
  private readonly filterInput: HTMLInputElement;
  private readonly columnsMenu: HTMLDetailsElement;
  private readonly runsTable: RunsTable;
  private readonly cleanups: (() => void)[] = [];
  private readonly resize: ResizeObserver | null = null;
  private theme: Theme;
  private table: Table | null = null;
  private brushes: Brushes = {};
  private logs = new Map<string, boolean>();
  private mask: Uint8Array = new Uint8Array(0);
  private visible: Uint8Array = new Uint8Array(0);
  private filter = "";
  private seq = -1;
  private lowerTimer = 0;
  /** decoding errors (diagnostics) */
  errors = 0;

  constructor(model: AnyModel<HParamsModel>, host: HTMLElement) {
    this.model = model;
    this.root = el("div", "nbviz-hparams");
    this.titleEl = el("div", "nbviz-hp-title-text");
    const bar = el("div", "nbviz-hp-toolbar");
    this.countEl = el("span", "nbviz-hp-count");
    this.metricSelect = el("select", "nbviz-hp-metric");
    this.metricSelect.setAttribute("aria-label", "Colour by metric");
    this.goalSelect = el("select", "nbviz-hp-goal");
    this.goalSelect.setAttribute("aria-label", "Goal");
    for (const g of ["max", "min"]) this.goalSelect.appendChild(new Option(g, g));
    const selectBrushed = button("select brushed", "Show only the runs passing the brushes (in every panel)");
    selectBrushed.classList.add("nbviz-hp-select-brushed");
    const showAll = button("show all runs", "Clear the run selection");
    showAll.classList.add("nbviz-hp-show-all");
    const clear = button("clear brushes", "Remove every brush");
    clear.classList.add("nbviz-hp-clear");
    this.axesMenu = el("details", "nbviz-hp-menu");
    bar.append(el("span", "nbviz-hp-label", "colour by"), this.metricSelect, this.goalSelect, this.countEl,
      selectBrushed, showAll, clear, this.axesMenu);
    this.statusEl = el("div", "nbviz-hp-status");
    this.tooltip = el("div", "nbviz-hp-tooltip");
    this.tooltip.hidden = true;
    const lower = el("div", "nbviz-hp-lower");
    this.scatterBox = el("div", "nbviz-hp-scatter-box");
    const scatterHead = el("div", "nbviz-hp-subtitle");
    this.scatterX = el("select", "nbviz-hp-scatter-x");
    this.scatterX.setAttribute("aria-label", "Scatter x axis");
    scatterHead.append(el("span", undefined, "metric vs "), this.scatterX);
    this.scatterBox.appendChild(scatterHead);
    this.importanceEl = el("div", "nbviz-hp-importance");
    lower.append(this.scatterBox, this.importanceEl);
    const tableBar = el("div", "nbviz-hp-toolbar");
    this.filterInput = el("input", "nbviz-hp-filter");
    this.filterInput.type = "search";
    this.filterInput.placeholder = "filter runs (regex)";
    this.filterInput.setAttribute("aria-label", "Filter runs");
    this.columnsMenu = el("details", "nbviz-hp-menu");
    tableBar.append(el("span", "nbviz-hp-label", "Runs"), this.filterInput, this.columnsMenu);
    this.root.append(this.titleEl, bar, this.statusEl);
    host.appendChild(this.root);
    this.theme = readTheme(host);
    this.parcoords = new Parcoords(this.root, this.pcStyle(), {
      brush: (name, range, final) => this.onBrush(name, range, final),
      reorder: (name, to) => this.onReorder(name, to),
      hide: (name) => this.setHiddenAxes([...(model.get("hidden_axes") ?? []), name]),
      hover: (run, x, y) => this.showTip(run, x, y),
      click: (run, additive) => this.selectRun(run, additive),
    });
    this.scatter = new Scatter(this.scatterBox, (run, x, y) => this.showTip(run, x, y), (run, add) => this.selectRun(run, add));
    this.root.append(lower, tableBar);
    this.runsTable = new RunsTable(this.root, {
      click: (run, additive) => this.selectRun(run, additive),
      hover: (run) => this.parcoords.setHover(run, 0, 0),
    });
    this.root.appendChild(this.tooltip);
    (this.root as unknown as { nbvizHparams: HParamsView }).nbvizHparams = this;

    this.metricSelect.addEventListener("change", () => this.setTrait("metric", this.metricSelect.value));
    this.goalSelect.addEventListener("change", () => this.setTrait("goal", this.goalSelect.value as "max" | "min"));
    this.scatterX.addEventListener("change", () => this.setTrait("scatter_x", this.scatterX.value));
    selectBrushed.addEventListener("click", () => this.selectBrushed());
    showAll.addEventListener("click", () => this.setTrait("hidden_runs", []));
    clear.addEventListener("click", () => {
      this.brushes = {};
      this.setTrait("brushes", {});
      this.refreshSelection();
    });
    this.filterInput.addEventListener("input", () => {
      this.filter = this.filterInput.value;
      this.renderTable();
    });
    this.cleanups.push(onTraits(model, TRAITS, (name) => this.update(name)));
    this.cleanups.push(
      onThemeChange(() => {
        this.theme = readTheme(this.root);
        this.applyTheme();
        this.parcoords.setStyle(this.pcStyle());
        this.renderLower();
      }),
    );
    if (typeof ResizeObserver === "function") {
      let last = 0;
      this.resize = new ResizeObserver(() => {
        const w = this.root.clientWidth;
        if (w > 0 && Math.abs(w - last) > 2) {
          last = w;
          this.layout();
        }
      });
      this.resize.observe(this.root);
    }
    this.applyTheme();
    this.brushes = { ...(model.get("brushes") ?? {}) };
    this.loadTable();
    this.layout();
  }

  destroy(): void {
    if (this.lowerTimer) clearTimeout(this.lowerTimer);
    for (const c of this.cleanups.splice(0)) c();
    this.resize?.disconnect();
    this.parcoords.destroy();
    this.runsTable.destroy();
    this.root.remove();
  }

  // ------------------------------------------------------------------ state

  private setTrait<K extends keyof HParamsModel>(name: K, value: HParamsModel[K]): void {
    this.model.set(name, value);
    this.model.save_changes();
    this.update(name as (typeof TRAITS)[number]);
  }

  private update(name: (typeof TRAITS)[number]): void {
    if (name === "table_seq") {
      this.loadTable();
    } else if (name === "brushes") {
      this.brushes = { ...(this.model.get("brushes") ?? {}) };
      this.refreshSelection();
    } else if (name === "hidden_runs" || name === "hidden_axes" || name === "axis_order" || name === "metric" || name === "goal") {
      this.rebuild();
    } else if (name === "scatter_x" || name === "importance" || name === "importance_message") {
      this.renderLower();
    } else if (name === "table_columns") {
      this.renderTable();
    } else {
      this.renderNotes();
    }
  }

  private loadTable(): void {
    const seq = Number(this.model.get("table_seq") ?? 0);
    if (seq === this.seq) return;
    try {
      this.table = decodeTable(this.model.get("columns") ?? [], this.model.get("runs") ?? [], this.model.get("table"));
      this.seq = seq;
    } catch (e) {
      this.errors++;
      console.debug("nbviz: HParams table not applied yet:", (e as Error).message);
      return;
    }
    this.rebuild();
  }

  private applyTheme(): void {
    setThemeVars(this.root, this.theme);
  }

  private pcStyle(): ParcoordsStyle {
    const t = this.theme;
    return { fg: t.foreground, muted: t.muted, faint: t.faint, axis: t.muted, background: t.background, dark: t.dark };
  }

  private layout(): void {
    const width = this.root.clientWidth || 800;
    this.parcoords.resize(width, 340);
    this.renderLower();
  }

  /** Axes, colours, hidden runs changed: recompute everything derived from the table. */
  private rebuild(): void {
    const table = this.table;
    this.renderNotes();
    this.renderMenus();
    if (!table) return;
    const hidden = new Set(this.model.get("hidden_runs") ?? []);
    const n = table.runs.length;
    this.visible = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.visible[i] = hidden.has(table.runs[i]!) ? 0 : 1;
    const axes = orderedAxes(table.columns, this.model.get("axis_order") ?? [], this.model.get("hidden_axes") ?? []);
    const metric = table.index.get(this.model.get("metric") ?? "");
    const buckets = colorBuckets(metric === undefined ? undefined : table.values[metric], n, this.model.get("goal") ?? "max");
    this.mask = brushMask(table, this.brushes, hidden);
    this.parcoords.setData(table, axes, buckets, this.visible, this.logs, { brushes: this.brushes, mask: this.mask, marked: this.marked() });
    this.refreshSelection(true, true, false);
  }

  /** `lower`: also redraw the scatter; `rows`: also the table (DOM — not while dragging);
   * `lines`: recompute the mask and redraw the lines (rebuild has just drawn them). */
  private refreshSelection(lower = true, rows = lower, lines = true): void {
    const table = this.table;
    if (!table) return;
    if (lines) {
      this.mask = brushMask(table, this.brushes, new Set(this.model.get("hidden_runs") ?? []));
      this.parcoords.setSelection(this.brushes, this.mask, this.marked());
    }
    let shown = 0;
    for (let i = 0; i < this.mask.length; i++) shown += this.mask[i]!;
    this.countEl.textContent = `${shown} of ${table.runs.length} runs`;
    this.root.dataset.selected = String(shown);
    this.root.dataset.runs = String(table.runs.length);
    if (lower) this.renderLower();
    if (rows) this.renderTable();
  }

  /** Runs explicitly chosen (shown while others are hidden): drawn highlighted. */
  private marked(): Set<number> {
    const table = this.table;
    const hidden = this.model.get("hidden_runs") ?? [];
    const out = new Set<number>();
    if (!table || hidden.length === 0) return out;
    for (let i = 0; i < table.runs.length; i++) if (this.visible[i] && table.runs.length <= 200) out.add(i);
    return out;
  }

  // ------------------------------------------------------------------ interaction

  private onBrush(name: string, range: [number, number] | null, final: boolean): void {
    const next = { ...this.brushes };
    if (range) next[name] = range;
    else delete next[name];
    this.brushes = next;
    // While dragging only the lines follow every frame; the scatter catches up once the
    // pointer rests LOWER_MS, the table (DOM rows: a layout) and the scatter when it ends.
    if (this.lowerTimer) clearTimeout(this.lowerTimer);
    this.lowerTimer = final ? 0 : window.setTimeout(() => {
      this.lowerTimer = 0;
      this.renderLower();
    }, LOWER_MS);
    this.refreshSelection(final, final);
    if (final) {
      this.model.set("brushes", next);
      this.model.save_changes();
    }
  }

  private onReorder(name: string, to: number): void {
    const table = this.table;
    if (!table) return;
    const shown = orderedAxes(table.columns, this.model.get("axis_order") ?? [], this.model.get("hidden_axes") ?? []);
    const all = orderedAxes(table.columns, this.model.get("axis_order") ?? [], []);
    const moved = moveAxis(shown, name, to);
    const rest = all.filter((n) => !moved.includes(n));
    this.setTrait("axis_order", [...moved, ...rest]);
  }

  private setHiddenAxes(hidden: string[]): void {
    this.setTrait("hidden_axes", [...new Set(hidden)]);
  }

  /** Click on a line / point / row: show only that run everywhere (again: show all). */
  selectRun(i: number, additive: boolean): void {
    const table = this.table;
    if (!table) return;
    const run = table.runs[i]!;
    const hidden = new Set(this.model.get("hidden_runs") ?? []);
    let next: string[];
    if (additive) {
      if (hidden.has(run)) hidden.delete(run);
      else hidden.add(run);
      next = [...hidden];
    } else {
      const others = table.runs.filter((r) => r !== run);
      const onlyThis = !hidden.has(run) && others.every((r) => hidden.has(r));
      next = onlyThis ? [] : others;
    }
    this.setTrait("hidden_runs", next.sort());
  }

  private selectBrushed(): void {
    const table = this.table;
    if (!table) return;
    const keep = new Set(maskedRuns(table, this.mask));
    this.setTrait("hidden_runs", table.runs.filter((r) => !keep.has(r)).sort());
  }

  private showTip(i: number | null, clientX: number, clientY: number): void {
    const table = this.table;
    if (i === null || !table) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(el("div", "nbviz-hp-tip-run", table.runs[i]!));
    const axes = this.parcoords.axisNames();
    for (const name of axes.slice(0, 16)) {
      const c = table.index.get(name)!;
      const line = el("div", "nbviz-hp-tip-row");
      line.append(el("span", "nbviz-hp-tip-key", name), el("span", "nbviz-hp-tip-val", formatCell(table, c, i) || "∅"));
      this.tooltip.appendChild(line);
    }
    if (clientX || clientY) {
      const r = this.root.getBoundingClientRect();
      this.tooltip.style.left = `${Math.min(clientX - r.left + 14, r.width - 220)}px`;
      this.tooltip.style.top = `${clientY - r.top + 14}px`;
    }
    this.tooltip.hidden = false;
    this.root.dataset.hovered = table.runs[i]!;
  }

  // ------------------------------------------------------------------ rendering

  private renderNotes(): void {
    showText(this.titleEl, this.model.get("title") ?? "");
    showText(this.statusEl, this.model.get("status") ?? "");
  }

  private renderMenus(): void {
    const table = this.table;
    const columns = table?.columns ?? [];
    const metric = this.model.get("metric") ?? "";
    this.metricSelect.replaceChildren();
    for (const c of columns) if (c.role !== "hparam") this.metricSelect.appendChild(new Option(c.name, c.name, false, c.name === metric));
    this.goalSelect.value = this.model.get("goal") ?? "max";
    const hidden = new Set(this.model.get("hidden_axes") ?? []);
    this.axesMenu.replaceChildren(el("summary", undefined, `axes (${columns.length - hidden.size}/${columns.length})`));
    const list = el("div", "nbviz-hp-menu-list");
    for (const c of columns) {
      const row = el("label", "nbviz-hp-menu-row");
      const box = el("input");
      box.type = "checkbox";
      box.checked = !hidden.has(c.name);
      box.dataset.axis = c.name;
      box.addEventListener("change", () => {
        const h = new Set(this.model.get("hidden_axes") ?? []);
        if (box.checked) h.delete(c.name);
        else h.add(c.name);
        this.setHiddenAxes([...h]);
      });
      row.append(box, el("span", undefined, c.name));
      if (c.kind !== "categorical" && c.min !== null && c.min > 0) {
        const log = el("input");
        log.type = "checkbox";
        log.title = "log scale";
        log.checked = (this.logs.get(c.name) ?? c.kind === "log") === true;
        log.addEventListener("change", () => {
          this.logs.set(c.name, log.checked);
          this.rebuild();
        });
        row.append(log, el("span", "nbviz-hp-faint", "log"));
      }
      list.appendChild(row);
    }
    this.axesMenu.appendChild(list);
    const chosen = this.tableColumns();
    this.columnsMenu.replaceChildren(el("summary", undefined, `columns (${chosen.length})`));
    const clist = el("div", "nbviz-hp-menu-list");
    for (const c of columns) {
      const row = el("label", "nbviz-hp-menu-row");
      const box = el("input");
      box.type = "checkbox";
      box.checked = chosen.includes(c.name);
      box.addEventListener("change", () => {
        const now = new Set(this.tableColumns());
        if (box.checked) now.add(c.name);
        else now.delete(c.name);
        this.setTrait("table_columns", columns.map((x) => x.name).filter((x) => now.has(x)));
      });
      row.append(box, el("span", undefined, c.name));
      clist.appendChild(row);
    }
    this.columnsMenu.appendChild(clist);
    const x = this.model.get("scatter_x") ?? "";
    this.scatterX.replaceChildren();
    for (const c of columns) if (c.role === "hparam") this.scatterX.appendChild(new Option(c.name, c.name, false, c.name === x));
  }

  private tableColumns(): string[] {
    const chosen = this.model.get("table_columns") ?? [];
    if (chosen.length) return chosen;
    return (this.table?.columns ?? []).filter((c) => c.role !== "summary").map((c) => c.name);
  }

  private renderLower(): void {
    const table = this.table;
    const metric = this.model.get("metric") ?? "";
    renderImportance(this.importanceEl, this.model.get("importance") ?? [], this.model.get("importance_message") ?? "", metric);
    if (!table) return;
    const goal = this.model.get("goal") ?? "max";
    const mi = table.index.get(metric);
    const best = mi === undefined ? [] : bestRuns(table.values[mi]!, goal, BEST, this.mask);
    const width = Math.max(260, Math.floor((this.root.clientWidth || 800) * 0.55));
    const t = this.theme;
    this.scatter.draw(table, this.model.get("scatter_x") ?? "", metric, goal, this.visible, this.mask, best,
      { fg: t.foreground, muted: t.muted, faint: t.faint, axis: t.border }, width);
    this.scatterBox.dataset.best = best.map((i) => table.runs[i]).join("\n");
  }

  private renderTable(): void {
    const table = this.table;
    if (!table) return;
    let test: (s: string) => boolean = () => true;
    const f = this.filter.trim();
    if (f) {
      try {
        const re = new RegExp(f, "i");
        test = (s) => re.test(s);
      } catch {
        test = (s) => s.toLowerCase().includes(f.toLowerCase());
      }
    }
    const rows: number[] = [];
    for (let i = 0; i < table.runs.length; i++) if (this.mask[i] && test(table.runs[i]!)) rows.push(i);
    const columns = this.tableColumns().map((n) => table.index.get(n)).filter((c): c is number => c !== undefined);
    this.runsTable.set(table, columns, rows, this.marked());
    this.root.dataset.tableRows = String(rows.length);
  }
}
