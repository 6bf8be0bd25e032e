import { describe, expect, it } from "vitest";
import { fmtHours, fmtRelTick, fmtStep, fmtTick, fmtValue, fmtWallTicks } from "../src/lib/format";

describe("format", () => {
  it("formats values with NaN / Inf spelled out", () => {
    expect(fmtValue(NaN)).toBe("NaN");
    expect(fmtValue(Infinity)).toBe("Inf");
    expect(fmtValue(-Infinity)).toBe("-Inf");
    expect(fmtValue(0.123456789)).toBe("0.12346");
    expect(fmtValue(1234567)).toBe("1.235e+6");
    expect(fmtValue(0)).toBe("0");
  });
  it("formats ticks and steps compactly", () => {
    expect(fmtTick(1500)).toBe("1.5k");
    expect(fmtTick(2_000_000)).toBe("2M");
    expect(fmtTick(0.25)).toBe("0.25");
    expect(fmtStep(1234567)).toBe("1,234,567");
  });
  it("formats durations", () => {
    expect(fmtHours(1 / 3600 * 12.5)).toBe("12.5s");
    expect(fmtHours(2 + 5 / 60)).toBe("2h 05m");
    expect(fmtRelTick(30 / 3600, 10 / 3600)).toBe("30s");
    expect(fmtRelTick(90 / 3600, 30 / 3600)).toBe("1m 30s");
    expect(fmtRelTick(0.5, 900 / 3600)).toBe("30m");
    expect(fmtRelTick(1.5, 1800 / 3600)).toBe("1h 30m");
    expect(fmtRelTick(26, 6)).toBe("1d 2h");
    expect(fmtRelTick(0, 1)).toBe("0");
  });
  it("puts the date on the first wall tick and on day changes", () => {
    const t0 = new Date(2024, 0, 1, 23, 0, 0).getTime() / 1000;
    const labels = fmtWallTicks([t0, t0 + 1800, t0 + 3600], 1800);
    expect(labels[0]).toBe("23:00\nJan 1");
    expect(labels[1]).toBe("23:30");
    expect(labels[2]).toBe("00:00\nJan 2");
  });
});
