/**
 * nbviz Audio panel — anywidget front end (docs/wire.md, "Media").
 */
import { definePanel } from "../../lib/panel";
import { MEDIA_CSS, mediaStates, type MediaModel, type MediaState } from "../../lib/media";
import panelCss from "./audio.css";
import { AudioView } from "./view";

export default definePanel<MediaModel, MediaState>({
  name: "audio",
  css: [MEDIA_CSS, panelCss],
  state: mediaStates(),
  view: (model, el, state) => new AudioView(model, el, state),
});
