/**
 * Layout of the visible graph with elkjs ("layered", top to bottom) in a Web Worker.
 * The worker is elkjs's own bundled `elk-worker.min.js`, inlined gzipped (base64 text,
 * js/build.mjs) and started from a Blob URL, so it runs inside anywidget's ESM and the
 * exported HTML with no server. Only the visible
 * items are laid out: open groups are compound nodes holding their visible contents.
 * Coordinates come back absolute (ELK's json shape/edge coords = ROOT).
 *
 * The main thread never parses elkjs: its 1.6 MB worker source is 0.63 MB of base64 here
 * (in a function V8 only pre-parses while the bundle loads), unpacked by DecompressionStream (asynchronously, in small chunks) into a Blob the first
 * time a layout needs it, the Worker started in a task of its own (not the view's first
 * task), and kept for IDLE_MS after the last view is gone (a re-rendered cell finds it warm). Open repeated blocks (./repeats.ts) are laid out once per
 * structure and reused for their identical siblings.
 *
 * Cold start: the worker's first answer takes most of a second (it compiles 1.6 MB of
 * elkjs, registers the layered algorithm and runs one small warm-up layout so the first
 * real one is not slow too). It starts once the page has asked for no layout for
 * WARM_AFTER_IDLE_MS (compiling elkjs takes a core for most of a second: on a 2-core
 * machine it would stretch the first paint's and the first clicks' tasks), and until it is
 * warm every layout takes the linear layered path (./layered.ts, a few ms for a collapsed model) — the first
 * paint never waits for ELK. A layout once drawn stays (the view caches it by open set):
 * no picture is swapped under the user.
 */
import workerGzip64 from "elkjs/lib/elk-worker.min.js?gzip64";
import * as elkApi from "elkjs/lib/elk-api.js";
import { boxWidth, itemWidth, LAYER_GAP, NODE_GAP, NODE_HEIGHT, openHeader, PAD, type Placed } from "./geometry";
import { layered, type LevelCache } from "./layered";
import type { GraphView, Visible } from "./model";
import { type Block, type BlockLayout, compose, repeatedBlocks, withoutInsides } from "./repeats";

export { boxWidth, NODE_HEIGHT, type Box, type Placed } from "./geometry";

interface ElkNodeJson {
  id: string;
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  children?: ElkNodeJson[];
  edges?: ElkEdgeJson[];
  layoutOptions?: Record<string, string>;
}

interface ElkEdgeJson {
  id: string;
  sources: string[];
  targets: string[];
  sections?: { startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[] }[];
}

interface ElkLike {
  layout(graph: ElkNodeJson, options?: { layoutOptions?: Record<string, string> }): Promise<ElkNodeJson>;
  terminateWorker(): void;
}

const ROOT_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": String(LAYER_GAP),
  "elk.spacing.nodeNode": String(NODE_GAP),
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "org.eclipse.elk.json.edgeCoords": "ROOT",
  "org.eclipse.elk.json.shapeCoords": "ROOT",
};
const GROUP_OPTIONS: Record<string, string> = {
  "elk.padding": `[top=${PAD.top},left=${PAD.left},bottom=${PAD.bottom},right=${PAD.right}]`,
};

/**
 * Past this many visible boxes the linear layered layout (./layered.ts) replaces ELK:
 * ELK's layered algorithm took 1.5-9 s for a 2,000-node chain on this project's 2-core
 * machines, with every speed option (LONGEST_PATH layering, SIMPLE placement, POLYLINE
 * routing, no crossing minimisation; benchmarks/graph_scale.py), against a 200 ms goal.
 */
export const LARGE = 400;

/** The ELK graph of the visible items (pure; exported for tests). */
export function elkGraph(
  view: GraphView,
  vis: Visible,
  sizes: ReadonlyMap<number, { width: number; height: number }> = new Map(),
  rootOptions: Record<string, string> = ROOT_OPTIONS,
): ElkNodeJson {
  const root: ElkNodeJson = { id: "root", children: [], edges: [], layoutOptions: rootOptions };
  const containers = new Map<number, ElkNodeJson>();
  const containerOf = (g: number): ElkNodeJson => (g < 0 ? root : containers.get(g) ?? root);
  for (const g of vis.open) {
    const group = view.groups[g]!;
    const node: ElkNodeJson = { id: `o${g}`, children: [], layoutOptions: GROUP_OPTIONS };
    containers.set(g, node);
    containerOf(group.parent).children!.push(node);
  }
  vis.items.forEach((item, pos) => {
    const size = sizes.get(pos) ?? { width: itemWidth(view, item), height: NODE_HEIGHT };
    containerOf(item.container).children!.push({ id: `i${pos}`, ...size });
  });
  vis.edges.forEach((e, k) => {
    root.edges!.push({ id: `e${k}`, sources: [`i${e.source}`], targets: [`i${e.target}`] });
  });
  return root;
}

