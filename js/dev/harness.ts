/**
 * Dev harness: drives the built scalars bundle (./scalars.js, copied here by
 * build.mjs) with a fake anywidget model, without Jupyter.
 *
 *   window.nbvizHarness.mount({smoothing: 0.6})
 *   const {series, data} = nbvizHarness.generate({runs: 3, tags: ["loss/train"], points: 1000})
 *   nbvizHarness.load(series, data)          // snapshot (trait change)
 *   nbvizHarness.append(series2, data2)      // msg:custom append
 *   await nbvizHarness.nextRender()
 */
import type { SeriesInfo } from "../src/lib/wire";
import { encodeBuffer } from "../src/lib/wire";

type Handler = (...args: unknown[]) => void;

/** Minimal Backbone-like model implementing the anywidget model API. */
export class FakeModel {
  state: Record<string, unknown>;
  handlers = new Map<string, Set<Handler>>();
  saves: Record<string, unknown>[] = [];
  sent: unknown[] = [];
  widget_manager = {
    get_model: () => Promise.reject(new Error("no widget manager in the harness")),
  };

  constructor(state: Record<string, unknown>) {
    this.state = { ...state };
  }
  get(k: string): unknown {
    return this.state[k];
  }
  set(k: string, v: unknown): void {
    this.setMany({ [k]: v });
  }
  /** Set several traits, then fire their change events (like a kernel state update). */
  setMany(obj: Record<string, unknown>): void {
    const changed: string[] = [];
    for (const [k, v] of Object.entries(obj)) {
      if (this.state[k] !== v) changed.push(k);
      this.state[k] = v;
    }
    for (const k of changed) this.emit(`change:${k}`);
    if (changed.length) this.emit("change");
  }
  on(ev: string, cb: Handler): void {
    let s = this.handlers.get(ev);
    if (!s) this.handlers.set(ev, (s = new Set()));
    s.add(cb);
  }
  off(ev?: string | null, cb?: Handler | null): void {
    if (!ev) {
      this.handlers.clear();
      return;
    }
    if (!cb) this.handlers.delete(ev);
    else this.handlers.get(ev)?.delete(cb);
  }
  emit(ev: string, ...args: unknown[]): void {
    for (const cb of [...(this.handlers.get(ev) ?? [])]) cb(...args);
  }
  save_changes(): void {
    this.saves.push({ ...this.state, snapshot: undefined });
  }
  send(content: unknown): void {
    this.sent.push(content);
  }
  listenerCount(): number {
    let n = 0;
    for (const s of this.handlers.values()) n += s.size;
    return n;
  }
}

interface Widget {
  initialize?: (p: { model: FakeModel }) => unknown;
  render: (p: { model: FakeModel; el: HTMLElement }) => unknown;
}

const DEFAULTS = {
  series: [] as SeriesInfo[],
  snapshot: new DataView(new ArrayBuffer(0)),
  snapshot_seq: 0,
  smoothing: 0.6,
  x_axis: "step",
  log_y: false,
  tag_filter: "",
  hidden_runs: [] as string[],
  max_points: 100000,
  title: "",
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  runs?: number | string[];
  tags?: string[];
  points?: number;
  /** first step (for appends) */
  start?: number;
  /** id of the first series (ids are assigned run-major) */
  firstId?: number;
  seed?: number;
  /** inject NaN / +Inf / -Inf into the first series */
  nonFinite?: boolean;
  wall0?: number;
  secondsPerStep?: number;
  decimated?: boolean;
}

