/**
 * One view of a Scalars model: toolbar, run legend, tag groups with one
 * chart per tag. Redraws are coalesced to one per animation frame.
 */
import type { AnyModel } from "@anywidget/types";
import { paletteColor } from "../../lib/colors";
import { fmtCount } from "../../lib/format";
import { clampWeight } from "../../lib/smoothing";
import { compileTagFilter, groupTags, tagGroup, type TagFilter } from "../../lib/tags";
import { onThemeChange, readTheme } from "../../lib/theme";
import type { ApplyResult } from "../../lib/wire";
import { ChartView, type ChartSeries, type ThemeBox } from "./chart";
import type { ModelState, ScalarsModel, XAxis } from "./model_state";
import { el, setThemeVars } from "../../lib/dom";
import { hoverText, shortText } from "../../lib/text";

/**
 * Per-frame budget for redrawing charts: stop after this much script time, or
 * before exceeding this many redrawn canvas pixels (the browser copies every
 * changed canvas to the compositor in the same task: measured ~3 ms per
 * 360x230 chart with software raster). What is left is drawn in the next
 * frames: on-screen charts first, off-screen ones in frames with no
 * on-screen work.
 */
const FRAME_BUDGET_MS = 10;
const FRAME_PIXEL_BUDGET = 350_000;

const TRAITS = ["smoothing", "x_axis", "log_y", "tag_filter", "hidden_runs", "title", "max_points"] as const;

interface GroupView {
  name: string;
  el: HTMLDivElement;
  header: HTMLButtonElement;
  count: HTMLSpanElement;
  grid: HTMLDivElement;
  collapsed: boolean;
}

interface RunEntry {
  run: string;
  color: number;
}

export class ScalarsView {
  readonly root: HTMLDivElement;
  private readonly model: AnyModel<ScalarsModel>;
  private readonly state: ModelState;
  private readonly theme: ThemeBox;
  private readonly titleEl: HTMLDivElement;
  private readonly smoothRange: HTMLInputElement;
  private readonly smoothNum: HTMLInputElement;
  private readonly xSelect: HTMLSelectElement;
  private readonly logBox: HTMLInputElement;
  private readonly filterInput: HTMLInputElement;
  private readonly legendEl: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly groupsEl: HTMLDivElement;
  private readonly groups = new Map<string, GroupView>();
  private readonly charts = new Map<string, ChartView>();
  private readonly cleanups: (() => void)[] = [];
  private raf = 0;
  private layoutDirty = true;
  private statusDirty = true;
  private statusKey = "";
  private allDirty = true;
  private readonly dirtyTags = new Set<string>();
  private filterTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly io: IntersectionObserver | null = null;
  private readonly chartByEl = new WeakMap<Element, ChartView>();
  private destroyed = false;
  /** number of completed flushes (diagnostics / tests) */
  flushes = 0;