function collect(node: ElkNodeJson, vis: Visible, out: Placed): void {
  for (const child of node.children ?? []) {
    const box = { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 };
    if (child.id.startsWith("i")) out.items[Number(child.id.slice(1))] = box;
    else if (child.id.startsWith("o")) out.open.set(Number(child.id.slice(1)), box);
    collect(child, vis, out);
  }
  for (const edge of node.edges ?? []) {
    const k = Number(edge.id.slice(1));
    const s = edge.sections?.[0];
    if (!s) continue;
    out.edges[k] = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
  }
}

/** Resolves in a new task, without waiting for a frame (setTimeout(0) can be clamped). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Keep the worker this long after the last Graph view is gone. */
export const IDLE_MS = 30_000;
/** Block layouts kept per view (least recently used dropped first). */
const KEEP_BLOCKS = 64;

interface ElkOptions {
  workerFactory: () => Worker;
  algorithms: string[];
}

function elkConstructor(): new (opts: ElkOptions) => ElkLike {
  const mod = elkApi as unknown as { default?: unknown };
  const inner = mod.default as { default?: unknown } | undefined;
  const ctor = (inner && typeof inner === "object" && "default" in inner ? inner.default : inner) ?? mod;
  return ctor as new (opts: ElkOptions) => ElkLike;
}

/** A Blob URL of elkjs's worker source, unpacked from its gzipped base64 text. */
async function workerUrl(): Promise<string> {
  const base64 = workerGzip64(); // V8 parses the 0.63 MB literal now, not when the bundle loads
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  let bytes: Uint8Array<ArrayBuffer>;
  if (native) bytes = native(base64);
  else {
    const text = atob(base64);
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const source = await new Response(stream).blob();
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}

/**
 * A small graph shaped like the views' (a compound node, edges across its border) that the
 * worker lays out once before it counts as warm: ELK's first layout initialises its
 * layered algorithm's classes and is several times slower than the next ones.
 */
function warmUpGraph(): ElkNodeJson {
  const box = (id: string): ElkNodeJson => ({ id, width: 80, height: NODE_HEIGHT });
  const group: ElkNodeJson = { id: "g", children: [box("b"), box("c")], layoutOptions: GROUP_OPTIONS };
  const edge = (id: string, s: string, t: string): ElkEdgeJson => ({ id, sources: [s], targets: [t] });
  return {
    id: "warm",
    children: [box("a"), group, box("d")],
    edges: [edge("e0", "a", "b"), edge("e1", "b", "c"), edge("e2", "c", "d"), edge("e3", "a", "d")],
    layoutOptions: ROOT_OPTIONS,
  };
}

/**
 * The page's one ELK worker: started once the page is quiet (warmWhenIdle), in tasks of
 * their own, warm once it has answered a warm-up layout (`elk` set only then); stopped
 * when idle.
 */
const worker = {
  elk: null as ElkLike | null,
  starting: null as Promise<ElkLike> | null,
  users: 0,
  timer: 0 as ReturnType<typeof setTimeout> | 0,
  acquire(): void {
    this.users++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = 0;
  },
  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0 || !this.elk) return;
    this.timer = setTimeout(() => this.stopIdle(), IDLE_MS);
  },
  get(): Promise<ElkLike> {
    if (this.elk) return Promise.resolve(this.elk);
    this.starting ??= (async () => {
      await nextTask(); // not in the caller's task
      const url = await workerUrl();
      await nextTask();
      const Elk = elkConstructor();
      const elk = new Elk({ workerFactory: () => new Worker(url), algorithms: ["layered"] });
      try {
        await elk.layout(warmUpGraph());
      } catch (err) {
        elk.terminateWorker();
        throw err;
      } finally {
        URL.revokeObjectURL(url); // the worker has read its source
      }
      await nextTask(); // the first real postMessage in a task of its own too
      if (this.users === 0 && !this.timer) this.timer = setTimeout(() => this.stopIdle(), IDLE_MS);
      this.elk = elk;
      return elk;
    })().then(
      (elk) => {
        for (const w of this.waiters.splice(0)) w.resolve();
        return elk;
      },
      (err: unknown) => {
        for (const w of this.waiters.splice(0)) w.reject(err);
        throw err;
      },
    ).finally(() => {
      this.starting = null; // started, or failed: the next layout tries again
    });
    return this.starting;
  },
  /** views waiting for the worker to be warm (whenever it starts), see Layouter.whenWarm */
  waiters: [] as { resolve: () => void; reject: (err: unknown) => void }[],
  /** Resolves once the worker is warm, without starting it. */
  whenReady(): Promise<void> {
    if (this.elk) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  },
  /** Start the worker now if it is not (failures surface on the next layout that needs it). */
  warm(): void {
    if (!this.elk) this.get().catch(() => undefined);
  },
  stopIdle(): void {
    this.timer = 0;
    if (this.users > 0 || !this.elk) return;
    this.elk.terminateWorker();
    this.elk = null;
  },
};


