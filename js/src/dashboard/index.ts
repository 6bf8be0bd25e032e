/**
 * nbviz Dashboard — anywidget front end (see docs/wire.md, "Dashboard"):
 * tabs of child panels, one shared run selector, notes about skipped data.
 */
import { definePanel } from "../lib/panel";
import panelCss from "./dashboard.css";
import type { DashboardModel } from "./state";
import { DashboardView } from "./view";

export type { DashboardModel } from "./state";

export default definePanel<DashboardModel>({
  name: "dashboard",
  css: [panelCss],
  view: (model, el, _state, { host, signal }) => {
    if (typeof host?.getWidget !== "function") {
      // Widget composition (render a child widget inside this one) came with anywidget 0.11.
      el.textContent =
        "nbviz.Dashboard needs anywidget >= 0.11 in the notebook frontend (pip install -U anywidget); " +
        "the panels can still be shown one by one, e.g. nbviz.Scalars(logdir).";
      return null;
    }
    const controller = new AbortController();
    signal.addEventListener("abort", () => controller.abort());
    const view = new DashboardView(model, el, host, controller.signal);
    return {
      destroy: () => {
        controller.abort();
        view.destroy();
      },
    };
  },
});