  constructor(model: AnyModel<ScalarsModel>, host: HTMLElement, state: ModelState) {
    this.model = model;
    this.state = state;
    this.root = el("div", "nbviz-root nbviz-scalars");
    this.root.dataset.points = "0";
    host.appendChild(this.root);
    this.theme = { current: readTheme(host) };

    this.titleEl = el("div", "nbviz-title");
    // --- toolbar
    const bar = el("div", "nbviz-toolbar");
    const smoothLabel = el("label", "nbviz-field");
    smoothLabel.append(el("span", "nbviz-label", "Smoothing"));
    this.smoothRange = el("input", "nbviz-smoothing");
    Object.assign(this.smoothRange, { type: "range", min: "0", max: "0.99", step: "0.01" });
    this.smoothRange.setAttribute("aria-label", "Smoothing");
    this.smoothNum = el("input", "nbviz-smoothing-value");
    Object.assign(this.smoothNum, { type: "number", min: "0", max: "0.99", step: "0.01" });
    this.smoothNum.setAttribute("aria-label", "Smoothing value");
    smoothLabel.append(this.smoothRange, this.smoothNum);

    const xLabel = el("label", "nbviz-field");
    xLabel.append(el("span", "nbviz-label", "X axis"));
    this.xSelect = el("select", "nbviz-xaxis");
    for (const [v, t] of [
      ["step", "Step"],
      ["relative", "Relative"],
      ["wall", "Wall"],
    ] as const) {
      const o = el("option", undefined, t);
      o.value = v;
      this.xSelect.appendChild(o);
    }
    xLabel.append(this.xSelect);

    const logLabel = el("label", "nbviz-field nbviz-check");
    this.logBox = el("input", "nbviz-logy");
    this.logBox.type = "checkbox";
    logLabel.append(this.logBox, el("span", "nbviz-label", "Log y"));

    this.filterInput = el("input", "nbviz-tag-filter");
    this.filterInput.type = "search";
    this.filterInput.placeholder = "Filter tags (regex)";
    this.filterInput.spellcheck = false;
    this.filterInput.setAttribute("aria-label", "Filter tags (regular expression)");

    bar.append(smoothLabel, xLabel, logLabel, this.filterInput);

    this.legendEl = el("div", "nbviz-legend");
    this.statusEl = el("div", "nbviz-status");
    this.emptyEl = el("div", "nbviz-empty", "No scalars yet — waiting for data…");
    this.groupsEl = el("div", "nbviz-groups");
    const meta = el("div", "nbviz-meta");
    meta.append(this.legendEl, this.statusEl);
    this.root.append(this.titleEl, bar, meta, this.emptyEl, this.groupsEl);

    if (typeof IntersectionObserver !== "undefined") {
      this.io = new IntersectionObserver(
        (entries) => {
          let woke = false;
          for (const e of entries) {
            const c = this.chartByEl.get(e.target);
            if (!c) continue;
            c.onScreen = e.isIntersecting;
            woke ||= e.isIntersecting && c.dirty;
          }
          if (woke) this.schedule();
        },
        { rootMargin: "200px 0px" },
      );
    }
    this.bindControls();
    this.syncControls();
    this.applyThemeVars();

    // --- subscriptions
    this.cleanups.push(state.subscribe((r) => this.onData(r)));
    for (const t of TRAITS) {
      const cb = () => this.onTrait(t);
      model.on(`change:${t}`, cb);
      this.cleanups.push(() => model.off(`change:${t}`, cb));
    }
    this.cleanups.push(
      onThemeChange(() => {
        this.theme.current = readTheme(this.root);
        this.applyThemeVars();
        for (const c of this.charts.values()) c.retheme();
      }),
    );
    // the element may be attached after render(): re-read the theme then
    requestAnimationFrame(() => {
      if (this.destroyed) return;
      const t = readTheme(this.root);
      if (JSON.stringify(t) !== JSON.stringify(this.theme.current)) {
        this.theme.current = t;
        this.applyThemeVars();
        for (const c of this.charts.values()) c.retheme();
      }
    });
    this.schedule();
  }

  destroy(): void {
    this.destroyed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    if (this.filterTimer !== null) clearTimeout(this.filterTimer);
    for (const c of this.cleanups) c();
    this.cleanups.length = 0;
    this.io?.disconnect();
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
    this.groups.clear();
    this.root.remove();
  }

  // ---------------------------------------------------------------- traits

  private get weight(): number {
    return clampWeight(Number(this.model.get("smoothing") ?? 0.6));
  }
  private get xAxis(): XAxis {
    const v = this.model.get("x_axis");
    return v === "relative" || v === "wall" ? v : "step";
  }
  private get logY(): boolean {
    return !!this.model.get("log_y");
  }
  private get hidden(): Set<string> {
    return new Set(this.model.get("hidden_runs") ?? []);
  }

