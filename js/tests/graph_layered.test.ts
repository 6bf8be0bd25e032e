import { describe, expect, it } from "vitest";
import type { Box } from "../src/panels/graph/geometry";
import { layered } from "../src/panels/graph/layered";
import { LARGE } from "../src/panels/graph/layout";
import { asView, type GraphView, visible } from "../src/panels/graph/model";

const node = (name: string, group: number) => ({
  name, label: name, op: "op", group, key: name, kind: "op", shape: "", attrs: {},
});
const group = (path: string, parent: number, depth: number, nodes: number) => ({
  path, label: path, type: "Sequential", parent, params: 0, depth, nodes, repeat: 1, signature: path,
});

// x -> stem -> body (n nodes in a chain, one group) -> add <- stem (skip) ; add -> head
function wide(n: number): GraphView {
  const nodes = [node("x", -1), node("stem", -1)];
  for (let i = 0; i < n; i++) nodes.push(node(`body.${i}`, 0));
  nodes.push(node("add", -1), node("head", -1));
  const edges: [number, number][] = [[0, 1], [1, 2]];
  for (let i = 2; i < n + 1; i++) edges.push([i, i + 1]);
  const add = n + 2;
  edges.push([n + 1, add], [1, add], [add, add + 1]);
  return asView({ name: "Wide", nodes, groups: [group("body", -1, 0, n)], edges, separator: ".", params: 0, capture: {} });
}

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, c: Box) =>
  a.x >= c.x && a.y >= c.y && a.x + a.width <= c.x + c.width + 1e-6 && a.y + a.height <= c.y + c.height + 1e-6;

describe("graph layered()", () => {
  it("lays out a 2,000-node open group as a chain inside its container, every edge downward", () => {
    const view = wide(2000);
    const vis = visible(view, new Set([0]));
    expect(vis.items.length).toBeGreaterThan(LARGE);
    const placed = layered(view, vis);
    expect(placed.engine).toBe("layered");
    const body = placed.open.get(0)!;
    vis.items.forEach((item, p) => {
      const box = placed.items[p]!;
      expect(Number.isFinite(box.x) && Number.isFinite(box.y)).toBe(true);
      if (item.container === 0) expect(inside(box, body)).toBe(true);
      else expect(overlaps(box, body)).toBe(false);
    });
    // a chain: each body node sits below the one before it, centred on it
    for (let p = 3; p < 2002; p++) {
      const a = placed.items[p - 1]!;
      const b = placed.items[p]!;
      expect(b.y).toBeGreaterThan(a.y + a.height);
      expect(b.x + b.width / 2).toBeCloseTo(a.x + a.width / 2, 6);
    }
    // every edge starts at its source's bottom and ends at its target's top
    vis.edges.forEach((e, k) => {
      const pts = placed.edges[k]!;
      const s = placed.items[e.source]!;
      const t = placed.items[e.target]!;
      expect(pts[0]!.y).toBeCloseTo(s.y + s.height, 6);
      expect(pts[pts.length - 1]!.y).toBeCloseTo(t.y, 6);
    });
    expect(placed.height).toBeGreaterThan(2000 * 30);
  });

  it("routes a skip edge beside the boxes it passes and keeps siblings apart", () => {
    const view = wide(3);
    const vis = visible(view, new Set([0]));
    const placed = layered(view, vis);
    const ids = vis.items.map((i) => i.id);
    const stem = ids.indexOf("n1");
    const add = ids.indexOf("n5");
    const k = vis.edges.findIndex((e) => e.source === stem && e.target === add);
    const route = placed.edges[k]!;
    const body = placed.open.get(0)!;
    // the skip runs to the right of the open body it bypasses
    expect(Math.max(...route.map((p) => p.x))).toBeGreaterThan(body.x + body.width);
    const top = vis.items.map((it, p) => [it, placed.items[p]!] as const).filter(([it]) => it.container < 0);
    for (let i = 0; i < top.length; i++) for (let j = i + 1; j < top.length; j++) {
      expect(overlaps(top[i]![1], top[j]![1])).toBe(false);
    }
    expect(placed.width).toBeGreaterThanOrEqual(body.x + body.width);
  });

  it("gives the edges of different boxes their own horizontal tracks", () => {
    // x -> a, x -> b; a fans out to c1..c4 (a row wider than a, reaching under b);
    // b -> e skips the c row (c1 -> e): b's run to the side crosses the gap a's fan uses
    const view = asView({
      name: "Tracks", nodes: ["x", "a", "b", "c1", "c2", "c3", "c4", "e"].map((n) => node(n, -1)), groups: [],
      edges: [[0, 1], [0, 2], [1, 3], [1, 4], [1, 5], [1, 6], [2, 7], [3, 7]], separator: ".", params: 0, capture: {},
    });
    const vis = visible(view, new Set());
    const placed = layered(view, vis);
    // horizontal segments [y, x0, x1] per edge
    const flat = placed.edges.map((pts) => pts.slice(1).flatMap((q, i) => {
      const p = pts[i]!;
      return Math.abs(p.y - q.y) < 1e-9 && Math.abs(p.x - q.x) > 1e-9 ? [[p.y, Math.min(p.x, q.x), Math.max(p.x, q.x)]] : [];
    }));
    expect(flat.some((segs) => segs.length > 0)).toBe(true);
    const boxes = placed.items as Box[];
    vis.edges.forEach((e, i) => vis.edges.forEach((f, j) => {
      if (j <= i || e.source === f.source || e.target === f.target) return;
      for (const [y, x0, x1] of flat[i]!) for (const [v, u0, u1] of flat[j]!) {
        const shared = Math.abs(y! - v!) < 1e-6 && x0! < u1! && u0! < x1!;
        expect(shared, `edges ${e.source}->${e.target} and ${f.source}->${f.target} share y=${y}`).toBe(false);
      }
    }));
    // every horizontal segment lies in a gap between layers, not across a box
    for (const segs of flat) for (const [y, x0, x1] of segs) {
      for (const b of boxes) expect(y! > b.y && y! < b.y + b.height && x0! < b.x + b.width && b.x < x1!).toBe(false);
    }
  });

  it("places side-by-side branches without overlap and a back edge without a cycle", () => {
    // x -> a, x -> b, a -> c, b -> c, c -> a (back edge)
    const view = asView({
      name: "Branches", nodes: ["x", "a", "b", "c"].map((n) => node(n, -1)), groups: [],
      edges: [[0, 1], [0, 2], [1, 3], [2, 3], [3, 1]], separator: ".", params: 0, capture: {},
    });
    const vis = visible(view, new Set());
    const placed = layered(view, vis);
    const [x, a, b, c] = placed.items as Box[];
    expect(a!.y).toBe(b!.y);
    expect(overlaps(a!, b!)).toBe(false);
    expect(a!.y).toBeGreaterThan(x!.y);
    expect(c!.y).toBeGreaterThan(a!.y);
    expect(placed.edges.every((pts) => pts.length >= 2)).toBe(true);
  });
});
