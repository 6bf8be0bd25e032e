/**
 * nbviz HParams panel — anywidget front end (see docs/wire.md, "HParams").
 */
import type { Render } from "@anywidget/types";
import panelCss from "./hparams.css";
import type { HParamsModel } from "./model";
import { HParamsView } from "./view";

export type { HParamsModel } from "./model";

const STYLE_ID = "nbviz-hparams-style";

function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = panelCss;
  document.head.appendChild(style);
}

const render: Render<HParamsModel> = ({ model, el }) => {
  injectStyle();
  const view = new HParamsView(model, el);
  return () => view.destroy();
};

export default { render };
