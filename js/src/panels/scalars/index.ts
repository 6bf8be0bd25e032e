/**
 * nbviz Scalars panel — anywidget front end (see docs/wire.md).
 */
import type { AnyModel, Initialize, Render } from "@anywidget/types";
import uplotCss from "uplot/dist/uPlot.min.css";
import panelCss from "./scalars.css";
import { disposeModelState, getModelState, type ScalarsModel } from "./model_state";
import { ScalarsView } from "./view";

export type { ScalarsModel } from "./model_state";

const STYLE_ID = "nbviz-scalars-style";

function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${uplotCss}\n${panelCss}`;
  document.head.appendChild(style);
}

const initialize: Initialize<ScalarsModel> = ({ model }) => {
  getModelState(model);
  return () => disposeModelState(model);
};

const render: Render<ScalarsModel> = ({ model, el }) => {
  injectStyle();
  const view = new ScalarsView(model, el, getModelState(model as AnyModel<ScalarsModel>));
  return () => view.destroy();
};

export default { initialize, render };
