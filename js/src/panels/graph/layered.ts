/**
 * A linear-time layered layout for large visible graphs (more than LARGE boxes, see
 * ./layout.ts), on the main thread: O(boxes + edges), a few milliseconds for 2,000 boxes,
 * where ELK's layered algorithm in the worker took seconds (benchmarks/graph_scale.py).
 *
 * Each open group is laid out on its own, innermost first, then placed as one box in its
 * parent (the same compound picture ELK draws with INCLUDE_CHILDREN, without its global
 * crossing minimisation). Per level, the steps of a layered (Sugiyama) layout, each in one
 * pass:
 * - cycle breaking by model order (an edge against the order the modules ran is a back
 *   edge), layering by longest path over the remaining edges;
 * - order in a layer: the barycentre of the predecessors' centres (one downward sweep),
 *   boxes packed left to right without overlap, then shifted to balance;
 * - edges: one orthogonal bend between neighbouring layers, and edges that skip layers or
 *   go back run beside the layers they cross instead of through their boxes.
 *
 * A level of a repeated block (Python's `repeat` > 1) is laid out once per key (its
 * signature + member sizes + edges in local indices) and copied for identical siblings,
 * within this layout and across layouts sharing `cache`.
 */
import {
  type Box,
  boxWidth,
  itemWidth,
  LAYER_GAP,
  NODE_GAP,
  NODE_HEIGHT,
  openHeader,
  PAD,
  type Placed,
} from "./geometry";
import type { GraphView, Visible } from "./model";

interface Point {
  x: number;
  y: number;
}

/** Entities: visible items 0..N-1, then open groups N..N+O-1 (slot s = entity N+s-1). */
interface Scene {
  n: number;
  /** slot (0 = top level, s = vis.open[s-1]) each entity sits in */
  parent: Int32Array;
  order: Float64Array;
  width: Float64Array;
  height: Float64Array;
  /** position inside the parent slot's content area */
  lx: Float64Array;
  ly: Float64Array;
}

interface LevelEdge {
  a: number;
  b: number;
  route: Point[];
}

/** Lift an edge's two items to the entities that share a slot (their lowest common level). */
function lift(scene: Scene, depth: Int32Array, a: number, b: number): [number, number] {
  const { n, parent } = scene;
  while (parent[a] !== parent[b]) {
    if (depth[parent[a]!]! >= depth[parent[b]!]!) a = n + parent[a]! - 1;
    else b = n + parent[b]! - 1;
  }
  return [a, b];
}

/** One laid-out level, relative to its slot's content area (members / edges in level order). */
export interface LevelLayout {
  lx: Float64Array;
  ly: Float64Array;
  routes: Point[][];
  width: number;
  height: number;
}

/** Level layouts of repeated blocks by key, kept by the caller across layouts. */
export type LevelCache = Map<string, LevelLayout>;
const KEEP_LEVELS = 256;

function levelKey(view: GraphView, g: number, scene: Scene, members: number[], edges: LevelEdge[]): string | null {
  const group = view.groups[g]!;
  if (group.repeat <= 1 || !group.signature) return null;
  const local = new Map<number, number>();
  members.forEach((e, i) => local.set(e, i));
  const sizes = members.map((e) => `${scene.width[e]!.toFixed(1)}x${scene.height[e]!.toFixed(1)}`).join(",");
  const links = edges.map(({ a, b }) => `${local.get(a)}>${local.get(b)}`).join(",");
  return `${group.signature}|${sizes}|${links}`;
}

/** Lay out one level from the cache when an identical one was laid out before; else layoutLevel. */
function cachedLevel(scene: Scene, members: number[], edges: LevelEdge[], key: string | null, cache: LevelCache | undefined): { width: number; height: number; reused: boolean } {
  const hit = key !== null ? cache?.get(key) : undefined;
  if (hit) {
    members.forEach((e, i) => {
      scene.lx[e] = hit.lx[i]!;
      scene.ly[e] = hit.ly[i]!;
    });
    edges.forEach((edge, i) => {
      edge.route = hit.routes[i]!;
    });
    return { width: hit.width, height: hit.height, reused: true };
  }
  const size = layoutLevel(scene, members, edges);
  if (key !== null && cache) {
    cache.set(key, {
      lx: Float64Array.from(members, (e) => scene.lx[e]!),
      ly: Float64Array.from(members, (e) => scene.ly[e]!),
      routes: edges.map((edge) => edge.route),
      ...size,
    });
    while (cache.size > KEEP_LEVELS) cache.delete(cache.keys().next().value!);
  }
  return { ...size, reused: false };
}

