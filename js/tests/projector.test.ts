import { describe, expect, it } from "vitest";
import { cameraMatrix, defaultCamera, normalise, orbit, pan, projectPoint, zoomAt } from "../src/panels/projector/camera";
import { nearestNeighbours } from "../src/panels/projector/knn";
import { categoryColor, colormap, pointColors } from "../src/panels/projector/palette";
import { ScreenIndex } from "../src/panels/projector/pick";
import { compileQuery, searchColumn } from "../src/panels/projector/search";
import { columnText, decodeParts, projectionKey, stableStringify, type Column, type PartHeader } from "../src/panels/projector/wire";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pack parts like nbviz.panels.projector.data.pack_parts (8-byte aligned). */
function pack(parts: { head: Partial<PartHeader>; data: Float32Array | Int32Array | Uint8Array; dtype: string }[]): { heads: PartHeader[]; buf: ArrayBuffer } {
  let size = 0;
  const heads: PartHeader[] = [];
  for (const p of parts) {
    heads.push({ ...(p.head as PartHeader), offset: size, length: p.data.byteLength, dtype: p.dtype });
    size += p.data.byteLength + ((8 - (p.data.byteLength % 8)) % 8);
  }
  const buf = new ArrayBuffer(size);
  parts.forEach((p, i) => new Uint8Array(buf, heads[i]!.offset, p.data.byteLength).set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength)));
  return { heads, buf };
}

describe("wire", () => {
  it("decodes positions, columns, images and vectors zero-copy", () => {
    const n = 3;
    const text = new TextEncoder().encode("a\nb é\nc");
    const { heads, buf } = pack([
      { head: { role: "positions", method: "pca", dims: 3, params: {}, explained: [0.5, 0.2, 0.1] }, data: Float32Array.from({ length: 9 }, (_, i) => i), dtype: "float32" },
      { head: { role: "column", name: "label", kind: "category", categories: ["x", "y"] }, data: Int32Array.from([0, 1, -1]), dtype: "int32" },
      { head: { role: "column", name: "v", kind: "number", min: 1, max: 3 }, data: Float32Array.from([1, NaN, 3]), dtype: "float32" },
      { head: { role: "column", name: "name", kind: "text" }, data: text, dtype: "uint8" },
      { head: { role: "images", width: 1, height: 1 }, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), dtype: "uint8" },
      { head: { role: "vectors", d: 2 }, data: Float32Array.from([1, 0, 0, 1, 1, 1]), dtype: "float32" },
    ]);
    const d = decodeParts(heads, new DataView(buf), n);
    expect(d.positions).toHaveLength(1);
    expect(d.positions[0]!.key).toBe("pca");
    expect(d.positions[0]!.data.buffer).toBe(buf); // a view, not a copy
    expect(d.data.columns.map((c) => columnText(c, 1))).toEqual(["y", "", "b é"]);
    expect(columnText(d.data.columns[0]!, 2)).toBe("");
    expect(columnText(d.data.columns[1]!, 2)).toBe("3");
    expect(d.data.images!.data[4]).toBe(5);
    expect(d.data.vectors!.d).toBe(2);
  });
  it("rejects parts that do not fit the buffer or the point count", () => {
    const { heads, buf } = pack([{ head: { role: "positions", method: "pca", dims: 3 }, data: new Float32Array(6), dtype: "float32" }]);
    expect(() => decodeParts(heads, buf, 3)).toThrow(/positions/);
    expect(() => decodeParts([{ ...heads[0]!, length: 1000 }], buf, 2)).toThrow(/outside/);
    expect(() => decodeParts([{ ...heads[0]!, dtype: "float64" }], buf, 2)).toThrow(/dtype/);
  });
  it("keys projections canonically", () => {
    expect(stableStringify({ b: 1, a: { d: null, c: [1, "x"] } })).toBe('{"a":{"c":[1,"x"],"d":null},"b":1}');
    expect(projectionKey({ method: "pca", dims: 2, params: { x: 1 } })).toBe("pca");
    expect(projectionKey({ method: "tsne", dims: 2, params: { perplexity: 30, metric: "cosine" } })).toBe(
      projectionKey({ method: "tsne", dims: 2, params: { metric: "cosine", perplexity: 30 } }),
    );
    expect(projectionKey({ method: "umap", dims: 3, params: {} })).not.toBe(projectionKey({ method: "umap", dims: 2, params: {} }));
  });
});

