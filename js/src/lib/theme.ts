/**
 * Theme colours for charts, read from the host's CSS variables:
 * JupyterLab (--jp-*) first, then VS Code (--vscode-*), then
 * prefers-color-scheme. `onThemeChange` notifies when the user switches theme.
 */
import { luminance, withAlpha } from "./colors";

export interface Theme {
  dark: boolean;
  /** panel background */
  background: string;
  /** slightly raised surfaces (toolbar, tooltip) */
  surface: string;
  /** primary text */
  foreground: string;
  /** secondary text (axis labels) */
  muted: string;
  /** tertiary text (hints) */
  faint: string;
  border: string;
  grid: string;
  fontFamily: string;
  source: "jupyterlab" | "vscode" | "media";
}

export interface ThemeEnv {
  /** (prefers-color-scheme: dark) */
  prefersDark: boolean;
  /** document.body.dataset.jpThemeLight ("true"/"false") if present */
  jpThemeLight?: string | null;
  /** document.body has class vscode-dark / vscode-high-contrast */
  vscodeDark?: boolean | null;
}

const DEFAULT_FONT =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';

const LIGHT = {
  background: "#ffffff",
  surface: "#f5f5f5",
  foreground: "#1f1f1f",
  muted: "#555555",
  faint: "#808080",
  border: "#d0d0d0",
  grid: "#e6e6e6",
};
const DARK = {
  background: "#1e1e1e",
  surface: "#252526",
  foreground: "#e6e6e6",
  muted: "#b0b0b0",
  faint: "#8a8a8a",
  border: "#4a4a4a",
  grid: "#363636",
};

/** Pure theme resolution from a CSS-variable getter (testable without a DOM). */
export function resolveTheme(getVar: (name: string) => string, env: ThemeEnv): Theme {
  const v = (name: string) => (getVar(name) || "").trim();
  const jpBg = v("--jp-layout-color0");
  const jpFg = v("--jp-ui-font-color0") || v("--jp-ui-font-color1");
  const font = v("--jp-ui-font-family") || v("--vscode-font-family") || DEFAULT_FONT;
  if (jpBg && jpFg) {
    let dark: boolean;
    if (env.jpThemeLight === "false") dark = true;
    else if (env.jpThemeLight === "true") dark = false;
    else dark = (luminance(jpBg) ?? (env.prefersDark ? 0 : 1)) < 0.35;
    const base = dark ? DARK : LIGHT;
    return {
      dark,
      background: jpBg,
      surface: v("--jp-layout-color1") || base.surface,
      foreground: v("--jp-ui-font-color1") || jpFg,
      muted: v("--jp-ui-font-color2") || base.muted,
      faint: v("--jp-ui-font-color3") || v("--jp-ui-font-color2") || base.faint,
      border: v("--jp-border-color1") || base.border,
      grid: v("--jp-border-color2") || base.grid,
      fontFamily: font,
      source: "jupyterlab",
    };
  }
  const vsBg = v("--vscode-editor-background");
  const vsFg = v("--vscode-editor-foreground");
  if (vsBg || vsFg) {
    const lum = luminance(vsBg || "");
    const dark = env.vscodeDark ?? (lum !== null ? lum < 0.35 : env.prefersDark);
    const base = dark ? DARK : LIGHT;
    const fg = vsFg || base.foreground;
    return {
      dark,
      background: vsBg || base.background,
      surface: vsBg || base.surface,
      foreground: fg,
      muted: withAlpha(fg, 0.75),
      faint: withAlpha(fg, 0.55),
      border: withAlpha(fg, 0.25),
      grid: withAlpha(fg, 0.12),
      fontFamily: font,
      source: "vscode",
    };
  }
  const dark = env.vscodeDark ?? env.prefersDark;
  return { dark, ...(dark ? DARK : LIGHT), fontFamily: font, source: "media" };
}

function prefersDark(): boolean {
  try {
    return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
  } catch {
    return false;
  }
}

/** Read the current theme as seen by `el` (CSS variables inherit). */
export function readTheme(el?: Element | null): Theme {
  const target = el && el.isConnected ? el : document.body ?? document.documentElement;
  const cs = getComputedStyle(target);
  const body = document.body;
  const cls = body?.classList;
  const vscodeDark = cls
    ? cls.contains("vscode-dark") || cls.contains("vscode-high-contrast")
      ? true
      : cls.contains("vscode-light")
        ? false
        : null
    : null;
  return resolveTheme((n) => cs.getPropertyValue(n), {
    prefersDark: prefersDark(),
    jpThemeLight: body?.dataset.jpThemeLight ?? null,
    vscodeDark,
  });
}

/* ---- change subscription (one shared observer for every panel) ---- */

const listeners = new Set<() => void>();
let observer: MutationObserver | null = null;
let mql: MediaQueryList | null = null;
let pending: ReturnType<typeof setTimeout> | null = null;

function fire(): void {
  for (const cb of [...listeners]) {
    try {
      cb();
    } catch (e) {
      console.error("nbviz: theme listener failed", e);
    }
  }
}

function onMutation(): void {
  fire();
  // JupyterLab may swap the theme stylesheet slightly after flipping the
  // body attributes: check once more when it has settled.
  if (pending !== null) clearTimeout(pending);
  pending = setTimeout(() => {
    pending = null;
    fire();
  }, 300);
}

function start(): void {
  if (typeof MutationObserver !== "undefined" && document.body) {
    observer = new MutationObserver(onMutation);
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class", "style"],
    });
    if (document.documentElement) {
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class", "style"] });
    }
  }
  if (typeof matchMedia === "function") {
    mql = matchMedia("(prefers-color-scheme: dark)");
    mql.addEventListener?.("change", onMutation);
  }
}

function stop(): void {
  observer?.disconnect();
  observer = null;
  mql?.removeEventListener?.("change", onMutation);
  mql = null;
  if (pending !== null) clearTimeout(pending);
  pending = null;
}

/** Call `cb` whenever the host theme may have changed. Returns an unsubscribe function. */
export function onThemeChange(cb: () => void): () => void {
  listeners.add(cb);
  if (listeners.size === 1) start();
  return () => {
    if (listeners.delete(cb) && listeners.size === 0) stop();
  };
}
