import { describe, expect, it } from "vitest";
import { PALETTE, paletteColor, parseColor, withAlpha } from "../src/lib/colors";
import { resolveTheme } from "../src/lib/theme";

describe("colors", () => {
  it("wraps palette indices", () => {
    expect(paletteColor(0)).toBe(PALETTE[0]);
    expect(paletteColor(PALETTE.length + 1)).toBe(PALETTE[1]);
    expect(paletteColor(-1)).toBe(PALETTE[PALETTE.length - 1]);
    expect(paletteColor(NaN)).toBe(PALETTE[0]);
  });
  it("parses hex and rgb()", () => {
    expect(parseColor("#fff")).toEqual([255, 255, 255, 1]);
    expect(parseColor("#0091ea")).toEqual([0, 145, 234, 1]);
    expect(parseColor("rgba(0, 0, 0, 0.87)")).toEqual([0, 0, 0, 0.87]);
    expect(parseColor("var(--x)")).toBeNull();
    expect(withAlpha("#ff0000", 0.25)).toBe("rgba(255,0,0,0.25)");
  });
});

describe("resolveTheme", () => {
  const vars = (m: Record<string, string>) => (n: string) => m[n] ?? "";
  it("uses JupyterLab variables and data-jp-theme-light", () => {
    const t = resolveTheme(
      vars({
        "--jp-layout-color0": "#111111",
        "--jp-ui-font-color0": "rgba(255,255,255,1)",
        "--jp-ui-font-color1": "rgba(255,255,255,0.87)",
        "--jp-border-color2": "#333",
      }),
      { prefersDark: false, jpThemeLight: "false" },
    );
    expect(t.source).toBe("jupyterlab");
    expect(t.dark).toBe(true);
    expect(t.background).toBe("#111111");
    expect(t.foreground).toBe("rgba(255,255,255,0.87)");
    expect(t.grid).toBe("#333");
  });
  it("falls back to VS Code variables, then prefers-color-scheme", () => {
    const vs = resolveTheme(vars({ "--vscode-editor-background": "#1e1e1e", "--vscode-editor-foreground": "#d4d4d4" }), {
      prefersDark: false,
    });
    expect(vs.source).toBe("vscode");
    expect(vs.dark).toBe(true);
    const media = resolveTheme(vars({}), { prefersDark: true });
    expect(media.source).toBe("media");
    expect(media.dark).toBe(true);
    expect(resolveTheme(vars({}), { prefersDark: false }).dark).toBe(false);
  });
});
