/**
 * nbviz PR curves panel — anywidget front end (see docs/wire.md, "PR curves").
 */
import type { AnyModel, Initialize, Render } from "@anywidget/types";
import panelCss from "./pr.css";
import { disposePrState, getPrState, type PrModel } from "./model";
import { PrView } from "./view";

export type { PrModel } from "./model";

const STYLE_ID = "nbviz-pr-style";

function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = panelCss;
  document.head.appendChild(style);
}

const initialize: Initialize<PrModel> = ({ model }) => {
  getPrState(model);
  return () => disposePrState(model);
};

const render: Render<PrModel> = ({ model, el }) => {
  injectStyle();
  const view = new PrView(model, el, getPrState(model as AnyModel<PrModel>));
  return () => view.destroy();
};

export default { initialize, render };
