/**
 * The runtime of nbviz's offline snapshots (nbviz/export): renders every
 * `<div data-nbviz-mount="id">` of the page with the panels' own anywidget
 * bundles, no kernel, no network. Written by `nbviz/export/html.py`:
 *
 *   <div data-nbviz-mount="ID"><img class="nbviz-export-fallback" …></div>
 *   <script type="application/octet-stream" data-nbviz-bundle="KEY">base64(gzip(bundle))</script>
 *   <script type="application/json" data-nbviz-state="ID">{"roots": [ref…], "widgets": {ref:
 *     {"bundle": KEY, "state": {…}, "messages": [{content, buffers: [i…]}], "data": N,
 *      "sizes": [n…], "lazy"?: {seq, chunks: [N…], items: {id: {info, chunk, offset}}}}}}</script>
 *   <script type="application/octet-stream" data-nbviz-data="ID/N">base64(gzip(bytes))</script>
 *
 * `messages` are custom messages a live kernel would send on request (e.g. media
 * bytes): replayed into the model (`msg:custom`) once its first view is rendered.
 *   <script type="module">this runtime</script>
 *
 * Every output of a notebook carries the runtime and its bundles (so any one output
 * works alone); the runtime installs itself once per page (`globalThis.__nbvizSnapshot`)
 * and evaluates each bundle once (by key). A Dashboard's child panels are rendered
 * through the anywidget `Host` it expects (`getWidget(ref).render`).
 *
 * First paint first: a widget's bytes and bundle are decoded when it is rendered; the
 * others (a Dashboard's hidden tabs) on idle once the shown ones are on screen. A lazy
 * panel's points (`lazy`, the Scalars `request` protocol, docs/wire.md) are answered
 * from their chunks when its charts scroll into view (./lazy.ts); the chunks nobody
 * asked for are pushed on idle; the first chart's are sent before its view is built (so
 * it draws them in its first frame). Performance marks `nbviz-snapshot-decoded:<id>`,
 * `nbviz-snapshot-rendered:<id>`, `nbviz-snapshot-bundle:<key>`, `nbviz-snapshot-prefetch:<n>`,
 * `nbviz-snapshot-request:<n>` and `nbviz-snapshot-chunk:<n>` time the phases.
 */
import type { AnyModel, Experimental, Host, Initialize, Render, ResolvedWidget } from "@anywidget/types";
import { reviveBuffers, splitBuffers, unpackScript } from "./decode";
import { whenIdle } from "./idle";
import { LazySeries, firstChartIds, type LazyEntry } from "./lazy";
import { StaticModel } from "./model";
import { OncePerKey } from "./once";

type Traits = Record<string, any>;

interface WidgetDef {
  initialize?: Initialize<Traits>;
  render?: Render<Traits>;
}

interface ReplayedMessage {
  content: unknown;
  buffers: number[];
}

interface WidgetEntry {
  bundle: string;
  state: Traits;
  messages?: ReplayedMessage[];
  /** index of the widget's bytes script (-1: none) and the byte size of each buffer */
  data: number;
  sizes: number[];
  lazy?: LazyEntry;
}

interface SnapshotDoc {
  roots: string[];
  widgets: Record<string, WidgetEntry>;
}

const EXPERIMENTAL: Experimental = {
  invoke: () => Promise.reject(new Error("an offline nbviz snapshot has no kernel to ask")),
};

class Runtime {
  /** bundles, decoded and evaluated once; `pending`: those still loading */
  readonly modules = new OncePerKey<WidgetDef>();

