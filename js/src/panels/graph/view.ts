/**
 * The Graph panel's view: SVG boxes for the visible items (closed groups, nodes) inside
 * the open groups' containers, ELK-routed edges, pan/zoom, fit, search, hover and click
 * details, fan-in/fan-out highlight and the live statistic colouring. Everything runs
 * in the page: the kernel is busy training.
 */
import type { AnyModel } from "@anywidget/types";
import { el, fillSelect, Tooltip } from "../../lib/dom";
import { fmtValue } from "../../lib/format";
import { onThemeChange } from "../../lib/theme";
import { applyTheme } from "../histograms/style";
import type { PanelView } from "../../lib/panel";
import { openHeader } from "./geometry";
import { LARGE, Layouter, NODE_HEIGHT, nextTask, type Placed } from "./layout";
import {
  asView,
  chain,
  decodeOverlay,
  describeItem,
  fan,
  type Finding,
  fmtParams,
  type GraphView,
  itemKey,
  itemLabel,
  LOG_STATS,
  opensFor,
  overlayValue,
  scaleValue,
  search,
  viridis,
  type Visible,
  visible,
} from "./model";

export interface GraphModel {
  view: unknown;
  view_seq: number;
  statistics: string[];
  statistic: string;
  overlay_keys: string[];
  overlay: DataView | ArrayBuffer | null;
  overlay_seq: number;
  overlay_step: number;
  findings: Finding[];
  run_name: string;
  title: string;
}

export const STAT_LABELS: Record<string, string> = {
  grad_norm: "gradient norm",
  update_ratio: "update ratio ‖Δw‖/‖w‖",
  act_mean: "activation mean",
  act_std: "activation std",
  dead_frac: "dead units (fraction)",
};

const SVG = "http://www.w3.org/2000/svg";
let markerCounter = 0;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

function* range(start: number, end: number): Generator<number> {
  for (let i = start; i < end; i++) yield i;
}

/** Per edge [minX, minY, maxX, maxY] of its polyline, flat. */
function edgeBounds(placed: Placed): Float64Array {
  const out = new Float64Array(placed.edges.length * 4);
  placed.edges.forEach((pts, k) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of pts ?? []) {
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    out.set([x0, y0, x1, y1], 4 * k);
  });
  return out;
}

function pathOf(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("");
}

export class GraphPanelView implements PanelView {
  private readonly root: HTMLDivElement;
  private readonly canvas: HTMLDivElement;
  private readonly svgEl: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly details: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly searchBox: HTMLInputElement;
  private readonly searchInfo: HTMLSpanElement;
  private readonly select: HTMLSelectElement;
  private readonly legend: HTMLSpanElement;
  private readonly tooltip: Tooltip;
  private readonly layouter = new Layouter();
  private readonly markerId = `nbviz-graph-arrow-${++markerCounter}`;
  private view: GraphView = asView(null);
  private viewSeq = -1;
  private open = new Set<number>();
  private layouts = new Map<string, Placed>();
  private vis: Visible = { items: [], open: [], edges: [] };
  private placed: Placed | null = null;
  private layoutSeq = 0;
  private rendered = 0;
  /** sparse past LARGE boxes: only the boxes / edges near the viewport get elements */
  private itemEls: SVGGElement[] = [];
  private edgeEls: SVGPathElement[] = [];
  private itemsLayer: SVGGElement | null = null;
  private edgesLayer: SVGGElement | null = null;
  private culled = false;
  private edgeBounds: Float64Array = new Float64Array(0);
  private fillPending = 0;
  private selected = -1;
  private fanIn = new Set<number>();
  private fanOut = new Set<number>();
  /** per visible item: colour position in [0, 1] (NaN: none) and its findings */
  private tints: Float64Array = new Float64Array(0);
  private flags: Finding[][] = [];
  private hitInside = new Set<string>();
  private hits = new Set<string>();
  private hitList: { kind: "node" | "group"; index: number }[] = [];
  private hitCursor = 0;
  private k = 1;
  private tx = 0;
  private ty = 0;
  private fitted = false;
  private anchor: { id: string; sx: number; sy: number } | null = null;
  private revealId: string | null = null;
  private readonly offs: (() => void)[] = [];
  private searchTimer = 0;