describe("nearest neighbours", () => {
  const r = rng(3);
  const n = 500;
  const d = 7;
  const data = Float32Array.from({ length: n * d }, () => r() * 2 - 1);
  const brute = (q: number, metric: "cosine" | "euclidean") => {
    const dist: [number, number][] = [];
    const norm = (i: number) => Math.hypot(...Array.from(data.subarray(i * d, i * d + d)));
    for (let i = 0; i < n; i++) {
      if (i === q) continue;
      let s = 0;
      let dot = 0;
      for (let j = 0; j < d; j++) {
        s += (data[i * d + j]! - data[q * d + j]!) ** 2;
        dot += data[i * d + j]! * data[q * d + j]!;
      }
      dist.push([metric === "cosine" ? 1 - dot / (norm(i) * norm(q)) : Math.sqrt(s), i]);
    }
    return dist.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  };
  for (const metric of ["cosine", "euclidean"] as const) {
    it(`equals a brute-force sort (${metric})`, () => {
      for (const q of [0, 17, 499]) {
        const got = nearestNeighbours(data, n, d, q, 12, metric);
        const want = brute(q, metric).slice(0, 12);
        expect(Array.from(got.indices)).toEqual(want.map((w) => w[1]));
        want.forEach((w, i) => expect(got.distances[i]).toBeCloseTo(w[0], 5));
      }
    });
  }
  it("caps k at n - 1 and rejects a bad index", () => {
    expect(nearestNeighbours(data, 3, d, 0, 10, "euclidean").indices.length).toBe(2);
    expect(() => nearestNeighbours(data, n, d, n, 3, "cosine")).toThrow(RangeError);
  });
});

describe("search", () => {
  const cat: Column = { name: "label", kind: "category", codes: Int32Array.from([0, 1, 2, 1, -1]), categories: ["3", "13", "4"] };
  it("matches categories with a regex, once per category", () => {
    expect(searchColumn(cat, 5, "^3$").count).toBe(1);
    expect(Array.from(searchColumn(cat, 5, "3").mask)).toEqual([1, 1, 0, 1, 0]);
  });
  it("is case-insensitive and falls back to a substring for an invalid regex", () => {
    const text: Column = { name: "n", kind: "text", texts: ["Cat (1)", "dog", "cat (2"] };
    expect(searchColumn(text, 3, "^cat").count).toBe(2);
    expect(searchColumn(text, 3, "(2").count).toBe(1); // invalid regex
    expect(compileQuery("[")("a[b")).toBe(true);
    expect(searchColumn(text, 3, "").count).toBe(0);
  });
  it("formats numbers for search", () => {
    const num: Column = { name: "v", kind: "number", values: Float32Array.from([0.5, 2, NaN]), min: 0.5, max: 2 };
    expect(searchColumn(num, 3, "^2$").count).toBe(1);
  });
});

