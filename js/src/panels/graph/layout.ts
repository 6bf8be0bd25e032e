/**
 * Layout of the visible graph with elkjs ("layered", top to bottom) in a Web Worker.
 * The worker is elkjs's own bundled `elk-worker.min.js`, inlined as text and started
 * from a Blob URL, so it runs inside anywidget's ESM with no server. Only the visible
 * items are laid out: open groups are compound nodes holding their visible contents.
 * Coordinates come back absolute (ELK's json shape/edge coords = ROOT).
 */
import workerSource from "elkjs/lib/elk-worker.min.js" with { type: "text" };
import * as elkApi from "elkjs/lib/elk-api.js";
import { itemWidth, LAYER_GAP, NODE_GAP, NODE_HEIGHT, PAD, type Placed } from "./geometry";
import { layered } from "./layered";
import type { GraphView, Visible } from "./model";

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
export function elkGraph(view: GraphView, vis: Visible): ElkNodeJson {
  const root: ElkNodeJson = { id: "root", children: [], edges: [], layoutOptions: ROOT_OPTIONS };
  const containers = new Map<number, ElkNodeJson>();
  const containerOf = (g: number): ElkNodeJson => (g < 0 ? root : containers.get(g) ?? root);
  for (const g of vis.open) {
    const group = view.groups[g]!;
    const node: ElkNodeJson = { id: `o${g}`, children: [], layoutOptions: GROUP_OPTIONS };
    containers.set(g, node);
    containerOf(group.parent).children!.push(node);
  }
  vis.items.forEach((item, pos) => {
    containerOf(item.container).children!.push({ id: `i${pos}`, width: itemWidth(view, item), height: NODE_HEIGHT });
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

let shared: { elk: ElkLike; users: number } | null = null;
let workerUrl: string | null = null; // the Blob of the 1.6 MB worker source is made once per page

function elkConstructor(): new (opts: { workerFactory: () => Worker }) => ElkLike {
  const mod = elkApi as unknown as { default?: unknown };
  const inner = mod.default as { default?: unknown } | undefined;
  const ctor = (inner && typeof inner === "object" && "default" in inner ? inner.default : inner) ?? mod;
  return ctor as new (opts: { workerFactory: () => Worker }) => ElkLike;
}

/** One ELK worker per page, shared by every Graph view; released with the last one. */
export class Layouter {
  private readonly elk: ElkLike;
  private disposed = false;

  constructor() {
    if (!shared) {
      const url = (workerUrl ??= URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" })));
      const Elk = elkConstructor();
      shared = { elk: new Elk({ workerFactory: () => new Worker(url) }), users: 0 };
    }
    shared.users++;
    this.elk = shared.elk;
  }

  /** ELK in the worker up to LARGE visible boxes, the linear layered layout past it. */
  async layout(view: GraphView, vis: Visible): Promise<Placed> {
    if (vis.items.length > LARGE) {
      // on the main thread, but in a task of its own (not the click's, not the render's)
      await nextTask();
      return layered(view, vis);
    }
    const started = performance.now();
    const result = await this.elk.layout(elkGraph(view, vis));
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

  dispose(): void {
    if (this.disposed || !shared) return;
    this.disposed = true;
    shared.users--;
    if (shared.users <= 0) {
      shared.elk.terminateWorker();
      shared = null;
    }
  }
}
