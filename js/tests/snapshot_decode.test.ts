import { describe, expect, it } from "vitest";
import { BUFFER_KEY, fromBase64, gunzip, reviveBuffers, splitBuffers } from "../src/snapshot/decode";
import { StaticModel } from "../src/snapshot/model";

describe("snapshot decoding (what nbviz/export/html.py writes)", () => {
  it("reads base64 of gzip back into the bytes", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 7]);
    const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
    const gz = new Uint8Array(await new Response(stream).arrayBuffer());
    const text = btoa(String.fromCharCode(...gz));
    expect([...(await gunzip(fromBase64(text)))]).toEqual([...bytes]);
    expect([...fromBase64("YW\nJj")]).toEqual([97, 98, 99]); // whitespace ignored
  });

  it("splits the blob into aligned DataViews and revives buffer markers", () => {
    const blob = new Uint8Array(new Float64Array([1.5, -2, 3]).buffer);
    const views = splitBuffers(blob, [8, 16, 0]);
    expect(views.map((v) => v.byteLength)).toEqual([8, 16, 0]);
    expect(new Float64Array(views[1]!.buffer)[1]).toBe(3);
    const state = reviveBuffers({ a: { [BUFFER_KEY]: 1 }, list: [{ [BUFFER_KEY]: 0 }, { x: 2 }], s: "t" }, views) as any;
    expect(state.a).toBe(views[1]);
    expect(state.list[0]).toBe(views[0]);
    expect(state.list[1]).toEqual({ x: 2 });
    expect(state.s).toBe("t");
    expect(() => splitBuffers(blob, [32])).toThrow(/too short/);
    expect(() => reviveBuffers({ [BUFFER_KEY]: 9 }, views)).toThrow(/no buffer 9/);
  });
});

describe("StaticModel (the offline stand-in for anywidget's model)", () => {
  it("keeps traits, emits change and custom events, and survives a throwing handler", () => {
    const model = new StaticModel({ a: 1 }, () => Promise.reject(new Error("none")));
    const seen: unknown[] = [];
    model.on("change:a", () => seen.push(model.get("a")));
    model.on("change:a", () => {
      throw new Error("bad handler");
    });
    model.on("msg:custom", (msg: unknown) => seen.push(msg));
    const quiet = console.error;
    console.error = () => {};
    try {
      model.set("a", 2);
    } finally {
      console.error = quiet;
    }
    model.emit("msg:custom", { type: "blobs" });
    model.save_changes();
    model.send();
    expect(seen).toEqual([2, { type: "blobs" }]);
    model.off("change:a");
    model.set("a", 3);
    expect(seen).toEqual([2, { type: "blobs" }]);
    expect(model.get("a")).toBe(3);
  });
});
