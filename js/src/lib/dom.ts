/**
 * DOM helpers shared by the Histograms, Distributions and Health panels:
 * HiDPI canvases, a text-only tooltip, the panel stylesheet, theme colours.
 * User strings are always set with textContent, never as HTML.
 */
import { readTheme, type Theme } from "./theme";

export const CSS = `
.nbviz-hpanel { font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 12px;
  color: var(--nbviz-fg); background: var(--nbviz-bg); padding: 6px 4px; position: relative; }
.nbviz-hpanel .nbviz-htoolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0 0 6px 0; }
.nbviz-hpanel .nbviz-htitle { font-weight: 600; margin-right: 8px; }
.nbviz-hpanel .nbviz-seg { display: inline-flex; border: 1px solid var(--nbviz-border); border-radius: 4px; overflow: hidden; }
.nbviz-hpanel .nbviz-seg button { background: transparent; color: var(--nbviz-muted); border: 0; padding: 2px 8px;
  font: inherit; cursor: pointer; }
.nbviz-hpanel .nbviz-seg button[aria-pressed="true"] { background: var(--nbviz-accent); color: #fff; }
.nbviz-hpanel .nbviz-seg button:disabled { opacity: 0.4; cursor: default; }
.nbviz-hpanel input.nbviz-hfilter, .nbviz-hpanel select { font: inherit; color: var(--nbviz-fg);
  background: var(--nbviz-surface); border: 1px solid var(--nbviz-border); border-radius: 4px; padding: 2px 6px; }
.nbviz-hpanel .nbviz-hgroup-title { font-weight: 600; margin: 8px 0 4px 2px; color: var(--nbviz-muted); }
.nbviz-hpanel .nbviz-hgrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px; }
.nbviz-hpanel .nbviz-hcard { border: 1px solid var(--nbviz-border); border-radius: 4px; padding: 4px; background: var(--nbviz-bg); }
.nbviz-hpanel .nbviz-hcard-title { font-size: 11px; color: var(--nbviz-fg); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; margin: 0 0 2px 2px; }
.nbviz-hpanel .nbviz-hcard-title .nbviz-hrun { color: var(--nbviz-muted); margin-left: 6px; }
.nbviz-hpanel canvas { display: block; width: 100%; }
.nbviz-hpanel .nbviz-hempty { color: var(--nbviz-muted); padding: 12px 4px; }
.nbviz-htip { position: absolute; z-index: 10000; pointer-events: none; background: var(--nbviz-surface);
  color: var(--nbviz-fg); border: 1px solid var(--nbviz-border); border-radius: 4px; padding: 4px 6px;
  font: 11px var(--jp-ui-font-family, system-ui, sans-serif); white-space: pre; box-shadow: 0 2px 6px rgba(0,0,0,.25); }
.nbviz-health .nbviz-hmap { display: grid; grid-template-columns: max-content 1fr; column-gap: 6px; align-items: start; }
.nbviz-health .nbviz-hlabels { display: flex; flex-direction: column; }
.nbviz-health .nbviz-hlabel { display: flex; align-items: center; gap: 4px; white-space: nowrap; font-size: 11px;
  color: var(--nbviz-fg); overflow: hidden; }
.nbviz-health .nbviz-health-badge { display: inline-block; min-width: 14px; padding: 0 4px; border-radius: 7px;
  font-size: 10px; line-height: 14px; text-align: center; color: #fff; background: #d32f2f; }
.nbviz-health .nbviz-health-badge[data-severity="warning"] { background: #ef6c00; }
.nbviz-health .nbviz-hfindings { margin-top: 8px; display: flex; flex-direction: column; gap: 3px; }
.nbviz-health .nbviz-health-finding { font-size: 11px; color: var(--nbviz-fg); }
.nbviz-health .nbviz-health-finding .nbviz-hsev { font-weight: 600; margin-right: 4px; }
.nbviz-health .nbviz-health-finding[data-severity="error"] .nbviz-hsev { color: #e53935; }
.nbviz-health .nbviz-health-finding[data-severity="warning"] .nbviz-hsev { color: #ef6c00; }
.nbviz-health .nbviz-haxis { display: flex; justify-content: space-between; color: var(--nbviz-muted); font-size: 10px; margin-top: 2px; }
.nbviz-health .nbviz-hlegend { display: flex; align-items: center; gap: 6px; color: var(--nbviz-muted); font-size: 11px; }
`;

