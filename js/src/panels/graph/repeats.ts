/**
 * Repeated blocks laid out once: an open group that Python marked as one of several
 * identical siblings (`repeat` > 1, same structure `signature`, e.g. 24 GPT-2 blocks) is
 * cut out of the visible graph, its inside laid out on its own, and that layout reused
 * (translated) for every sibling with the same key, across layouts of the same view.
 *
 * The key is the signature plus the exact geometry the layout depends on (box widths,
 * nested open groups, inner edges in local indices), so a reused layout is exact, never
 * an approximation. Pure: no DOM, no worker (ELK runs in ./layout.ts).
 */
import { itemWidth, LAYER_GAP, PAD, type Placed } from "./geometry";
import type { GraphView, Visible } from "./model";

type Point = { x: number; y: number };

/** One open repeated block of the visible graph and the visible graph of its inside. */
export interface Block {
  /** the open group */
  group: number;
  /** cache key: signature + geometry of the inside */
  key: string;
  /** visible item positions inside the block, in visible order (local index = place in this list) */
  items: number[];
  /** visible edge indices with both ends inside */
  edges: number[];
  /** the block's inside as a visible graph of its own: containers re-rooted (the block = -1) */
  inner: Visible;
}

/** A block's inside laid out once, relative to the block's top-left corner. */
export interface BlockLayout {
  width: number;
  height: number;
  items: Placed["items"];
  /** nested open groups by their place in the block's `inner.open` list */
  open: Placed["items"];
  edges: Placed["edges"];
}

/** The outermost open repeated groups of `vis` and their insides (none: an empty list). */
export function repeatedBlocks(view: GraphView, vis: Visible): Block[] {
  const openSet = new Set(vis.open);
  // the outermost open repeated ancestor of each open group (-1: none); parents come first
  const blockOf = new Map<number, number>();
  for (const g of vis.open) {
    const group = view.groups[g]!;
    const up = group.parent >= 0 ? blockOf.get(group.parent) ?? -1 : -1;
    blockOf.set(g, up >= 0 ? up : group.repeat > 1 && group.signature && openSet.has(g) ? g : -1);
  }
  const byGroup = new Map<number, Block>();
  const local = new Int32Array(vis.items.length).fill(-1);
  const owner = new Int32Array(vis.items.length).fill(-1);
  vis.items.forEach((item, pos) => {
    const b = item.container >= 0 ? blockOf.get(item.container) ?? -1 : -1;
    if (b < 0) return;
    let block = byGroup.get(b);
    if (!block) {
      block = { group: b, key: "", items: [], edges: [], inner: { items: [], open: [], edges: [] } };
      byGroup.set(b, block);
    }
    owner[pos] = b;
    local[pos] = block.items.length;
    block.items.push(pos);
    block.inner.items.push({ ...item, container: item.container === b ? -1 : item.container });
  });
  for (const g of vis.open) {
    const b = blockOf.get(g) ?? -1;
    if (b >= 0 && b !== g) byGroup.get(b)?.inner.open.push(g);
  }
  vis.edges.forEach((e, k) => {
    const b = owner[e.source]!;
    if (b < 0 || owner[e.target] !== b) return;
    const block = byGroup.get(b)!;
    block.edges.push(k);
    block.inner.edges.push({ source: local[e.source]!, target: local[e.target]!, count: e.count });
  });
  const blocks = [...byGroup.values()];
  for (const block of blocks) {
    const depth0 = view.groups[block.group]!.depth;
    const containers = block.inner.open.map((g) => `${view.groups[g]!.depth - depth0}:${block.inner.open.indexOf(view.groups[g]!.parent)}`);
    const opened = new Map(block.inner.open.map((g, i) => [g, i]));
    const boxes = block.inner.items.map((it) => `${Math.round(itemWidth(view, it))}@${it.container < 0 ? -1 : opened.get(it.container)}`);
    const edges = block.inner.edges.map((e) => `${e.source}>${e.target}`);
    block.key = [view.groups[block.group]!.signature, containers.join(","), boxes.join(","), edges.join(",")].join("|");
  }
  return blocks;
}

/** The visible graph with each block reduced to one box, and how its parts map back. */
export interface Reduced {
  outer: Visible;
  /** per block: its box's position in `outer.items` */
  boxes: number[];
  /** per `outer.items` position: the visible position (-1: a block's box) */
  posOf: number[];
  /** per `outer.edges` index: the visible edge index */
  edgeOf: number[];
}

