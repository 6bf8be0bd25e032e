import { describe, expect, it } from "vitest";
import { elkGraph } from "../src/panels/graph/layout";
import {
  asView,
  decodeOverlay,
  fan,
  type GraphView,
  opensFor,
  overlayValue,
  scaleValue,
  search,
  visible,
} from "../src/panels/graph/model";

// x -> stem -> [blocks: b0 (fc, act), b1 (fc, act)] -> add <- stem ; add -> head
function sample(): GraphView {
  const node = (name: string, label: string, group: number, key = "") => ({
    name, label, op: label, group, key, kind: "op", shape: "", attrs: {},
  });
  return asView({
    name: "Net",
    nodes: [
      node("x", "x", -1),
      node("stem", "stem: Linear", -1, "stem"),
      node("blocks.0.fc", "fc: Linear", 1, "blocks.0.fc"),
      node("blocks.0.act", "act: ReLU", 1, "blocks.0.act"),
      node("blocks.1.fc", "fc: Linear", 2, "blocks.1.fc"),
      node("blocks.1.act", "act: ReLU", 2, "blocks.1.act"),
      node("add", "add", -1),
      node("head", "head: Linear", -1, "head"),
    ],
    groups: [
      { path: "blocks", label: "blocks", type: "Sequential", parent: -1, params: 10, depth: 0, nodes: 4, repeat: 1, signature: "s" },
      { path: "blocks.0", label: "0", type: "Block", parent: 0, params: 5, depth: 1, nodes: 2, repeat: 2, signature: "b" },
      { path: "blocks.1", label: "1", type: "Block", parent: 0, params: 5, depth: 1, nodes: 2, repeat: 2, signature: "b" },
    ],
    edges: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [1, 6], [6, 7]],
    separator: ".",
    params: 20,
    capture: { method: "torch.fx" },
  });
}

describe("graph visible()", () => {
  it("collapses closed groups into one box, in the order their nodes ran", () => {
    const view = sample();
    const vis = visible(view, new Set());
    expect(vis.items.map((i) => i.id)).toEqual(["n0", "n1", "g0", "n6", "n7"]);
    const pairs = vis.edges.map((e) => `${vis.items[e.source]!.id}>${vis.items[e.target]!.id}`);
    expect(pairs.sort()).toEqual(["g0>n6", "n0>n1", "n1>g0", "n1>n6", "n6>n7"].sort());
  });

  it("expands a group in place and merges parallel edges with a count", () => {
    const view = sample();
    const vis = visible(view, new Set([0]));
    expect(vis.items.map((i) => i.id)).toEqual(["n0", "n1", "g1", "g2", "n6", "n7"]);
    expect(vis.open).toEqual([0]);
    expect(vis.items.find((i) => i.id === "g1")!.container).toBe(0);
    const all = visible(view, new Set([0, 1, 2]));
    expect(all.items).toHaveLength(view.nodes.length);
    expect(all.edges).toHaveLength(view.edges.length);
  });

  it("an open child of a closed parent stays hidden", () => {
    const vis = visible(sample(), new Set([1]));
    expect(vis.items.map((i) => i.id)).toEqual(["n0", "n1", "g0", "n6", "n7"]);
  });

  it("fan-in and fan-out of an item", () => {
    const vis = visible(sample(), new Set());
    const add = vis.items.findIndex((i) => i.id === "n6");
    const { inputs, outputs } = fan(vis, add);
    expect([...inputs].map((p) => vis.items[p]!.id).sort()).toEqual(["g0", "n1"]);
    expect([...outputs].map((p) => vis.items[p]!.id)).toEqual(["n7"]);
  });
});

describe("graph search", () => {
  it("finds nodes and groups by name, label, op or path; says what to open", () => {
    const view = sample();
    const hits = search(view, "BLOCKS.1");
    expect(hits.groups).toEqual([2]);
    expect(hits.nodes).toEqual([4, 5]);
    expect(search(view, "relu").nodes).toEqual([3, 5]);
    expect(search(view, "  ").nodes).toEqual([]);
    expect(opensFor(view, "node", 4)).toEqual([2, 0]);
    expect(opensFor(view, "group", 2)).toEqual([0]);
    expect(opensFor(view, "node", 0)).toEqual([]);
  });
});

describe("graph overlay", () => {
  it("decodes [statistics, keys] float64 and aggregates descendants for groups", () => {
    const keys = ["stem", "blocks.0.fc", "blocks.1.fc"];
    const data = new Float64Array([3, 4, 12, /* second statistic */ 0.1, 0.5, NaN]);
    const rows = decodeOverlay(new DataView(data.buffer), keys.length, 2)!;
    expect(Array.from(rows[0]!)).toEqual([3, 4, 12]);
    expect(overlayValue(keys, rows[0], "grad_norm", "stem", ".", false)).toBe(3);
    expect(overlayValue(keys, rows[0], "grad_norm", "blocks", ".", true)).toBeCloseTo(Math.sqrt(16 + 144));
    expect(overlayValue(keys, rows[1], "dead_frac", "blocks", ".", true)).toBe(0.5);
    expect(overlayValue(keys, rows[1], "act_mean", "blocks", ".", true)).toBe(0.5);
    expect(overlayValue(keys, rows[0], "grad_norm", "blocks", ".", false)).toBeNaN();
    expect(decodeOverlay(new DataView(new ArrayBuffer(8)), 3, 2)).toBeNull();
  });

  it("scales linearly or logarithmically into [0, 1]", () => {
    expect(scaleValue(10, 1, 100, true)).toBeCloseTo(0.5);
    expect(scaleValue(50, 0, 100, false)).toBeCloseTo(0.5);
    expect(scaleValue(NaN, 0, 1, false)).toBeNaN();
    expect(scaleValue(5, 5, 5, false)).toBe(0.5);
  });
});

describe("graph ELK input", () => {
  it("nests visible items inside the open groups' compound nodes; edges at the root", () => {
    const view = sample();
    const vis = visible(view, new Set([0]));
    const g = elkGraph(view, vis);
    const ids = (g.children ?? []).map((c) => c.id);
    expect(ids).toEqual(["o0", "i0", "i1", "i4", "i5"]);
    expect((g.children![0]!.children ?? []).map((c) => c.id)).toEqual(["i2", "i3"]);
    expect(g.edges).toHaveLength(vis.edges.length);
    expect(g.layoutOptions!["elk.hierarchyHandling"]).toBe("INCLUDE_CHILDREN");
  });
});
