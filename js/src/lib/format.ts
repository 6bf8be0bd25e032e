/** Number / time formatting for axes and tooltips. */

/** A value for the tooltip: NaN → "NaN", ±Inf → "Inf"/"-Inf", else ~5 significant digits. */
export function fmtValue(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(5)));
}

/**
 * en-US number formats, made on first use: the first Intl.NumberFormat of a page loads
 * ICU's number data (about 20 ms of main thread in a fresh tab), which must not be paid
 * while a bundle that imports this module is evaluated.
 */
const numberFormats = new Map<number, Intl.NumberFormat>();
function numberFormat(maximumFractionDigits: number): Intl.NumberFormat {
  let f = numberFormats.get(maximumFractionDigits);
  if (!f) {
    f = new Intl.NumberFormat("en-US", { maximumFractionDigits });
    numberFormats.set(maximumFractionDigits, f);
  }
  return f;
}

/** A step number: integers with thousands separators. */
export function fmtStep(v: number): string {
  if (!Number.isFinite(v)) return fmtValue(v);
  return numberFormat(Number.isInteger(v) ? 0 : 3).format(v);
}

export function fmtCount(n: number): string {
  return numberFormat(0).format(n);
}

/** Compact tick label: 1.5k, 20M, 1e-5, 0.25. */
export function fmtTick(v: number): string {
  if (!Number.isFinite(v)) return fmtValue(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-4) return v.toExponential(1).replace(/\.0e/, "e");
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [u, s] of units) {
    if (a >= u) return `${Number((v / u).toPrecision(4))}${s}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** Duration in hours as "2h 05m" / "3m 20s" / "12.5s". */
export function fmtHours(h: number): string {
  if (!Number.isFinite(h)) return fmtValue(h);
  const sign = h < 0 ? "-" : "";
  let s = Math.abs(h) * 3600;
  if (s < 60) return `${sign}${Number(s.toPrecision(3))}s`;
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = Math.floor(s / 60);
  const ss = Math.floor(s - mm * 60);
  if (hh === 0) return `${sign}${mm}m ${String(ss).padStart(2, "0")}s`;
  if (hh < 100) return `${sign}${hh}h ${String(mm).padStart(2, "0")}m`;
  return `${sign}${hh}h`;
}

/** Unix seconds → local date-time string. */
export function fmtWall(sec: number): string {
  if (!Number.isFinite(sec)) return fmtValue(sec);
  const d = new Date(sec * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/**
 * Nice tick increments for a relative-time axis, in hours (1 s … 64 weeks).
 * Rounded to 12 significant digits: uPlot rejects increments with more than
 * ~16 decimals; labels round back to whole seconds.
 */
export const RELATIVE_INCRS_H: number[] = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
]
  .map((s) => Number((s / 3600).toPrecision(12)))
  .concat([336, 672, 1344, 2688, 5376, 10752]);

/** Tick label for a relative-time axis (value and increment in hours). */
export function fmtRelTick(h: number, incrH: number): string {
  if (!Number.isFinite(h)) return fmtValue(h);
  const sign = h < 0 ? "-" : "";
  const t = Math.round(Math.abs(h) * 3600);
  const incr = incrH * 3600;
  if (t === 0) return "0";
  const d = Math.floor(t / 86400);
  const hh = Math.floor((t % 86400) / 3600);
  const mm = Math.floor((t % 3600) / 60);
  const ss = t % 60;
  let out: string;
  if (incr < 60) out = t < 60 ? `${ss}s` : `${Math.floor(t / 60)}m${ss ? ` ${ss}s` : ""}`;
  else if (incr < 3600) out = t < 3600 ? `${Math.floor(t / 60)}m` : `${Math.floor(t / 3600)}h${mm ? ` ${mm}m` : ""}`;
  else if (incr < 86400) out = t < 86400 ? `${Math.floor(t / 3600)}h` : `${d}d${hh ? ` ${hh}h` : ""}`;
  else out = `${d}d${hh ? ` ${hh}h` : ""}`;
  return sign + out;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Tick labels for a wall-time axis (unix seconds): "HH:MM" (":SS" when the
 * increment is under a minute), with the date on a second line on the first
 * tick and wherever the day changes; dates only for increments of a day+.
 */
export function fmtWallTicks(splits: number[], incr: number): string[] {
  const pad = (n: number) => String(n).padStart(2, "0");
  let prevDay = "";
  return splits.map((v) => {
    if (!Number.isFinite(v)) return "";
    const d = new Date(v * 1000);
    const day = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
    if (incr >= 86400) {
      prevDay = day;
      return day;
    }
    let time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (incr < 60) time += `:${pad(d.getSeconds())}`;
    const label = day !== prevDay ? `${time}\n${day}` : time;
    prevDay = day;
    return label;
  });
}