/** Training-like curves: decaying losses, rising accuracies, a cosine lr. */
export function generate(o: GenerateOptions = {}): { series: SeriesInfo[]; data: Float64Array } {
  const runNames = Array.isArray(o.runs)
    ? o.runs
    : Array.from({ length: o.runs ?? 1 }, (_, i) => (i === 0 ? "baseline" : `lr_${(3e-4 * (i + 1)).toPrecision(1)}/seed${i}`));
  const tags = o.tags ?? ["loss/train"];
  const n = o.points ?? 1000;
  const start = o.start ?? 0;
  const sps = o.secondsPerStep ?? 0.05;
  const series: SeriesInfo[] = [];
  const cols: { step: Float64Array; wall: Float64Array; value: Float64Array }[] = [];
  let id = o.firstId ?? 1;
  runNames.forEach((run, ri) => {
    tags.forEach((tag, ti) => {
      const rnd = mulberry32((o.seed ?? 7) * 1000 + ri * 97 + ti * 13 + start);
      const step = new Float64Array(n);
      const wall = new Float64Array(n);
      const value = new Float64Array(n);
      const total = Math.max(n + start, 1000);
      const wall0 = (o.wall0 ?? 1_700_000_000) + ri * 600;
      const speed = 1 + ri * 0.35;
      for (let i = 0; i < n; i++) {
        const s = start + i;
        step[i] = s;
        wall[i] = wall0 + s * sps * (1 + ri * 0.1);
        const t = s / total;
        const noise = (rnd() - 0.5) + (rnd() - 0.5);
        let v: number;
        if (tag.includes("acc")) v = 0.98 - 0.88 * Math.exp(-6 * t * speed) + noise * 0.03;
        else if (tag.includes("lr")) v = 1e-3 * (1 + ri) * 0.5 * (1 + Math.cos(Math.PI * t));
        else if (tag.includes("grad")) v = Math.exp(0.8 * noise + 1 - 2 * t) * (1 + ri * 0.2);
        else v = 0.15 + 2.2 * Math.exp(-5 * t * speed) * (1 + 0.1 * ti) + noise * 0.12 * (1 - 0.6 * t);
        value[i] = v;
      }
      if (o.nonFinite && ri === 0 && ti === 0 && n > 20) {
        value[Math.floor(n * 0.3)] = NaN;
        value[Math.floor(n * 0.55)] = Infinity;
        value[Math.floor(n * 0.56)] = Infinity;
        value[Math.floor(n * 0.8)] = -Infinity;
      }
      series.push({ id: id++, run, tag, color: ri, count: n, decimated: !!o.decimated });
      cols.push({ step, wall, value });
    });
  });
  return { series, data: encodeBuffer(cols) };
}

function toDataView(data: Float64Array | ArrayBuffer | number[]): DataView {
  if (data instanceof ArrayBuffer) return new DataView(data);
  const f = data instanceof Float64Array ? data : Float64Array.from(data);
  return new DataView(f.buffer, f.byteOffset, f.byteLength);
}

const LIGHT_VARS: Record<string, string> = {
  "--jp-layout-color0": "#ffffff",
  "--jp-layout-color1": "#ffffff",
  "--jp-layout-color2": "#eeeeee",
  "--jp-ui-font-color0": "rgba(0, 0, 0, 1)",
  "--jp-ui-font-color1": "rgba(0, 0, 0, 0.87)",
  "--jp-ui-font-color2": "rgba(0, 0, 0, 0.54)",
  "--jp-ui-font-color3": "rgba(0, 0, 0, 0.38)",
  "--jp-border-color1": "#bdbdbd",
  "--jp-border-color2": "#e0e0e0",
  "--jp-ui-font-family": 'system-ui, -apple-system, blinkmacsystemfont, "Segoe UI", helvetica, arial, sans-serif',
};
const DARK_VARS: Record<string, string> = {
  "--jp-layout-color0": "#111111",
  "--jp-layout-color1": "#212121",
  "--jp-layout-color2": "#424242",
  "--jp-ui-font-color0": "rgba(255, 255, 255, 1)",
  "--jp-ui-font-color1": "rgba(255, 255, 255, 0.87)",
  "--jp-ui-font-color2": "rgba(255, 255, 255, 0.54)",
  "--jp-ui-font-color3": "rgba(255, 255, 255, 0.38)",
  "--jp-border-color1": "#616161",
  "--jp-border-color2": "#424242",
  "--jp-ui-font-family": LIGHT_VARS["--jp-ui-font-family"]!,
};

class Harness {
  model: FakeModel | null = null;
  widget: Widget | null = null;
  private cleanups: (() => unknown)[] = [];
  private seq = 0;
  generate = generate;
  ready: Promise<void>;

  constructor() {
    this.ready = import(/* @vite-ignore */ "./scalars.js" as string).then((m: { default: Widget }) => {
      this.widget = m.default;
    });
  }

