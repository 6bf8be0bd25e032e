import { describe, expect, it } from "vitest";
import type { Box, Placed } from "../src/panels/graph/geometry";
import { layered } from "../src/panels/graph/layered";
import { asView, type GraphView, visible } from "../src/panels/graph/model";
import { type BlockLayout, compose, repeatedBlocks, withoutInsides } from "../src/panels/graph/repeats";

const node = (name: string, group: number) => ({
  name, label: name.split(".").pop()!, op: "op", group, key: name, kind: "op", shape: "", attrs: {},
});

/** x -> h (a ModuleList of `n` identical blocks: ln -> attn -> add, block input also -> add) -> out */
function stack(n: number, repeat = n, same = repeat > 1): GraphView {
  const groups = [{ path: "h", label: "h", type: "ModuleList", parent: -1, params: 0, depth: 0, nodes: 3 * n, repeat: 1, signature: "H" }];
  const nodes = [node("x", -1)];
  const edges: [number, number][] = [];
  let prev = 0;
  for (let b = 0; b < n; b++) {
    groups.push({ path: `h.${b}`, label: `${b}`, type: "Block", parent: 0, params: 0, depth: 1, nodes: 3, repeat, signature: same ? "B" : `B${b}` });
    const ln = nodes.push(node(`h.${b}.ln`, b + 1)) - 1;
    const attn = nodes.push(node(`h.${b}.attn`, b + 1)) - 1;
    const add = nodes.push(node(`h.${b}.add`, b + 1)) - 1;
    edges.push([prev, ln], [ln, attn], [attn, add], [prev, add]);
    prev = add;
  }
  const out = nodes.push(node("out", -1)) - 1;
  edges.push([prev, out]);
  return asView({ name: "Stack", nodes, groups, edges, separator: ".", params: 0, capture: {} });
}

const inside = (a: Box, c: Box) =>
  a.x >= c.x - 1e-6 && a.y >= c.y - 1e-6 && a.x + a.width <= c.x + c.width + 1e-6 && a.y + a.height <= c.y + c.height + 1e-6;

describe("graph repeated blocks", () => {
  it("finds the open repeated blocks, one key for identical ones, their insides re-rooted", () => {
    const view = stack(4);
    const vis = visible(view, new Set([0, 1, 2, 4]));
    const blocks = repeatedBlocks(view, vis);
    expect(blocks.map((b) => b.group)).toEqual([1, 2, 4]);
    expect(new Set(blocks.map((b) => b.key)).size).toBe(1);
    for (const b of blocks) {
      expect(b.items.map((p) => vis.items[p]!.container)).toEqual([b.group, b.group, b.group]);
      expect(b.inner.items.every((it) => it.container === -1)).toBe(true);
      // ln -> attn, attn -> add inside; the block input's edges cross the border
      expect(b.inner.edges.map((e) => [e.source, e.target])).toEqual([[0, 1], [1, 2]]);
    }
    // a closed block (h.2) and unique groups are not blocks
    expect(repeatedBlocks(view, visible(view, new Set([0])))).toEqual([]);
    expect(repeatedBlocks(stack(4, 1), visible(stack(4, 1), new Set([0, 1, 2])))).toEqual([]);
  });

  it("composes: insides translated into their block's box, crossing edges end on the real boxes", () => {
    const view = stack(3);
    const vis = visible(view, new Set([0, 1, 2, 3]));
    const blocks = repeatedBlocks(view, vis);
    const reduced = withoutInsides(view, vis, blocks);
    expect(reduced.outer.items.length).toBe(vis.items.length - 3 * 3 + 3);
    expect(reduced.outer.open).toEqual([0]);
    const insides: BlockLayout[] = blocks.map((b) => {
      const p = layered(view, b.inner);
      return { width: p.width + 20, height: p.height + 36, items: p.items.map((r) => ({ ...r, x: r.x + 10, y: r.y + 26 })), open: [], edges: p.edges.map((pts) => pts.map((q) => ({ x: q.x + 10, y: q.y + 26 }))) };
    });
    // the outer layout with each block as one box of its inside's size (layered stands in for ELK)
    const outerView = { ...view, nodes: view.nodes };
    const outer: Placed = layered(outerView, reduced.outer);
    reduced.boxes.forEach((r, b) => {
      outer.items[r] = { ...outer.items[r]!, width: insides[b]!.width, height: insides[b]!.height };
    });
    const placed = compose(vis, blocks, outer, reduced, insides);
    blocks.forEach((block, b) => {
      const box = placed.open.get(block.group)!;
      expect(box).toEqual(outer.items[reduced.boxes[b]!]);
      block.items.forEach((pos, i) => {
        expect(inside(placed.items[pos]!, box)).toBe(true);
        // the same place inside every block
        const first = placed.items[blocks[0]!.items[i]!]!;
        const home = placed.open.get(blocks[0]!.group)!;
        expect(placed.items[pos]!.x - box.x).toBeCloseTo(first.x - home.x, 6);
        expect(placed.items[pos]!.y - box.y).toBeCloseTo(first.y - home.y, 6);
      });
    });
    vis.edges.forEach((e, k) => {
      const pts = placed.edges[k]!;
      const s = placed.items[e.source]!;
      const t = placed.items[e.target]!;
      expect(pts.length).toBeGreaterThanOrEqual(2);
      expect(pts[0]!.x).toBeCloseTo(s.x + s.width / 2, 6);
      expect(pts[0]!.y).toBeCloseTo(s.y + s.height, 6);
      expect(pts[pts.length - 1]!.x).toBeCloseTo(t.x + t.width / 2, 6);
      expect(pts[pts.length - 1]!.y).toBeCloseTo(t.y, 6);
      // orthogonal: every segment horizontal or vertical
      for (let i = 1; i < pts.length; i++) {
        const dx = Math.abs(pts[i]!.x - pts[i - 1]!.x);
        const dy = Math.abs(pts[i]!.y - pts[i - 1]!.y);
        expect(Math.min(dx, dy)).toBeLessThan(1e-6);
      }
    });
  });

  it("layered(): identical blocks' levels laid out once, the same picture as without reuse", () => {
    const view = stack(24);
    const all = new Set(view.groups.map((_, g) => g));
    const vis = visible(view, all);
    const cache = new Map();
    const first = layered(view, vis, cache);
    expect(first.reused).toBe(23);
    // the twin with 24 different signatures: nothing to reuse, the same geometry
    const twin = stack(24, 24, false);
    const plain = layered(twin, visible(twin, all));
    expect(plain.reused).toBe(0);
    expect(first.items).toEqual(plain.items);
    expect(first.edges).toEqual(plain.edges);
    expect([...first.open]).toEqual([...plain.open]);
    // across layouts sharing the cache: every block comes from it
    const again = layered(view, vis, cache);
    expect(again.reused).toBe(24);
    expect(again.items).toEqual(first.items);
  });
});
