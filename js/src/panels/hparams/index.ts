/**
 * nbviz HParams panel — anywidget front end (see docs/wire.md, "HParams").
 */
import { definePanel } from "../../lib/panel";
import panelCss from "./hparams.css";
import type { HParamsModel } from "./model";
import { HParamsView } from "./view";

export type { HParamsModel } from "./model";

export default definePanel<HParamsModel>({
  name: "hparams",
  css: [panelCss],
  view: (model, el) => new HParamsView(model, el),
});