describe("colours", () => {
  it("colours categories, numbers and missing values", () => {
    const cat: Column = { name: "c", kind: "category", codes: Int32Array.from([0, 20, -1]), categories: Array.from({ length: 21 }, (_, i) => String(i)) };
    const rgb = pointColors(cat, 3, [1, 2, 3]);
    expect(Array.from(rgb.subarray(0, 3))).toEqual(categoryColor(0));
    expect(Array.from(rgb.subarray(3, 6))).toEqual(categoryColor(20));
    expect(Array.from(rgb.subarray(6, 9))).toEqual([150, 150, 150]);
    const num: Column = { name: "v", kind: "number", values: Float32Array.from([0, 1]), min: 0, max: 1 };
    const c2 = pointColors(num, 2, [0, 0, 0]);
    expect(Array.from(c2.subarray(0, 3))).toEqual(colormap(0));
    expect(Array.from(c2.subarray(3, 6))).toEqual(colormap(1));
    expect(Array.from(pointColors(null, 1, [7, 8, 9]))).toEqual([7, 8, 9]);
  });
  it("gives distinct colours to many categories", () => {
    const seen = new Set(Array.from({ length: 40 }, (_, i) => categoryColor(i).join(",")));
    expect(seen.size).toBe(40);
  });
});

describe("camera and picking", () => {
  it("2-D: pan and zoom keep the point under the cursor", () => {
    const c = defaultCamera(2);
    const m = cameraMatrix(c, 400, 200);
    const [x, y] = projectPoint(m, 0, 0, 0, 400, 200)!;
    expect([x, y]).toEqual([200, 100]);
    const z = zoomAt(c, 2, 300, 50, 400, 200);
    const before = projectPoint(m, 0.5, 0.25, 0, 400, 200)!;
    const after = projectPoint(cameraMatrix(zoomAt(c, 3, before[0], before[1], 400, 200), 400, 200), 0.5, 0.25, 0, 400, 200)!;
    expect(after[0]).toBeCloseTo(before[0], 3);
    expect(after[1]).toBeCloseTo(before[1], 3);
    expect(z.zoom).toBeCloseTo(1.8);
    const p = pan(c, 10, 0, 400, 200);
    expect(projectPoint(cameraMatrix(p, 400, 200), 0, 0, 0, 400, 200)![0]).toBeCloseTo(210, 3);
  });
  it("3-D: orbiting moves points on screen; the centre stays", () => {
    const c = defaultCamera(3);
    const m1 = cameraMatrix(c, 300, 300);
    const m2 = cameraMatrix(orbit(c, 80, 0), 300, 300);
    const a = projectPoint(m1, 0, 0, 0.5, 300, 300)!;
    const b = projectPoint(m2, 0, 0, 0.5, 300, 300)!;
    expect(Math.abs(a[0] - b[0])).toBeGreaterThan(5);
    const o = projectPoint(m2, 0, 0, 0, 300, 300)!;
    expect(o[0]).toBeCloseTo(150, 3);
    expect(o[1]).toBeCloseTo(150, 3);
  });
  it("normalise centres and scales into the unit cube", () => {
    const xyz = normalise(Float32Array.from([10, 20, 12, 20, 14, 20]), 3, 2, 2);
    expect(Array.from(xyz)).toEqual([-1, 0, 0, 0, 0, 0, 1, 0, 0]);
  });
  it("picks the nearest point, the front one on ties, and nothing far away", () => {
    const xyz = Float32Array.from([0, 0, 0, 0.5, 0.5, 0, -0.5, -0.5, 0]);
    const m = cameraMatrix(defaultCamera(2), 200, 200);
    const index = new ScreenIndex(12);
    index.build(xyz, 3, m, 200, 200);
    const [x1, y1] = index.screen(1)!;
    expect(index.query(x1 + 2, y1 - 1, 8)).toBe(1);
    expect(index.query(100, 100, 8)).toBe(0);
    expect(index.query(5, 190, 8)).toBe(-1);
    const brute = (x: number, y: number) => {
      let best = -1;
      let bd = Infinity;
      for (let i = 0; i < 3; i++) {
        const [sx, sy] = index.screen(i)!;
        const d = Math.hypot(sx - x, sy - y);
        if (d < bd) [best, bd] = [i, d];
      }
      return bd <= 8 ? best : -1;
    };
    const r = rng(9);
    for (let k = 0; k < 200; k++) {
      const x = r() * 200;
      const y = r() * 200;
      expect(index.query(x, y, 8)).toBe(brute(x, y));
    }
  });
});
