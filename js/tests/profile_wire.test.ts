import { describe, expect, it } from "vitest";
import { float64, splitColumns, stack } from "../src/panels/profile/wire";

describe("profile wire", () => {
  it("splits per-run column-major tables", () => {
    // run a: 2 rows × 2 columns, run b: 1 row × 2 columns
    const data = new Float64Array([0, 1, 10, 11, 5, 50]);
    const [a, b] = splitColumns(data, [2, 1], 2);
    expect([...a![0]!]).toEqual([0, 1]);
    expect([...a![1]!]).toEqual([10, 11]);
    expect([...b![0]!]).toEqual([5]);
    expect([...b![1]!]).toEqual([50]);
  });

  it("refuses a buffer shorter than the runs need", () => {
    expect(() => splitColumns(new Float64Array(3), [2], 2)).toThrow(/too short/);
  });

  it("decodes unaligned little-endian float64", () => {
    const bytes = new Uint8Array(17);
    new DataView(bytes.buffer).setFloat64(1, 2.5, true);
    new DataView(bytes.buffer).setFloat64(9, -1, true);
    expect([...float64(new DataView(bytes.buffer, 1, 16))]).toEqual([2.5, -1]);
  });

  it("stacks phases cumulatively, a NaN adding nothing", () => {
    const out = stack([new Float64Array([1, 2]), new Float64Array([NaN, 3]), new Float64Array([4, 0])]);
    expect(out.map((c) => [...c])).toEqual([
      [1, 2],
      [1, 5],
      [5, 5],
    ]);
  });
});
