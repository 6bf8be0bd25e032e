/**
 * One view of a Dashboard model: tab bar, shared run selector, notes, and one
 * pane per tab. A tab's panel is rendered the first time the tab is shown
 * (anywidget `host.getWidget(ref).render`), and stays alive afterwards. A tab
 * whose `ref` is "" has no panel yet: the kernel builds it when the tab is
 * selected (`selected_tab`) and sends its ref; the pane says so meanwhile.
 *
 * The run selection lives in the dashboard's `hidden_runs` and is pushed to
 * every child panel model that has a `hidden_runs` trait (client side, no
 * kernel round trip); a change made in a child (e.g. its legend) flows back.
 */
import type { AnyModel, Host } from "@anywidget/types";
import { paletteColor } from "../lib/colors";
import { onThemeChange, readTheme, type Theme } from "../lib/theme";
import {
  configKeys,
  filterRuns,
  groupRuns,
  runColors,
  sameList,
  setRuns,
  sourceBadge,
  toggleRun,
  type DashboardModel,
  type DashboardRun,
  type DashboardTab,
  type RunGrouping,
} from "./state";
import { el, setThemeVars, showText } from "../lib/dom";
import { onTraits } from "../lib/stream";

type ChildModel = AnyModel<Record<string, unknown>>;

const FILTER_MIN_RUNS = 8;
const TRAITS = ["tabs", "runs", "hidden_runs", "selected_tab", "problems", "unavailable", "status", "title"] as const;

export class DashboardView {
  readonly root: HTMLDivElement;
  private readonly model: AnyModel<DashboardModel>;
  private readonly host: Host;
  private readonly signal: AbortSignal;
  private readonly titleEl: HTMLDivElement;
  private readonly tabBar: HTMLDivElement;
  private readonly runsEl: HTMLDivElement;
  private readonly countEl: HTMLSpanElement;
  private readonly filterInput: HTMLInputElement;
  private readonly chipsEl: HTMLDivElement;
  private readonly notesEl: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly panes = new Map<string, HTMLDivElement>();
  private readonly rendered = new Set<string>();
  private readonly children = new Map<string, Promise<ChildModel | null>>();
  private readonly childColors = new Map<string, number>();
  private readonly cleanups: (() => void)[] = [];
  private theme: Theme;
  private filter = "";
  private readonly groupSelect: HTMLSelectElement;
  private readonly patternInput: HTMLInputElement;
  private grouping: RunGrouping = { kind: "none" };

  constructor(model: AnyModel<DashboardModel>, host: HTMLElement, widgetHost: Host, signal: AbortSignal) {
    this.model = model;
    this.host = widgetHost;
    this.signal = signal;
    this.root = el("div", "nbviz-root nbviz-dashboard");
    this.titleEl = el("div", "nbviz-dash-title");
    this.tabBar = el("div", "nbviz-dash-tabs");
    this.tabBar.setAttribute("role", "tablist");
    this.runsEl = el("div", "nbviz-dash-runs");
    const head = el("div", "nbviz-dash-runs-head");
    head.append(el("span", "nbviz-dash-label", "Runs"));
    this.countEl = el("span", "nbviz-dash-count");
    this.filterInput = el("input", "nbviz-dash-filter");
    this.filterInput.type = "search";
    this.filterInput.placeholder = "filter runs (regex)";
    this.filterInput.setAttribute("aria-label", "Filter runs");
    const all = el("button", "nbviz-dash-button", "all");
    all.type = "button";
    all.title = "Show every (filtered) run";
    const none = el("button", "nbviz-dash-button", "none");
    none.type = "button";
    none.title = "Hide every (filtered) run";
    this.groupSelect = el("select", "nbviz-dash-group-by");
    this.groupSelect.setAttribute("aria-label", "Group runs by");
    this.groupSelect.title = "Group runs by a name pattern or a config value";
    this.patternInput = el("input", "nbviz-dash-pattern");
    this.patternInput.type = "search";
    this.patternInput.placeholder = "name pattern (regex)";
    this.patternInput.value = "^[^_/=-]+";
    this.patternInput.setAttribute("aria-label", "Group runs by name pattern");
    this.patternInput.title = "Runs are grouped by the first capture group of this pattern (or the whole match)";
    this.patternInput.hidden = true;
    head.append(this.countEl, this.filterInput, this.groupSelect, this.patternInput, all, none);
    this.chipsEl = el("div", "nbviz-dash-chips");
    this.runsEl.append(head, this.chipsEl);
    this.notesEl = el("div", "nbviz-dash-notes");
    this.statusEl = el("div", "nbviz-dash-status");
    this.body = el("div", "nbviz-dash-body");
    this.root.append(this.titleEl, this.tabBar, this.runsEl, this.notesEl, this.statusEl, this.body);
    host.appendChild(this.root);

    this.theme = readTheme(host);
    this.applyTheme();
    this.cleanups.push(
      onThemeChange(() => {
        this.theme = readTheme(this.root);
        this.applyTheme();
        this.renderRuns();
      }),
    );
    const onFilter = () => {
      this.filter = this.filterInput.value;
      this.renderRuns();
    };
    this.filterInput.addEventListener("input", onFilter);
    const onGroup = () => {
      const v = this.groupSelect.value;
      this.grouping =
        v === "pattern"
          ? { kind: "pattern", pattern: this.patternInput.value }
          : v.startsWith("config:")
            ? { kind: "config", key: v.slice(7) }
            : { kind: "none" };
      this.patternInput.hidden = this.grouping.kind !== "pattern";
      this.renderRuns();
    };
    this.groupSelect.addEventListener("change", onGroup);
    this.patternInput.addEventListener("input", onGroup);
    all.addEventListener("click", () => this.setVisible(this.filteredRuns(), true));
    none.addEventListener("click", () => this.setVisible(this.filteredRuns(), false));

    this.cleanups.push(onTraits(model, TRAITS, (name) => this.update(name)));
    this.renderAll();
  }

