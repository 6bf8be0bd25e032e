/**
 * The runtime of nbviz's offline snapshots (nbviz/export): renders every
 * `<div data-nbviz-mount="id">` of the page with the panels' own anywidget
 * bundles, no kernel, no network. Written by `nbviz/export/html.py`:
 *
 *   <div data-nbviz-mount="ID"><img class="nbviz-export-fallback" …></div>
 *   <script type="application/octet-stream" data-nbviz-bundle="KEY">base64(gzip(bundle))</script>
 *   <script type="application/json" data-nbviz-state="ID">{"roots": [ref…], "widgets": {ref:
 *     {"bundle": KEY, "state": {…}, "messages": [{content, buffers: [i…]}]}},
 *     "buffers": base64(gzip(bytes)), "sizes": [n…]}</script>
 *
 * `messages` are custom messages a live kernel would send on request (e.g. media
 * bytes): replayed into the model (`msg:custom`) once its first view is rendered.
 *   <script type="module">this runtime</script>
 *
 * Every output of a notebook carries the runtime and its bundles (so any one output
 * works alone); the runtime installs itself once per page (`globalThis.__nbvizSnapshot`)
 * and evaluates each bundle once (by key). A Dashboard's child panels are rendered
 * through the anywidget `Host` it expects (`getWidget(ref).render`). Performance marks
 * `nbviz-snapshot-decoded:<id>` and `nbviz-snapshot-rendered:<id>` time each mount point.
 */
import type { AnyModel, Experimental, Host, Initialize, Render, ResolvedWidget } from "@anywidget/types";
import { fromBase64, gunzip, reviveBuffers, splitBuffers } from "./decode";
import { StaticModel } from "./model";

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
}

interface SnapshotDoc {
  roots: string[];
  widgets: Record<string, WidgetEntry>;
  buffers: string;
  sizes: number[];
}

const EXPERIMENTAL: Experimental = {
  invoke: () => Promise.reject(new Error("an offline nbviz snapshot has no kernel to ask")),
};

class Runtime {
  private readonly modules = new Map<string, Promise<WidgetDef>>();

  /** Render every mount point of the page not rendered yet. */
  mountAll(): void {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("[data-nbviz-mount]"))) {
      if (el.dataset.nbvizMounted) continue;
      el.dataset.nbvizMounted = "1";
      void this.mount(el);
    }
  }

  /** The widget definition of bundle `key` (evaluated once per page). */
  bundle(key: string): Promise<WidgetDef> {
    let found = this.modules.get(key);
    if (!found) {
      found = this.load(key);
      this.modules.set(key, found);
    }
    return found;
  }

  private async load(key: string): Promise<WidgetDef> {
    const script = document.querySelector(`script[data-nbviz-bundle="${CSS.escape(key)}"]`);
    if (!script?.textContent) throw new Error(`the page lacks the panel code ${key}`);
    const code = new TextDecoder().decode(await gunzip(fromBase64(script.textContent)));
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
    let def = module.default;
    if (typeof def === "function") def = await (def as () => unknown)();
    if (!def || typeof def !== "object") throw new Error(`panel code ${key} exports no widget`);
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
      const blob = doc.buffers ? await gunzip(fromBase64(doc.buffers)) : new Uint8Array(0);
      const widgets = new PageWidgets(this, doc, splitBuffers(blob, doc.sizes));
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
    } catch (error) {
      const note = document.createElement("div");
      note.className = "nbviz-export-error";
      note.textContent = `nbviz: this interactive snapshot could not be shown (${String(error)}).`;
      el.appendChild(note);
      console.error("nbviz snapshot:", error);
    }
  }
}

/** The widgets of one snapshot: their models, and the Host a Dashboard renders children through. */
class PageWidgets implements Host {
  private readonly models = new Map<string, StaticModel>();
  private readonly ready = new Map<string, Promise<void>>();
  private readonly replayed = new Set<string>();

  constructor(
    private readonly runtime: Runtime,
    private readonly doc: SnapshotDoc,
    private readonly buffers: DataView[],
  ) {}

  private entry(ref: string): WidgetEntry {
    const entry = this.doc.widgets[ref];
    if (!entry) throw new Error(`no widget ${ref} in this snapshot`);
    return entry;
  }

  private model(ref: string): StaticModel {
    let model = this.models.get(ref);
    if (!model) {
      const state = reviveBuffers(this.entry(ref).state, this.buffers) as Traits;
      model = new StaticModel(state, (other) => this.getModel(other));
      this.models.set(ref, model);
    }
    return model;
  }

  getModel<T extends Traits = Traits>(ref: string): Promise<AnyModel<T>> {
    try {
      return Promise.resolve(this.model(ref) as unknown as AnyModel<T>);
    } catch (error) {
      return Promise.reject(error);
    }
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
    const def = await this.runtime.bundle(this.entry(ref).bundle);
    const model = this.model(ref);
    let ready = this.ready.get(ref);
    if (!ready) {
      ready = Promise.resolve(def.initialize?.({ model, signal, experimental: EXPERIMENTAL })).then(() => undefined);
      this.ready.set(ref, ready);
    }
    await ready;
    const cleanup = await def.render?.({ model, el, signal, host: this, experimental: EXPERIMENTAL });
    if (typeof cleanup === "function") signal.addEventListener("abort", () => void cleanup());
    if (!this.replayed.has(ref)) {
      this.replayed.add(ref);
      for (const msg of this.entry(ref).messages ?? []) {
        const views = msg.buffers.map((i) => {
          const view = this.buffers[i];
          if (!view) throw new Error(`no buffer ${i} for a message of ${ref}`);
          return view;
        });
        model.emit("msg:custom", reviveBuffers(msg.content, this.buffers), views);
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
