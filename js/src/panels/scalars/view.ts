/**
 * One view of a Scalars model: toolbar, run legend, tag groups with one
 * chart per tag. Redraws are coalesced to one per animation frame.
 */
import type { AnyModel } from "@anywidget/types";
import { paletteColor } from "../../lib/colors";
import { fmtCount } from "../../lib/format";
import { clampWeight } from "../../lib/smoothing";
import { compileTagFilter, groupTags, type TagFilter } from "../../lib/tags";
import { onThemeChange, readTheme } from "../../lib/theme";
import type { ApplyResult, ScalarSeries } from "../../lib/wire";
import { ChartView, type ChartSeries, type ThemeBox } from "./chart";
import type { ModelState, ScalarsModel, XAxis } from "./model_state";
import { el, setThemeVars } from "../../lib/dom";
import { hoverText, shortText } from "../../lib/text";
import { onTraits } from "../../lib/stream";

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
/**
 * Many tags (TensorBoard's answer too): beyond LARGE_TAGS tags, groups start
 * collapsed except the first (the first AUTO_OPEN_FILTERED matching groups while
 * a filter is typed), and an open group shows its charts a page at a time. A
 * chart is built only when its group is open, and asks the kernel for its
 * series only once it scrolls into view (lazy panels, docs/wire.md).
 */
const LARGE_TAGS = 100;
/**
 * Hundreds of runs: the legend shows its first LEGEND_FIRST entries (more than
 * its ~4.5 visible rows hold) with the first paint, and LEGEND_STEP more per
 * frame once the charts in view are drawn, rather than building every entry
 * before any chart is drawn.
 */
const LEGEND_FIRST = 150;
const LEGEND_STEP = 250;
/** ... and at most this many groups, while they hold fewer than PAGE_CHARTS charts */
const AUTO_OPEN_FILTERED = 3;
const PAGE_CHARTS = 48;

/** natural order of run names (run2 before run10) */
const NATURAL = new Intl.Collator(undefined, { numeric: true });

const TRAITS = ["smoothing", "x_axis", "log_y", "tag_filter", "hidden_runs", "title", "max_points"] as const;

interface GroupView {
  name: string;
  el: HTMLDivElement;
  header: HTMLButtonElement;
  count: HTMLSpanElement;
  grid: HTMLDivElement;
  caret: HTMLSpanElement;
  more: HTMLButtonElement;
  /** open/closed as the user set it; null = the default (see LARGE_TAGS) */
  userCollapsed: boolean | null;
  collapsed: boolean;
  /** charts shown when open (grows by PAGE_CHARTS with "show more") */
  limit: number;
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
  /** the tag filter applied: the input's text while typing, else the trait */
  private filterText = "";
  /** tags grouped by prefix, recomputed only when the tag set changes */
  private grouped: ReturnType<typeof groupTags> = [];
  private tagSet = new Set<string>();
  /** charts in the DOM (in an open group, within its page, matching the filter) */
  private readonly shownCharts = new Set<ChartView>();
  private runEntries: RunEntry[] = [];
  /** series by tag (rebuilt when series are created or replaced), so a chart's update walks its runs only */
  private tagSeries = new Map<string, ScalarSeries[]>();
  /** shown charts whose runs were all asked for (cleared when series or hidden runs change) */
  private readonly asked = new Set<ChartView>();
  private legendDirty = true;
  /** legend entries in the DOM (grows to every run, see LEGEND_FIRST) */
  private legendShown = LEGEND_FIRST;
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
            if (e.isIntersecting) c.seen = true;
            woke ||= e.isIntersecting;
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
    this.cleanups.push(onTraits(model, TRAITS, (t) => this.onTrait(t)));
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
      // filter at once on the page; tell the kernel (saved state) when typing pauses
      this.filterText = this.filterInput.value;
      this.layoutDirty = true; // charts keep their drawing: only which are shown changes
      this.schedule();
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
    if (this.filterTimer === null) {
      if (this.filterInput.value !== f) this.filterInput.value = f;
      this.filterText = f;
    }
    const filter = compileTagFilter(this.filterText);
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
        this.layoutDirty = true;
        break;
      case "hidden_runs":
        this.layoutDirty = true;
        this.allDirty = true;
        this.asked.clear();
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
      this.legendDirty = true;
      this.allDirty = true;
      this.asked.clear();
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
    const filter = compileTagFilter(this.filterText);
    const hidden = this.hidden;

    if (this.layoutDirty) this.layout(this.state.data.list(), filter, hidden);
    else if (this.statusDirty) {
      let nShown = 0;
      for (const { tags } of this.grouped) for (const t of tags) if (filter(t)) nShown++;
      this.renderStatus(this.state.data.list(), this.runEntries.length, this.tagSet.size, nShown);
    }
    this.statusDirty = false;

