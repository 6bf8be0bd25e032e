/**
 * The view shared by the Histograms and Distributions panels: toolbar (source
 * toggle, optional mode toggle, tag filter), charts grouped by layer / tag
 * prefix, one canvas per (run, tag), live updates from snapshots and appends,
 * hover through a chart-specific renderer.
 */
import type { AnyModel } from "@anywidget/types";
import { onThemeChange, type Theme } from "../../lib/theme";
import type { BufferLike } from "../../lib/wire";
import { applyTheme, el, frameScheduler, injectStyle, segmented, sizeCanvas, Tooltip } from "../../lib/dom";
import { RowData, tagMatcher, type HistSeries, type HistSeriesInfo } from "./rows";

export interface RecordModel {
  series: HistSeriesInfo[];
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
  stride: number;
  show_source: string;
  tag_filter: string;
  /** Runs switched off (e.g. by the Dashboard's run selector). */
  hidden_runs: string[];
  max_steps: number;
  title: string;
}

export interface ChartRenderer {
  /** Draw series `s` into a w×h (CSS px) context; `hover` is the pointer or null. */
  draw(ctx: CanvasRenderingContext2D, s: HistSeries, w: number, h: number, theme: Theme, hover: { x: number; y: number } | null): void;
  /** Tooltip text for the pointer at (x, y) in CSS px, or null. */
  describe(s: HistSeries, w: number, h: number, x: number, y: number): string | null;
}

export const SOURCE_LABELS: readonly { value: string; label: string }[] = [
  { value: "weights", label: "weights" },
  { value: "grads", label: "gradients" },
  { value: "activations", label: "activations" },
  { value: "updates", label: "updates" },
  { value: "user", label: "logged" },
  { value: "all", label: "all" },
];

interface Card {
  root: HTMLDivElement;
  canvas: HTMLCanvasElement;
  id: number;
  hover: { x: number; y: number } | null;
}

export class RecordPanelView<M extends RecordModel> {
  readonly data = new RowData();
  private readonly root: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly title: HTMLSpanElement;
  private readonly sourceToggle: ReturnType<typeof segmented>;
  private readonly filter: HTMLInputElement;
  private readonly tooltip: Tooltip;
  private readonly cards = new Map<number, Card>();
  private layoutKey = "";
  private theme: Theme;
  private readonly frame: ReturnType<typeof frameScheduler>;
  private readonly offs: (() => void)[] = [];
  private readonly resize: ResizeObserver | null;
  private dirty = new Set<number>();
  private allDirty = true;

