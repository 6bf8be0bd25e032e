/**
 * nbviz Projector panel — anywidget front end (see docs/wire.md, "Projector").
 */
import type { AnyModel, Initialize, Render } from "@anywidget/types";
import panelCss from "./projector.css";
import { disposeState, getState, type ProjectorModel } from "./state";
import { ProjectorView } from "./view";

export type { ProjectorModel } from "./state";

const STYLE_ID = "nbviz-projector-style";

function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = panelCss;
  document.head.appendChild(style);
}

const initialize: Initialize<ProjectorModel> = ({ model }) => {
  getState(model);
  return () => disposeState(model);
};

const render: Render<ProjectorModel> = ({ model, el }) => {
  injectStyle();
  const view = new ProjectorView(model, el, getState(model as AnyModel<ProjectorModel>));
  return () => view.destroy();
};

export default { initialize, render };