    // sizes first (reads), then requests and redraws (writes): one layout per frame
    for (const chart of this.shownCharts) chart.measure();
    this.requestSeen(hidden);
    // Redraw dirty charts: on-screen ones first, then the rest, within a
    // per-frame budget (whatever is left continues next frame), so a panel
    // with many charts never blocks the main thread for long.
    const onScreen: ChartView[] = [];
    const offScreen: ChartView[] = [];
    // charts out of the DOM are marked too: they redraw when shown again
    if (this.allDirty) for (const chart of this.charts.values()) chart.dirty = true;
    for (const tag of this.dirtyTags) {
      const chart = this.charts.get(tag);
      if (chart) chart.dirty = true;
    }
    for (const chart of this.shownCharts) {
      if (!chart.dirty) continue;
      (chart.onScreen ? onScreen : offScreen).push(chart);
    }
    let done = 0;
    let pixels = 0;
    // off-screen charts only get frames with no on-screen work
    const queue = onScreen.length > 0 ? onScreen : offScreen;
    let pending = onScreen.length > 0 && offScreen.length > 0;
    const params = { xAxis: this.xAxis, logY: this.logY, weight: this.weight };
    for (const chart of queue) {
      if (done > 0 && (performance.now() - t0 > FRAME_BUDGET_MS || pixels + chart.canvasPixels > FRAME_PIXEL_BUDGET)) {
        pending = true;
        break;
      }
      pixels += chart.canvasPixels;
      const { list, waiting } = this.chartSeries(chart.tag, hidden, params.weight);
      try {
        chart.update(list, params, waiting);
      } catch (e) {
        console.error(`nbviz: chart ${chart.tag} failed`, e);
      }
      done++;
    }
    // the rest of a long legend, once the charts in view are drawn
    if (!pending && this.runEntries.length > this.legendShown) {
      this.legendShown += LEGEND_STEP;
      this.renderLegend(this.runEntries, hidden);
      pending = this.runEntries.length > this.legendShown;
    }
    let total = 0;
    for (const chart of this.shownCharts) total += chart.points;
    this.allDirty = false;
    this.dirtyTags.clear();
    this.root.dataset.points = String(total);
    this.root.dataset.filter = this.filterText;
    this.root.dataset.charts = String(this.shownCharts.size);
    this.flushes++;
    this.root.dataset.renderMs = (performance.now() - t0).toFixed(1);
    this.root.dispatchEvent(new CustomEvent("nbviz:render", { bubbles: true }));
    if (pending) this.schedule();
  }

  /**
   * Ask the kernel for the series of the shown charts that have been in view and
   * hold none of their points yet (lazy panels, docs/wire.md), one request per
   * chart width; a chart whose runs were all asked for is not walked again.
   */
  private requestSeen(hidden: Set<string>): void {
    const wanted = new Map<number, number[]>();
    for (const chart of this.shownCharts) {
      if (!chart.seen || this.asked.has(chart)) continue;
      this.asked.add(chart);
      for (const s of this.tagSeries.get(chart.tag) ?? []) {
        if (hidden.has(s.info.run) || !this.state.needsRequest(s.info.id)) continue;
        const w = chart.plotWidth;
        let ids = wanted.get(w);
        if (!ids) wanted.set(w, (ids = []));
        ids.push(s.info.id);
      }
    }
    for (const [width, ids] of wanted) this.state.request(ids, width);
  }

  /** The visible runs of `tag` that hold points, in run order; `waiting`: runs whose points are not here yet. */
  private chartSeries(tag: string, hidden: Set<string>, weight: number): { list: ChartSeries[]; waiting: number } {
    const list: ChartSeries[] = [];
    let waiting = 0;
    for (const s of this.tagSeries.get(tag) ?? []) {
      if (hidden.has(s.info.run)) continue;
      if (s.store.length === 0) {
        if ((s.info.total ?? 0) > 0) waiting++;
        continue;
      }
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
    return { list, waiting };
  }

  private layout(
    all: ReturnType<ModelState["data"]["list"]>,
    filter: TagFilter,
    hidden: Set<string>,
  ): void {
    this.layoutDirty = false;
    // --- legend (runs in palette order of first appearance) and the tag groups,
    // both recomputed only when series were added or replaced, not per keystroke
    if (this.legendDirty) {
      const runs = new Map<string, RunEntry>();
      const tags = new Set<string>();
      const byTag = new Map<string, ScalarSeries[]>();
      for (const s of all) {
        if (!runs.has(s.info.run)) runs.set(s.info.run, { run: s.info.run, color: s.info.color });
        const list = byTag.get(s.info.tag);
        if (list) list.push(s);
        else {
          byTag.set(s.info.tag, [s]);
          tags.add(s.info.tag);
        }
      }
      this.runEntries = [...runs.values()];
      // every chart lists its runs in this order: sort the tag lists once here
      const names = [...runs.keys()].sort(NATURAL.compare);
      const rank = new Map(names.map((run, i) => [run, i]));
      for (const list of byTag.values()) list.sort((a, b) => rank.get(a.info.run)! - rank.get(b.info.run)!);
      this.tagSeries = byTag;
      const known = this.tagSet;
      if (tags.size !== known.size || [...tags].some((t) => !known.has(t))) {
        this.grouped = groupTags(tags);
        this.tagSet = tags;
        for (const [tag, c] of this.charts) {
          if (!tags.has(tag)) {
            this.io?.unobserve(c.el);
            this.shownCharts.delete(c);
            c.destroy();
            this.charts.delete(tag);
          }
        }
      }
      this.legendDirty = false;
    }
    this.renderLegend(this.runEntries, hidden);

    const large = this.tagSet.size > LARGE_TAGS;
    const filtering = filter.kind !== "all";
    const empty = all.length === 0;
    const seenGroups = new Set<string>();
    let groupIndex = 0;
    let matchingGroups = 0;
    let autoOpened = 0; // charts in groups opened by default (bounded: one page)
    let nShown = 0;
    for (const { group, tags: gtags } of this.grouped) {
      seenGroups.add(group);
      const g = this.groups.get(group) ?? this.createGroup(group);
      const matches = filtering ? gtags.filter((t) => filter(t)) : gtags;
      nShown += matches.length;
      const count = `${matches.length}`;
      if (g.count.textContent !== count) g.count.textContent = count;
      g.el.hidden = matches.length === 0;
      const atG = this.groupsEl.children[groupIndex] ?? null;
      if (atG !== g.el) this.groupsEl.insertBefore(g.el, atG);
      groupIndex++;
      if (matches.length > 0) {
        const closed =
          large && (matchingGroups >= (filtering ? AUTO_OPEN_FILTERED : 1) || autoOpened >= PAGE_CHARTS);
        matchingGroups++;
        this.setCollapsed(g, g.userCollapsed ?? closed);
        if (g.userCollapsed === null && !closed) autoOpened += Math.min(matches.length, g.limit);
      }
      const page = g.collapsed || matches.length === 0 ? [] : matches.slice(0, g.limit);
      const keep = new Set(page);
      // charts of this group that left the page: out of the DOM (kept, with their zoom)
      for (const node of Array.from(g.grid.children)) {
        const c = this.chartByEl.get(node);
        if (c && !keep.has(c.tag)) {
          node.remove();
          this.shownCharts.delete(c);
        }
      }
      page.forEach((tag, i) => {
        const c = this.charts.get(tag) ?? this.createChart(tag);
        this.shownCharts.add(c);
        const at = g.grid.children[i] ?? null;
        if (at !== c.el) g.grid.insertBefore(c.el, at);
      });
      const rest = g.collapsed ? 0 : matches.length - page.length;
      g.more.hidden = rest <= 0;
      if (rest > 0) g.more.textContent = `Show ${fmtCount(Math.min(rest, PAGE_CHARTS))} more of ${fmtCount(rest)}`;
    }
    for (const [name, g] of this.groups) {
      if (!seenGroups.has(name)) {
        for (const node of Array.from(g.grid.children)) {
          const c = this.chartByEl.get(node);
          if (c) this.shownCharts.delete(c);
        }
        g.el.remove();
        this.groups.delete(name);
      }
    }
    this.emptyEl.hidden = !empty && nShown > 0;
    if (empty) this.emptyEl.textContent = "No scalars yet — waiting for data…";
    else if (nShown === 0) this.emptyEl.textContent = `No tags match “${this.filterText}”`;
    this.renderStatus(all, this.runEntries.length, this.tagSet.size, nShown);
  }

  private createChart(tag: string): ChartView {
    const chart = new ChartView(tag, this.theme);
    chart.onResize = () => {
      chart.dirty = true;
      this.schedule();
    };
    if (!this.io) chart.seen = true;
    this.charts.set(tag, chart);
    this.chartByEl.set(chart.el, chart);
    this.io?.observe(chart.el);
    return chart;
  }

  private setCollapsed(g: GroupView, collapsed: boolean): void {
    if (g.collapsed === collapsed) return;
    g.collapsed = collapsed;
    g.el.classList.toggle("nbviz-collapsed", collapsed);
    g.header.setAttribute("aria-expanded", String(!collapsed));
    g.caret.textContent = collapsed ? "▸" : "▾";
    g.grid.hidden = collapsed;
    if (collapsed) g.more.hidden = true;
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
    const more = el("button", "nbviz-more");
    more.type = "button";
    more.hidden = true;
    gel.append(header, grid, more);
    const g: GroupView = { name, el: gel, header, count, grid, caret, more, userCollapsed: null, collapsed: false, limit: PAGE_CHARTS };
    header.addEventListener("click", () => {
      g.userCollapsed = !g.collapsed;
      this.layoutDirty = true;
      this.schedule(); // build / redraw what became visible; totals in data-points change
    });
    more.addEventListener("click", () => {
      g.limit += PAGE_CHARTS;
      this.layoutDirty = true;
      this.schedule();
    });
    this.groups.set(name, g);
    return g;
  }

  /** The legend's first `legendShown` runs, their swatches and on/off state. */
  private renderLegend(all: RunEntry[], hidden: Set<string>): void {
    const runs = all.length > this.legendShown ? all.slice(0, this.legendShown) : all;
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
