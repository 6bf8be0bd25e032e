/**
 * nbviz Dashboard — anywidget front end (see docs/wire.md, "Dashboard"):
 * tabs of child panels, one shared run selector, notes about skipped data.
 */
import type { Render } from "@anywidget/types";
import panelCss from "./dashboard.css";
import type { DashboardModel } from "./state";
import { DashboardView } from "./view";

export type { DashboardModel } from "./state";

const STYLE_ID = "nbviz-dashboard-style";

function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = panelCss;
  document.head.appendChild(style);
}

const render: Render<DashboardModel> = ({ model, el, host, signal }) => {
  injectStyle();
  if (typeof host?.getWidget !== "function") {
    // Widget composition (render a child widget inside this one) came with anywidget 0.11.
    el.textContent =
      "nbviz.Dashboard needs anywidget >= 0.11 in the notebook frontend (pip install -U anywidget); " +
      "the panels can still be shown one by one, e.g. nbviz.Scalars(logdir).";
    return;
  }
  const controller = new AbortController();
  signal.addEventListener("abort", () => controller.abort());
  const view = new DashboardView(model, el, host, controller.signal);
  return () => {
    controller.abort();
    view.destroy();
  };
};

export default { render };