const STYLE_ID = "nbviz-hist-style";

export function injectStyle(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.appendChild(style);
}

/** Apply theme colours as CSS variables on the panel root. */
export function applyTheme(root: HTMLElement): Theme {
  const t = readTheme(root);
  root.style.setProperty("--nbviz-bg", t.background);
  root.style.setProperty("--nbviz-surface", t.surface);
  root.style.setProperty("--nbviz-fg", t.foreground);
  root.style.setProperty("--nbviz-muted", t.muted);
  root.style.setProperty("--nbviz-border", t.border);
  root.style.setProperty("--nbviz-accent", t.dark ? "#e64a19" : "#f4511e");
  root.style.fontFamily = t.fontFamily;
  return t;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Size a canvas for CSS size w×h at the device pixel ratio; returns its 2D context. */
export function sizeCanvas(canvas: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D | null {
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  const W = Math.max(1, Math.round(w * dpr));
  const H = Math.max(1, Math.round(h * dpr));
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/**
 * One floating tooltip per panel; text only. Positioned inside the panel root
 * (position: relative), not `fixed`: JupyterLab's containers use CSS containment,
 * which makes fixed positions relative to them rather than to the viewport.
 */
export class Tooltip {
  readonly node: HTMLDivElement;
  constructor(private readonly parent: HTMLElement) {
    this.node = el("div", "nbviz-htip nbviz-tooltip");
    this.node.style.display = "none";
    parent.appendChild(this.node);
  }
  show(text: string, clientX: number, clientY: number): void {
    this.node.textContent = text;
    this.node.style.display = "block";
    const box = this.parent.getBoundingClientRect();
    const r = this.node.getBoundingClientRect();
    let x = clientX - box.left + 14;
    if (x + r.width > box.width) x = clientX - box.left - 14 - r.width;
    this.node.style.left = `${Math.max(0, x)}px`;
    this.node.style.top = `${Math.max(0, clientY - box.top + 12)}px`;
  }
  hide(): void {
    this.node.style.display = "none";
  }
  remove(): void {
    this.node.remove();
  }
}

/** A segmented toggle; `onPick` receives the chosen value. */
export function segmented(
  cls: string,
  options: readonly { value: string; label: string }[],
  current: string,
  onPick: (v: string) => void,
): { root: HTMLDivElement; set: (v: string, enabled?: ReadonlySet<string>) => void } {
  const root = el("div", `nbviz-seg ${cls}`);
  const buttons = new Map<string, HTMLButtonElement>();
  for (const o of options) {
    const b = el("button", "", o.label);
    b.type = "button";
    b.dataset.value = o.value;
    b.addEventListener("click", () => onPick(o.value));
    buttons.set(o.value, b);
    root.appendChild(b);
  }
  const set = (v: string, enabled?: ReadonlySet<string>) => {
    for (const [value, b] of buttons) {
      b.setAttribute("aria-pressed", String(value === v));
      if (enabled) b.disabled = !enabled.has(value) && value !== v;
    }
  };
  set(current);
  return { root, set };
}

/** Redraw at most once per animation frame. */
export function frameScheduler(draw: () => void): { request: () => void; cancel: () => void } {
  let id: number | null = null;
  return {
    request: () => {
      if (id !== null) return;
      id = requestAnimationFrame(() => {
        id = null;
        draw();
      });
    },
    cancel: () => {
      if (id !== null) cancelAnimationFrame(id);
      id = null;
    },
  };
}