/** Quiet time (no layout asked for) after which the ELK worker starts warming up. */
export const WARM_AFTER_IDLE_MS = 1000;
let warmTimer: ReturnType<typeof setTimeout> | 0 = 0;

/** Start the worker once the page has been quiet for WARM_AFTER_IDLE_MS (each call restarts the wait). */
function warmWhenIdle(): void {
  if (worker.elk) return;
  if (warmTimer) clearTimeout(warmTimer);
  warmTimer = setTimeout(() => {
    warmTimer = 0;
    worker.warm();
  }, WARM_AFTER_IDLE_MS);
}

/** Turn an ELK result into the Placed form (positions per visible item / open group / edge). */
function placedOf(result: ElkNodeJson, vis: Visible, started: number): Placed {
  const out: Placed = {
    items: new Array(vis.items.length),
    open: new Map(),
    edges: new Array(vis.edges.length),
    width: result.width ?? 0,
    height: result.height ?? 0,
    millis: performance.now() - started,
    engine: "elk",
  };
  collect(result, vis, out);
  return out;
}

/** ELK in the worker for every view of the page; one per view, it remembers repeated blocks. */
export class Layouter {
  /** Lay repeated blocks out once (off: every block laid out again, for comparisons). */
  static reuseRepeats = true;
  private disposed = false;
  /** ELK layouts of repeated blocks' insides by block key (./repeats.ts) */
  private readonly blocks = new Map<string, BlockLayout>();
  /** the layered path's level layouts of repeated blocks by level key (./layered.ts) */
  private readonly levels: LevelCache = new Map();

  constructor() {
    worker.acquire();
    warmWhenIdle();
  }

  /** True once the page's ELK worker has answered its warm-up layout. */
  static get warm(): boolean {
    return worker.elk !== null;
  }

  /**
   * Resolves when the page's ELK worker is warm — it starts once the page has asked for no
   * layout for WARM_AFTER_IDLE_MS; rejects if it fails to start.
   */
  whenWarm(): Promise<void> {
    warmWhenIdle();
    return worker.whenReady();
  }

  /**
   * ELK in the worker up to LARGE visible boxes once it is warm; the linear layered layout
   * past LARGE boxes, and for every layout asked for while the worker is still starting.
   */
  async layout(view: GraphView, vis: Visible): Promise<Placed> {
    if (vis.items.length > LARGE || !worker.elk) {
      warmWhenIdle(); // (again, if a start failed; never while layouts keep coming)
      // on the main thread, but in a task of its own (not the click's, not the render's)
      await nextTask();
      return layered(view, vis, Layouter.reuseRepeats ? this.levels : new Map());
    }
    const elk = await worker.get();
    const started = performance.now();
    const blocks = Layouter.reuseRepeats ? repeatedBlocks(view, vis) : [];
    if (!blocks.length) return placedOf(await elk.layout(elkGraph(view, vis)), vis, started);
    let reused = 0;
    const insides: BlockLayout[] = [];
    for (const block of blocks) {
      const known = this.blocks.get(block.key);
      if (known) reused++;
      const lay = known ?? (await this.layoutBlock(elk, view, block));
      this.remember(block.key, lay);
      insides.push(lay);
    }
    const reduced = withoutInsides(view, vis, blocks);
    const sizes = new Map(reduced.boxes.map((r, b) => [r, { width: insides[b]!.width, height: insides[b]!.height }]));
    const outer = placedOf(await elk.layout(elkGraph(view, reduced.outer, sizes)), reduced.outer, started);
    const out = compose(vis, blocks, outer, reduced, insides);
    out.millis = performance.now() - started;
    out.reused = reused;
    return out;
  }

  /** A block's inside on its own (the block is the root: its padding, relative coordinates). */
  private async layoutBlock(elk: ElkLike, view: GraphView, block: Block): Promise<BlockLayout> {
    const options = { ...ROOT_OPTIONS, ...GROUP_OPTIONS };
    const placed = placedOf(await elk.layout(elkGraph(view, block.inner, new Map(), options)), block.inner, 0);
    return {
      width: Math.max(placed.width, boxWidth(openHeader(view, block.group))),
      height: placed.height,
      items: placed.items,
      open: block.inner.open.map((g) => placed.open.get(g)!),
      edges: placed.edges,
    };
  }

  private remember(key: string, lay: BlockLayout): void {
    this.blocks.delete(key);
    this.blocks.set(key, lay);
    while (this.blocks.size > KEEP_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    worker.release();
  }
}
