/**
 * nbviz Profile panel — anywidget front end (see docs/wire.md, "Profile").
 */
import uplotCss from "uplot/dist/uPlot.min.css";
import { definePanel } from "../../lib/panel";
import panelCss from "./profile.css";
import { ProfileView, type ProfileModel } from "./view";

export type { ProfileModel } from "./view";

export default definePanel<ProfileModel>({
  name: "profile",
  css: [uplotCss, panelCss],
  view: (model, el) => new ProfileView(model, el),
});