  /** Render every mount point of the page not rendered yet. */
  mountAll(): void {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("[data-nbviz-mount]"))) {
      if (el.dataset.nbvizMounted) continue;
      el.dataset.nbvizMounted = "1";
      void this.mount(el);
    }
  }

  /** The widget definition of bundle `key` (decoded and evaluated once per page). */
  bundle(key: string): Promise<WidgetDef> {
    return this.modules.get(key, (k) => this.load(k));
  }

  private async load(key: string): Promise<WidgetDef> {
    const script = document.querySelector(`script[data-nbviz-bundle="${CSS.escape(key)}"]`);
    const code = new TextDecoder().decode(await unpackScript(script, `the panel code ${key}`));
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
    let def = module.default;
    if (typeof def === "function") def = await (def as () => unknown)();
    if (!def || typeof def !== "object") throw new Error(`panel code ${key} exports no widget`);
    performance.mark(`nbviz-snapshot-bundle:${key}`);
    return def as WidgetDef;
  }

  private async mount(el: HTMLElement): Promise<void> {
    const id = el.dataset.nbvizMount ?? "";
    const fallback = el.querySelector(".nbviz-export-fallback");
    const box = document.createElement("div");
    box.className = "nbviz-export-live";
    try {
      const script = document.querySelector(`script[data-nbviz-state="${CSS.escape(id)}"]`);
      if (!script?.textContent) throw new Error("the page lacks this snapshot's data");
      const doc = JSON.parse(script.textContent) as SnapshotDoc;
      const widgets = new PageWidgets(this, id, doc);
      performance.mark(`nbviz-snapshot-decoded:${id}`);
      el.appendChild(box);
      for (const ref of doc.roots) {
        const part = document.createElement("div");
        part.className = "nbviz-export-part";
        box.appendChild(part);
        await widgets.render(ref, part, new AbortController().signal);
      }
      fallback?.remove();
      performance.mark(`nbviz-snapshot-rendered:${id}`);
      widgets.shown();
    } catch (error) {
      const note = document.createElement("div");
      note.className = "nbviz-export-error";
      note.textContent = `nbviz: this interactive snapshot could not be shown (${String(error)}).`;
      el.appendChild(note);
      console.error("nbviz snapshot:", error);
    }
  }
}

/**
 * The widgets of one snapshot: their models, and the Host a Dashboard renders children
 * through. A widget's bytes are decoded when it is first rendered; a model asked for
 * without being rendered (a Dashboard's other tabs) once the shown ones have drawn.
 */
interface Loaded {
  model: StaticModel;
  buffers: DataView[];
}

