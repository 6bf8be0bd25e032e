/**
 * One view of a PRCurves model: toolbar (PR / ROC, overlay steps, tag filter),
 * run and class filters, and one card per tag. Redraws are coalesced to one
 * per animation frame.
 */
import type { AnyModel } from "@anywidget/types";
import { paletteColor } from "../../lib/colors";
import { fmtCount } from "../../lib/format";
import { compileTagFilter, compareNatural } from "../../lib/tags";
import { onThemeChange, readTheme } from "../../lib/theme";
import { PrCard, type CardParams } from "./card";
import type { ThemeBox } from "./chart";
import type { SeriesData, TagData } from "./data";
import type { View } from "./metrics";
import type { PrModel, PrState } from "./model";
import { el, frameScheduler, setThemeVars } from "../../lib/dom";
import { onTraits } from "../../lib/stream";

const TRAITS = ["view", "overlay_steps", "tag_filter", "hidden_runs", "hidden_series", "title"] as const;

export class PrView {
  readonly root: HTMLDivElement;
  private readonly model: AnyModel<PrModel>;
  private readonly state: PrState;
  private readonly theme: ThemeBox;
  private readonly titleEl: HTMLDivElement;
  private readonly viewBtns: Map<View, HTMLButtonElement>;
  private readonly overlayBox: HTMLInputElement;
  private readonly filterInput: HTMLInputElement;
  private readonly runsEl: HTMLDivElement;
  private readonly classesRow: HTMLDivElement;
  private readonly classesEl: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly cardsEl: HTMLDivElement;
  private readonly cards = new Map<string, PrCard>();
  private readonly cleanups: (() => void)[] = [];
  private filterTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly frame = frameScheduler(() => this.flush());
  private destroyed = false;
  /** completed flushes (diagnostics / tests) */
  flushes = 0;

