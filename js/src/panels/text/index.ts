/**
 * nbviz Text panel — anywidget front end (docs/wire.md, "Media").
 */
import { definePanel } from "../../lib/panel";
import { MEDIA_CSS, mediaStates, type MediaModel, type MediaState } from "../../lib/media";
import panelCss from "./text.css";
import { TextView } from "./view";

export default definePanel<MediaModel, MediaState>({
  name: "text",
  css: [MEDIA_CSS, panelCss],
  state: mediaStates(),
  view: (model, el, state) => new TextView(model, el, state),
});
