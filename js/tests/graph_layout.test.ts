import { describe, expect, it } from "vitest";
import { Layouter } from "../src/panels/graph/layout";
import { asView, visible } from "../src/panels/graph/model";

const node = (name: string) => ({ name, label: name, op: "op", group: -1, key: name, kind: "op", shape: "", attrs: {} });

describe("graph Layouter", () => {
  it("draws with the layered path while the ELK worker is not warm: the first paint never waits for it", async () => {
    // (no Web Worker here, as in a page whose worker is still starting: it never gets warm)
    const view = asView({
      name: "Chain", nodes: ["x", "a", "b"].map(node), groups: [], edges: [[0, 1], [1, 2]],
      separator: ".", params: 0, capture: {},
    });
    const layouter = new Layouter();
    try {
      expect(Layouter.warm).toBe(false);
      const placed = await layouter.layout(view, visible(view, new Set()));
      expect(placed.engine).toBe("layered");
      expect(placed.items).toHaveLength(3);
      expect(placed.items[1]!.y).toBeGreaterThan(placed.items[0]!.y);
      await expect(layouter.whenWarm()).rejects.toThrow();
    } finally {
      layouter.dispose();
    }
  });
});
