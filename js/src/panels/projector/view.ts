/**
 * One view of the Projector: toolbar, WebGL stage (pan/zoom in 2-D, orbit in
 * 3-D), hover tooltip with thumbnail, selection + nearest neighbours, regex
 * search, legend, step slider with animation, progress of kernel reductions.
 * All interaction is in the page; only new reductions (and neighbours of
 * embeddings too large to hold here) go to the kernel.
 *
 * DOM hooks (tests): root `.nbviz-projector` with data-points, data-dims,
 * data-method, data-projection, data-dataset, data-step, data-matches,
 * data-selected, data-neighbors, data-hover, data-frames, data-render-ms;
 * `canvas.nbviz-proj-canvas`, `.nbviz-proj-tooltip`, `.nbviz-proj-search`,
 * `.nbviz-proj-neighbor[data-index][data-distance]`, `.nbviz-proj-methods
 * button[data-method]`, `.nbviz-proj-dims button[data-dims]`, `input.nbviz-proj-step`,
 * `.nbviz-proj-legend-item[data-category]`. The root element also carries a
 * `nbvizProjector` object: `screenOf(i)` (CSS pixels relative to the canvas) and
 * `label(i)`.
 */
import type { AnyModel } from "@anywidget/types";
import { parseColor } from "../../lib/colors";
import { onThemeChange, readTheme, type Theme } from "../../lib/theme";
import {
  cameraMatrix,
  defaultCamera,
  dolly,
  normalise,
  orbit,
  pan,
  zoomAt,
  type CameraState,
  type Mat4,
} from "./camera";
import { nearestNeighbours } from "./knn";
import { categoryColor, categoryCounts, colormapCss, pointColors } from "./palette";
import { ScreenIndex } from "./pick";
import { PointRenderer } from "./renderer";
import { searchColumn } from "./search";
import type { ProjectorModel, ProjectorState } from "./state";
import { columnText, formatValue, type Column, type DatasetData, type DatasetInfo, type Method, type Metric, type Positions, type Projection } from "./wire";
import { el, frameScheduler, setThemeVars } from "../../lib/dom";

const METHOD_LABEL: Record<Method, string> = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };
const ANIMATION_MS = 700;
/** while the camera moves, draw at most this many points (a uniform sample), then all */
const INTERACTIVE_POINTS = 100_000;
const SETTLE_MS = 180;
const PLAY_MS = 1400;

const PARAM_FIELDS: Record<Method, { name: string; label: string; kind: "number" | "metric" | "sample"; step?: string }[]> = {
  pca: [],
  tsne: [
    { name: "perplexity", label: "perplexity", kind: "number", step: "1" },
    { name: "metric", label: "metric", kind: "metric" },
    { name: "sample", label: "fit on", kind: "sample" },
  ],
  umap: [
    { name: "n_neighbors", label: "neighbours", kind: "number", step: "1" },
    { name: "min_dist", label: "min dist", kind: "number", step: "0.05" },
    { name: "metric", label: "metric", kind: "metric" },
    { name: "sample", label: "fit on", kind: "sample" },
  ],
};

function rgb(css: string, fallback: [number, number, number]): [number, number, number] {
  const c = parseColor(css);
  return c ? [c[0], c[1], c[2]] : fallback;
}

interface Shown {
  info: DatasetInfo;
  data: DatasetData;
  positions: Positions;
  projection: Projection;
}

export class ProjectorView {
  private readonly root: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private renderer: PointRenderer | null = null;
  private readonly index = new ScreenIndex(12);
  private indexDirty = true;
  private camera: CameraState = defaultCamera(3);
  private theme: Theme;
  private shown: Shown | null = null;
  private xyzFrom: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private xyzTo: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private animStart = 0;
  private animating = false;
  private colorColumn: Column | null = null;
  private matches: Uint8Array | null = null;
  private matchCount = 0;
  private selected = -1;
  private neighbours: { indices: Int32Array; distances: Float32Array } | null = null;
  private neighbourRequest = 0;
  private hover = -1;
  private readonly frame = frameScheduler(() => this.draw());
  private frames = 0;
  private playing: ReturnType<typeof setInterval> | null = null;
  private drag: { x: number; y: number; moved: boolean; id: number } | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private destroyed = false;

  // toolbar / panels
  private readonly groupSelect = el("select", "nbviz-proj-group");
  private readonly methodButtons = new Map<Method, HTMLButtonElement>();
  private readonly dimButtons = new Map<number, HTMLButtonElement>();
  private readonly paramsBox = el("span", "nbviz-proj-params");
  private readonly colorSelect = el("select", "nbviz-proj-color");
  private readonly labelSelect = el("select", "nbviz-proj-label");
  private readonly searchInput = el("input", "nbviz-proj-search");
  private readonly searchColumn = el("select", "nbviz-proj-search-column");
  private readonly matchesLabel = el("span", "nbviz-proj-matches");
  private readonly tooltip = el("div", "nbviz-proj-tooltip");
  private readonly legend = el("div", "nbviz-proj-legend");
  private readonly progressBox = el("div", "nbviz-proj-progress");
  private readonly progressText = el("span");
  private readonly progressBar = el("div");
  private readonly empty = el("div", "nbviz-proj-empty", "waiting for an embedding…");
  private readonly sideHead = el("div", "nbviz-proj-side-head", "No point selected");
  private readonly neighbourList = el("ul", "nbviz-proj-neighbors");
  private readonly metricSelect = el("select", "nbviz-proj-metric");
  private readonly kInput = el("input", "nbviz-proj-k");
  private readonly stepInput = el("input", "nbviz-proj-step");
  private readonly stepLabel = el("span", "nbviz-proj-step-label");
  private readonly playButton = el("button", "nbviz-proj-btn nbviz-proj-play", "▶");
  private readonly status = el("div", "nbviz-proj-status");
  private readonly title = el("div", "nbviz-proj-title");