  constructor(private readonly model: AnyModel<GraphModel>, host: HTMLElement) {
    this.root = el("div", "nbviz-graph");
    host.appendChild(this.root);
    applyTheme(this.root);
    const toolbar = el("div", "nbviz-graph-toolbar");
    const title = el("span", "nbviz-graph-title");
    this.searchBox = el("input", "nbviz-graph-search");
    this.searchBox.type = "search";
    this.searchBox.placeholder = "search name / type (Enter: next)";
    this.searchInfo = el("span", "nbviz-graph-hits");
    const fit = el("button", "nbviz-graph-fit", "Fit");
    const collapse = el("button", "nbviz-graph-collapse", "Collapse all");
    this.select = el("select", "nbviz-graph-stat");
    fillSelect(this.select, model.get("statistics") ?? Object.keys(STAT_LABELS), (name) => STAT_LABELS[name] ?? name);
    this.select.value = model.get("statistic");
    this.legend = el("span", "nbviz-graph-legend");
    toolbar.append(title, this.searchBox, this.searchInfo, fit, collapse, this.select, this.legend);
    this.status = el("div", "nbviz-graph-status");
    const body = el("div", "nbviz-graph-body");
    this.canvas = el("div", "nbviz-graph-canvas");
    this.svgEl = svg("svg", { class: "nbviz-graph-svg" });
    const defs = svg("defs");
    const marker = svg("marker", { id: this.markerId, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M0,0L10,5L0,10z", class: "nbviz-graph-arrowhead" }));
    defs.appendChild(marker);
    this.viewport = svg("g", { class: "nbviz-graph-viewport" });
    this.svgEl.append(defs, this.viewport);
    this.canvas.appendChild(this.svgEl);
    this.details = el("div", "nbviz-graph-details");
    body.append(this.canvas, this.details);
    this.root.append(toolbar, this.status, body);
    this.tooltip = new Tooltip(this.root);

    const setTitle = () => {
      title.textContent = model.get("title") || this.view.name || "Graph";
    };
    fit.addEventListener("click", () => this.fit());
    collapse.addEventListener("click", () => {
      this.open.clear();
      this.relayout(null);
    });
    this.select.addEventListener("change", () => {
      model.set("statistic", this.select.value);
      model.save_changes();
      this.colour();
    });
    this.searchBox.addEventListener("input", () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.runSearch(), 120);
    });
    this.searchBox.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        this.runSearch();
        this.revealNext();
      }
    });
    this.bindPointer();

    const onView = () => {
      this.loadView();
      setTitle();
    };
    const onOverlay = () => this.colour();
    model.on("change:view_seq", onView);
    model.on("change:overlay_seq", onOverlay);
    model.on("change:title", setTitle);
    model.on("change:statistic", () => {
      this.select.value = model.get("statistic");
      this.colour();
    });
    this.offs.push(
      () => model.off("change:view_seq", onView),
      () => model.off("change:overlay_seq", onOverlay),
      () => model.off("change:title", setTitle),
      onThemeChange(() => {
        applyTheme(this.root);
        this.colour();
      }),
    );
    onView();
    // data-elk: whether later layouts can use the ELK worker (the first may not wait for it)
    this.root.dataset.elk = "starting";
    this.layouter.whenWarm().then(
      () => (this.root.dataset.elk = "ready"),
      () => (this.root.dataset.elk = "failed"),
    );
  }

  // -- data ---------------------------------------------------------------------------

  private loadView(): void {
    const seq = this.model.get("view_seq");
    if (seq === this.viewSeq) return;
    this.viewSeq = seq;
    this.view = asView(this.model.get("view"));
    this.open = new Set();
    this.layouts.clear();
    this.fitted = false;
    this.selected = -1;
    this.showStatus();
    this.relayout(null);
  }

  private showStatus(): void {
    const c = this.view.capture;
    const parts: string[] = [];
    const n = this.view.nodes.length;
    parts.push(`${n} nodes, ${this.view.groups.length} groups`);
    if (this.view.params) parts.push(`${fmtParams(this.view.params)} parameters`);
    if (c.method) parts.push(`captured with ${c.method}`);
    for (const f of c.fallbacks ?? []) parts.push(`${f.method} failed: ${f.reason}`);
    this.status.textContent = parts.join(" · ");
    this.status.classList.toggle("nbviz-graph-partial", !!c.error);
    if (c.error) {
      const err = el("div", "nbviz-graph-error", `partial graph — the forward raised: ${c.error}`);
      this.status.appendChild(err);
    }
  }

  // -- layout ---------------------------------------------------------------------------

  private relayout(anchorId: string | null): void {
    if (anchorId) {
      // where the clicked box is on screen now (in the layout before this one)
      const pos = this.vis.items.findIndex((it) => it.id === anchorId);
      const box = pos >= 0 ? this.placed?.items[pos] : undefined;
      this.anchor = null;
      if (box) this.anchor = { id: anchorId, sx: box.x * this.k + this.tx, sy: box.y * this.k + this.ty };
    }
    this.vis = visible(this.view, this.open);
    const seq = ++this.layoutSeq;
    const vis = this.vis;
    this.root.dataset.state = "layout";
    const key = [...this.open].sort((a, b) => a - b).join(",");
    const cached = this.layouts.get(key);
    (cached ? Promise.resolve(cached) : this.layouter.layout(this.view, vis))
      .then(async (placed) => {
        this.remember(key, placed);
        if (placed.engine === "layered" || cached) await nextTask(); // the render in a task of its own
        if (seq !== this.layoutSeq) return; // a newer layout was requested
        return this.render(vis, placed, seq);
      })
      .catch((err: unknown) => {
        if (seq !== this.layoutSeq) return;
        this.root.dataset.state = "error";
        this.status.textContent = `layout failed: ${String(err)}`;
      });
  }

  /** Layouts of this view by open set: going back to a state seen before costs no layout. */
  private remember(key: string, placed: Placed): void {
    this.layouts.delete(key);
    this.layouts.set(key, placed);
    while (this.layouts.size > GraphPanelView.KEEP_LAYOUTS) this.layouts.delete(this.layouts.keys().next().value!);
  }

  static KEEP_LAYOUTS = 16;

  /** Items / edges appended per animation frame: no main-thread task grows with the graph. */
  static CHUNK = 120;
  /** Past LARGE boxes: at most this many new boxes / edges per frame while panning. */
  static FRAME_BUDGET = 300;

  private async render(vis: Visible, placed: Placed, seq: number): Promise<void> {
    const previous = this.placed;
    this.placed = placed;
    let work = 0;
    let t = performance.now();
    const groupsLayer = svg("g", { class: "nbviz-graph-groups" });
    const edgesLayer = svg("g", { class: "nbviz-graph-edges" });
    const itemsLayer = svg("g", { class: "nbviz-graph-items" });
    for (const g of vis.open) {
      const box = placed.open.get(g);
      if (!box) continue;
      const group = this.view.groups[g]!;
      const c = svg("g", { class: "nbviz-graph-open", "data-open": g, "data-path": group.path });
      c.appendChild(svg("rect", { x: box.x, y: box.y, width: box.width, height: box.height, rx: 6 }));
      const header = svg("text", { x: box.x + 8, y: box.y + 16, class: "nbviz-graph-open-label" });
      header.textContent = openHeader(this.view, g);
      c.appendChild(header);
      groupsLayer.appendChild(c);
    }
    this.viewport.replaceChildren(groupsLayer, edgesLayer, itemsLayer);
    this.itemsLayer = itemsLayer;
    this.edgesLayer = edgesLayer;
    this.itemEls = new Array<SVGGElement>(vis.items.length);
    this.edgeEls = new Array<SVGPathElement>(vis.edges.length);
    this.culled = vis.items.length > LARGE;
    this.edgeBounds = this.culled ? edgeBounds(placed) : new Float64Array(0);
    this.tooltip.hide();
    this.selected = -1;
    this.fanIn.clear();
    this.fanOut.clear();
    this.tints = new Float64Array(vis.items.length).fill(NaN);
    this.flags = [];
    this.root.classList.remove("nbviz-graph-focus");
    this.details.textContent = "";
    this.details.appendChild(el("div", "nbviz-graph-hint", "click a group to expand it, a node to see its inputs and outputs"));
    let reveal = -1;
    if (this.revealId) {
      reveal = vis.items.findIndex((it) => it.id === this.revealId);
      this.revealId = null;
      if (reveal >= 0) this.centerOn(reveal);
    } else if (!this.fitted || !previous) {
      this.fit();
      this.fitted = true;
    } else if (this.anchor) {
      // keep the expanded / collapsed group where the user clicked it
      const a = this.anchor;
      const pos = vis.items.findIndex((it) => it.id === a.id);
      let box = pos >= 0 ? placed.items[pos] : undefined;
      if (!box && a.id.startsWith("g")) box = placed.open.get(Number(a.id.slice(1)));
      if (box) {
        this.tx = a.sx - box.x * this.k;
        this.ty = a.sy - box.y * this.k;
      }
      this.anchor = null;
    }
    this.computeHits();
    this.computeColours();
    this.applyTransform();
    if (this.culled) {
      // only what the viewport shows (the rest on pan / zoom): one frame, any graph size
      this.fillViewport();
    } else {
      const chunk = GraphPanelView.CHUNK;
      for (let start = 0; start < vis.items.length || start < vis.edges.length; start += chunk) {
        if (start > 0) {
          work += performance.now() - t;
          await nextFrame();
          if (seq !== this.layoutSeq) return; // superseded while appending
          t = performance.now();
        }
        this.addElements(range(start, Math.min(vis.items.length, start + chunk)),
          range(start, Math.min(vis.edges.length, start + chunk)));
      }
    }
    this.showColours();
    if (reveal >= 0) this.selectItem(reveal);
    this.rendered++;
    this.root.dataset.state = "ready";
    this.root.dataset.layoutSeq = String(this.rendered);
    this.root.dataset.items = String(vis.items.length);
    this.root.dataset.layoutMs = placed.millis.toFixed(1);
    this.root.dataset.engine = placed.engine;
    this.root.dataset.reused = String(placed.reused ?? 0);
    this.root.dataset.renderMs = (work + performance.now() - t).toFixed(1);
  }

  private itemElement(vis: Visible, placed: Placed, pos: number): SVGGElement {
    const item = vis.items[pos]!;
    const box = placed.items[pos] ?? { x: 0, y: 0, width: 60, height: NODE_HEIGHT };
    const label = itemLabel(this.view, item);
    const g = svg("g", {
      class: `nbviz-graph-item nbviz-graph-${item.kind}`,
      transform: `translate(${box.x.toFixed(1)},${box.y.toFixed(1)})`,
      "data-pos": pos,
      "data-id": item.id,
      "data-kind": item.kind,
      "data-key": itemKey(this.view, item),
    });
    g.setAttribute("data-label", label);
    g.appendChild(svg("rect", { width: box.width, height: box.height, rx: item.kind === "group" ? 6 : 4 }));
    const text = svg("text", { x: 8, y: box.height / 2 + 4 });
    text.textContent = item.kind === "group" ? `▸ ${label}` : label;
    g.appendChild(text);
    if (item.kind === "group") {
      const group = this.view.groups[item.index]!;
      if (group.repeat > 1) {
        const badge = svg("text", { x: box.width - 6, y: 12, class: "nbviz-graph-badge", "text-anchor": "end" });
        badge.textContent = `×${group.repeat}`;
        g.appendChild(badge);
      }
    }
    const flag = svg("text", { x: box.width - 6, y: box.height - 4, class: "nbviz-graph-flag", "text-anchor": "end" });
    g.appendChild(flag);
    return g;
  }

  private edgeElement(k: number): SVGPathElement {
    const e = this.vis.edges[k]!;
    const pts = this.placed?.edges[k];
    const p = svg("path", {
      d: pts ? pathOf(pts) : "",
      class: "nbviz-graph-edge",
      "marker-end": `url(#${this.markerId})`,
      "data-src": this.vis.items[e.source]!.id,
      "data-dst": this.vis.items[e.target]!.id,
    });
    if (e.count > 1) p.setAttribute("stroke-width", String(Math.min(4, 1 + Math.log2(e.count))));
    return p;
  }

  /** Create the elements of these items / edges (those that have none yet), decorated. */
  private addElements(items: Iterable<number>, edges: Iterable<number>): void {
    const placed = this.placed;
    if (!placed || !this.itemsLayer || !this.edgesLayer) return;
    const itemFrag = document.createDocumentFragment();
    for (const pos of items) {
      if (this.itemEls[pos]) continue;
      const g = this.itemElement(this.vis, placed, pos);
      this.itemEls[pos] = g;
      this.decorate(pos);
      itemFrag.appendChild(g);
    }
    this.itemsLayer.appendChild(itemFrag);
    const edgeFrag = document.createDocumentFragment();
    for (const k of edges) {
      if (this.edgeEls[k]) continue;
      const p = this.edgeElement(k);
      this.edgeEls[k] = p;
      this.decorateEdge(k);
      edgeFrag.appendChild(p);
    }
    this.edgesLayer.appendChild(edgeFrag);
  }

  /** Past LARGE boxes: give elements to the boxes and edges in (or near) the viewport. */
  private fillViewport(): void {
    const placed = this.placed;
    if (!this.culled || !placed) return;
    const w = this.canvas.clientWidth || 800;
    const h = this.canvas.clientHeight || 520;
    // the viewport in layout coordinates, half a screen of margin around it
    const x0 = (-this.tx - w / 2) / this.k;
    const y0 = (-this.ty - h / 2) / this.k;
    const x1 = (1.5 * w - this.tx) / this.k;
    const y1 = (1.5 * h - this.ty) / this.k;
    const items: number[] = [];
    placed.items.forEach((b, pos) => {
      if (!this.itemEls[pos] && b.x < x1 && b.x + b.width > x0 && b.y < y1 && b.y + b.height > y0) items.push(pos);
    });
    const edges: number[] = [];
    const eb = this.edgeBounds;
    for (let k = 0; k < placed.edges.length; k++) {
      if (!this.edgeEls[k] && eb[4 * k]! < x1 && eb[4 * k + 2]! > x0 && eb[4 * k + 1]! < y1 && eb[4 * k + 3]! > y0) edges.push(k);
    }
    const budget = GraphPanelView.FRAME_BUDGET;
    this.addElements(items.slice(0, budget), edges.slice(0, budget));
    if (items.length > budget || edges.length > budget) this.scheduleFill(); // zoomed far out: the rest next frames
  }

  private scheduleFill(): void {
    if (!this.culled || this.fillPending) return;
    this.fillPending = requestAnimationFrame(() => {
      this.fillPending = 0;
      this.fillViewport();
    });
  }

  /** Apply colour, findings, search hits and fan-in/fan-out to item `pos`'s element. */
  private decorate(pos: number): void {
    const g = this.itemEls[pos];
    if (!g) return;
    const rect = g.firstElementChild as SVGRectElement | null;
    const t = this.tints[pos]!;
    if (rect) rect.style.fill = Number.isFinite(t) ? viridis(t) : "";
    g.classList.toggle("nbviz-graph-valued", Number.isFinite(t));
    g.classList.toggle("nbviz-graph-light-text", Number.isFinite(t) && t < 0.55);
    const flagged = this.flags[pos] ?? [];
    g.classList.toggle("nbviz-graph-flagged", flagged.length > 0);
    const flag = g.lastElementChild;
    if (flag) flag.textContent = flagged.length ? `⚠${flagged.length > 1 ? flagged.length : ""}` : "";
    const id = this.vis.items[pos]!.id;
    g.classList.toggle("nbviz-graph-hit", this.hits.has(id));
    g.classList.toggle("nbviz-graph-hit-inside", !this.hits.has(id) && this.hitInside.has(id));
    g.classList.toggle("nbviz-graph-selected", pos === this.selected);
    g.classList.toggle("nbviz-graph-in", this.fanIn.has(pos));
    g.classList.toggle("nbviz-graph-out", this.fanOut.has(pos));
  }

  private decorateEdge(k: number): void {
    const p = this.edgeEls[k];
    const e = this.vis.edges[k];
    if (!p || !e) return;
    p.classList.toggle("nbviz-graph-edge-in", e.target === this.selected);
    p.classList.toggle("nbviz-graph-edge-out", e.source === this.selected);
  }

  // -- pan / zoom ---------------------------------------------------------------------

  private applyTransform(): void {
    // far out, labels and arrowheads are unreadable: skip painting them (level of detail)
    this.root.classList.toggle("nbviz-graph-far", this.k < 0.35 && this.vis.items.length > 200);
    this.viewport.setAttribute("transform", `translate(${this.tx.toFixed(1)},${this.ty.toFixed(1)}) scale(${this.k.toFixed(4)})`);
    this.scheduleFill();
  }

  fit(): void {
    if (!this.placed) return;
    const w = this.canvas.clientWidth || 800;
    const h = this.canvas.clientHeight || 520;
    const pw = Math.max(1, this.placed.width);
    const ph = Math.max(1, this.placed.height);
    this.k = Math.max(0.05, Math.min(1.5, Math.min((w - 20) / pw, (h - 20) / ph)));
    this.tx = (w - pw * this.k) / 2;
    this.ty = Math.max(10, (h - ph * this.k) / 2);
    this.applyTransform();
  }

  private centerOn(pos: number): void {
    const box = this.placed?.items[pos];
    if (!box) return;
    const w = this.canvas.clientWidth || 800;
    const h = this.canvas.clientHeight || 520;
    this.k = Math.max(this.k, 0.8);
    this.tx = w / 2 - (box.x + box.width / 2) * this.k;
    this.ty = h / 2 - (box.y + box.height / 2) * this.k;
    this.applyTransform();
  }

  private bindPointer(): void {
    let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    this.svgEl.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = this.svgEl.getBoundingClientRect();
      const mx = ev.clientX - r.left;
      const my = ev.clientY - r.top;
      const f = Math.exp(-ev.deltaY * 0.0015);
      const k = Math.max(0.03, Math.min(4, this.k * f));
      this.tx = mx - ((mx - this.tx) * k) / this.k;
      this.ty = my - ((my - this.ty) * k) / this.k;
      this.k = k;
      this.applyTransform();
    }, { passive: false });
    this.svgEl.addEventListener("pointerdown", (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    this.svgEl.addEventListener("pointermove", (ev) => {
      if (drag && (ev.buttons & 1)) {
        const dx = ev.clientX - drag.x;
        const dy = ev.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.moved) {
          this.tx = drag.tx + dx;
          this.ty = drag.ty + dy;
          this.applyTransform();
          this.tooltip.hide();
          return;
        }
      }
      this.hover(ev);
    });
    this.svgEl.addEventListener("pointerleave", () => this.tooltip.hide());
    this.svgEl.addEventListener("click", (ev) => {
      const wasDrag = drag?.moved;
      drag = null;
      if (wasDrag) return;
      this.click(ev);
    });
  }

  private itemAt(ev: Event): number {
    const target = ev.target as Element | null;
    const g = target?.closest?.("[data-pos]");
    return g ? Number(g.getAttribute("data-pos")) : -1;
  }

  private hover(ev: PointerEvent): void {
    const pos = this.itemAt(ev);
    const item = pos >= 0 ? this.vis.items[pos] : undefined;
    if (!item) {
      this.tooltip.hide();
      return;
    }
    const lines = describeItem(this.view, item);
    const value = this.valueOf(pos);
    if (Number.isFinite(value)) lines.push(`${STAT_LABELS[this.model.get("statistic")] ?? this.model.get("statistic")}: ${fmtValue(value)}`);
    for (const f of this.findingsFor(itemKey(this.view, item))) lines.push(`⚠ ${f.rule}: ${f.message}`);
    this.tooltip.show(lines.join("\n"), ev.clientX, ev.clientY);
  }

  private click(ev: MouseEvent): void {
    const target = ev.target as Element | null;
    const header = target?.closest?.("[data-open]");
    const pos = this.itemAt(ev);
    if (pos < 0 && header) {
      const g = Number(header.getAttribute("data-open"));
      for (const other of [...this.open]) if (chain(this.view, other).includes(g)) this.open.delete(other);
      this.relayout(null);
      this.anchor = null;
      return;
    }
    const item = pos >= 0 ? this.vis.items[pos] : undefined;
    if (!item) {
      this.selectItem(-1);
      return;
    }
    if (item.kind === "group") {
      this.expand(item.index);
      return;
    }
    this.selectItem(pos === this.selected ? -1 : pos);
  }

  /** Open group `g` in place. */
  expand(g: number): void {
    const id = `g${g}`;
    this.open.add(g);
    this.relayout(id);
  }

  private selectItem(pos: number): void {
    this.selected = pos;
    const item = pos >= 0 ? this.vis.items[pos] : undefined;
    this.root.classList.toggle("nbviz-graph-focus", !!item);
    const { inputs, outputs } = item ? fan(this.vis, pos) : { inputs: new Set<number>(), outputs: new Set<number>() };
    this.fanIn = inputs;
    this.fanOut = outputs;
    this.itemEls.forEach((_, i) => this.decorate(i));
    this.edgeEls.forEach((_, k) => this.decorateEdge(k));
    this.details.textContent = "";
    if (!item) return;
    const lines = describeItem(this.view, item);
    this.details.appendChild(el("div", "nbviz-graph-details-title", lines[0] ?? ""));
    for (const line of lines.slice(1)) this.details.appendChild(el("div", "", line));
    const names = (set: Set<number>) => [...set].map((i) => itemLabel(this.view, this.vis.items[i]!)).join(", ") || "—";
    this.details.appendChild(el("div", "nbviz-graph-details-in", `inputs: ${names(inputs)}`));
    this.details.appendChild(el("div", "nbviz-graph-details-out", `outputs: ${names(outputs)}`));
  }

  // -- search ---------------------------------------------------------------------------

  private runSearch(): void {
    const q = this.searchBox.value;
    const found = search(this.view, q);
    this.hitList = [
      ...found.groups.map((index) => ({ kind: "group" as const, index })),
      ...found.nodes.map((index) => ({ kind: "node" as const, index })),
    ];
    this.hits = new Set(this.hitList.map((h) => `${h.kind === "group" ? "g" : "n"}${h.index}`));
    this.hitCursor = 0;
    this.searchInfo.textContent = q.trim() ? `${this.hitList.length}${this.hitList.length >= 200 ? "+" : ""} found` : "";
    this.computeHits();
    this.itemEls.forEach((_, i) => this.decorate(i));
  }

  /** Expand to the next search hit, centre it and select it. */
  private revealNext(): void {
    if (!this.hitList.length) return;
    const hit = this.hitList[this.hitCursor % this.hitList.length]!;
    this.hitCursor++;
    const id = `${hit.kind === "group" ? "g" : "n"}${hit.index}`;
    const needed = opensFor(this.view, hit.kind, hit.index).filter((g) => !this.open.has(g));
    const pos = this.vis.items.findIndex((it) => it.id === id);
    if (!needed.length && pos >= 0) {
      this.centerOn(pos);
      this.selectItem(pos);
      return;
    }
    for (const g of needed) this.open.add(g);
    this.revealId = id;
    this.relayout(null);
  }

  private computeHits(): void {
    // a hit inside a closed group marks the group
    const containing = new Set<string>();
    for (const h of this.hitList) {
      const g = h.kind === "node" ? this.view.nodes[h.index]?.group ?? -1 : this.view.groups[h.index]?.parent ?? -1;
      for (const a of g >= 0 ? chain(this.view, g) : []) containing.add(`g${a}`);
    }
    this.hitInside = containing;
  }

  // -- overlay --------------------------------------------------------------------------

  private overlayRow(): { keys: string[]; values: Float64Array | undefined } {
    const keys = this.model.get("overlay_keys") ?? [];
    const stats = this.model.get("statistics") ?? [];
    const rows = decodeOverlay(this.model.get("overlay"), keys.length, stats.length);
    const idx = stats.indexOf(this.model.get("statistic"));
    return { keys, values: rows && idx >= 0 ? rows[idx] : undefined };
  }

  private valueOf(pos: number): number {
    const item = this.vis.items[pos];
    if (!item) return NaN;
    const { keys, values } = this.overlayRow();
    return overlayValue(keys, values, this.model.get("statistic"), itemKey(this.view, item), this.view.separator, item.kind === "group");
  }

  private findingsFor(key: string): Finding[] {
    if (!key) return [];
    return (this.model.get("findings") ?? []).filter((f) => f.layer === key || f.layer.startsWith(key + this.view.separator));
  }

  /** Colour every visible item by the chosen statistic; flag modules with findings. */
  private colour(): void {
    this.computeColours();
    this.showColours();
  }

  private showColours(): void {
    this.itemEls.forEach((_, i) => this.decorate(i));
  }

  /** Per visible item: its colour position and findings; the legend and root data. */
  private computeColours(): void {
    const statistic = this.model.get("statistic");
    const { keys, values } = this.overlayRow();
    const index = new Map(keys.map((k, i) => [k, i]));
    const log = LOG_STATS.has(statistic);
    const v = this.vis.items.map((item) =>
      overlayValue(keys, values, statistic, itemKey(this.view, item), this.view.separator, item.kind === "group", index),
    );
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) {
      if (!Number.isFinite(x) || (log && x <= 0)) continue;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const any = lo <= hi;
    let coloured = 0;
    this.tints = Float64Array.from(v, (x) => {
      const t = any ? scaleValue(x, lo, hi, log) : NaN;
      if (Number.isFinite(t)) coloured++;
      return t;
    });
    const findings = this.model.get("findings") ?? [];
    this.flags = findings.length ? this.vis.items.map((item) => this.findingsFor(itemKey(this.view, item))) : [];
    this.root.dataset.coloured = String(coloured);
    this.root.dataset.overlayStep = String(this.model.get("overlay_step"));
    this.legend.textContent = "";
    if (any) {
      const bar = el("span", "nbviz-graph-legend-bar");
      bar.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(viridis).join(", ")})`;
      this.legend.append(el("span", "", fmtValue(lo)), bar, el("span", "", fmtValue(hi)));
      const step = this.model.get("overlay_step");
      if (step >= 0) this.legend.append(el("span", "nbviz-graph-step", `step ${step}`));
    } else if ((this.model.get("overlay_keys") ?? []).length === 0) {
      this.legend.append(el("span", "nbviz-graph-step", "no training statistics (nbviz.watch)"));
    }
  }

  destroy(): void {
    for (const off of this.offs) off();
    window.clearTimeout(this.searchTimer);
    this.layoutSeq++;
    cancelAnimationFrame(this.fillPending);
    this.layouter.dispose();
    this.root.remove();
  }
}
