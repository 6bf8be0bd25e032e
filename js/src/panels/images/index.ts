/**
 * nbviz Images panel — anywidget front end (docs/wire.md, "Media").
 */
import { definePanel } from "../../lib/panel";
import { MEDIA_CSS, mediaStates, type MediaModel, type MediaState } from "../../lib/media";
import panelCss from "./images.css";
import { ImagesView } from "./view";

export default definePanel<MediaModel, MediaState>({
  name: "images",
  css: [MEDIA_CSS, panelCss],
  state: mediaStates(),
  view: (model, el, state) => new ImagesView(model, el, state),
});
