import { describe, expect, it } from "vitest";
import {
  NOT_SET,
  NO_MATCH,
  configKeys,
  filterRuns,
  groupRuns,
  runColors,
  sameList,
  setRuns,
  sourceBadge,
  toggleRun,
  type DashboardRun,
} from "../src/dashboard/state";

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

describe("dashboard run grouping", () => {
  const run = (name: string, config?: DashboardRun["config"]): DashboardRun => ({ name, source: "nbviz", kinds: [], config });
  const runs = [
    run("adam_lr10", { lr: 0.1, opt: "adam" }),
    run("sgd_lr2", { lr: 0.01, opt: "sgd" }),
    run("adam_lr2", { lr: 0.01, opt: "adam" }),
    run("tb_old"),
  ];
  const names = (groups: ReturnType<typeof groupRuns>) => groups.map((g) => [g.key, g.runs.map((r) => r.name)]);

  it("groups by the first capture group of a name pattern, else the whole match", () => {
    expect(names(groupRuns(runs, { kind: "pattern", pattern: "^(adam|sgd)_" }))).toEqual([
      ["adam", ["adam_lr10", "adam_lr2"]],
      ["sgd", ["sgd_lr2"]],
      [NO_MATCH, ["tb_old"]],
    ]);
    expect(names(groupRuns(runs, { kind: "pattern", pattern: "LR\\d+" }))).toEqual([
      ["lr2", ["sgd_lr2", "adam_lr2"]],
      ["lr10", ["adam_lr10"]],
      [NO_MATCH, ["tb_old"]],
    ]);
  });

  it("tolerates a pattern that is not a regular expression (plain text)", () => {
    expect(names(groupRuns(runs, { kind: "pattern", pattern: "adam_(" }))).toEqual([[NO_MATCH, runs.map((r) => r.name)]]);
    expect(names(groupRuns(runs, { kind: "pattern", pattern: "_lr1(" }))).toEqual([[NO_MATCH, runs.map((r) => r.name)]]);
    expect(names(groupRuns([run("a_lr1(x")], { kind: "pattern", pattern: "_LR1(" }))).toEqual([["_LR1(", ["a_lr1(x"]]]);
  });

  it("groups by a config value, runs without it last", () => {
    expect(configKeys(runs)).toEqual(["lr", "opt"]);
    expect(names(groupRuns(runs, { kind: "config", key: "lr" }))).toEqual([
      ["lr=0.01", ["sgd_lr2", "adam_lr2"]],
      ["lr=0.1", ["adam_lr10"]],
      [NOT_SET, ["tb_old"]],
    ]);
    expect(names(groupRuns(runs, { kind: "none" }))).toEqual([["", runs.map((r) => r.name)]]);
  });
});