  constructor(
    private readonly model: AnyModel<ProjectorModel>,
    host: HTMLElement,
    private readonly state: ProjectorState,
  ) {
    this.theme = readTheme(host);
    this.root = el("div", "nbviz-projector");
    this.canvas = el("canvas", "nbviz-proj-canvas");
    this.canvas.tabIndex = 0;
    this.buildDom();
    setThemeVars(this.root, this.theme);
    host.appendChild(this.root);
    try {
      this.renderer = new PointRenderer(this.canvas);
    } catch (e) {
      this.empty.hidden = false;
      this.empty.textContent = `WebGL is not available: ${(e as Error).message}`;
    }
    this.bindEvents();
    const sync = () => this.update();
    this.unsubscribe.push(this.state.subscribe(sync));
    for (const trait of ["datasets", "group", "step", "method", "dims", "params", "color_by", "label_by", "search", "search_column", "neighbors", "metric", "point_size", "hidden_runs", "title"]) {
      const ev = `change:${trait}`;
      model.on(ev, sync);
      this.unsubscribe.push(() => model.off(ev, sync));
    }
    this.unsubscribe.push(
      onThemeChange(() => {
        this.theme = readTheme(this.root);
        setThemeVars(this.root, this.theme);
        this.requestFrame();
      }),
    );
    (this.root as unknown as { nbvizProjector: unknown }).nbvizProjector = {
      screenOf: (i: number) => this.screenOf(i),
      label: (i: number) => this.labelOf(i),
    };
    this.update();
  }

  // ---------------------------------------------------------------- DOM

