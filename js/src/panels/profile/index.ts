/**
 * nbviz Profile panel — anywidget front end (see docs/wire.md, "Profile").
 */
import type { Render } from "@anywidget/types";
import uplotCss from "uplot/dist/uPlot.min.css";
import panelCss from "./profile.css";
import { ProfileView, type ProfileModel } from "./view";

export type { ProfileModel } from "./view";

const STYLE_ID = "nbviz-profile-style";

function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${uplotCss}\n${panelCss}`;
  document.head.appendChild(style);
}

const render: Render<ProfileModel> = ({ model, el }) => {
  injectStyle();
  const view = new ProfileView(model, el);
  return () => view.destroy();
};

export default { render };
