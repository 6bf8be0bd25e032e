import { describe, expect, it } from "vitest";
import { filterRuns, runColors, sameList, setRuns, sourceBadge, toggleRun } from "../src/dashboard/state";

describe("dashboard run selection", () => {
  const runs = ["exp1", "exp1/loss_train", "exp2", "baseline (old)"];

  it("filters runs by case-insensitive regex, or substring when the regex is invalid", () => {
    expect(filterRuns(runs, "")).toEqual(runs);
    expect(filterRuns(runs, "^EXP\\d$")).toEqual(["exp1", "exp2"]);
    expect(filterRuns(runs, "(old")).toEqual(["baseline (old)"]);
    expect(filterRuns(runs, "nothing")).toEqual([]);
  });

  it("toggles one run and keeps the hidden list sorted without duplicates", () => {
    expect(toggleRun([], "b", false)).toEqual(["b"]);
    expect(toggleRun(["c", "b"], "a", false)).toEqual(["a", "b", "c"]);
    expect(toggleRun(["a", "b"], "a", true)).toEqual(["b"]);
    expect(toggleRun(["a"], "a", false)).toEqual(["a"]);
  });

  it("shows or hides many runs at once", () => {
    expect(setRuns(["x"], ["a", "b"], false)).toEqual(["a", "b", "x"]);
    expect(setRuns(["a", "b", "x"], ["a", "b"], true)).toEqual(["x"]);
  });

  it("compares lists by members and order", () => {
    expect(sameList(["a", "b"], ["a", "b"])).toBe(true);
    expect(sameList(["a", "b"], ["b", "a"])).toBe(false);
    expect(sameList([], undefined)).toBe(false);
    expect(sameList(undefined, undefined)).toBe(true);
  });
});

describe("dashboard run colours", () => {
  it("keeps a panel's colours and gives other runs the next free palette indices", () => {
    const colors = runColors(["a", "b", "c", "d"], new Map([["b", 0], ["d", 2]]));
    expect(Object.fromEntries(colors)).toEqual({ a: 1, b: 0, c: 3, d: 2 });
  });

  it("numbers runs in order when no panel has coloured them", () => {
    expect([...runColors(["x", "y"], new Map()).values()]).toEqual([0, 1]);
  });
});

describe("source badges", () => {
  it("marks TensorBoard runs", () => {
    expect(sourceBadge("tensorboard")).toBe("TB");
    expect(sourceBadge("nbviz+tensorboard")).toBe("nbviz+TB");
    expect(sourceBadge("nbviz")).toBe("");
  });
});
