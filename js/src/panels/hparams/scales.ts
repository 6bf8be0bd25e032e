/**
 * Axis scales of the parallel coordinates: value ↔ unit position (0 = bottom,
 * 1 = top; NaN = missing) for numeric, log and categorical axes, and ticks.
 */
import type { ColumnInfo } from "./model";

export interface Tick {
  u: number;
  label: string;
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

export class Scale {
  readonly kind: "numeric" | "log" | "categorical";
  readonly categories: string[];
  private readonly lo: number;
  private readonly hi: number;

  /** `log` overrides the kind of a numeric axis (null: as sent). */
  constructor(info: ColumnInfo, log: boolean | null = null) {
    this.categories = info.categories ?? [];
    let kind = info.kind;
    const positive = info.min !== null && info.min > 0;
    if (kind !== "categorical" && log !== null) kind = log && positive ? "log" : "numeric";
    this.kind = kind;
    let lo = info.min ?? 0;
    let hi = info.max ?? 1;
    if (kind === "log") {
      lo = Math.log10(lo);
      hi = Math.log10(hi);
    }
    if (!(hi > lo)) {
      const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 0.5;
      lo -= pad;
      hi += pad;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** Unit position of a value (NaN for missing or non-positive on a log axis). */
  unit(v: number): number {
    if (this.kind === "categorical") {
      const n = Math.max(1, this.categories.length);
      return Number.isNaN(v) ? NaN : (v + 0.5) / n;
    }
    const x = this.kind === "log" ? (v > 0 ? Math.log10(v) : NaN) : v;
    return (x - this.lo) / (this.hi - this.lo);
  }

  /** Unit positions of a whole column. */
  units(values: Float64Array): Float32Array {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.unit(values[i]!);
    return out;
  }

  /** Value at a unit position (categories: the code, fractional). */
  value(u: number): number {
    if (this.kind === "categorical") return u * Math.max(1, this.categories.length) - 0.5;
    const x = this.lo + u * (this.hi - this.lo);
    return this.kind === "log" ? 10 ** x : x;
  }

  /** Value bounds of a brushed unit range [u0, u1]: for categories, the codes inside. */
  bounds(u0: number, u1: number): [number, number] {
    const a = Math.min(u0, u1);
    const b = Math.max(u0, u1);
    if (this.kind === "categorical") {
      return [Math.ceil(this.value(a) - 1e-9) || 0, Math.floor(this.value(b) + 1e-9) || 0];
    }
    return [this.value(a), this.value(b)];
  }

  ticks(count = 5): Tick[] {
    if (this.kind === "categorical") {
      return this.categories.map((label, i) => ({ u: this.unit(i), label }));
    }
    if (this.kind === "log") {
      const out: Tick[] = [];
      for (let e = Math.ceil(this.lo - 1e-9); e <= Math.floor(this.hi + 1e-9); e++) out.push({ u: this.unit(10 ** e), label: fmt(10 ** e) });
      if (out.length >= 2) return out;
      return [0, 1].map((u) => ({ u, label: fmt(this.value(u)) }));
    }
    const span = this.hi - this.lo;
    const raw = span / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
    const out: Tick[] = [];
    for (let v = Math.ceil(this.lo / step) * step; v <= this.hi + step * 1e-9; v += step) {
      out.push({ u: this.unit(v), label: fmt(Math.abs(v) < step * 1e-9 ? 0 : v) });
    }
    return out;
  }
}
