/**
 * Theme of the Histograms, Distributions and Health panels (their stylesheet is
 * histograms.css): the theme variables, with the panels' accent colour, on a root.
 */
import { setThemeVars } from "../../lib/dom";
import { readTheme, type Theme } from "../../lib/theme";

/** Apply theme colours as CSS variables on the panel root. */
export function applyTheme(root: HTMLElement): Theme {
  const t = readTheme(root);
  setThemeVars(root, t);
  root.style.setProperty("--nbviz-accent", t.dark ? "#e64a19" : "#f4511e");
  root.style.fontFamily = t.fontFamily;
  return t;
}