/** Lay out one level: sets lx/ly of `members`, routes of `edges`; returns its size. */
function layoutLevel(scene: Scene, members: number[], edges: LevelEdge[]): { width: number; height: number } {
  const { order, width, height, lx, ly } = scene;
  const local = new Map<number, number>();
  members.forEach((e, i) => local.set(e, i));
  const m = members.length;
  const preds: number[][] = Array.from({ length: m }, () => []);
  for (const { a, b } of edges) if (order[a]! < order[b]!) preds[local.get(b)!]!.push(local.get(a)!);
  // members are sorted by model order, so every forward predecessor comes first
  const layer = new Int32Array(m);
  let layers = 0;
  for (let i = 0; i < m; i++) {
    let l = 0;
    for (const p of preds[i]!) l = Math.max(l, layer[p]! + 1);
    layer[i] = l;
    layers = Math.max(layers, l + 1);
  }
  const rows: number[][] = Array.from({ length: layers }, () => []);
  for (let i = 0; i < m; i++) rows[layer[i]!]!.push(i);
  const center = new Float64Array(m);
  const rowRight = new Float64Array(layers).fill(-Infinity);
  const rowLeft = new Float64Array(layers).fill(Infinity);
  const rowBottom = new Float64Array(layers);
  let y = 0;
  for (let r = 0; r < layers; r++) {
    const row = rows[r]!;
    const desired = row.map((i) => {
      const ps = preds[i]!;
      if (!ps.length) return 0;
      let s = 0;
      for (const p of ps) s += center[p]!;
      return s / ps.length;
    });
    const sorted = row.map((i, k) => k).sort((p, q) => desired[p]! - desired[q]! || p - q);
    let right = -Infinity;
    let drift = 0;
    const left = new Float64Array(sorted.length);
    sorted.forEach((k, j) => {
      const w = width[members[row[k]!]!]!;
      const x = Math.max(desired[k]! - w / 2, right + NODE_GAP);
      left[j] = x;
      right = x + w;
      drift += x - (desired[k]! - w / 2);
    });
    const shift = sorted.length ? drift / sorted.length : 0;
    let rowHeight = 0;
    sorted.forEach((k, j) => {
      const i = row[k]!;
      const e = members[i]!;
      lx[e] = left[j]! - shift;
      ly[e] = y;
      center[i] = lx[e]! + width[e]! / 2;
      rowLeft[r] = Math.min(rowLeft[r]!, lx[e]!);
      rowRight[r] = Math.max(rowRight[r]!, lx[e]! + width[e]!);
      rowHeight = Math.max(rowHeight, height[e]!);
    });
    rowBottom[r] = y + rowHeight;
    y += rowHeight + LAYER_GAP;
  }
  let minX = Infinity;
  for (let r = 0; r < layers; r++) minX = Math.min(minX, rowLeft[r]!);
  if (!Number.isFinite(minX)) minX = 0;
  let maxX = 0;
  for (const e of members) {
    lx[e] = lx[e]! - minX;
    maxX = Math.max(maxX, lx[e]! + width[e]!);
  }
  for (let r = 0; r < layers; r++) rowRight[r] = rowRight[r]! - minX;
  const track = edgeTracks(scene, edges, layer, local, rowBottom);
  let lane = 0;
  for (const edge of edges) {
    const { a, b } = edge;
    const la = layer[local.get(a)!]!;
    const lb = layer[local.get(b)!]!;
    const s = { x: lx[a]! + width[a]! / 2, y: ly[a]! + height[a]! };
    const t = { x: lx[b]! + width[b]! / 2, y: ly[b]! };
    if (lb === la + 1) {
      const ys = track.get(`s${a}`)!;
      edge.route = Math.abs(s.x - t.x) < 0.5 ? [s, t] : [s, { x: s.x, y: ys }, { x: t.x, y: ys }, t];
      continue;
    }
    // skips layers or goes back: run beside every box of the layers in between
    let side = 0;
    for (let r = Math.min(la, lb); r <= Math.max(la, lb); r++) side = Math.max(side, rowRight[r]!);
    side += NODE_GAP / 2 + 4 * (lane++ % 4);
    maxX = Math.max(maxX, side + NODE_GAP / 2);
    const ys = track.get(`s${a}`)!;
    const yt = track.get(`t${b}`)!;
    edge.route = [s, { x: s.x, y: ys }, { x: side, y: ys }, { x: side, y: yt }, { x: t.x, y: yt }, t];
  }
  return { width: maxX, height: Math.max(0, y - LAYER_GAP) };
}

