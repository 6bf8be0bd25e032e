/**
 * Pure helpers of the Dashboard view (no DOM): the model interface, run
 * filtering, the shared run selection and run colours.
 */

/** One tab: a child panel widget (`ref` = "anywidget:<model id>"). */
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
