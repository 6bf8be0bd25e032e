/**
 * The view shared by the Histograms and Distributions panels: toolbar (source
 * toggle, optional mode toggle, tag filter), charts grouped by layer / tag
 * prefix, one canvas per (run, tag), live updates from snapshots and appends,
 * hover through a chart-specific renderer.
 */
import type { AnyModel } from "@anywidget/types";
import { onThemeChange, type Theme } from "../../lib/theme";
import { SeqStream, type SeqData } from "../../lib/stream";
import { el, frameScheduler, releaseView, segmented, sizeCanvas, Tooltip } from "../../lib/dom";
import { applyTheme } from "./style";
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

/** What a snapshot or an append changed: relayout unless only known series grew. */
interface RowUpdate {
  snapshot: boolean;
  infos: readonly HistSeriesInfo[];
  fresh?: boolean;
}

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
  private readonly stream: SeqStream<RecordModel, HistSeriesInfo, RowUpdate>;
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

    this.stream = new SeqStream<RecordModel, HistSeriesInfo, RowUpdate>(
      model as unknown as AnyModel<RecordModel>, "histogram", "series", this.rowStream());
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
      this.stream.subscribe((u) => this.onRows(u)),
      () => this.stream.dispose(),
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
    this.stream.start();
  }

  private m<K extends keyof RecordModel>(key: K): RecordModel[K] {
    return (this.model as unknown as AnyModel<RecordModel>).get(key);
  }

  /** Re-render everything (theme, size, mode changes). */
  redrawAll(): void {
    this.allDirty = true;
    this.frame.request();
  }

  /** The rows as the snapshot/append stream (lib/stream.ts) sees them. */
  private rowStream(): SeqData<HistSeriesInfo, RowUpdate> {
    const data = this.data;
    const stride = () => Number(this.m("stride"));
    return {
      get seq() {
        return data.seq;
      },
      applySnapshot: (seq, infos, buf) => (data.applySnapshot(seq, stride(), infos, buf) ? { snapshot: true, infos } : null),
      applyAppend: (seq, infos, buf) => {
        const known = new Set(data.order);
        if (!data.applyAppend(seq, infos, buf)) return null;
        return { snapshot: false, infos, fresh: infos.some((s) => !known.has(s.id)) };
      },
    };
  }

  private onRows(u: RowUpdate): void {
    if (u.snapshot || u.fresh) {
      this.relayout();
      return;
    }
    for (const s of u.infos) this.dirty.add(s.id);
    this.frame.request();
    this.updateCounts();
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
    releaseView({ frame: this.frame, offs: this.offs, resize: this.resize, tooltip: this.tooltip, root: this.root });
  }
}
