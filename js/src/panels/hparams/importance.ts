/** Parameter importance: one row per hparam, an importance bar and a correlation bar. */
import type { ImportanceRow } from "./model";
import { el } from "../../lib/dom";

export function renderImportance(host: HTMLElement, rows: ImportanceRow[], message: string, metric: string): void {
  host.replaceChildren();
  host.appendChild(el("div", "nbviz-hp-subtitle", `Importance for ${metric || "—"}`));
  if (message) host.appendChild(el("div", "nbviz-hp-note", message));
  const list = el("div", "nbviz-hp-imp");
  const head = el("div", "nbviz-hp-imp-row nbviz-hp-imp-head");
  head.append(el("span", undefined, "hparam"), el("span", undefined, "importance"), el("span", undefined, "correlation"));
  list.appendChild(head);
  for (const r of rows) {
    const row = el("div", "nbviz-hp-imp-row");
    row.dataset.hparam = r.hparam;
    const name = el("span", "nbviz-hp-imp-name", r.hparam);
    name.title = r.hparam;
    const imp = el("span", "nbviz-hp-bar");
    const fill = el("span", "nbviz-hp-bar-fill");
    fill.style.width = `${Math.round((r.importance ?? 0) * 100)}%`;
    imp.append(fill, el("span", "nbviz-hp-bar-text", r.importance === null ? "–" : r.importance.toFixed(3)));
    const corr = el("span", "nbviz-hp-bar nbviz-hp-corr");
    const c = r.correlation ?? 0;
    const cf = el("span", `nbviz-hp-bar-fill ${c < 0 ? "nbviz-hp-neg" : "nbviz-hp-pos"}`);
    if (r.correlation_kind === "eta") {
      cf.style.left = "0";
      cf.style.width = `${Math.round(Math.abs(c) * 100)}%`;
    } else {
      cf.style.left = c < 0 ? `${50 + c * 50}%` : "50%";
      cf.style.width = `${Math.round(Math.abs(c) * 50)}%`;
    }
    const label = r.correlation === null ? "–" : `${r.correlation_kind === "eta" ? "η " : ""}${r.correlation.toFixed(2)}`;
    corr.append(cf, el("span", "nbviz-hp-bar-text", label));
    corr.title = r.correlation_kind === "eta" ? "correlation ratio η (categorical, unsigned)" : "Pearson correlation";
    row.append(name, imp, corr);
    list.appendChild(row);
  }
  host.appendChild(list);
}
