/**
 * The Graph panel's data (docs/wire.md, "Graph"): the hierarchy view Python sends, the
 * visible graph for a set of open groups (mirrors nbviz.panels.graph.hierarchy.collapsed),
 * search, fan-in/fan-out and the overlay values per visible item. Pure: no DOM.
 */
import type { BufferLike } from "../../lib/buffer";
import { Float64Reader } from "../../lib/buffer";

export interface GraphNode {
  name: string;
  label: string;
  op: string;
  /** index into groups, -1 = top level */
  group: number;
  /** module path its statistics are looked up by */
  key: string;
  kind: string;
  shape: string;
  attrs: Record<string, unknown>;
}

export interface GraphGroup {
  path: string;
  label: string;
  type: string;
  parent: number;
  params: number;
  depth: number;
  nodes: number;
  repeat: number;
  signature: string;
}

export interface Capture {
  method?: string;
  fallbacks?: { method: string; reason: string }[];
  error?: string | null;
  partial?: boolean;
}

export interface GraphView {
  name: string;
  nodes: GraphNode[];
  groups: GraphGroup[];
  edges: [number, number][];
  separator: string;
  params: number;
  capture: Capture;
}

export interface Finding {
  layer: string;
  rule: string;
  step: number;
  severity: string;
  message: string;
}

/** A visible box: a node, or a group (closed: one box; open: a container). */
export interface Item {
  kind: "node" | "group";
  index: number;
  /** "n<i>" / "g<i>": stable ids across layouts */
  id: string;
  /** the open group holding it, -1 = top level */
  container: number;
}

export interface Visible {
  items: Item[];
  /** open groups to draw as containers (parents before children) */
  open: number[];
  /** edges between item positions, deduplicated, with how many graph edges each carries */
  edges: { source: number; target: number; count: number }[];
}

export function emptyView(): GraphView {
  return { name: "", nodes: [], groups: [], edges: [], separator: ".", params: 0, capture: {} };
}

/** Validate the synced `view` trait loosely: missing parts become empty. */
export function asView(raw: unknown): GraphView {
  if (raw == null || typeof raw !== "object") return emptyView();
  const v = raw as Partial<GraphView>;
  return {
    name: typeof v.name === "string" ? v.name : "",
    nodes: Array.isArray(v.nodes) ? v.nodes : [],
    groups: Array.isArray(v.groups) ? v.groups : [],
    edges: Array.isArray(v.edges) ? v.edges : [],
    separator: typeof v.separator === "string" ? v.separator : ".",
    params: typeof v.params === "number" ? v.params : 0,
    capture: v.capture && typeof v.capture === "object" ? v.capture : {},
  };
}

/** Ancestors of a group, innermost first (the group itself included). */
export function chain(view: GraphView, group: number): number[] {
  const out: number[] = [];
  let g = group;
  let guard = 0;
  while (g >= 0 && guard++ < 1000) {
    out.push(g);
    g = view.groups[g]?.parent ?? -1;
  }
  return out;
}

