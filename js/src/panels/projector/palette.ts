/**
 * Point colours: categorical (the shared run palette, then golden-angle hues),
 * a continuous colormap (viridis stops) for numbers, grey for missing values.
 */
import { PALETTE, parseColor } from "../../lib/colors";
import type { Column } from "./wire";

export const MISSING: [number, number, number] = [150, 150, 150];

const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function categoryColor(i: number): [number, number, number] {
  if (i < PALETTE.length) {
    const c = parseColor(PALETTE[i]!)!;
    return [c[0], c[1], c[2]];
  }
  const h = ((i - PALETTE.length) * 137.508) % 360;
  return hsl(h, 0.65, 0.55);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (m: number) => (m + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (m: number) => l - a * Math.max(-1, Math.min(k(m) - 3, 9 - k(m), 1));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

export function colormap(t: number): [number, number, number] {
  if (!Number.isFinite(t)) return MISSING;
  const x = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export function colormapCss(stops = 8): string {
  const parts: string[] = [];
  for (let i = 0; i <= stops; i++) {
    const [r, g, b] = colormap(i / stops);
    parts.push(`rgb(${r},${g},${b}) ${((i / stops) * 100).toFixed(0)}%`);
  }
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

/** RGB bytes [n, 3] for the points, coloured by `column` (or `plain` for all when null). */
export function pointColors(column: Column | null, n: number, plain: [number, number, number]): Uint8Array {
  const out = new Uint8Array(n * 3);
  if (!column || column.kind === "text") {
    for (let i = 0; i < n; i++) out.set(plain, i * 3);
    return out;
  }
  if (column.kind === "category") {
    const table = column.categories.map((_, i) => categoryColor(i));
    for (let i = 0; i < n; i++) {
      const code = column.codes[i]!;
      out.set(code >= 0 && code < table.length ? table[code]! : MISSING, i * 3);
    }
    return out;
  }
  const lo = column.min;
  const span = column.max - column.min || 1;
  // 256-entry lookup table: one multiply per point
  const lut = new Uint8Array(256 * 3);
  for (let j = 0; j < 256; j++) lut.set(colormap(j / 255), j * 3);
  for (let i = 0; i < n; i++) {
    const v = column.values[i]!;
    if (Number.isNaN(v)) {
      out.set(MISSING, i * 3);
      continue;
    }
    const j = Math.min(255, Math.max(0, Math.round(((v - lo) / span) * 255))) * 3;
    out[i * 3] = lut[j]!;
    out[i * 3 + 1] = lut[j + 1]!;
    out[i * 3 + 2] = lut[j + 2]!;
  }
  return out;
}

/** Points per category (index = code), for the legend. */
export function categoryCounts(column: Column & { kind: "category" }, n: number): Int32Array {
  const counts = new Int32Array(column.categories.length);
  for (let i = 0; i < n; i++) {
    const c = column.codes[i]!;
    if (c >= 0 && c < counts.length) counts[c]!++;
  }
  return counts;
}