  constructor(model: AnyModel<PrModel>, host: HTMLElement, state: PrState) {
    this.model = model;
    this.state = state;
    this.root = el("div", "nbviz-root nbviz-pr");
    host.appendChild(this.root);
    this.theme = { current: readTheme(host) };
    this.titleEl = el("div", "nbviz-pr-title");

    const bar = el("div", "nbviz-pr-toolbar");
    const seg = el("div", "nbviz-pr-seg");
    seg.setAttribute("role", "group");
    seg.setAttribute("aria-label", "Curve type");
    this.viewBtns = new Map();
    for (const [v, label, tip] of [
      ["pr", "PR", "Precision–recall curves"],
      ["roc", "ROC", "ROC curves (true vs false positive rate)"],
    ] as const) {
      const b = el("button", "nbviz-pr-view-btn", label);
      b.type = "button";
      b.dataset.view = v;
      b.title = tip;
      seg.appendChild(b);
      this.viewBtns.set(v, b);
    }
    const overlayLabel = el("label", "nbviz-pr-field nbviz-pr-check");
    this.overlayBox = el("input", "nbviz-pr-overlay");
    this.overlayBox.type = "checkbox";
    overlayLabel.title = "Draw earlier steps too, older ones fainter";
    overlayLabel.append(this.overlayBox, el("span", "nbviz-pr-label", "Overlay steps"));
    this.filterInput = el("input", "nbviz-pr-filter");
    this.filterInput.type = "search";
    this.filterInput.placeholder = "Filter tags (regex)";
    this.filterInput.spellcheck = false;
    this.filterInput.setAttribute("aria-label", "Filter tags (regular expression)");
    bar.append(seg, overlayLabel, this.filterInput);

    this.runsEl = el("div", "nbviz-pr-runs");
    this.classesRow = el("div", "nbviz-pr-classes-row");
    const classesLabel = el("span", "nbviz-pr-label", "Classes");
    this.classesEl = el("div", "nbviz-pr-classes");
    const allBtn = el("button", "nbviz-pr-link", "all");
    allBtn.type = "button";
    allBtn.dataset.action = "all";
    const avgBtn = el("button", "nbviz-pr-link", "averages only");
    avgBtn.type = "button";
    avgBtn.dataset.action = "averages";
    this.classesRow.append(classesLabel, this.classesEl, allBtn, avgBtn);
    this.statusEl = el("div", "nbviz-pr-status");
    this.emptyEl = el("div", "nbviz-pr-empty", "No PR curves yet — waiting for data (run.log_pr or add_pr_curve)…");
    this.cardsEl = el("div", "nbviz-pr-cards");
    const meta = el("div", "nbviz-pr-meta");
    meta.append(this.runsEl, this.statusEl);
    this.root.append(this.titleEl, bar, meta, this.classesRow, this.emptyEl, this.cardsEl);

    const on = (t: EventTarget, type: string, cb: (e: Event) => void) => {
      t.addEventListener(type, cb);
      this.cleanups.push(() => t.removeEventListener(type, cb));
    };
    for (const [v, b] of this.viewBtns) {
      on(b, "click", () => this.save("view", v));
    }
    on(this.overlayBox, "change", () => this.save("overlay_steps", this.overlayBox.checked));
    on(this.filterInput, "input", () => {
      if (this.filterTimer !== null) clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => {
        this.filterTimer = null;
        this.save("tag_filter", this.filterInput.value);
      }, 150);
    });
    on(this.runsEl, "click", (e) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>(".nbviz-legend-item");
      if (item && this.runsEl.contains(item)) this.toggleRun(item.dataset.run ?? "");
    });
    on(this.classesEl, "click", (e) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>(".nbviz-pr-class");
      if (item && this.classesEl.contains(item)) this.toggleSeries(item.dataset.series ?? "");
    });
    on(allBtn, "click", () => this.save("hidden_series", []));
    on(avgBtn, "click", () => {
      const names = this.allSeries().filter((n) => n.kind === "class").map((n) => n.name);
      this.save("hidden_series", names);
    });

    this.applyThemeVars();
    this.syncControls();
    this.cleanups.push(state.subscribe(() => this.schedule()));
    this.cleanups.push(onTraits(model, TRAITS, () => {
      this.syncControls();
      this.schedule();
    }));
    const retheme = () => {
      const t = readTheme(this.root);
      if (JSON.stringify(t) === JSON.stringify(this.theme.current)) return;
      this.theme.current = t;
      this.applyThemeVars();
      this.schedule(); // chips and cards use theme colours (averages: the foreground)
    };
    this.cleanups.push(onThemeChange(retheme));
    requestAnimationFrame(() => {
      if (!this.destroyed) retheme();
    });
    this.schedule();
  }

  destroy(): void {
    this.destroyed = true;
    this.frame.cancel();
    if (this.filterTimer !== null) clearTimeout(this.filterTimer);
    for (const c of this.cleanups) c();
    this.cleanups.length = 0;
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.root.remove();
  }

  private save<K extends keyof PrModel>(name: K, value: PrModel[K]): void {
    this.model.set(name, value);
    this.model.save_changes();
  }

  private get hiddenRuns(): Set<string> {
    return new Set(this.model.get("hidden_runs") ?? []);
  }

  private get hiddenSeries(): Set<string> {
    return new Set(this.model.get("hidden_series") ?? []);
  }

  private toggleRun(run: string): void {
    const h = this.hiddenRuns;
    if (h.has(run)) h.delete(run);
    else h.add(run);
    this.save("hidden_runs", [...h]);
  }

  private toggleSeries(series: string): void {
    const h = this.hiddenSeries;
    if (h.has(series)) h.delete(series);
    else h.add(series);
    this.save("hidden_series", [...h]);
  }

  private syncControls(): void {
    const view: View = this.model.get("view") === "roc" ? "roc" : "pr";
    for (const [v, b] of this.viewBtns) {
      b.classList.toggle("nbviz-on", v === view);
      b.setAttribute("aria-pressed", String(v === view));
    }
    this.overlayBox.checked = !!this.model.get("overlay_steps");
    const f = this.model.get("tag_filter") ?? "";
    if (this.filterInput.value !== f && this.filterTimer === null) this.filterInput.value = f;
    const filter = compileTagFilter(f);
    this.filterInput.classList.toggle("nbviz-invalid", filter.kind === "substring");
    const title = this.model.get("title") ?? "";
    this.titleEl.textContent = title;
    this.titleEl.hidden = title === "";
  }

  private applyThemeVars(): void {
    setThemeVars(this.root, this.theme.current);
  }

  private schedule(): void {
    if (!this.destroyed) this.frame.request();
  }

  /** Class names (and averages) over all tags, classes by index then name. */
  private allSeries(): { name: string; kind: SeriesData["kind"]; color: number }[] {
    const seen = new Map<string, { name: string; kind: SeriesData["kind"]; color: number; index: number }>();
    for (const t of this.state.data.tags().values()) {
      for (const s of t.series) {
        if (s.kind === "binary" || seen.has(s.series)) continue;
        seen.set(s.series, { name: s.series, kind: s.kind, color: s.color, index: s.classIndex });
      }
    }
    const rank = { binary: 0, class: 0, micro: 1, macro: 2 } as const;
    return [...seen.values()].sort(
      (a, b) => rank[a.kind] - rank[b.kind] || a.index - b.index || compareNatural(a.name, b.name),
    );
  }

  flush(): void {
    if (this.destroyed) return;
    const data = this.state.data;
    const tags = data.tags();
    const filter = compileTagFilter(this.model.get("tag_filter"));
    const hiddenRuns = this.hiddenRuns;
    const hiddenSeries = this.hiddenSeries;
    const view: View = this.model.get("view") === "roc" ? "roc" : "pr";
    const runs = data.runs();

    this.renderRuns(runs, tags, hiddenRuns);
    const classes = this.allSeries();
    this.classesRow.hidden = classes.length === 0;
    this.renderClasses(classes, hiddenSeries);

    const shown: TagData[] = [...tags.values()].filter((t) => filter(t.tag));
    let steps = 0;
    for (const t of tags.values()) steps = Math.max(steps, t.steps.length);
    this.emptyEl.hidden = tags.size > 0 && shown.length > 0;
    if (tags.size > 0 && shown.length === 0) {
      this.emptyEl.textContent = `No tags match “${this.model.get("tag_filter") ?? ""}”`;
    }
    this.statusEl.hidden = tags.size === 0;
    this.statusEl.textContent = [
      `${fmtCount(runs.length)} run${runs.length === 1 ? "" : "s"}`,
      `${fmtCount(shown.length)}${shown.length !== tags.size ? ` of ${fmtCount(tags.size)}` : ""} tag${tags.size === 1 ? "" : "s"}`,
      `${fmtCount(data.curves.size)} curves`,
      `up to ${fmtCount(steps)} step${steps === 1 ? "" : "s"} per tag`,
    ].join(" · ");

    const params: CardParams = {
      view,
      overlay: !!this.model.get("overlay_steps"),
      hiddenRuns,
      hiddenSeries,
      toggle: (s) => (s.kind === "binary" ? this.toggleRun(s.run) : this.toggleSeries(s.series)),
    };
    const keep = new Set(shown.map((t) => t.tag));
    for (const [tag, card] of this.cards) {
      if (!keep.has(tag)) {
        card.destroy();
        this.cards.delete(tag);
      }
    }
    for (const t of shown) {
      let card = this.cards.get(t.tag);
      if (!card) {
        card = new PrCard(t.tag, this.theme);
        this.cards.set(t.tag, card);
      }
      this.cardsEl.appendChild(card.el); // keeps natural tag order
      try {
        card.update(t, params);
      } catch (e) {
        console.error(`nbviz: PR chart ${t.tag} failed`, e);
      }
    }
    this.root.dataset.curves = String(data.curves.size);
    this.root.dataset.tags = String(shown.length);
    this.flushes++;
    this.root.dispatchEvent(new CustomEvent("nbviz:render", { bubbles: true }));
  }

  private renderRuns(runs: string[], tags: Map<string, TagData>, hidden: Set<string>): void {
    this.runsEl.textContent = "";
    if (runs.length < 2) return;
    // binary curves are coloured by run; show the colour the kernel gave each run
    const colors = new Map<string, number>();
    for (const t of tags.values()) {
      for (const s of t.series) if (s.kind === "binary" && !colors.has(s.run)) colors.set(s.run, s.color);
    }
    runs.forEach((run, k) => {
      const b = el("button", "nbviz-legend-item");
      b.type = "button";
      b.dataset.run = run;
      b.title = run;
      const sw = el("span", "nbviz-swatch");
      sw.style.background = paletteColor(colors.get(run) ?? k);
      b.append(sw, el("span", "nbviz-run-name", run));
      const off = hidden.has(run);
      b.classList.toggle("nbviz-off", off);
      b.setAttribute("aria-pressed", String(!off));
      this.runsEl.appendChild(b);
    });
  }

  private renderClasses(classes: { name: string; kind: SeriesData["kind"]; color: number }[], hidden: Set<string>): void {
    this.classesEl.textContent = "";
    for (const c of classes) {
      const b = el("button", "nbviz-pr-class");
      b.type = "button";
      b.dataset.series = c.name;
      const sw = el("span", "nbviz-swatch");
      sw.style.background = c.color >= 0 ? paletteColor(c.color) : this.theme.current.foreground;
      const label = c.kind === "micro" ? "micro avg" : c.kind === "macro" ? "macro avg" : c.name;
      b.append(sw, el("span", "nbviz-run-name", label));
      const off = hidden.has(c.name);
      b.classList.toggle("nbviz-off", off);
      b.setAttribute("aria-pressed", String(!off));
      b.title = `${off ? "Show" : "Hide"} ${label}`;
      this.classesEl.appendChild(b);
    }
  }
}
