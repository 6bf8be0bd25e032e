import { describe, expect, it } from "vitest";
import { LazySeries, firstChartIds, requestedIds, type LazyEntry } from "../src/snapshot/lazy";

/** Two chunks (tags): series 0 and 2 in chunk 0, series 1 in chunk 1; columns step, wall, value. */
function fixture(): { entry: LazyEntry; chunks: Float64Array[] } {
  const chunks = [new Float64Array([0, 1, 10, 11, 0.5, 0.25, 5, 50, 0.75]), new Float64Array([0, 100, 7])];
  const info = (id: number, count: number) => ({ id, count, run: `r${id}`, tag: id === 1 ? "b" : "a" });
  const entry: LazyEntry = {
    seq: 4,
    chunks: [7, 8], // the chunks' script indices in the page
    items: {
      "0": { info: info(0, 2), chunk: 0, offset: 0 },
      "2": { info: info(2, 1), chunk: 0, offset: 48 },
      "1": { info: info(1, 1), chunk: 1, offset: 0 },
    },
  };
  return { entry, chunks };
}

describe("LazySeries (an offline page answers the Scalars panel's point requests)", () => {
  it("answers a request chunk by chunk, numbered after the snapshot, each series once", async () => {
    const { entry, chunks } = fixture();
    const unpacked: number[] = [];
    const lazy = new LazySeries(entry, (script) => {
      unpacked.push(script);
      return Promise.resolve(new Uint8Array(chunks[script - 7]!.buffer));
    });
    const got: { content: any; values: number[] }[] = [];
    lazy.attach((content, [view]) => got.push({ content, values: [...new Float64Array(view!.buffer)] }));
    expect(lazy.answer({ type: "other", ids: [0] })).toBe(false);
    expect(requestedIds({ type: "request", ids: [1, "x", 2] })).toEqual([1, 2]);
    expect(lazy.answer({ type: "request", ids: [1, 2, 0, 99], width: 300 })).toBe(true);
    lazy.answer({ type: "request", ids: [0, 1], width: 300 }); // already answered: nothing more
    await new Promise((r) => setTimeout(r, 20));
    expect(unpacked).toEqual([8, 7]); // the chunk of the first id asked for comes first
    expect(got.map((g) => g.content.seq)).toEqual([5, 6]);
    expect(got[0]!.content.series.map((s: any) => s.id)).toEqual([1]);
    expect(got[0]!.values).toEqual([0, 100, 7]);
    expect(got[1]!.content.series.map((s: any) => [s.id, s.count])).toEqual([[2, 1], [0, 2]]);
    expect(got[1]!.values).toEqual([5, 50, 0.75, 0, 1, 10, 11, 0.5, 0.25]); // 2 then 0, as asked
    expect(lazy.answers).toBe(2);
    expect(lazy.pending).toBe(0);
  });

  it("pushes the series nobody asked for, and reports a short chunk instead of sending it", async () => {
    const { entry, chunks } = fixture();
    const lazy = new LazySeries(entry, (script) =>
      Promise.resolve(script === 8 ? new Uint8Array(8) : new Uint8Array(chunks[0]!.buffer)),
    );
    const sent: number[][] = [];
    lazy.attach((content: any) => sent.push(content.series.map((s: any) => s.id)));
    const quiet = console.error;
    const errors: unknown[] = [];
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      lazy.answer({ type: "request", ids: [0] });
      lazy.pushRest();
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      console.error = quiet;
    }
    expect(sent).toEqual([[0], [2]]); // series 1's chunk is too short: reported, not sent
    expect(errors.length).toBe(1);
  });

  it("picks the first chart's series as the Scalars view orders tags, and sends them unasked", async () => {
    const { entry, chunks } = fixture();
    // tags "a" (series 0, 2) and "b" (series 1): the view shows "a" first
    expect(firstChartIds(entry, "").sort()).toEqual([0, 2]);
    expect(firstChartIds(entry, "^b$")).toEqual([1]); // the saved tag filter hides "a"
    expect(firstChartIds(entry, "nothing matches")).toEqual([]);
    const grouped: LazyEntry = {
      seq: 0,
      chunks: [0, 1],
      items: {
        "5": { info: { id: 5, count: 1, tag: "train/loss10" }, chunk: 0, offset: 0 },
        "6": { info: { id: 6, count: 1, tag: "train/loss9" }, chunk: 1, offset: 0 },
        "7": { info: { id: 7, count: 1, tag: "eval/acc" }, chunk: 1, offset: 24 },
      },
    };
    expect(firstChartIds(grouped, null)).toEqual([7]); // group "eval" before "train"
    delete grouped.items["7"];
    expect(firstChartIds(grouped, null)).toEqual([6]); // natural order: loss9 before loss10

    const lazy = new LazySeries(entry, (script) => Promise.resolve(new Uint8Array(chunks[script - 7]!.buffer)));
    const sent: number[][] = [];
    lazy.attach((content: any) => sent.push(content.series.map((s: any) => s.id)));
    await lazy.prefetch(firstChartIds(entry, ""));
    expect(sent).toEqual([[0, 2]]); // sent before any request: resolved once sent
    lazy.answer({ type: "request", ids: [0, 1] }); // 0 went already
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([[0, 2], [1]]);
  });
});
