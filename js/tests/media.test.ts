import { describe, expect, it } from "vitest";
import { stepAtOrBefore, uniqueSorted } from "../src/lib/media";
import { classColor, colorMask, differencePixels, fitSize, visibleBoxes, windowPixels } from "../src/panels/images/draw";
import { diffLines, parseInline, parseMarkdown } from "../src/panels/text/markdown";
import { fft, parseWav, spectrogram, waveformColumns } from "../src/panels/audio/signal";
import { orderRows, predictionColumns, type TableData } from "../src/panels/table/rows";

describe("markdown", () => {
  it("parses headings, emphasis, code, lists and tables", () => {
    const blocks = parseMarkdown("# Title\n**pred:** a *cat* `x`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(blocks.map((b) => b.type)).toEqual(["h", "p", "ul", "table"]);
    const p = blocks[1]!;
    expect(p.type === "p" ? p.c.map((i) => i.t) : []).toEqual(["b", "text", "i", "text", "code"]);
    const t = blocks[3]!;
    expect(t.type === "table" ? [t.header.length, t.rows.length] : []).toEqual([2, 1]);
  });

  it("keeps raw HTML as text and drops unsafe links", () => {
    const blocks = parseMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">');
    const texts = blocks.flatMap((b) => (b.type === "p" ? b.c : [])).map((i) => (i.t === "text" ? i.v : ""));
    expect(texts.join("|")).toContain("<script>alert(1)</script>");
    expect(texts.join("|")).toContain('onerror="alert(2)"');
    const js = parseInline("[x](javascript:alert(1))");
    expect(js.every((i) => i.t === "text")).toBe(true);
    expect(js.map((i) => (i.t === "text" ? i.v : "")).join("")).toBe("[x](javascript:alert(1))");
    expect(parseInline("[x](https://a.b)")[0]).toMatchObject({ t: "a", href: "https://a.b" });
    expect(parseInline("![alt](https://evil/x.png)")).toEqual([{ t: "text", v: "[image: alt]" }]);
  });

  it("diffs lines", () => {
    expect(diffLines("a\nb\nc", "a\nx\nc").map((d) => d.op + d.text)).toEqual([" a", "-b", "+x", " c"]);
  });
});

describe("images drawing", () => {
  it("colours masks by class and hides hidden classes", () => {
    const px = new Uint8ClampedArray([0, 0, 0, 255, 2, 2, 2, 255]);
    const out = colorMask(px, new Set([0]));
    expect(Array.from(out.slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(out.slice(4, 8))).toEqual([...classColor(2), 255]);
  });

  it("windows grey levels: low..high to black..white, clamped outside, alpha kept", () => {
    const px = new Uint8ClampedArray([0, 20, 30, 255, 40, 60, 61, 128, 255, 100, 50, 7]);
    // window 20..60: v -> round((v - 20) * 255 / 40)
    expect(Array.from(windowPixels(px, 20, 60))).toEqual([0, 0, 64, 255, 128, 255, 255, 128, 255, 255, 191, 7]);
    // the full range is the identity
    expect(Array.from(windowPixels(px, 0, 255))).toEqual(Array.from(px));
    // a window narrower than one grey level is a threshold at low
    expect(Array.from(windowPixels(new Uint8ClampedArray([99, 100, 101, 255]), 100, 100))).toEqual([0, 0, 255, 255]);
    expect(Array.from(windowPixels(new Uint8ClampedArray([99, 100, 101, 255]), 120, 80))).toEqual([0, 0, 0, 255]);
  });

  it("differences, fits and filters boxes by score", () => {
    expect(Array.from(differencePixels(new Uint8ClampedArray([10, 200, 5, 9]), new Uint8ClampedArray([50, 100, 5, 1])))).toEqual([40, 100, 0, 255]);
    expect(fitSize(16, 8, 112)).toEqual([112, 56]);
    const meta = { boxes: [[0, 0, 1, 1], [1, 1, 2, 2]], box_labels: ["cat", "dog"], box_scores: [0.9, 0.3] };
    expect(visibleBoxes(meta, 0).length).toBe(2);
    expect(visibleBoxes(meta, 0.5).map((b) => b.label)).toEqual(["cat"]);
    expect(visibleBoxes({ boxes: [[0, 0, 1, 1]] }, 0.99).length).toBe(1); // no score: always shown
  });

  it("finds the step at or before", () => {
    expect(uniqueSorted([3, 1, 3, 2])).toEqual([1, 2, 3]);
    expect(stepAtOrBefore([0, 10, 20], 15)).toBe(10);
    expect(stepAtOrBefore([0, 10, 20], 20)).toBe(20);
    expect(stepAtOrBefore([5, 10], 1)).toBe(5);
    expect(stepAtOrBefore([], 1)).toBeNull();
  });
});

function wav(samples: number[], rate: number): Uint8Array {
  const data = new Int16Array(samples.map((s) => Math.trunc(s * 32767)));
  const buf = new ArrayBuffer(44 + data.byteLength);
  const v = new DataView(buf);
  const tag = (o: number, s: string) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  tag(0, "RIFF"); v.setUint32(4, 36 + data.byteLength, true); tag(8, "WAVE");
  tag(12, "fmt "); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  tag(36, "data"); v.setUint32(40, data.byteLength, true);
  new Uint8Array(buf, 44).set(new Uint8Array(data.buffer));
  return new Uint8Array(buf);
}

describe("audio", () => {
  it("reads 16-bit PCM WAV like the kernel writes it", () => {
    const pcm = parseWav(wav([0, 1, -1, 0.5], 8000))!;
    expect(pcm.rate).toBe(8000);
    expect(Array.from(pcm.samples).map((x) => Math.round(x * 1000) / 1000)).toEqual([0, 1, -1, 0.5]);
    expect(parseWav(new Uint8Array(10))).toBeNull();
  });

  it("waveform columns and a spectrogram peak at the tone's frequency", () => {
    const { min, max } = waveformColumns(new Float32Array([0, 1, -1, 0.5]), 2);
    expect([min[0], max[0], min[1], max[1]]).toEqual([0, 1, -1, 0.5]);
    const re = new Float64Array([1, 0, 0, 0]);
    const im = new Float64Array(4);
    fft(re, im);
    expect(Array.from(re)).toEqual([1, 1, 1, 1]);
    const rate = 8000;
    const tone = Float32Array.from({ length: 4096 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / rate));
    const spec = spectrogram(tone, 4, 256);
    const column = Array.from(spec.slice(0, 128));
    expect(column.indexOf(Math.max(...column))).toBe(32); // 1000 Hz / (8000 Hz / 256)
  });
});

describe("table rows", () => {
  const t: TableData = {
    columns: ["image", "true", "pred", "conf"],
    types: { image: "image", true: "number", pred: "number", conf: "number" },
    data: { true: [1, 2, 3, 4], pred: [1, 0, 3, 0], conf: [0.9, 0.2, 0.8, 0.5] },
    rows: 4,
  };
  it("finds truth and prediction columns and puts the misclassified first", () => {
    expect(predictionColumns(t)).toEqual(["true", "pred"]);
    expect(orderRows(t, { filter: "", sortColumn: null, descending: false, misclassifiedFirst: true })).toEqual([1, 3, 0, 2]);
    expect(orderRows(t, { filter: "", sortColumn: "conf", descending: true, misclassifiedFirst: false })).toEqual([0, 2, 3, 1]);
    expect(orderRows(t, { filter: "0.8", sortColumn: null, descending: false, misclassifiedFirst: false })).toEqual([2]);
  });
});