  destroy(): void {
    for (const c of this.cleanups.splice(0)) c();
    this.root.remove();
  }

  // ------------------------------------------------------------------ model in

  private update(name: (typeof TRAITS)[number]): void {
    if (name === "tabs") {
      this.renderTabs();
      this.syncChildren();
    } else if (name === "selected_tab") {
      this.showSelected();
    } else if (name === "runs" || name === "hidden_runs") {
      this.renderRuns();
      if (name === "hidden_runs") this.pushHidden();
    } else {
      this.renderNotes();
    }
  }

  private renderAll(): void {
    this.renderTabs();
    this.renderRuns();
    this.renderNotes();
    this.syncChildren();
  }

  private applyTheme(): void {
    setThemeVars(this.root, this.theme);
  }

  // ------------------------------------------------------------------ tabs

  private tabs(): DashboardTab[] {
    return this.model.get("tabs") ?? [];
  }

  private selectedName(): string {
    const tabs = this.tabs();
    const want = this.model.get("selected_tab");
    return tabs.some((t) => t.name === want) ? want : (tabs[0]?.name ?? "");
  }

  private renderTabs(): void {
    const tabs = this.tabs();
    this.tabBar.replaceChildren();
    for (const tab of tabs) {
      const button = el("button", "nbviz-dash-tab", tab.label);
      button.type = "button";
      button.setAttribute("role", "tab");
      button.dataset.tab = tab.name;
      button.addEventListener("click", () => {
        this.model.set("selected_tab", tab.name);
        this.model.save_changes();
        this.showSelected();
      });
      button.addEventListener("keydown", (event) => this.onTabKey(event, tab.name));
      this.tabBar.appendChild(button);
      if (!this.panes.has(tab.name)) {
        const pane = el("div", "nbviz-dash-pane");
        pane.setAttribute("role", "tabpanel");
        pane.dataset.tab = tab.name;
        pane.hidden = true;
        this.panes.set(tab.name, pane);
        this.body.appendChild(pane);
      }
    }
    this.tabBar.hidden = tabs.length === 0;
    this.showSelected();
  }

  private onTabKey(event: KeyboardEvent, name: string): void {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const tabs = this.tabs();
    const index = tabs.findIndex((t) => t.name === name);
    const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    if (!next) return;
    event.preventDefault();
    this.model.set("selected_tab", next.name);
    this.model.save_changes();
    this.showSelected();
    (this.tabBar.querySelector(`[data-tab="${CSS.escape(next.name)}"]`) as HTMLElement | null)?.focus();
  }

  private showSelected(): void {
    const selected = this.selectedName();
    for (const button of Array.from(this.tabBar.children) as HTMLElement[]) {
      const on = button.dataset.tab === selected;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
    }
    for (const [name, pane] of this.panes) pane.hidden = name !== selected;
    const tab = this.tabs().find((t) => t.name === selected);
    if (tab) void this.renderPane(tab);
  }

