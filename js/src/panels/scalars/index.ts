/**
 * nbviz Scalars panel — anywidget front end (see docs/wire.md).
 */
import uplotCss from "uplot/dist/uPlot.min.css";
import { definePanel } from "../../lib/panel";
import { modelStates, type ModelState, type ScalarsModel } from "./model_state";
import panelCss from "./scalars.css";
import { ScalarsView } from "./view";

export type { ScalarsModel } from "./model_state";

export default definePanel<ScalarsModel, ModelState>({
  name: "scalars",
  css: [uplotCss, panelCss],
  state: modelStates,
  view: (model, el, state) => new ScalarsView(model, el, state),
});