export function withoutInsides(view: GraphView, vis: Visible, blocks: Block[]): Reduced {
  const inside = new Int32Array(vis.items.length).fill(-1);
  const hidden = new Set<number>();
  const skip = new Set<number>();
  blocks.forEach((b, i) => {
    for (const pos of b.items) inside[pos] = i;
    hidden.add(b.group);
    for (const g of b.inner.open) hidden.add(g);
    for (const k of b.edges) skip.add(k);
  });
  const reduced: Reduced = { outer: { items: [], open: vis.open.filter((g) => !hidden.has(g)), edges: [] }, boxes: new Array<number>(blocks.length).fill(-1), posOf: [], edgeOf: [] };
  const map = new Int32Array(vis.items.length);
  vis.items.forEach((item, pos) => {
    const b = inside[pos]!;
    if (b >= 0 && reduced.boxes[b]! >= 0) {
      map[pos] = reduced.boxes[b]!;
      return;
    }
    map[pos] = reduced.outer.items.length;
    if (b < 0) {
      reduced.posOf.push(pos);
      reduced.outer.items.push(item);
      return;
    }
    // the block stands in its parent group as one box of the size of its laid-out inside
    const g = blocks[b]!.group;
    reduced.boxes[b] = reduced.outer.items.length;
    reduced.posOf.push(-1);
    reduced.outer.items.push({ kind: "group", index: g, id: `g${g}`, container: view.groups[g]!.parent });
  });
  vis.edges.forEach((e, k) => {
    if (skip.has(k)) return;
    reduced.edgeOf.push(k);
    reduced.outer.edges.push({ source: map[e.source]!, target: map[e.target]!, count: e.count });
  });
  return reduced;
}

/**
 * The full placement from the outer layout (blocks as boxes) and each block's inside:
 * insides translated into their box; an edge crossing a block's border is extended from
 * the border to the real box inside: into the block's first row / out of its last a short
 * jog, deeper inside along the block's right padding.
 */
export function compose(vis: Visible, blocks: Block[], outerPlaced: Placed, reduced: Reduced, insides: BlockLayout[]): Placed {
  const out: Placed = { ...outerPlaced, items: new Array(vis.items.length), open: new Map(outerPlaced.open), edges: new Array(vis.edges.length) };
  const blockOf = new Int32Array(vis.items.length).fill(-1);
  blocks.forEach((block, b) => {
    const box = outerPlaced.items[reduced.boxes[b]!]!;
    const lay = insides[b]!;
    out.open.set(block.group, box);
    const move = (p: Point): Point => ({ x: p.x + box.x, y: p.y + box.y });
    block.items.forEach((pos, i) => {
      out.items[pos] = { ...lay.items[i]!, ...move(lay.items[i]!) };
      blockOf[pos] = b;
    });
    block.inner.open.forEach((g, i) => out.open.set(g, { ...lay.open[i]!, ...move(lay.open[i]!) }));
    block.edges.forEach((k, i) => {
      out.edges[k] = (lay.edges[i] ?? []).map(move);
    });
  });
  reduced.posOf.forEach((pos, r) => {
    if (pos >= 0) out.items[pos] = outerPlaced.items[r]!;
  });
  reduced.edgeOf.forEach((k, r) => {
    const e = vis.edges[k]!;
    let points = (outerPlaced.edges[r] ?? []).map((p) => ({ ...p }));
    if (points.length < 2) {
      out.edges[k] = points;
      return;
    }
    // an end below a block's first row / above its last: round the boxes in the block's
    // right padding (a straight line would hide behind them, e.g. a transformer's residual)
    let fromInside = blockOf[e.source]! >= 0;
    let intoInside = blockOf[e.target]! >= 0;
    if (fromInside) {
      const box = out.open.get(blocks[blockOf[e.source]!]!.group)!;
      const src = out.items[e.source]!;
      if (src.y + src.height < box.y + box.height - PAD.bottom - 1) {
        const x = src.x + src.width / 2;
        const y = src.y + src.height + LAYER_GAP / 2;
        const lane = box.x + box.width - PAD.right / 2;
        const bottom = box.y + box.height - 4;
        points = [{ x, y: src.y + src.height }, { x, y }, { x: lane, y }, { x: lane, y: bottom }, { x: points[0]!.x, y: bottom }, ...points];
        fromInside = false;
      }
    }
    if (intoInside) {
      const box = out.open.get(blocks[blockOf[e.target]!]!.group)!;
      const dst = out.items[e.target]!;
      if (dst.y > box.y + PAD.top + 1) {
        const x = dst.x + dst.width / 2;
        const y = dst.y - LAYER_GAP / 2;
        const lane = box.x + box.width - PAD.right / 2;
        const top = box.y + 4;
        points.push({ x: points[points.length - 1]!.x, y: top }, { x: lane, y: top }, { x: lane, y }, { x, y }, { x, y: dst.y });
        intoInside = false;
      }
    }
    // the last / first row: a short jog from the border point to the real box's centre
    if (fromInside) {
      const src = out.items[e.source]!;
      const q = points[0]!;
      const x = src.x + src.width / 2;
      const y = (src.y + src.height + q.y) / 2;
      points = [{ x, y: src.y + src.height }, { x, y }, { x: q.x, y }, ...points];
    }
    if (intoInside) {
      const dst = out.items[e.target]!;
      const p = points[points.length - 1]!;
      const x = dst.x + dst.width / 2;
      const y = (p.y + dst.y) / 2;
      points.push({ x: p.x, y }, { x, y }, { x, y: dst.y });
    }
    out.edges[k] = points;
  });
  return out;
}