  private bindControls(): void {
    const on = <E extends Event>(t: EventTarget, type: string, cb: (e: E) => void) => {
      t.addEventListener(type, cb as EventListener);
      this.cleanups.push(() => t.removeEventListener(type, cb as EventListener));
    };
    const setSmoothing = (v: number, save: boolean) => {
      if (!Number.isFinite(v)) return;
      v = Math.min(0.99, Math.max(0, Math.round(v * 100) / 100));
      this.model.set("smoothing", v);
      if (save) this.model.save_changes();
    };
    on(this.smoothRange, "input", () => setSmoothing(parseFloat(this.smoothRange.value), false));
    on(this.smoothRange, "change", () => setSmoothing(parseFloat(this.smoothRange.value), true));
    on(this.smoothNum, "change", () => setSmoothing(parseFloat(this.smoothNum.value), true));
    on(this.xSelect, "change", () => {
      this.model.set("x_axis", this.xSelect.value as XAxis);
      this.model.save_changes();
    });
    on(this.logBox, "change", () => {
      this.model.set("log_y", this.logBox.checked);
      this.model.save_changes();
    });
    on(this.filterInput, "input", () => {
      if (this.filterTimer !== null) clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => {
        this.filterTimer = null;
        this.model.set("tag_filter", this.filterInput.value);
        this.model.save_changes();
      }, 150);
    });
    on(this.legendEl, "click", (e: MouseEvent) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>(".nbviz-legend-item");
      if (!item || !this.legendEl.contains(item)) return;
      const run = item.dataset.run ?? "";
      const hidden = this.hidden;
      if (hidden.has(run)) hidden.delete(run);
      else hidden.add(run);
      this.model.set("hidden_runs", [...hidden]);
      this.model.save_changes();
    });
  }

  /** Reflect trait values in the controls (without firing their events). */
  private syncControls(): void {
    const w = Number(this.model.get("smoothing") ?? 0.6);
    const ws = (Number.isFinite(w) ? w : 0.6).toFixed(2);
    if (this.smoothRange.value !== ws) this.smoothRange.value = ws;
    if (document.activeElement !== this.smoothNum) this.smoothNum.value = ws;
    this.xSelect.value = this.xAxis;
    this.logBox.checked = this.logY;
    const f = this.model.get("tag_filter") ?? "";
    if (this.filterInput.value !== f && this.filterTimer === null) this.filterInput.value = f;
    const filter = compileTagFilter(f);
    this.filterInput.classList.toggle("nbviz-invalid", filter.kind === "substring");
    this.filterInput.title =
      filter.kind === "substring" ? "Not a valid regular expression: matching as plain text" : "Regular expression (case-insensitive)";
    const title = this.model.get("title") ?? "";
    this.titleEl.textContent = title;
    this.titleEl.hidden = title === "";
  }

  private onTrait(t: (typeof TRAITS)[number]): void {
    this.syncControls();
    switch (t) {
      case "smoothing":
      case "x_axis":
      case "log_y":
        this.allDirty = true;
        break;
      case "tag_filter":
      case "hidden_runs":
        this.layoutDirty = true;
        this.allDirty = true;
        break;
      case "max_points":
        this.statusKey = "";
        this.statusDirty = true;
        break;
      case "title":
        return;
    }
    this.schedule();
  }

  private onData(r: ApplyResult): void {
    if (r.replaced || r.created.size > 0) {
      this.layoutDirty = true;
      this.allDirty = true;
    } else {
      for (const id of r.changed) {
        const s = this.state.data.series.get(id);
        if (s) this.dirtyTags.add(s.info.tag);
      }
      this.statusDirty = true; // point counts in the status line
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.raf || this.destroyed) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.flush();
    });
  }

  private applyThemeVars(): void {
    setThemeVars(this.root, this.theme.current);
  }

  // ---------------------------------------------------------------- render

  /** Apply everything pending: layout, then redraw dirty visible charts. */
  flush(): void {
    if (this.destroyed) return;
    const t0 = performance.now();
    const data = this.state.data;
    const all = data.list();
    const filter = compileTagFilter(this.model.get("tag_filter"));
    const hidden = this.hidden;

    if (this.layoutDirty) this.layout(all, filter, hidden);
    else if (this.statusDirty) {
      let nTags = 0;
      let nShown = 0;
      const runs = new Set<string>();
      const seen = new Set<string>();
      for (const s of all) {
        runs.add(s.info.run);
        if (seen.has(s.info.tag)) continue;
        seen.add(s.info.tag);
        nTags++;
        if (filter(s.info.tag)) nShown++;
      }
      this.renderStatus(all, runs.size, nTags, nShown);
    }
    this.statusDirty = false;

    // per tag: visible series
    const weight = this.weight;
    const params = { xAxis: this.xAxis, logY: this.logY, weight };
    const byTag = new Map<string, ChartSeries[]>();
    for (const s of all) {
      if (hidden.has(s.info.run)) continue;
      const chart = this.charts.get(s.info.tag);
      if (!chart) continue;
      let list = byTag.get(s.info.tag);
      if (!list) byTag.set(s.info.tag, (list = []));
      const sm = this.state.smoothed(s.info.id, weight);
      if (!sm) continue;
      list.push({
        id: s.info.id,
        run: s.info.run,
        color: paletteColor(s.info.color),
        store: s.store,
        smoother: sm,
        wall0: this.state.runWall0(s.info.run),
      });
    }
    // Redraw dirty charts: on-screen ones first, then the rest, within a
    // per-frame budget (whatever is left continues next frame), so a panel
    // with many charts never blocks the main thread for long.
    const onScreen: ChartView[] = [];
    const offScreen: ChartView[] = [];
    for (const [tag, chart] of this.charts) {
      if (this.allDirty || this.dirtyTags.has(tag)) chart.dirty = true;
      const shown = !chart.el.hidden && !this.groups.get(tagGroup(tag))?.collapsed;
      if (!shown || !chart.dirty) continue;
      (chart.onScreen ? onScreen : offScreen).push(chart);
    }
    let done = 0;
    let pixels = 0;
    // off-screen charts only get frames with no on-screen work
    const queue = onScreen.length > 0 ? onScreen : offScreen;
    let pending = onScreen.length > 0 && offScreen.length > 0;
    for (const chart of queue) {
      if (done > 0 && (performance.now() - t0 > FRAME_BUDGET_MS || pixels + chart.canvasPixels > FRAME_PIXEL_BUDGET)) {
        pending = true;
        break;
      }
      pixels += chart.canvasPixels;
      const list = byTag.get(chart.tag) ?? [];
      list.sort((a, b) => a.run.localeCompare(b.run, undefined, { numeric: true }));
      try {
        chart.update(list, params);
      } catch (e) {
        console.error(`nbviz: chart ${chart.tag} failed`, e);
      }
      done++;
    }
    let total = 0;
    for (const [tag, chart] of this.charts) {
      const shown = !chart.el.hidden && !this.groups.get(tagGroup(tag))?.collapsed;
      if (shown) total += chart.points;
    }
    this.allDirty = false;
    this.dirtyTags.clear();
    this.root.dataset.points = String(total);
    this.flushes++;
    this.root.dataset.renderMs = (performance.now() - t0).toFixed(1);
    this.root.dispatchEvent(new CustomEvent("nbviz:render", { bubbles: true }));
    if (pending) this.schedule();
  }

  private layout(all: ReturnType<ModelState["data"]["list"]>, filter: TagFilter, hidden: Set<string>): void {
    this.layoutDirty = false;
    // --- legend: runs in palette order of first appearance
    const runs = new Map<string, RunEntry>();
    const tags = new Set<string>();
    for (const s of all) {
      if (!runs.has(s.info.run)) runs.set(s.info.run, { run: s.info.run, color: s.info.color });
      tags.add(s.info.tag);
    }
    this.renderLegend([...runs.values()], hidden);

    const empty = all.length === 0;
    const shownTags = [...tags].filter((t) => filter(t));
    this.emptyEl.hidden = !empty && shownTags.length > 0;
    if (empty) this.emptyEl.textContent = "No scalars yet — waiting for data…";
    else if (shownTags.length === 0) this.emptyEl.textContent = `No tags match “${this.model.get("tag_filter") ?? ""}”`;

    this.renderStatus(all, runs.size, tags.size, shownTags.length);

    // --- groups and charts (all tags; filtered ones hidden, not destroyed)
    const grouped = groupTags(tags);
    const seenGroups = new Set<string>();
    let groupIndex = 0;
    for (const { group, tags: gtags } of grouped) {
      seenGroups.add(group);
      let g = this.groups.get(group);
      if (!g) g = this.createGroup(group);
      let visible = 0;
      let gi = 0;
      for (const tag of gtags) {
        let c = this.charts.get(tag);
        if (!c) {
          const chart = new ChartView(tag, this.theme);
          chart.onResize = () => {
            chart.dirty = true;
            this.schedule();
          };
          this.charts.set(tag, chart);
          this.chartByEl.set(chart.el, chart);
          this.io?.observe(chart.el);
          c = chart;
        }
        const show = filter(tag);
        if (c.el.hidden === show) {
          c.el.hidden = !show;
          if (show) c.dirty = true;
        }
        if (show) visible++;
        // sorted order; only move nodes that are out of place
        const at = g.grid.children[gi] ?? null;
        if (at !== c.el) g.grid.insertBefore(c.el, at);
        gi++;
      }
      const count = `${visible}`;
      if (g.count.textContent !== count) g.count.textContent = count;
      g.el.hidden = visible === 0;
      const atG = this.groupsEl.children[groupIndex] ?? null;
      if (atG !== g.el) this.groupsEl.insertBefore(g.el, atG);
      groupIndex++;
    }
    for (const [tag, c] of this.charts) {
      if (!tags.has(tag)) {
        this.io?.unobserve(c.el);
        c.destroy();
        this.charts.delete(tag);
      }
    }
    for (const [name, g] of this.groups) {
      if (!seenGroups.has(name)) {
        g.el.remove();
        this.groups.delete(name);
      }
    }
  }

  /** Status line: counts of runs, tags and points; the decimation note. */
  private renderStatus(all: ReturnType<ModelState["data"]["list"]>, nRuns: number, nTags: number, nShown: number): void {
    let points = 0;
    let decimated = false;
    for (const s of all) {
      points += s.store.length;
      decimated ||= s.info.decimated;
    }
    const parts = [
      `${fmtCount(nRuns)} run${nRuns === 1 ? "" : "s"}`,
      `${fmtCount(nShown)}${nShown !== nTags ? ` of ${fmtCount(nTags)}` : ""} tag${nTags === 1 ? "" : "s"}`,
      `${fmtCount(points)} points`,
    ];
    const text = parts.join(" · ");
    const key = `${text}|${decimated}`;
    if (key === this.statusKey) return;
    this.statusKey = key;
    this.statusEl.textContent = text;
    if (decimated) {
      const d = el("span", "nbviz-decimated", "decimated");
      const mp = Number(this.model.get("max_points") ?? 0);
      d.title = `Series longer than ${mp > 0 ? fmtCount(mp) : "the cap"} points are sent as min/max buckets (first, last and extremes kept).`;
      this.statusEl.append(" · ", d);
    }
    this.statusEl.hidden = all.length === 0;
  }

  private createGroup(name: string): GroupView {
    const gel = el("div", "nbviz-group");
    const header = el("button", "nbviz-group-header");
    header.type = "button";
    header.setAttribute("aria-expanded", "true");
    const caret = el("span", "nbviz-caret", "▾");
    const label = el("span", "nbviz-group-name", name === "" ? "(root)" : shortText(name, 60));
    if (name !== "") label.title = hoverText(name);
    const count = el("span", "nbviz-group-count");
    header.append(caret, label, count);
    const grid = el("div", "nbviz-grid");
    gel.append(header, grid);
    const g: GroupView = { name, el: gel, header, count, grid, collapsed: false };
    header.addEventListener("click", () => {
      g.collapsed = !g.collapsed;
      gel.classList.toggle("nbviz-collapsed", g.collapsed);
      header.setAttribute("aria-expanded", String(!g.collapsed));
      caret.textContent = g.collapsed ? "▸" : "▾";
      grid.hidden = g.collapsed;
      this.schedule(); // redraw what became visible; totals in data-points change
    });
    this.groups.set(name, g);
    return g;
  }

  private renderLegend(runs: RunEntry[], hidden: Set<string>): void {
    const existing = new Map<string, HTMLButtonElement>();
    for (const b of this.legendEl.querySelectorAll<HTMLButtonElement>(".nbviz-legend-item")) {
      existing.set(b.dataset.run ?? "", b);
    }
    const frag: HTMLButtonElement[] = [];
    for (const r of runs) {
      let b = existing.get(r.run);
      if (!b) {
        b = el("button", "nbviz-legend-item");
        b.type = "button";
        b.dataset.run = r.run;
        const sw = el("span", "nbviz-swatch");
        b.append(sw, el("span", "nbviz-run-name", shortText(r.run)));
        b.title = hoverText(r.run);
      }
      existing.delete(r.run);
      (b.firstChild as HTMLElement).style.background = paletteColor(r.color);
      const off = hidden.has(r.run);
      b.classList.toggle("nbviz-off", off);
      b.setAttribute("aria-pressed", String(!off));
      frag.push(b);
    }
    for (const b of existing.values()) b.remove();
    frag.forEach((b, i) => {
      if (this.legendEl.children[i] !== b) this.legendEl.insertBefore(b, this.legendEl.children[i] ?? null);
    });
  }
}