  private buildDom(): void {
    const toolbar = el("div", "nbviz-proj-toolbar");
    this.groupSelect.title = "embedding (run / tag)";
    const methods = el("span", "nbviz-proj-seg nbviz-proj-methods");
    for (const m of ["pca", "tsne", "umap"] as Method[]) {
      const b = el("button", "", METHOD_LABEL[m]);
      b.dataset.method = m;
      b.type = "button";
      b.title = m === "pca" ? "principal components (instant)" : `${METHOD_LABEL[m]}: computed in the kernel when it is idle`;
      b.addEventListener("click", () => this.switchProjection("method", m));
      this.methodButtons.set(m, b);
      methods.appendChild(b);
    }
    const dims = el("span", "nbviz-proj-seg nbviz-proj-dims");
    for (const d of [2, 3]) {
      const b = el("button", "", `${d}D`);
      b.dataset.dims = String(d);
      b.type = "button";
      b.addEventListener("click", () => this.switchProjection("dims", d));
      this.dimButtons.set(d, b);
      dims.appendChild(b);
    }
    const colorLabel = el("label", "", "colour");
    colorLabel.appendChild(this.colorSelect);
    this.colorSelect.addEventListener("change", () => this.setTrait("color_by", this.colorSelect.value));
    const labelLabel = el("label", "", "label");
    labelLabel.appendChild(this.labelSelect);
    this.labelSelect.addEventListener("change", () => this.setTrait("label_by", this.labelSelect.value));
    this.searchInput.type = "text";
    this.searchInput.placeholder = "search (regex)";
    this.searchInput.spellcheck = false;
    this.searchInput.addEventListener("input", () => this.setTrait("search", this.searchInput.value));
    this.searchColumn.title = "column searched";
    this.searchColumn.addEventListener("change", () => this.setTrait("search_column", this.searchColumn.value));
    this.groupSelect.addEventListener("change", () => {
      this.setTrait("step", -1, false);
      this.setTrait("group", Number(this.groupSelect.value));
    });
    toolbar.append(this.groupSelect, methods, dims, this.paramsBox, colorLabel, labelLabel, this.searchInput, this.searchColumn, this.matchesLabel);

    const main = el("div", "nbviz-proj-main");
    const stage = el("div", "nbviz-proj-stage");
    this.tooltip.hidden = true;
    this.legend.hidden = true;
    this.progressBox.hidden = true;
    const bar = el("div", "nbviz-proj-bar");
    bar.appendChild(this.progressBar);
    const cancel = el("button", "nbviz-proj-btn nbviz-proj-cancel", "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => this.state.cancel());
    this.progressBox.append(this.progressText, bar, cancel);
    const hint = el("div", "nbviz-proj-hint");
    stage.append(this.canvas, this.empty, this.tooltip, this.legend, this.progressBox, hint);

    const side = el("div", "nbviz-proj-side");
    const controls = el("div", "nbviz-proj-side-controls");
    for (const m of ["cosine", "euclidean"]) {
      const o = el("option", "", m);
      o.value = m;
      this.metricSelect.appendChild(o);
    }
    this.metricSelect.addEventListener("change", () => this.setTrait("metric", this.metricSelect.value));
    this.kInput.type = "number";
    this.kInput.min = "1";
    this.kInput.max = "1000";
    this.kInput.addEventListener("change", () => {
      const k = Math.round(Number(this.kInput.value));
      if (k >= 1 && k <= 1000) this.setTrait("neighbors", k);
    });
    const kLabel = el("label", "", "k");
    kLabel.appendChild(this.kInput);
    controls.append(this.metricSelect, kLabel);
    side.append(this.sideHead, controls, this.neighbourList);
    main.append(stage, side);

    const footer = el("div", "nbviz-proj-footer");
    this.playButton.type = "button";
    this.playButton.title = "play through the steps";
    this.playButton.addEventListener("click", () => this.togglePlay());
    this.stepInput.type = "range";
    this.stepInput.min = "0";
    this.stepInput.step = "1";
    this.stepInput.addEventListener("input", () => {
      const steps = this.steps();
      const i = Number(this.stepInput.value);
      const d = steps[i];
      if (d) this.setTrait("step", i === steps.length - 1 ? -1 : d.step);
    });
    footer.append(this.playButton, this.stepInput, this.stepLabel);
    this.root.append(this.title, toolbar, main, footer, this.status);
    hint.textContent = "drag: rotate/pan · wheel: zoom · click: neighbours · double-click: reset";
  }

  /** Method / dimension switch: a reduction still running for the old choice is cancelled. */
  private switchProjection(name: "method" | "dims", value: unknown): void {
    if (this.model.get(name) === value) return;
    if (this.state.progress) this.state.cancel();
    this.setTrait(name, value);
  }

  private setTrait(name: keyof ProjectorModel, value: unknown, save = true): void {
    this.model.set(name, value as never);
    if (save) this.model.save_changes();
    this.update();
  }

  // ---------------------------------------------------------------- what to show

  private groups(): { id: number; run: string; tag: string }[] {
    const hidden = new Set((this.model.get("hidden_runs") ?? []) as string[]);
    const out = new Map<number, { id: number; run: string; tag: string }>();
    for (const d of this.state.datasets()) if (!hidden.has(d.run) && !out.has(d.group)) out.set(d.group, { id: d.group, run: d.run, tag: d.tag });
    return [...out.values()];
  }

  private currentGroup(): number {
    const groups = this.groups();
    const g = Number(this.model.get("group") ?? -1);
    if (groups.some((x) => x.id === g)) return g;
    const all = this.state.datasets().filter((d) => groups.some((x) => x.id === d.group));
    if (!all.length) return -1;
    return all.reduce((a, b) => (b.id > a.id ? b : a)).group;
  }

  private steps(): DatasetInfo[] {
    const g = this.currentGroup();
    return this.state
      .datasets()
      .filter((d) => d.group === g)
      .sort((a, b) => a.step - b.step || a.id - b.id);
  }

  private currentDataset(): DatasetInfo | undefined {
    const steps = this.steps();
    const s = Number(this.model.get("step") ?? -1);
    if (s >= 0) {
      const found = steps.filter((d) => d.step === s);
      if (found.length) return found[found.length - 1];
    }
    return steps[steps.length - 1];
  }

  private projection(): Projection {
    const method = (this.model.get("method") ?? "pca") as Method;
    const dims = Number(this.model.get("dims") ?? 3) === 2 ? 2 : 3;
    const params = ((this.model.get("params") ?? {}) as Record<string, Record<string, unknown>>)[method] ?? {};
    return method === "pca" ? { method, dims, params: {} } : { method, dims, params };
  }

  private dims(): 2 | 3 {
    return Number(this.model.get("dims") ?? 3) === 2 ? 2 : 3;
  }

  /** Recompute what is shown after any change (data, traits, messages). */
  private update(): void {
    if (this.destroyed) return;
    const info = this.currentDataset();
    const projection = this.projection();
    let next: Shown | null = null;
    let waitingFor: string | null = null;
    if (info) {
      const data = this.state.data.get(info.id);
      const stale = data && info.images && !data.images; // thumbnails arrived after the data
      if (!data || stale) this.state.need(info.id, projection, true);
      const wanted = this.state.getPositions(info.id, projection);
      const pca = this.state.getPositions(info.id, { method: "pca", dims: 3, params: {} });
      if (data && !wanted) {
        this.state.need(info.id, projection, false);
        waitingFor = `${METHOD_LABEL[projection.method]} ${projection.dims}D`;
      }
      const positions = wanted ?? pca;
      if (data && positions) next = { info, data, positions, projection: positions.projection };
    }
    if (!next && this.shown && info && this.shown.info.group === info.group) next = this.shown; // keep the old step meanwhile
    this.applyShown(next);
    this.waiting = waitingFor;
    this.syncControls(waitingFor);
  }

  private applyShown(next: Shown | null): void {
    const prev = this.shown;
    const dims = this.dims();
    if (this.camera.dims !== dims) {
      this.camera = defaultCamera(dims);
      this.indexDirty = true;
    }
    if (!next) {
      this.shown = null;
      this.empty.hidden = false;
      this.renderer?.setPositions(new Float32Array(0), new Float32Array(0));
      this.requestFrame();
      return;
    }
    this.empty.hidden = true;
    const n = next.info.n;
    const positionsChanged = !prev || prev.positions !== next.positions || prev.info.id !== next.info.id || (this.xyzTo.length !== n * 3) || this.lastDims !== dims;
    if (positionsChanged) {
      const xyz = normalise(next.positions.data, n, next.positions.dims, dims);
      const animate = !!prev && prev.info.n === n && this.xyzTo.length === n * 3 && prev.info.group === next.info.group;
      if (animate) {
        this.xyzFrom = this.currentXyz();
        this.animStart = performance.now();
        this.animating = true;
      } else {
        this.xyzFrom = xyz;
        this.animating = false;
      }
      this.xyzTo = xyz;
      this.lastDims = dims;
      this.renderer?.setPositions(this.xyzFrom, this.xyzTo);
      this.indexDirty = true;
    }
    if (!prev || prev.info.id !== next.info.id) {
      if (!prev || prev.info.n !== n) this.clearSelection();
      else if (this.selected >= 0) this.neighbours = null; // same points, new step: recompute
    }
    this.shown = next;
    this.refreshColors();
    this.refreshSearch();
    this.refreshSelection();
    this.requestFrame();
  }

  private lastDims = 0;

  private currentXyz(): Float32Array<ArrayBufferLike> {
    if (!this.animating) return this.xyzTo;
    const t = this.animT();
    const out = new Float32Array(this.xyzTo.length);
    for (let i = 0; i < out.length; i++) out[i] = this.xyzFrom[i]! + (this.xyzTo[i]! - this.xyzFrom[i]!) * t;
    return out;
  }

  private animT(): number {
    if (!this.animating) return 1;
    const u = Math.min(1, (performance.now() - this.animStart) / ANIMATION_MS);
    return u < 0.5 ? 2 * u * u : 1 - Math.pow(-2 * u + 2, 2) / 2;
  }

  private column(name: string): Column | null {
    return this.shown?.data.columns.find((c) => c.name === name) ?? null;
  }

  private defaultColorColumn(): Column | null {
    const cols = this.shown?.data.columns ?? [];
    return cols.find((c) => c.kind === "category") ?? cols.find((c) => c.kind === "number") ?? null;
  }

  private labelColumn(): Column | null {
    const cols = this.shown?.data.columns ?? [];
    const name = String(this.model.get("label_by") ?? "");
    return cols.find((c) => c.name === name) ?? cols.find((c) => c.kind === "text") ?? cols[0] ?? null;
  }

  private labelOf(i: number): string {
    const c = this.labelColumn();
    const text = c ? columnText(c, i) : "";
    return text || `#${i}`;
  }

  private refreshColors(): void {
    if (!this.shown) return;
    const name = String(this.model.get("color_by") ?? "");
    const column = name === "(none)" ? null : (this.column(name) ?? (name ? null : this.defaultColorColumn()));
    const usable = column && column.kind !== "text" ? column : null;
    const n = this.shown.info.n;
    const plain = this.theme.dark ? ([100, 181, 246] as [number, number, number]) : ([25, 118, 210] as [number, number, number]);
    if (usable !== this.colorColumn || !this.colorsUploaded || this.colorsFor !== this.shown.info.id || this.colorsDark !== this.theme.dark) {
      this.renderer?.setColors(pointColors(usable, n, plain));
      this.colorColumn = usable;
      this.colorsUploaded = true;
      this.colorsFor = this.shown.info.id;
      this.colorsDark = this.theme.dark;
      this.renderLegend(usable);
    }
  }

  private colorsUploaded = false;
  private colorsFor = -1;
  private colorsDark = false;
  private searchKey = "";

  private refreshSearch(): void {
    if (!this.shown) return;
    const q = String(this.model.get("search") ?? "");
    const colName = String(this.model.get("search_column") ?? "");
    const column = this.column(colName) ?? this.labelColumn();
    const key = `${this.shown.info.id}|${q}|${column?.name ?? ""}`;
    if (key === this.searchKey) return;
    this.searchKey = key;
    if (!q || !column) {
      this.matches = null;
      this.matchCount = 0;
    } else {
      const r = searchColumn(column, this.shown.info.n, q);
      this.matches = r.mask;
      this.matchCount = r.count;
    }
    this.uploadStates();
  }

  private clearSelection(): void {
    this.selected = -1;
    this.neighbours = null;
    this.neighbourRequest = 0;
  }

  private select(i: number): void {
    this.selected = i;
    this.neighbours = null;
    this.neighbourRequest = 0;
    this.refreshSelection();
    this.syncControls(this.waiting);
    this.requestFrame();
  }

  private neighbourKey = "";
  private waiting: string | null = null;

  /** Compute (in the page) or request (from the kernel) the selected point's neighbours. */
  private refreshSelection(): void {
    const shown = this.shown;
    if (!shown || this.selected < 0 || this.selected >= shown.info.n) {
      this.selected = -1;
      this.neighbours = null;
    } else {
      const k = Math.max(1, Math.min(1000, Number(this.model.get("neighbors") ?? 10)));
      const metric = (this.model.get("metric") ?? "cosine") as Metric;
      const key = `${shown.info.id}|${this.selected}|${k}|${metric}`;
      if (key !== this.neighbourKey) {
        this.neighbourKey = key;
        this.neighbours = null;
        this.neighbourRequest = 0;
      }
      if (!this.neighbours) {
        const v = shown.data.vectors;
        if (v) {
          this.neighbours = nearestNeighbours(v.data, shown.info.n, v.d, this.selected, k, metric);
        } else if (!this.neighbourRequest) {
          this.neighbourRequest = this.state.requestNeighbours(shown.info.id, this.selected, k, metric);
        } else {
          const reply = this.state.neighbourReplies.get(this.neighbourRequest);
          if (reply) {
            this.neighbours = { indices: reply.indices, distances: reply.distances };
            this.state.neighbourReplies.delete(this.neighbourRequest);
          }
        }
      }
    }
    this.uploadStates();
    this.renderSide();
  }

  private uploadStates(): void {
    if (!this.shown || !this.renderer) return;
    const n = this.shown.info.n;
    const states = new Uint8Array(n);
    if (this.matches) states.set(this.matches);
    if (this.selected >= 0 && this.neighbours) {
      if (!this.matches) states.fill(0);
      for (const i of this.neighbours.indices) if (i >= 0 && i < n) states[i] = 1;
    }
    if (this.selected >= 0 && this.selected < n) states[this.selected] = 2;
    this.highlightOn = !!this.matches || this.selected >= 0;
    this.renderer.setStates(states);
  }

  private highlightOn = false;

  // ---------------------------------------------------------------- controls

  private syncControls(waitingFor: string | null): void {
    const groups = this.groups();
    const g = this.currentGroup();
    const gKey = groups.map((x) => `${x.id}:${x.run}:${x.tag}`).join("|");
    if (this.groupSelect.dataset.key !== gKey) {
      this.groupSelect.dataset.key = gKey;
      this.groupSelect.replaceChildren(
        ...groups.map((x) => {
          const o = el("option", "", x.run ? `${x.run} / ${x.tag}` : x.tag);
          o.value = String(x.id);
          return o;
        }),
      );
    }
    this.groupSelect.value = String(g);
    this.groupSelect.hidden = groups.length < 2;
    const projection = this.projection();
    for (const [m, b] of this.methodButtons) b.setAttribute("aria-pressed", String(m === projection.method));
    for (const [d, b] of this.dimButtons) b.setAttribute("aria-pressed", String(d === projection.dims));
    this.renderParams(projection.method);
    const cols = this.shown?.data.columns ?? [];
    const colKey = cols.map((c) => `${c.name}:${c.kind}`).join("|");
    if (this.colorSelect.dataset.key !== colKey) {
      this.colorSelect.dataset.key = colKey;
      const none = el("option", "", "(none)");
      none.value = "(none)";
      this.colorSelect.replaceChildren(
        ...cols.filter((c) => c.kind !== "text").map((c) => {
          const o = el("option", "", c.name);
          o.value = c.name;
          return o;
        }),
        none,
      );
      this.labelSelect.replaceChildren(
        ...cols.map((c) => {
          const o = el("option", "", c.name);
          o.value = c.name;
          return o;
        }),
      );
      this.searchColumn.replaceChildren(
        ...cols.map((c) => {
          const o = el("option", "", c.name);
          o.value = c.name;
          return o;
        }),
      );
    }
    this.colorSelect.value = this.colorColumn ? this.colorColumn.name : "(none)";
    this.labelSelect.value = this.labelColumn()?.name ?? "";
    const sc = this.column(String(this.model.get("search_column") ?? "")) ?? this.labelColumn();
    this.searchColumn.value = sc?.name ?? "";
    const q = String(this.model.get("search") ?? "");
    if (document.activeElement !== this.searchInput && this.searchInput.value !== q) this.searchInput.value = q;
    this.matchesLabel.textContent = q ? `${this.matchCount.toLocaleString()} match${this.matchCount === 1 ? "" : "es"}` : "";
    this.metricSelect.value = String(this.model.get("metric") ?? "cosine");
    if (document.activeElement !== this.kInput) this.kInput.value = String(this.model.get("neighbors") ?? 10);
    this.title.textContent = String(this.model.get("title") ?? "");
    this.title.hidden = !this.title.textContent;

    const steps = this.steps();
    const cur = this.currentDataset();
    const i = cur ? steps.indexOf(cur) : -1;
    this.stepInput.max = String(Math.max(0, steps.length - 1));
    this.stepInput.value = String(Math.max(0, i));
    this.stepInput.disabled = steps.length < 2;
    this.playButton.disabled = steps.length < 2;
    this.stepLabel.textContent = cur ? `step ${cur.step}  (${i + 1}/${steps.length})` : "";

    // progress of a kernel reduction
    const p = this.state.progress;
    if (p || waitingFor) {
      this.progressBox.hidden = false;
      const label = p ? `${METHOD_LABEL[p.method as Method] ?? p.method} ${p.dims}D` : waitingFor!;
      const pct = p && p.fraction !== null ? ` ${Math.round(p.fraction * 100)}%` : "";
      this.progressText.textContent = p ? `${label}: ${p.stage}${pct} (${p.elapsed.toFixed(1)} s)` : `${label}: waiting for the kernel (runs when it is idle)`;
      this.progressBar.style.width = p && p.fraction !== null ? `${Math.round(p.fraction * 100)}%` : "15%";
    } else {
      this.progressBox.hidden = true;
    }
    const shown = this.shown;
    if (shown) {
      const pr = shown.positions;
      const method = METHOD_LABEL[pr.projection.method];
      const explained = pr.projection.method === "pca" && pr.explained.length ? ` (explains ${(pr.explained.slice(0, this.dims()).reduce((a, b) => a + b, 0) * 100).toFixed(1)}% of the variance)` : "";
      const fit = pr.fitSize < shown.info.n ? ` · fitted on ${pr.fitSize.toLocaleString()}, rest placed` : "";
      const dropped = shown.info.dropped ? ` · ${shown.info.dropped} NaN/Inf rows dropped` : "";
      const tag = shown.info.run ? `${shown.info.run} / ${shown.info.tag}` : shown.info.tag;
      this.status.textContent = `${tag} · ${shown.info.n.toLocaleString()} points × ${shown.info.d} dims · ${method}${explained}${fit}${dropped}${this.state.notice ? ` · ${this.state.notice}` : ""}`;
    } else {
      this.status.textContent = this.state.notice;
    }
    const r = this.root.dataset;
    r.points = String(shown?.info.n ?? 0);
    r.dims = String(this.dims());
    r.method = shown ? shown.positions.projection.method : "";
    r.projection = shown ? shown.positions.key : "";
    r.dataset = String(shown?.info.id ?? -1);
    r.step = String(shown?.info.step ?? -1);
    r.matches = String(this.matchCount);
    r.selected = String(this.selected);
    r.neighbors = String(this.neighbours?.indices.length ?? 0);
  }

  private paramsKey = "";

  private renderParams(method: Method): void {
    const params = ((this.model.get("params") ?? {}) as Record<string, Record<string, unknown>>)[method] ?? {};
    const key = `${method}|${JSON.stringify(params)}`;
    if (key === this.paramsKey) return;
    this.paramsKey = key;
    const fields = PARAM_FIELDS[method];
    this.paramsBox.hidden = fields.length === 0;
    this.paramsBox.replaceChildren(
      ...fields.map((f) => {
        const label = el("label", "", f.label);
        let input: HTMLInputElement | HTMLSelectElement;
        if (f.kind === "metric") {
          const s = el("select");
          for (const m of ["euclidean", "cosine"]) {
            const o = el("option", "", m);
            o.value = m;
            s.appendChild(o);
          }
          s.value = String(params[f.name] ?? "euclidean");
          input = s;
        } else {
          const i = el("input");
          i.type = "number";
          i.step = f.step ?? "1";
          i.value = params[f.name] === null || params[f.name] === undefined ? "" : String(params[f.name]);
          if (f.kind === "sample") i.placeholder = "all";
          input = i;
        }
        input.dataset.param = f.name;
        input.addEventListener("change", () => {
          const all = { ...((this.model.get("params") ?? {}) as Record<string, Record<string, unknown>>) };
          const mine = { ...(all[method] ?? {}) };
          const raw = input.value;
          if (f.kind === "metric") mine[f.name] = raw;
          else if (f.kind === "sample") mine[f.name] = raw.trim() === "" ? null : Math.max(1, Math.round(Number(raw)));
          else if (Number.isFinite(Number(raw)) && raw.trim() !== "") mine[f.name] = f.step === "1" ? Math.round(Number(raw)) : Number(raw);
          all[method] = mine;
          this.setTrait("params", all);
        });
        label.appendChild(input);
        return label;
      }),
    );
  }

  private renderLegend(column: Column | null): void {
    const n = this.shown?.info.n ?? 0;
    if (!column || column.kind === "text") {
      this.legend.hidden = true;
      this.legend.replaceChildren();
      return;
    }
    this.legend.hidden = false;
    const title = el("div", "nbviz-proj-legend-title", column.name);
    if (column.kind === "category") {
      const counts = categoryCounts(column, n);
      const items = column.categories.slice(0, 40).map((name, i) => {
        const item = el("div", "nbviz-proj-legend-item");
        item.dataset.category = name;
        const sw = el("span", "nbviz-proj-swatch");
        const [r, g, b] = categoryColor(i);
        sw.style.background = `rgb(${r},${g},${b})`;
        item.append(sw, el("span", "", name), el("span", "nbviz-proj-legend-count", counts[i]!.toLocaleString()));
        return item;
      });
      const more = column.categories.length > 40 ? [el("div", "nbviz-proj-legend-count", `… ${column.categories.length - 40} more`)] : [];
      this.legend.replaceChildren(title, ...items, ...more);
    } else {
      const bar = el("div", "nbviz-proj-colorbar");
      bar.style.background = colormapCss();
      const labels = el("div", "nbviz-proj-colorbar-labels");
      labels.append(el("span", "", formatValue(column.min)), el("span", "", formatValue(column.max)));
      this.legend.replaceChildren(title, bar, labels);
    }
  }

  private renderSide(): void {
    const shown = this.shown;
    if (!shown || this.selected < 0) {
      this.sideHead.textContent = "No point selected";
      const hint = el("li", "nbviz-proj-side-empty", "Click a point to list its nearest neighbours (in the original space).");
      this.neighbourList.replaceChildren(hint);
      return;
    }
    this.sideHead.textContent = `${this.labelOf(this.selected)}  (#${this.selected})`;
    this.sideHead.title = this.sideHead.textContent;
    if (!this.neighbours) {
      this.neighbourList.replaceChildren(el("li", "nbviz-proj-side-empty", "computing neighbours in the kernel (when it is idle)…"));
      return;
    }
    const items: HTMLElement[] = [];
    const { indices, distances } = this.neighbours;
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j]!;
      if (i < 0) continue;
      const li = el("li", "nbviz-proj-neighbor");
      li.dataset.index = String(i);
      li.dataset.distance = String(distances[j]);
      const sw = el("span", "nbviz-proj-swatch");
      sw.style.background = this.pointCss(i);
      li.append(sw, el("span", "nbviz-proj-neighbor-label", this.labelOf(i)), el("span", "nbviz-proj-neighbor-dist", distances[j]!.toFixed(3)));
      li.title = `#${i}`;
      li.addEventListener("click", () => this.select(i));
      items.push(li);
    }
    this.neighbourList.replaceChildren(...items);
  }

  /** CSS colour of point i (its colour-by value), for swatches. */
  private pointCss(i: number): string {
    const c = this.colorColumn;
    if (c && c.kind === "category") {
      const code = c.codes[i] ?? -1;
      if (code >= 0) {
        const [r, g, b] = categoryColor(code);
        return `rgb(${r},${g},${b})`;
      }
      return "rgb(150,150,150)";
    }
    return this.theme.dark ? "rgb(100,181,246)" : "rgb(25,118,210)";
  }

  private togglePlay(): void {
    if (this.playing) {
      clearInterval(this.playing);
      this.playing = null;
      this.playButton.textContent = "▶";
      return;
    }
    this.playButton.textContent = "❚❚";
    const advance = () => {
      const steps = this.steps();
      const cur = this.currentDataset();
      const i = cur ? steps.indexOf(cur) : -1;
      const next = steps[(i + 1) % steps.length];
      if (!next) return;
      this.setTrait("step", next === steps[steps.length - 1] ? -1 : next.step, false);
    };
    advance();
    this.playing = setInterval(advance, PLAY_MS);
  }

  // ---------------------------------------------------------------- interaction

  private bindEvents(): void {
    const c = this.canvas;
    const local = (e: MouseEvent) => {
      const r = c.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top] as const;
    };
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0) return;
      const [x, y] = local(e);
      this.drag = { x, y, moved: false, id: e.pointerId };
      c.setPointerCapture?.(e.pointerId);
      c.classList.add("dragging");
    };
    const onMove = (e: PointerEvent) => {
      const [x, y] = local(e);
      if (this.drag) {
        const dx = x - this.drag.x;
        const dy = y - this.drag.y;
        if (!this.drag.moved && Math.hypot(dx, dy) < 3) return;
        this.drag.moved = true;
        this.drag.x = x;
        this.drag.y = y;
        this.camera = this.camera.dims === 2 ? pan(this.camera, dx, dy, c.clientWidth, c.clientHeight) : orbit(this.camera, dx, dy);
        this.indexDirty = true;
        this.hideTooltip();
        this.cameraMoved();
        return;
      }
      this.hoverAt(x, y);
    };
    const onUp = (e: PointerEvent) => {
      const drag = this.drag;
      this.drag = null;
      c.classList.remove("dragging");
      c.releasePointerCapture?.(e.pointerId);
      if (drag && !drag.moved) {
        const [x, y] = local(e);
        const i = this.pick(x, y);
        if (i >= 0) this.select(i);
        else if (this.selected >= 0) {
          this.clearSelection();
          this.refreshSelection();
          this.requestFrame();
        }
        this.syncControls(this.waiting);
      }
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const [x, y] = local(e);
      const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      this.camera = this.camera.dims === 2 ? zoomAt(this.camera, factor, x, y, c.clientWidth, c.clientHeight) : dolly(this.camera, factor);
      this.indexDirty = true;
      this.hideTooltip();
      this.cameraMoved();
    };
    const onLeave = () => {
      if (!this.drag) this.hideTooltip();
    };
    const onDbl = () => {
      this.camera = defaultCamera(this.dims());
      this.indexDirty = true;
      this.requestFrame();
    };
    c.addEventListener("pointerdown", onDown);
    c.addEventListener("pointermove", onMove);
    c.addEventListener("pointerup", onUp);
    c.addEventListener("pointerleave", onLeave);
    c.addEventListener("wheel", onWheel, { passive: false });
    c.addEventListener("dblclick", onDbl);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || this.selected < 0) return;
      this.clearSelection();
      this.refreshSelection();
      this.syncControls(this.waiting);
      this.requestFrame();
    };
    c.addEventListener("keydown", onKey);
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => {
      this.indexDirty = true;
      this.requestFrame();
    }) : null;
    ro?.observe(c);
    this.unsubscribe.push(() => {
      c.removeEventListener("pointerdown", onDown);
      c.removeEventListener("pointermove", onMove);
      c.removeEventListener("pointerup", onUp);
      c.removeEventListener("pointerleave", onLeave);
      c.removeEventListener("wheel", onWheel);
      c.removeEventListener("dblclick", onDbl);
      c.removeEventListener("keydown", onKey);
      ro?.disconnect();
    });
  }

  private pointSize(): number {
    const custom = Number(this.model.get("point_size") ?? 0);
    if (custom > 0) return custom;
    const n = this.shown?.info.n ?? 0;
    return n < 3000 ? 6 : n < 30000 ? 4 : n < 300000 ? 2.5 : 1.6;
  }

  private matrix(): Mat4 {
    return cameraMatrix(this.camera, this.canvas.clientWidth, this.canvas.clientHeight);
  }

  private ensureIndex(): void {
    if (!this.indexDirty || !this.shown) return;
    const visible = this.highlightOn && this.matches ? null : null;
    this.index.build(this.xyzTo, this.shown.info.n, this.matrix(), this.canvas.clientWidth, this.canvas.clientHeight, visible);
    this.indexDirty = false;
  }

  private pick(x: number, y: number): number {
    if (!this.shown || this.animating) return -1;
    this.ensureIndex();
    return this.index.query(x, y, Math.max(6, this.pointSize() / 2 + 4));
  }

  private screenOf(i: number): [number, number] | null {
    if (!this.shown || i < 0 || i >= this.shown.info.n) return null;
    this.ensureIndex();
    return this.index.screen(i);
  }

  private hoverAt(x: number, y: number): void {
    const i = this.pick(x, y);
    this.hover = i;
    this.root.dataset.hover = String(i);
    if (i < 0 || !this.shown) {
      this.hideTooltip();
      return;
    }
    const tip = this.tooltip;
    const rows: HTMLElement[] = [el("div", "nbviz-proj-tip-label", this.labelOf(i))];
    const label = this.labelColumn();
    for (const c of this.shown.data.columns) {
      if (c === label || rows.length > 5) continue;
      const text = columnText(c, i);
      if (text) rows.push(el("div", "nbviz-proj-tip-row", `${c.name}: ${text}`));
    }
    rows.push(el("div", "nbviz-proj-tip-row", `#${i}`));
    const img = this.shown.data.images;
    if (img) {
      const cv = el("canvas");
      cv.width = img.width;
      cv.height = img.height;
      const scale = Math.max(1, Math.floor(64 / Math.max(img.width, img.height)));
      cv.style.width = `${img.width * scale}px`;
      cv.style.height = `${img.height * scale}px`;
      const ctx = cv.getContext("2d");
      if (ctx) {
        const pixels = ctx.createImageData(img.width, img.height);
        const px = img.width * img.height;
        const src = img.data.subarray(i * px * 3, (i + 1) * px * 3);
        for (let p = 0; p < px; p++) {
          pixels.data[p * 4] = src[p * 3]!;
          pixels.data[p * 4 + 1] = src[p * 3 + 1]!;
          pixels.data[p * 4 + 2] = src[p * 3 + 2]!;
          pixels.data[p * 4 + 3] = 255;
        }
        ctx.putImageData(pixels, 0, 0);
      }
      rows.push(cv);
    }
    tip.replaceChildren(...rows);
    tip.hidden = false;
    const stage = this.canvas.parentElement!;
    const w = stage.clientWidth;
    const left = x + 14 + tip.offsetWidth > w ? x - 14 - tip.offsetWidth : x + 14;
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${Math.max(0, Math.min(y + 10, stage.clientHeight - tip.offsetHeight))}px`;
  }

  private hideTooltip(): void {
    this.tooltip.hidden = true;
    this.hover = -1;
    this.root.dataset.hover = "-1";
  }

  // ---------------------------------------------------------------- drawing

  private moving = false;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;

  /** The camera moved: draw a sample until it rests for SETTLE_MS, then everything. */
  private cameraMoved(): void {
    this.moving = true;
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.moving = false;
      this.requestFrame();
    }, SETTLE_MS);
    this.requestFrame();
  }

  private requestFrame(): void {
    if (!this.destroyed) this.frame.request();
  }

  private draw(): void {
    if (!this.renderer || this.destroyed) return;
    const t0 = performance.now();
    const t = this.animT();
    if (this.animating && t >= 1) {
      this.animating = false;
      this.xyzFrom = this.xyzTo;
      this.renderer.setPositions(this.xyzTo, this.xyzTo);
    }
    const bg = rgb(this.theme.background, this.theme.dark ? [30, 30, 30] : [255, 255, 255]);
    this.renderer.render({
      mvp: this.matrix(),
      maxPoints: this.moving || this.animating ? INTERACTIVE_POINTS : 0,
      t: this.animating ? t : 1,
      size: this.pointSize(),
      highlightOn: this.highlightOn,
      dims: this.dims(),
      background: bg,
      ring: this.theme.dark ? [255, 255, 255] : [20, 20, 20],
    });
    this.frames++;
    this.root.dataset.frames = String(this.frames);
    this.root.dataset.animating = this.animating ? "1" : "0";
    this.root.dataset.drawn = String(this.moving || this.animating ? Math.min(INTERACTIVE_POINTS, this.shown?.info.n ?? 0) : (this.shown?.info.n ?? 0));
    this.root.dataset.renderMs = (performance.now() - t0).toFixed(2);
    this.root.dispatchEvent(new CustomEvent("nbviz:render"));
    if (this.animating) this.requestFrame();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.frame.cancel();
    if (this.playing) clearInterval(this.playing);
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    for (const u of this.unsubscribe) u();
    this.renderer?.destroy();
    this.renderer = null;
    this.root.remove();
  }
}
