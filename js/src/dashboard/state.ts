/**
 * Pure helpers of the Dashboard view (no DOM): the model interface, run
 * filtering, the shared run selection and run colours.
 */
import { compareNatural } from "../lib/tags";

/** One tab: a child panel widget (`ref` = "anywidget:<model id>", "" until the kernel builds it). */
export interface DashboardTab {
  name: string;
  label: string;
  kinds: string[];
  ref: string;
}

/** One run found under the dashboard's logdir(s). */
export interface DashboardRun {
  name: string;
  /** "nbviz", "tensorboard" or "nbviz+tensorboard" */
  source: string;
  kinds: string[];
  /** the run's config (scalar values, nested keys dotted); absent for TensorBoard runs */
  config?: Record<string, string | number | boolean | null>;
}

/** A panel that has data but could not be shown, and why. */
export interface DashboardUnavailable {
  name: string;
  label: string;
  reason: string;
}

/** Synced traits of `nbviz.widgets.dashboard.Dashboard` (same names as in Python). */
export interface DashboardModel {
  tabs: DashboardTab[];
  runs: DashboardRun[];
  hidden_runs: string[];
  selected_tab: string;
  problems: string[];
  unavailable: DashboardUnavailable[];
  status: string;
  title: string;
}

/** Same members in the same order. */
export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Run names matching `filter`: a case-insensitive regular expression, or a
 * plain substring when the filter is not a valid expression.
 */
export function filterRuns(names: readonly string[], filter: string): string[] {
  const f = filter.trim();
  if (!f) return [...names];
  let test: (s: string) => boolean;
  try {
    const re = new RegExp(f, "i");
    test = (s) => re.test(s);
  } catch {
    const low = f.toLowerCase();
    test = (s) => s.toLowerCase().includes(low);
  }
  return names.filter(test);
}

/** `hidden` with `run` shown (`visible` true) or hidden, sorted, without duplicates. */
export function toggleRun(hidden: readonly string[], run: string, visible: boolean): string[] {
  const set = new Set(hidden);
  if (visible) set.delete(run);
  else set.add(run);
  return [...set].sort();
}

/** Show (`visible` true) or hide every run of `runs` at once. */
export function setRuns(hidden: readonly string[], runs: readonly string[], visible: boolean): string[] {
  const set = new Set(hidden);
  for (const r of runs) {
    if (visible) set.delete(r);
    else set.add(r);
  }
  return [...set].sort();
}

/**
 * Palette index per run: the colour a panel already gave the run (e.g. the
 * Scalars panel's `series[].color`) wins, so the selector matches the charts;
 * other runs get the next free indices in dashboard order.
 */
export function runColors(
  runs: readonly string[],
  panelColors: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const r of runs) {
    const c = panelColors.get(r);
    if (c !== undefined) {
      out.set(r, c);
      used.add(c);
    }
  }
  let next = 0;
  for (const r of runs) {
    if (out.has(r)) continue;
    while (used.has(next)) next++;
    out.set(r, next);
    used.add(next);
  }
  return out;
}

/** Short label for a run's source. */
export function sourceBadge(source: string): string {
  if (source === "tensorboard") return "TB";
  if (source === "nbviz+tensorboard") return "nbviz+TB";
  return "";
}

/** How the run selector groups runs: not at all, by a name pattern, or by a config value. */
export type RunGrouping = { kind: "none" } | { kind: "pattern"; pattern: string } | { kind: "config"; key: string };

export interface RunGroup {
  /** the group's label: the matched text, "key=value", or a "(…)" placeholder */
  key: string;
  runs: DashboardRun[];
}

export const NO_MATCH = "(no match)";
export const NOT_SET = "(not set)";

/** Config keys of any run, sorted. */
export function configKeys(runs: readonly DashboardRun[]): string[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.config ?? {})) keys.add(k);
  return [...keys].sort(compareNatural);
}

/**
 * The group of each run: for a name pattern (case-insensitive regular expression,
 * or plain text when it does not compile) the first capture group, else the whole
 * match; for a config key "key=value". Groups in natural order, placeholders last.
 */
export function groupRuns(runs: readonly DashboardRun[], grouping: RunGrouping): RunGroup[] {
  let keyOf: (r: DashboardRun) => string;
  if (grouping.kind === "none") return [{ key: "", runs: [...runs] }];
  if (grouping.kind === "pattern") {
    const p = grouping.pattern.trim();
    let re: RegExp | null = null;
    try {
      re = p ? new RegExp(p, "i") : null;
    } catch {
      re = null;
    }
    const low = p.toLowerCase();
    keyOf = (r) => {
      if (re) {
        const m = re.exec(r.name);
        return m ? (m[1] ?? m[0]) : NO_MATCH;
      }
      return p && r.name.toLowerCase().includes(low) ? p : NO_MATCH;
    };
  } else {
    const key = grouping.key;
    keyOf = (r) => {
      const v = r.config?.[key];
      return v === undefined ? NOT_SET : `${key}=${String(v)}`;
    };
  }
  const groups = new Map<string, DashboardRun[]>();
  for (const r of runs) {
    const k = keyOf(r);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(r);
  }
  const last = (k: string) => (k === NO_MATCH || k === NOT_SET ? 1 : 0);
  return [...groups.entries()]
    .sort((a, b) => last(a[0]) - last(b[0]) || compareNatural(a[0], b[0]))
    .map(([key, list]) => ({ key, runs: list }));
}