class PageWidgets implements Host {
  /** widgets' models, their bytes decoded once; `pending`: those still decoding */
  private readonly models = new OncePerKey<Loaded>();
  private readonly ready = new Map<string, Promise<void>>();
  private readonly replayed = new Set<string>();
  /** views being rendered */
  private rendering = 0;
  private readonly lazy = new Map<string, LazySeries>();
  private openGate: () => void = () => undefined;
  /** resolved once the roots are rendered and the page is idle */
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));

  constructor(
    private readonly runtime: Runtime,
    private readonly mountId: string,
    private readonly doc: SnapshotDoc,
  ) {}

  /** True while code is loading, a view is being rendered or a shown chart waits for its
   * points (the Dashboard asks for its tab's code before it renders it). */
  private busy(): boolean {
    if (this.rendering > 0 || this.runtime.modules.pending > 0 || this.models.pending > 0) return true;
    for (const lazy of this.lazy.values()) if (lazy.pending > 0) return true;
    return false;
  }

  /** The roots are on screen: once what they show has loaded, decode the rest (other
   * tabs' bundles and data) on idle. */
  shown(): void {
    const start = (): void => {
      if (this.busy()) {
        whenIdle(start);
        return;
      }
      this.openGate();
      const refs = Object.keys(this.doc.widgets);
      const next = (): void => {
        const ref = refs.shift();
        if (ref === undefined) return;
        Promise.all([this.runtime.bundle(this.entry(ref).bundle), this.model(ref)])
          .catch((error: unknown) => console.error(`nbviz snapshot: ${ref}`, error))
          .finally(() => whenIdle(next));
      };
      next();
    };
    whenIdle(start);
  }

  private entry(ref: string): WidgetEntry {
    const entry = this.doc.widgets[ref];
    if (!entry) throw new Error(`no widget ${ref} in this snapshot`);
    return entry;
  }

  private script(index: number): Element | null {
    return document.querySelector(`script[data-nbviz-data="${CSS.escape(`${this.mountId}/${index}`)}"]`);
  }

  private async buffers(ref: string): Promise<DataView[]> {
    const entry = this.entry(ref);
    if (entry.data < 0) return [];
    return splitBuffers(await unpackScript(this.script(entry.data), `the data of ${ref}`), entry.sizes);
  }

  /** The widget's model, its bytes decoded (once). */
  private model(ref: string): Promise<Loaded> {
    return this.models.get(ref, (r) => this.makeModel(r));
  }

  private async makeModel(ref: string): Promise<Loaded> {
    const entry = this.entry(ref);
    const buffers = await this.buffers(ref);
    const state = reviveBuffers(entry.state, buffers) as Traits;
    const lazy = entry.lazy ? new LazySeries(entry.lazy, (i) => unpackScript(this.script(i), `the points of ${ref}`)) : null;
    const model = new StaticModel(state, (other) => this.getModel(other), lazy ? (content) => lazy.answer(content) : undefined);
    if (lazy) {
      lazy.attach((content, views) => model.emit("msg:custom", content, views));
      this.lazy.set(ref, lazy);
    }
    for (const msg of entry.messages ?? []) {
      for (const i of msg.buffers) if (!buffers[i]) throw new Error(`no buffer ${i} for a message of ${ref}`);
    }
    return { model, buffers };
  }

  /** A lazy panel's first chart's points, sent once its model state exists (initialize)
   * and before its first view is built, so that view draws them at once (./lazy.ts). */
  private async prefetch(ref: string, model: StaticModel): Promise<void> {
    const lazy = this.lazy.get(ref);
    const entry = this.entry(ref).lazy;
    if (lazy && entry) await lazy.prefetch(firstChartIds(entry, model.get("tag_filter")));
  }

  getModel<T extends Traits = Traits>(ref: string): Promise<AnyModel<T>> {
    try {
      this.entry(ref);
    } catch (error) {
      return Promise.reject(error);
    }
    const loaded = this.models.peek(ref) ?? this.gate.then(() => this.model(ref));
    return loaded.then(({ model }) => model as unknown as AnyModel<T>);
  }

  async getWidget<T = unknown>(ref: string): Promise<ResolvedWidget<T>> {
    const def = await this.runtime.bundle(this.entry(ref).bundle);
    return {
      exports: def as T,
      render: ({ el, signal }) => this.render(ref, el, signal ?? new AbortController().signal),
    };
  }

  /** Initialize the widget's model once, then render one view of it into `el`. */
  async render(ref: string, el: HTMLElement, signal: AbortSignal): Promise<void> {
    this.rendering++;
    try {
      await this.renderView(ref, el, signal);
    } finally {
      this.rendering--;
    }
  }

  private async renderView(ref: string, el: HTMLElement, signal: AbortSignal): Promise<void> {
    const [def, { model, buffers }] = await Promise.all([this.runtime.bundle(this.entry(ref).bundle), this.model(ref)]);
    let ready = this.ready.get(ref);
    if (!ready) {
      ready = Promise.resolve(def.initialize?.({ model, signal, experimental: EXPERIMENTAL })).then(() =>
        this.prefetch(ref, model),
      );
      this.ready.set(ref, ready);
    }
    await ready;
    const cleanup = await def.render?.({ model, el, signal, host: this, experimental: EXPERIMENTAL });
    if (typeof cleanup === "function") signal.addEventListener("abort", () => void cleanup());
    if (!this.replayed.has(ref)) {
      this.replayed.add(ref);
      for (const msg of this.entry(ref).messages ?? []) {
        const views = msg.buffers.map((i) => buffers[i]!);
        model.emit("msg:custom", reviveBuffers(msg.content, buffers), views);
      }
    }
  }
}

const KEY = "__nbvizSnapshot";
const scope = globalThis as unknown as Record<string, Runtime | undefined>;
const runtime = scope[KEY] ?? (scope[KEY] = new Runtime());
runtime.mountAll();
// outputs inserted by a notebook front end may be attached just after their script ran
requestAnimationFrame(() => runtime.mountAll());