  private async renderPane(tab: DashboardTab): Promise<void> {
    if (this.rendered.has(tab.name)) return;
    const pane = this.panes.get(tab.name);
    if (!pane) return;
    if (!tab.ref) {
      if (pane.childElementCount === 0) {
        pane.appendChild(el("div", "nbviz-dash-status", `Loading the ${tab.label} panel…`));
      }
      return;
    }
    pane.replaceChildren();
    this.rendered.add(tab.name);
    try {
      const widget = await this.host.getWidget(tab.ref);
      await widget.render({ el: pane, signal: this.signal });
    } catch (error) {
      this.rendered.delete(tab.name);
      const message = el("div", "nbviz-dash-error", `Could not show the ${tab.label} panel: ${String(error)}`);
      pane.replaceChildren(message);
      console.error("nbviz dashboard:", error);
    }
  }

  // ------------------------------------------------------------------ runs

  private runNames(): string[] {
    return (this.model.get("runs") ?? []).map((r) => r.name);
  }

  private filteredRuns(): string[] {
    return filterRuns(this.runNames(), this.filter);
  }

  private setVisible(runs: string[], visible: boolean): void {
    const hidden = setRuns(this.model.get("hidden_runs") ?? [], runs, visible);
    this.setHidden(hidden);
  }

  private setHidden(hidden: string[]): void {
    if (sameList(hidden, this.model.get("hidden_runs") ?? [])) return;
    this.model.set("hidden_runs", hidden);
    this.model.save_changes();
    this.renderRuns();
    this.pushHidden();
  }

  private renderRuns(): void {
    const runs = this.model.get("runs") ?? [];
    const hidden = new Set(this.model.get("hidden_runs") ?? []);
    this.runsEl.hidden = runs.length === 0;
    const keys = configKeys(runs);
    this.filterInput.hidden = runs.length < FILTER_MIN_RUNS;
    this.groupSelect.hidden = runs.length < FILTER_MIN_RUNS && keys.length === 0;
    this.renderGroupOptions(keys);
    const shown = new Set(this.filteredRuns());
    const colors = runColors(
      runs.map((r) => r.name),
      this.childColors,
    );
    const visible = runs.filter((r) => !hidden.has(r.name)).length;
    this.countEl.textContent = `${visible}/${runs.length} shown`;
    this.chipsEl.replaceChildren();
    const grouped = this.grouping.kind !== "none";
    for (const group of groupRuns(
      runs.filter((r) => shown.has(r.name)),
      this.grouping,
    )) {
      const box = grouped ? this.groupHeader(group.key, group.runs, hidden) : this.chipsEl;
      for (const run of group.runs) box.appendChild(this.chip(run, hidden, colors));
    }
  }

  private renderGroupOptions(keys: string[]): void {
    const want = ["none", "pattern", ...keys.map((k) => `config:${k}`)];
    const have = Array.from(this.groupSelect.options, (o) => o.value);
    if (sameList(want, have)) return;
    const current = this.groupSelect.value;
    this.groupSelect.replaceChildren();
    for (const value of want) {
      const text = value === "none" ? "no grouping" : value === "pattern" ? "group: name pattern" : `group: ${value.slice(7)}`;
      const option = el("option", undefined, text);
      option.value = value;
      this.groupSelect.appendChild(option);
    }
    this.groupSelect.value = want.includes(current) ? current : "none";
  }

  /** A group's row in the selector (its checkbox shows/hides all its runs); returns where its chips go. */
  private groupHeader(key: string, runs: DashboardRun[], hidden: Set<string>): HTMLElement {
    const row = el("div", "nbviz-dash-group");
    const label = el("label", "nbviz-dash-group-head");
    const box = el("input");
    box.type = "checkbox";
    const on = runs.filter((r) => !hidden.has(r.name)).length;
    box.checked = on === runs.length;
    box.indeterminate = on > 0 && on < runs.length;
    box.addEventListener("change", () =>
      this.setVisible(
        runs.map((r) => r.name),
        box.checked,
      ),
    );
    label.append(box, el("span", "nbviz-dash-group-key", key), el("span", "nbviz-dash-count", `${on}/${runs.length}`));
    label.title = key;
    row.dataset.group = key;
    const chips = el("div", "nbviz-dash-group-chips");
    row.append(label, chips);
    this.chipsEl.appendChild(row);
    return chips;
  }

