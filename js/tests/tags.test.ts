import { describe, expect, it } from "vitest";
import { compileTagFilter, groupTags, tagGroup } from "../src/lib/tags";

describe("tagGroup / groupTags", () => {
  it("groups by the prefix before the first slash", () => {
    expect(tagGroup("loss/train")).toBe("loss");
    expect(tagGroup("a/b/c")).toBe("a");
    expect(tagGroup("lr")).toBe("lr");
    expect(tagGroup("/x")).toBe("");
  });
  it("sorts groups and tags naturally and dedups", () => {
    const g = groupTags(["loss/val", "acc/top1", "loss/train", "layer10/w", "layer2/w", "loss/train"]);
    expect(g.map((x) => x.group)).toEqual(["acc", "layer2", "layer10", "loss"]);
    expect(g.find((x) => x.group === "loss")!.tags).toEqual(["loss/train", "loss/val"]);
  });
});

describe("compileTagFilter", () => {
  it("matches everything for an empty pattern", () => {
    const f = compileTagFilter("");
    expect(f.kind).toBe("all");
    expect(f("anything")).toBe(true);
    expect(compileTagFilter(undefined)("x")).toBe(true);
  });
  it("is a case-insensitive regex", () => {
    const f = compileTagFilter("^LOSS/(train|val)$");
    expect(f.kind).toBe("regex");
    expect(f("loss/train")).toBe(true);
    expect(f("loss/val")).toBe(true);
    expect(f("loss/test")).toBe(false);
    expect(f("myloss/train")).toBe(false);
  });
  it("falls back to substring on an invalid regex, without throwing", () => {
    const f = compileTagFilter("loss[(");
    expect(f.kind).toBe("substring");
    expect(f("LOSS[(x")).toBe(true);
    expect(f("loss/train")).toBe(false);
  });
});
