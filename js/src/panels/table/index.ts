/**
 * nbviz Table panel — anywidget front end (docs/wire.md, "Media").
 */
import { definePanel } from "../../lib/panel";
import { MEDIA_CSS, mediaStates, type MediaModel, type MediaState } from "../../lib/media";
import panelCss from "./table.css";
import { TableView } from "./view";

export default definePanel<MediaModel, MediaState>({
  name: "table",
  css: [MEDIA_CSS, panelCss],
  state: mediaStates(),
  view: (model, el, state) => new TableView(model, el, state),
});