/**
 * The y of each horizontal edge segment of a level: in the gap below a layer, one track
 * per source box whose edges bend there ("s<entity>"), and one per target box that a
 * side-run edge enters from the gap above its layer ("t<entity>"); the tracks of a gap are
 * spread evenly across it, left to right by the box's centre. Edges of different boxes
 * never share a horizontal line (a box's own fan-out / fan-in shares its track), as in
 * ELK's orthogonal routing.
 */
function edgeTracks(scene: Scene, edges: LevelEdge[], layer: Int32Array, local: Map<number, number>, rowBottom: Float64Array): Map<string, number> {
  const { lx, width } = scene;
  const center = (e: number): number => lx[e]! + width[e]! / 2;
  const gaps = new Map<number, Map<string, number>>(); // gap (layer above it, -1: above the first) -> key -> x
  const want = (gap: number, key: string, x: number): void => {
    let keys = gaps.get(gap);
    if (!keys) gaps.set(gap, (keys = new Map()));
    keys.set(key, x);
  };
  for (const { a, b } of edges) {
    const la = layer[local.get(a)!]!;
    const lb = layer[local.get(b)!]!;
    if (lb === la + 1 && Math.abs(center(a) - center(b)) < 0.5) continue; // straight down
    want(la, `s${a}`, center(a));
    if (lb !== la + 1) want(lb - 1, `t${b}`, center(b));
  }
  const out = new Map<string, number>();
  for (const [gap, keys] of gaps) {
    const top = gap < 0 ? -LAYER_GAP : rowBottom[gap]!;
    const sorted = [...keys].sort((p, q) => p[1] - q[1]);
    sorted.forEach(([key], j) => out.set(key, top + (LAYER_GAP * (j + 1)) / (sorted.length + 1)));
  }
  return out;
}

/**
 * Absolute boxes and edge polylines of the visible graph (pure but for `cache`, which it
 * fills; exported for tests). Repeated blocks' levels come from `cache` when identical.
 */
