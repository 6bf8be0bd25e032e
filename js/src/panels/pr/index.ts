/**
 * nbviz PR curves panel — anywidget front end (see docs/wire.md, "PR curves").
 */
import { definePanel } from "../../lib/panel";
import { prStates, type PrModel, type PrState } from "./model";
import panelCss from "./pr.css";
import { PrView } from "./view";

export type { PrModel } from "./model";

export default definePanel<PrModel, PrState>({
  name: "pr",
  css: [panelCss],
  state: prStates,
  view: (model, el, state) => new PrView(model, el, state),
});