  constructor(
    private readonly model: AnyModel<M>,
    host: HTMLElement,
    rootClass: string,
    private readonly chartClass: string,
    private readonly renderer: ChartRenderer,
    private readonly chartHeight: number,
    extraTools: (toolbar: HTMLDivElement, redraw: () => void) => void,
  ) {
    injectStyle();
    this.root = el("div", `nbviz-hpanel ${rootClass}`);
    host.appendChild(this.root);
    this.theme = applyTheme(this.root);
    const toolbar = el("div", "nbviz-htoolbar");
    this.title = el("span", "nbviz-htitle");
    toolbar.appendChild(this.title);
    this.sourceToggle = segmented("nbviz-hist-source", SOURCE_LABELS, this.m("show_source"), (v) => {
      this.model.set("show_source", v as M["show_source"]);
      this.model.save_changes();
      this.relayout();
    });
    for (const b of this.sourceToggle.root.querySelectorAll("button")) b.dataset.source = b.dataset.value ?? "";
    toolbar.appendChild(this.sourceToggle.root);
    extraTools(toolbar, () => this.redrawAll());
    this.filter = el("input", "nbviz-hfilter nbviz-tag-filter");
    this.filter.type = "search";
    this.filter.placeholder = "filter tags (regex)";
    this.filter.value = this.m("tag_filter");
    this.filter.addEventListener("input", () => {
      this.model.set("tag_filter", this.filter.value as M["tag_filter"]);
      this.model.save_changes();
      this.relayout();
    });
    toolbar.appendChild(this.filter);
    this.root.appendChild(toolbar);
    this.body = el("div", "nbviz-hbody");
    this.root.appendChild(this.body);
    this.tooltip = new Tooltip(this.root);
    this.frame = frameScheduler(() => this.draw());

    this.onSnapshot = this.onSnapshot.bind(this);
    this.onCustom = this.onCustom.bind(this);
    const snap = () => this.onSnapshot();
    model.on("change:snapshot_seq", snap);
    model.on("change:snapshot", snap);
    model.on("msg:custom", this.onCustom);
    const relayout = () => {
      this.sourceToggle.set(this.m("show_source"), this.sources());
      if (this.filter.value !== this.m("tag_filter")) this.filter.value = this.m("tag_filter");
      this.relayout();
    };
    model.on("change:show_source", relayout);
    model.on("change:tag_filter", relayout);
    model.on("change:hidden_runs", relayout);
    const retitle = () => (this.title.textContent = this.m("title"));
    model.on("change:title", retitle);
    retitle();
    this.offs.push(
      () => model.off("change:snapshot_seq", snap),
      () => model.off("change:snapshot", snap),
      () => model.off("msg:custom", this.onCustom),
      () => model.off("change:show_source", relayout),
      () => model.off("change:tag_filter", relayout),
      () => model.off("change:hidden_runs", relayout),
      () => model.off("change:title", retitle),
      onThemeChange(() => {
        this.theme = applyTheme(this.root);
        this.redrawAll();
      }),
    );
    this.resize = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => this.redrawAll()) : null;
    this.resize?.observe(this.root);
    this.onSnapshot();
  }

  private m<K extends keyof RecordModel>(key: K): RecordModel[K] {
    return (this.model as unknown as AnyModel<RecordModel>).get(key);
  }

  /** Re-render everything (theme, size, mode changes). */
  redrawAll(): void {
    this.allDirty = true;
    this.frame.request();
  }

  private onSnapshot(): void {
    const seq = Number(this.m("snapshot_seq") ?? 0);
    try {
      if (this.data.applySnapshot(seq, Number(this.m("stride")), this.m("series") ?? [], this.m("snapshot") as BufferLike | null)) {
        this.relayout();
      }
    } catch (e) {
      console.debug("nbviz: histogram snapshot not applied yet:", (e as Error).message);
    }
  }

  private onCustom(msg: unknown, buffers?: DataView[]): void {
    if (!msg || typeof msg !== "object") return;
    const m = msg as { type?: string; seq?: number; series?: HistSeriesInfo[] };
    if (m.type !== "append" || typeof m.seq !== "number" || !Array.isArray(m.series)) return;
    try {
      const known = new Set(this.data.order);
      if (!this.data.applyAppend(m.seq, m.series, buffers?.[0] ?? null)) return;
      if (m.series.some((s) => !known.has(s.id))) this.relayout();
      else {
        for (const s of m.series) this.dirty.add(s.id);
        this.frame.request();
        this.updateCounts();
      }
    } catch (e) {
      console.warn("nbviz: histogram append not applied:", (e as Error).message);
    }
  }

  private sources(): Set<string> {
    const out = new Set<string>(["all"]);
    for (const s of this.data.series.values()) out.add(s.info.source);
    return out;
  }

  private visible(): HistSeries[] {
    const src = this.m("show_source");
    const match = tagMatcher(this.m("tag_filter") ?? "");
    const hidden = new Set(this.m("hidden_runs") ?? []);
    return this.data
      .list()
      .filter((s) => (src === "all" || s.info.source === src) && match(s.info.tag) && !hidden.has(s.info.run));
  }

  private updateCounts(): void {
    this.root.dataset.records = String(this.data.totalRows());
    for (const card of this.cards.values()) {
      const s = this.data.series.get(card.id);
      if (s) card.root.dataset.steps = String(s.length);
    }
  }

  /** Rebuild the chart grid when the set of visible series changed. */
  relayout(): void {
    const shown = this.visible();
    this.sourceToggle.set(this.m("show_source"), this.sources());
    const key = shown.map((s) => s.info.id).join(",");
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      this.body.replaceChildren();
      this.cards.clear();
      if (shown.length === 0) {
        const msg = this.data.series.size === 0 ? "No histograms yet: they appear as the run records them." : "No histogram matches this source / filter.";
        this.body.appendChild(el("div", "nbviz-hempty", msg));
      }
      const groups = new Map<string, HistSeries[]>();
      for (const s of shown) {
        const g = groups.get(s.info.group) ?? [];
        g.push(s);
        groups.set(s.info.group, g);
      }
      for (const [group, list] of groups) {
        if (group) this.body.appendChild(el("div", "nbviz-hgroup-title", group));
        const grid = el("div", "nbviz-hgrid");
        for (const s of list) grid.appendChild(this.card(s));
        this.body.appendChild(grid);
      }
    }
    this.updateCounts();
    this.redrawAll();
  }

  private card(s: HistSeries): HTMLDivElement {
    const root = el("div", `nbviz-hcard ${this.chartClass}`);
    root.dataset.tag = s.info.tag;
    root.dataset.run = s.info.run;
    root.dataset.source = s.info.source;
    const title = el("div", "nbviz-hcard-title", s.info.param ? `${s.info.layer || "<model>"}.${s.info.param}` : s.info.tag);
    title.title = `${s.info.tag} — ${s.info.run}`;
    title.appendChild(el("span", "nbviz-hrun", s.info.run));
    root.appendChild(title);
    const canvas = el("canvas");
    root.appendChild(canvas);
    const card: Card = { root, canvas, id: s.info.id, hover: null };
    const move = (ev: MouseEvent) => {
      const r = canvas.getBoundingClientRect();
      card.hover = { x: ev.clientX - r.left, y: ev.clientY - r.top };
      const series = this.data.series.get(card.id);
      const text = series ? this.renderer.describe(series, r.width, r.height, card.hover.x, card.hover.y) : null;
      if (text) this.tooltip.show(text, ev.clientX, ev.clientY);
      else this.tooltip.hide();
      this.dirty.add(card.id);
      this.frame.request();
    };
    canvas.addEventListener("mousemove", move);
    canvas.addEventListener("mouseleave", () => {
      card.hover = null;
      this.tooltip.hide();
      this.dirty.add(card.id);
      this.frame.request();
    });
    this.cards.set(s.info.id, card);
    return root;
  }

  private draw(): void {
    for (const card of this.cards.values()) {
      if (!this.allDirty && !this.dirty.has(card.id)) continue;
      const s = this.data.series.get(card.id);
      if (!s) continue;
      const w = card.canvas.clientWidth || card.root.clientWidth || 300;
      const ctx = sizeCanvas(card.canvas, w, this.chartHeight);
      if (!ctx) continue;
      ctx.clearRect(0, 0, w, this.chartHeight);
      this.renderer.draw(ctx, s, w, this.chartHeight, this.theme, card.hover);
    }
    this.allDirty = false;
    this.dirty.clear();
  }

  destroy(): void {
    this.frame.cancel();
    for (const off of this.offs) off();
    this.resize?.disconnect();
    this.tooltip.remove();
    this.root.remove();
  }
}