  get app(): HTMLElement {
    return document.getElementById("app")!;
  }

  get root(): HTMLElement | null {
    return this.app.querySelector(".nbviz-scalars");
  }

  /** Create a fresh model (with traits) and render one view of it. */
  mount(traits: Record<string, unknown> = {}): FakeModel {
    this.unmount();
    if (!this.widget) throw new Error("await nbvizHarness.ready first");
    const model = new FakeModel({ ...DEFAULTS, ...traits });
    this.model = model;
    this.seq = Number(model.get("snapshot_seq") ?? 0);
    const c1 = this.widget.initialize?.({ model });
    if (typeof c1 === "function") this.cleanups.push(c1 as () => unknown);
    this.addView();
    return model;
  }

  /** Render an additional view of the current model. */
  addView(): HTMLElement {
    const host = document.createElement("div");
    host.className = "harness-view";
    this.app.appendChild(host);
    const c = this.widget!.render({ model: this.model!, el: host });
    this.cleanups.push(() => {
      if (typeof c === "function") c();
      host.remove();
    });
    return host;
  }

  unmount(): void {
    for (const c of this.cleanups.reverse()) c();
    this.cleanups = [];
    this.model = null;
  }

  /** Kernel → page snapshot: series + snapshot + snapshot_seq in one update. */
  load(series: SeriesInfo[], data: Float64Array | ArrayBuffer | number[], seq?: number): number {
    this.seq = seq ?? this.seq + 1;
    this.model!.setMany({ series, snapshot: toDataView(data), snapshot_seq: this.seq });
    return this.seq;
  }

  /** Kernel → page append message. */
  append(series: SeriesInfo[], data: Float64Array | ArrayBuffer | number[], seq?: number): number {
    this.seq = seq ?? this.seq + 1;
    this.model!.emit("msg:custom", { type: "append", seq: this.seq, series }, [toDataView(data)]);
    return this.seq;
  }

  /** Kernel-side trait change. */
  set(name: string, value: unknown): void {
    this.model!.set(name, value);
  }

  /** Resolves with performance.now() after the next completed panel render. */
  nextRender(): Promise<number> {
    return new Promise((res) => {
      const h = () => {
        this.app.removeEventListener("nbviz:render", h);
        res(performance.now());
      };
      this.app.addEventListener("nbviz:render", h);
    });
  }

  /** Resolves after the next animation frame (the browser had a chance to paint). */
  frame(): Promise<number> {
    return new Promise((res) => requestAnimationFrame(() => res(performance.now())));
  }

  /** Switch the page between a JupyterLab-like light and dark theme. */
  theme(name: "light" | "dark" | "none"): void {
    const b = document.body;
    for (const k of Object.keys(LIGHT_VARS)) b.style.removeProperty(k);
    if (name === "none") {
      delete b.dataset.jpThemeLight;
      delete b.dataset.jpThemeName;
      return;
    }
    const vars = name === "dark" ? DARK_VARS : LIGHT_VARS;
    for (const [k, v] of Object.entries(vars)) b.style.setProperty(k, v);
    b.style.background = vars["--jp-layout-color0"]!;
    b.dataset.jpThemeLight = String(name === "light");
    b.dataset.jpThemeName = name === "dark" ? "JupyterLab Dark" : "JupyterLab Light";
  }
}

declare global {
  interface Window {
    nbvizHarness: Harness;
  }
}

const h = new Harness();
window.nbvizHarness = h;

// ?demo=1&theme=dark : load demo data for manual viewing
const params = new URLSearchParams(location.search);
h.theme((params.get("theme") as "light" | "dark" | null) ?? "light");
if (params.get("demo")) {
  void h.ready.then(() => {
    h.mount({ title: "Demo: 3 runs", smoothing: Number(params.get("smoothing") ?? 0.6) });
    const g = generate({
      runs: 3,
      tags: ["loss/train", "loss/val", "accuracy/top1", "accuracy/top5", "lr", "grad_norm/layer1"],
      points: Number(params.get("points") ?? 2000),
      nonFinite: true,
    });
    h.load(g.series, g.data);
  });
}
