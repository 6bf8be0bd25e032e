import { describe, expect, it } from "vitest";
import { hoverText, shortText, visibleText } from "../src/lib/text";

describe("text", () => {
  it("shows bidi overrides, zero-width and control characters visibly", () => {
    expect(visibleText("abc\u202Egnp.exe")).toBe("abc⟨U+202E⟩gnp.exe");
    expect(visibleText("a\u200Bb\u0000c")).toBe("a⟨U+200B⟩b⟨U+0000⟩c");
    expect(visibleText("loss/train")).toBe("loss/train");
  });
  it("keeps emoji (surrogate pairs) but marks lone surrogates", () => {
    expect(visibleText("ok \u{1F600}")).toBe("ok \u{1F600}");
    expect(visibleText("bad \ud800")).toBe("bad ⟨U+D800⟩");
  });
  it("cuts long names with an ellipsis, never inside a surrogate pair", () => {
    const long = "x".repeat(30000);
    expect(shortText(long, 10)).toBe(`${"x".repeat(9)}…`);
    expect(shortText(`abcdefgh\u{1F600}zz`, 10)).toBe("abcdefgh…");
    expect(hoverText(long).length).toBe(4000);
    expect(shortText("short")).toBe("short");
  });
});
