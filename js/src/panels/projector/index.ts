/**
 * nbviz Projector panel — anywidget front end (see docs/wire.md, "Projector").
 */
import { definePanel } from "../../lib/panel";
import panelCss from "./projector.css";
import { projectorStates, type ProjectorModel, type ProjectorState } from "./state";
import { ProjectorView } from "./view";

export type { ProjectorModel } from "./state";

export default definePanel<ProjectorModel, ProjectorState>({
  name: "projector",
  css: [panelCss],
  state: projectorStates,
  view: (model, el, state) => new ProjectorView(model, el, state),
});