  private chip(run: DashboardRun, hidden: Set<string>, colors: Map<string, number>): HTMLElement {
    const chip = el("label", "nbviz-dash-chip");
    const off = hidden.has(run.name);
    chip.classList.toggle("nbviz-off", off);
    chip.title = `${run.name} — ${run.source}; data: ${run.kinds.join(", ") || "none yet"}`;
    const box = el("input");
    box.type = "checkbox";
    box.checked = !off;
    box.addEventListener("change", () => {
      this.setHidden(toggleRun(this.model.get("hidden_runs") ?? [], run.name, box.checked));
    });
    const swatch = el("span", "nbviz-dash-swatch");
    swatch.style.background = paletteColor(colors.get(run.name) ?? 0);
    chip.append(box, swatch, el("span", "nbviz-dash-run", run.name));
    const badge = sourceBadge(run.source);
    if (badge) chip.appendChild(el("span", "nbviz-dash-badge", badge));
    chip.dataset.run = run.name;
    return chip;
  }

  // ------------------------------------------------------------------ notes

  private renderNotes(): void {
    showText(this.titleEl, this.model.get("title") ?? "");
    showText(this.statusEl, this.model.get("status") ?? "");
    this.notesEl.replaceChildren();
    for (const item of this.model.get("unavailable") ?? []) {
      this.notesEl.appendChild(el("div", "nbviz-dash-unavailable", `${item.label}: ${item.reason}`));
    }
    const problems = this.model.get("problems") ?? [];
    if (problems.length) {
      const details = el("details", "nbviz-dash-problems");
      details.appendChild(
        el("summary", undefined, `${problems.length} note(s) while reading: some data was skipped or repaired`),
      );
      const list = el("ul");
      for (const p of problems) list.appendChild(el("li", undefined, p));
      details.appendChild(list);
      this.notesEl.appendChild(details);
    }
    this.notesEl.hidden = this.notesEl.childElementCount === 0;
  }

  // ------------------------------------------------------------------ children

  private child(tab: DashboardTab): Promise<ChildModel | null> {
    if (!tab.ref) return Promise.resolve(null); // not built yet (see renderPane)
    let promise = this.children.get(tab.ref);
    if (!promise) {
      promise = this.host
        .getModel<Record<string, unknown>>(tab.ref)
        .then((m) => {
          this.watchChild(m);
          return m;
        })
        .catch((error: unknown) => {
          console.error("nbviz dashboard: child model", error);
          return null;
        });
      this.children.set(tab.ref, promise);
    }
    return promise;
  }

  private watchChild(child: ChildModel): void {
    if (child.get("hidden_runs") !== undefined) {
      const onHidden = () => {
        const theirs = (child.get("hidden_runs") as string[] | undefined) ?? [];
        const sorted = [...theirs].sort();
        if (!sameList(sorted, this.model.get("hidden_runs") ?? [])) this.setHidden(sorted);
      };
      child.on("change:hidden_runs", onHidden);
      this.cleanups.push(() => child.off("change:hidden_runs", onHidden));
    }
    if (Array.isArray(child.get("series"))) {
      const onSeries = () => {
        const series = (child.get("series") as { run?: unknown; color?: unknown }[] | undefined) ?? [];
        let changed = false;
        for (const s of series) {
          if (typeof s.run === "string" && typeof s.color === "number" && !this.childColors.has(s.run)) {
            this.childColors.set(s.run, s.color);
            changed = true;
          }
        }
        if (changed) this.renderRuns();
      };
      // Only the first panel's colours (Scalars comes first) define the swatches.
      if (this.childColors.size === 0) {
        child.on("change:series", onSeries);
        this.cleanups.push(() => child.off("change:series", onSeries));
        onSeries();
      }
    }
  }

  private syncChildren(): void {
    for (const tab of this.tabs()) void this.child(tab).then(() => this.pushHidden());
  }

  private pushHidden(): void {
    const hidden = this.model.get("hidden_runs") ?? [];
    for (const tab of this.tabs()) {
      void this.child(tab).then((child) => {
        if (!child || child.get("hidden_runs") === undefined) return;
        const theirs = [...((child.get("hidden_runs") as string[] | undefined) ?? [])].sort();
        if (sameList(theirs, hidden)) return;
        child.set("hidden_runs", [...hidden]);
        child.save_changes();
      });
    }
  }
}
