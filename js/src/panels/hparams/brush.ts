/**
 * Brushing: which runs pass every brush (value ranges per axis, combined with AND)
 * and are not hidden by the run selector. Pure, so the browser tests and vitest
 * can check it against the data.
 */
import type { Table } from "./model";

export type Brushes = Record<string, [number, number]>;

/** 1 for each run passing all brushes and not hidden, else 0. */
export function brushMask(table: Table, brushes: Brushes, hidden: ReadonlySet<string>): Uint8Array {
  const n = table.runs.length;
  const mask = new Uint8Array(n).fill(1);
  if (hidden.size) for (let i = 0; i < n; i++) mask[i] = hidden.has(table.runs[i]!) ? 0 : 1;
  for (const [name, range] of Object.entries(brushes)) {
    const c = table.index.get(name);
    if (c === undefined || !Array.isArray(range) || range.length !== 2) continue;
    const lo = Math.min(range[0], range[1]);
    const hi = Math.max(range[0], range[1]);
    const col = table.values[c]!;
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      if (!(v >= lo && v <= hi)) mask[i] = 0;
    }
  }
  return mask;
}

/** Names of the runs set in `mask`. */
export function maskedRuns(table: Table, mask: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(table.runs[i]!);
  return out;
}

/** Indices of the best `k` runs by `values` (NaN skipped), best first. */
export function bestRuns(values: Float64Array, goal: "max" | "min", k: number, mask?: Uint8Array): number[] {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!) && (!mask || mask[i])) idx.push(i);
  idx.sort((a, b) => (goal === "max" ? values[b]! - values[a]! : values[a]! - values[b]!));
  return idx.slice(0, k);
}
