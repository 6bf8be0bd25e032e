/**
 * Categorical run palette: mid-lightness hues (TensorBoard-like, starting
 * orange then blue) with enough contrast on both white and near-black
 * backgrounds. Pure red is left out: it marks NaN / Inf points.
 */
export const PALETTE: readonly string[] = [
  "#ff7043", // deep orange (TensorBoard's first run colour)
  "#0091ea", // blue
  "#00b894", // green-teal
  "#d81b60", // magenta
  "#8e24aa", // purple
  "#7cb342", // light green
  "#00acc1", // cyan
  "#f9a825", // amber
  "#5c6bc0", // indigo
  "#ec407a", // pink
  "#a1887f", // brown (light enough for dark backgrounds)
  "#c0ca33", // lime
  "#26a69a", // teal
  "#9e9e9e", // grey
];

/** Colour for palette index `i` (wraps around; negative/NaN → 0). */
export function paletteColor(i: number): string {
  const n = PALETTE.length;
  const k = Number.isFinite(i) ? ((Math.trunc(i) % n) + n) % n : 0;
  return PALETTE[k]!;
}

/** Parse "#rgb", "#rrggbb", "#rrggbbaa", "rgb(…)" or "rgba(…)"; null if not parseable. */
export function parseColor(c: string): [number, number, number, number] | null {
  const s = c.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    const h = m[1]!;
    if (h.length === 3 || h.length === 4) {
      const v = [...h].map((d) => parseInt(d + d, 16));
      return [v[0]!, v[1]!, v[2]!, h.length === 4 ? v[3]! / 255 : 1];
    }
    if (h.length === 6 || h.length === 8) {
      const v = [0, 2, 4, 6].map((k) => parseInt(h.slice(k, k + 2) || "ff", 16));
      return [v[0]!, v[1]!, v[2]!, h.length === 8 ? v[3]! / 255 : 1];
    }
    return null;
  }
  m = /^rgba?\(\s*([^)]*)\)$/.exec(s);
  if (m) {
    const parts = m[1]!.split(/[\s,/]+/).filter(Boolean);
    if (parts.length < 3) return null;
    const num = (p: string, scale: number) => (p.endsWith("%") ? (parseFloat(p) / 100) * scale : parseFloat(p));
    const r = num(parts[0]!, 255);
    const g = num(parts[1]!, 255);
    const b = num(parts[2]!, 255);
    const a = parts[3] !== undefined ? num(parts[3], 1) : 1;
    if ([r, g, b, a].some((x) => !Number.isFinite(x))) return null;
    return [r, g, b, a];
  }
  return null;
}

/** `color` with alpha `a` as an rgba() string (returns `color` unchanged if unparseable). */
export function withAlpha(color: string, a: number): string {
  const p = parseColor(color);
  if (!p) return color;
  return `rgba(${Math.round(p[0])},${Math.round(p[1])},${Math.round(p[2])},${a})`;
}

/** Relative luminance (0 = black, 1 = white) or null if unparseable. */
export function luminance(color: string): number | null {
  const p = parseColor(color);
  if (!p) return null;
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(p[0]) + 0.7152 * lin(p[1]) + 0.0722 * lin(p[2]);
}