/** The visible graph with `open` groups expanded (all others collapsed into one box). */
export function visible(view: GraphView, open: ReadonlySet<number>): Visible {
  const G = view.groups.length;
  // representative: the outermost closed group on the path down to g, or -1 if all open
  const rep = new Int32Array(G).fill(-2);
  const repOf = (g: number): number => {
    if (g < 0) return -1;
    const cached = rep[g]!;
    if (cached !== -2) return cached;
    const parent = view.groups[g]!.parent;
    const up = repOf(parent);
    const r = up !== -1 ? up : open.has(g) ? -1 : g;
    rep[g] = r;
    return r;
  };
  const items: Item[] = [];
  const groupPos = new Int32Array(G).fill(-1);
  const openList: number[] = [];
  for (let g = 0; g < G; g++) if (repOf(g) === -1) openList.push(g);
  // items in the order their first node ran (ELK keeps the model order)
  const nodeItem = new Int32Array(view.nodes.length);
  view.nodes.forEach((n, i) => {
    const r = n.group >= 0 ? repOf(n.group) : -1;
    if (r === -1) {
      nodeItem[i] = items.length;
      items.push({ kind: "node", index: i, id: `n${i}`, container: n.group });
    } else {
      if (groupPos[r]! < 0) {
        groupPos[r] = items.length;
        items.push({ kind: "group", index: r, id: `g${r}`, container: view.groups[r]!.parent });
      }
      nodeItem[i] = groupPos[r]!;
    }
  });
  const counts = new Map<number, number>();
  const N = items.length;
  for (const e of view.edges) {
    const s = nodeItem[e[0]];
    const t = nodeItem[e[1]];
    if (s === undefined || t === undefined || s === t) continue;
    const k = s * N + t;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const edges = [...counts].map(([k, count]) => ({ source: Math.floor(k / N), target: k % N, count }));
  openList.sort((a, b) => view.groups[a]!.depth - view.groups[b]!.depth);
  return { items, open: openList, edges };
}

/** The module path an item's statistics are looked up by. */
export function itemKey(view: GraphView, item: Item): string {
  return item.kind === "group" ? view.groups[item.index]!.path : view.nodes[item.index]!.key;
}

export function itemLabel(view: GraphView, item: Item): string {
  if (item.kind === "node") return view.nodes[item.index]!.label;
  const g = view.groups[item.index]!;
  return g.type ? `${g.label}: ${g.type}` : g.label;
}

/** Node and group indices whose name, label, op, type or path contains `query` (case-insensitive). */
export function search(view: GraphView, query: string, limit = 200): { nodes: number[]; groups: number[] } {
  const q = query.trim().toLowerCase();
  const nodes: number[] = [];
  const groups: number[] = [];
  if (!q) return { nodes, groups };
  view.groups.forEach((g, i) => {
    if (groups.length < limit && (g.path.toLowerCase().includes(q) || g.type.toLowerCase().includes(q))) groups.push(i);
  });
  view.nodes.forEach((n, i) => {
    if (nodes.length >= limit) return;
    if (n.name.toLowerCase().includes(q) || n.label.toLowerCase().includes(q) || n.op.toLowerCase().includes(q) || n.key.toLowerCase().includes(q)) nodes.push(i);
  });
  return { nodes, groups };
}

/** Groups to open so that node `n` (or group `g`, kind "group") is visible. */
export function opensFor(view: GraphView, kind: "node" | "group", index: number): number[] {
  if (kind === "node") {
    const g = view.nodes[index]?.group ?? -1;
    return g >= 0 ? chain(view, g) : [];
  }
  const parent = view.groups[index]?.parent ?? -1;
  return parent >= 0 ? chain(view, parent) : [];
}

/** Item positions feeding `pos` and fed by it (one hop). */
export function fan(vis: Visible, pos: number): { inputs: Set<number>; outputs: Set<number> } {
  const inputs = new Set<number>();
  const outputs = new Set<number>();
  for (const e of vis.edges) {
    if (e.target === pos) inputs.add(e.source);
    if (e.source === pos) outputs.add(e.target);
  }
  return { inputs, outputs };
}

/** Decode the overlay buffer: float64 [statistics, keys] row-major. */
export function decodeOverlay(buf: BufferLike | null | undefined, keys: number, statistics: number): Float64Array[] | null {
  const need = keys * statistics;
  if (need === 0) return [];
  if (buf == null) return null;
  let reader: Float64Reader;
  try {
    reader = new Float64Reader(buf, true);
  } catch {
    return null;
  }
  if (reader.byteLength < need * 8) return null;
  const all = reader.take(need);
  const out: Float64Array[] = [];
  for (let s = 0; s < statistics; s++) out.push(all.subarray(s * keys, (s + 1) * keys));
  return out;
}

/**
 * Value of `statistic` for each module path: the module's own, or for a collapsed group
 * the aggregate of its descendants (root-sum-square of gradient norms, max of the dead
 * fraction, mean otherwise). `index`: key → position, to look many paths up fast.
 */
export function overlayValue(
  keys: readonly string[],
  values: Float64Array | undefined,
  statistic: string,
  path: string,
  separator: string,
  aggregate: boolean,
  index?: ReadonlyMap<string, number>,
): number {
  if (!values) return NaN;
  const own = index ? index.get(path) ?? -1 : keys.indexOf(path);
  if (own >= 0 && Number.isFinite(values[own]!)) return values[own]!;
  if (!aggregate) return NaN;
  const prefix = path ? path + separator : "";
  let sum = 0;
  let sq = 0;
  let max = -Infinity;
  let n = 0;
  keys.forEach((k, i) => {
    if (!k.startsWith(prefix)) return;
    const v = values[i]!;
    if (!Number.isFinite(v)) return;
    sum += v;
    sq += v * v;
    max = Math.max(max, v);
    n++;
  });
  if (n === 0) return NaN;
  if (statistic === "grad_norm") return Math.sqrt(sq);
  if (statistic === "dead_frac") return max;
  return sum / n;
}

export const LOG_STATS = new Set(["grad_norm", "update_ratio", "act_std"]);

/** Position in [0, 1] of v between lo and hi (log scale for norms). */
export function scaleValue(v: number, lo: number, hi: number, log: boolean): number {
  if (!Number.isFinite(v)) return NaN;
  if (log) {
    if (v <= 0 || lo <= 0) return 0;
    const a = Math.log(lo);
    const b = Math.log(hi);
    return b > a ? Math.min(1, Math.max(0, (Math.log(v) - a) / (b - a))) : 0.5;
  }
  return hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
}

// viridis, 9 stops
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];

export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hex(VIRIDIS[i]!);
  const b = hex(VIRIDIS[i + 1]!);
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function hex(h: string): number[] {
  return [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
}

/**
 * A count with thousands separators ("25,557,032"), without Intl: the status line is part
 * of the first paint, and a fresh tab's first Intl number format costs ~20 ms of ICU
 * loading on the main thread.
 */
export function fmtParams(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** Text of a node/group for the tooltip and details pane (plain text, never HTML). */
export function describeItem(view: GraphView, item: Item): string[] {
  if (item.kind === "group") {
    const g = view.groups[item.index]!;
    const lines = [`${g.path}${g.type ? ` (${g.type})` : ""}`, `${g.nodes} nodes inside`];
    if (g.params) lines.push(`${fmtParams(g.params)} parameters`);
    if (g.repeat > 1) lines.push(`one of ${g.repeat} identical blocks`);
    return lines;
  }
  const n = view.nodes[item.index]!;
  const lines = [n.name, `op: ${n.op}`];
  if (n.key) lines.push(`module: ${n.key}`);
  if (n.shape) lines.push(`output: ${n.shape}`);
  for (const [k, v] of Object.entries(n.attrs ?? {})) {
    if (k === "parameters") lines.push(`${fmtParams(Number(v))} parameters`);
    else lines.push(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return lines;
}