export function layered(view: GraphView, vis: Visible, cache: LevelCache = new Map()): Placed {
  const started = performance.now();
  const n = vis.items.length;
  const slots = vis.open.length + 1;
  const total = n + slots - 1;
  const slotOf = new Map<number, number>(vis.open.map((g, i) => [g, i + 1]));
  const scene: Scene = {
    n,
    parent: new Int32Array(total),
    order: new Float64Array(total).fill(Infinity),
    width: new Float64Array(total),
    height: new Float64Array(total),
    lx: new Float64Array(total),
    ly: new Float64Array(total),
  };
  const { parent, order, width, height } = scene;
  const depth = new Int32Array(slots);
  vis.items.forEach((item, p) => {
    parent[p] = item.container < 0 ? 0 : slotOf.get(item.container) ?? 0;
    order[p] = p;
    width[p] = itemWidth(view, item);
    height[p] = NODE_HEIGHT;
  });
  vis.open.forEach((g, i) => {
    const up = view.groups[g]!.parent;
    parent[n + i] = up < 0 ? 0 : slotOf.get(up) ?? 0;
    depth[i + 1] = depth[parent[n + i]!]! + 1; // vis.open lists parents before children
  });
  // a container's model order is that of the first item inside it
  for (let p = 0; p < n; p++) {
    for (let s = parent[p]!; s > 0; s = parent[n + s - 1]!) {
      const e = n + s - 1;
      if (order[e]! <= p) break;
      order[e] = p;
    }
  }
  const members: number[][] = Array.from({ length: slots }, () => []);
  for (let e = 0; e < total; e++) members[parent[e]!]!.push(e);
  for (const list of members) list.sort((p, q) => order[p]! - order[q]!);
  const levelEdges: LevelEdge[][] = Array.from({ length: slots }, () => []);
  const byPair = new Map<number, LevelEdge>();
  const edgeOf = vis.edges.map((e) => {
    const [a, b] = lift(scene, depth, e.source, e.target);
    const key = a * total + b;
    let edge = byPair.get(key);
    if (!edge) {
      edge = { a, b, route: [] };
      byPair.set(key, edge);
      levelEdges[parent[a]!]!.push(edge);
    }
    return edge;
  });
  // innermost first: slots of deeper groups come later in vis.open
  const size = { width: 0, height: 0 };
  const inset = new Float64Array(slots); // content centred under a header wider than it
  let reused = 0;
  for (let s = slots - 1; s >= 0; s--) {
    const key = s > 0 ? levelKey(view, vis.open[s - 1]!, scene, members[s]!, levelEdges[s]!) : null;
    const level = cachedLevel(scene, members[s]!, levelEdges[s]!, key, cache);
    if (level.reused) reused++;
    if (s === 0) {
      size.width = level.width;
      size.height = level.height;
      continue;
    }
    const e = n + s - 1;
    const inner = level.width + PAD.left + PAD.right;
    width[e] = Math.max(inner, boxWidth(openHeader(view, vis.open[s - 1]!)));
    inset[s] = (width[e]! - inner) / 2;
    height[e] = level.height + PAD.top + PAD.bottom;
  }
  // absolute positions, outermost first
  const originX = new Float64Array(slots);
  const originY = new Float64Array(slots);
  const out: Placed = {
    items: new Array<Box>(n),
    open: new Map(),
    edges: new Array(vis.edges.length),
    width: size.width,
    height: size.height,
    millis: 0,
    engine: "layered",
    reused,
  };
  const boxOf = (e: number): Box => ({
    x: originX[parent[e]!]! + scene.lx[e]!,
    y: originY[parent[e]!]! + scene.ly[e]!,
    width: width[e]!,
    height: height[e]!,
  });
  for (let s = 1; s < slots; s++) {
    const box = boxOf(n + s - 1);
    out.open.set(vis.open[s - 1]!, box);
    originX[s] = box.x + PAD.left + inset[s]!;
    originY[s] = box.y + PAD.top;
  }
  for (let p = 0; p < n; p++) out.items[p] = boxOf(p);
  vis.edges.forEach((e, k) => {
    const edge = edgeOf[k]!;
    const dx = originX[parent[edge.a]!]!;
    const dy = originY[parent[edge.a]!]!;
    const points = edge.route.map((q) => ({ x: q.x + dx, y: q.y + dy }));
    // an edge from / into an open group starts / ends at the real box inside it
    const src = out.items[e.source]!;
    const dst = out.items[e.target]!;
    const last = points.length - 1;
    if (last === 1 && (edge.a !== e.source || edge.b !== e.target)) {
      // straight between the two boxes of this level: bend where the real ends differ
      const s0 = { x: src.x + src.width / 2, y: src.y + src.height };
      const t0 = { x: dst.x + dst.width / 2, y: dst.y };
      const mid = edge.b !== e.target ? points[1]!.y - LAYER_GAP / 2 : points[0]!.y + LAYER_GAP / 2;
      out.edges[k] = [s0, { x: s0.x, y: mid }, { x: t0.x, y: mid }, t0];
      return;
    }
    if (edge.a !== e.source) {
      points[0] = { x: src.x + src.width / 2, y: src.y + src.height };
      if (last >= 2) points[1] = { x: points[0].x, y: points[1]!.y };
    }
    if (edge.b !== e.target) {
      points[last] = { x: dst.x + dst.width / 2, y: dst.y };
      if (last >= 2) points[last - 1] = { x: points[last]!.x, y: points[last - 1]!.y };
    }
    out.edges[k] = points;
  });
  out.millis = performance.now() - started;
  return out;
}
