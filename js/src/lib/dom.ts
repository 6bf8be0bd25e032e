/**
 * DOM helpers shared by every panel: elements, stylesheet injection, theme
 * variables, HiDPI canvases, a text-only tooltip, segmented toggles, frame
 * scheduling. User strings are always set with textContent, never as HTML.
 */
import { onThemeChange, readTheme, type Theme } from "./theme";

/** Append `<style id=...>` with `css` to the page once (every view of every model shares it). */
export function injectCss(id: string, css: string): void {
  if (typeof document === "undefined" || document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
}

/**
 * Set the theme colours as CSS variables on a panel root (`--nbviz-bg`, `--nbviz-fg` …,
 * read by every panel's stylesheet) and mark dark themes with `.nbviz-dark`.
 */
export function setThemeVars(root: HTMLElement, t: Theme): void {
  const s = root.style;
  s.setProperty("--nbviz-bg", t.background);
  s.setProperty("--nbviz-surface", t.surface);
  s.setProperty("--nbviz-fg", t.foreground);
  s.setProperty("--nbviz-muted", t.muted);
  s.setProperty("--nbviz-faint", t.faint);
  s.setProperty("--nbviz-border", t.border);
  s.setProperty("--nbviz-grid", t.grid);
  s.setProperty("--nbviz-font", t.fontFamily);
  root.classList.toggle("nbviz-dark", t.dark);
}

/**
 * Keep `root`'s theme variables in step with the page (JupyterLab/VS Code theme switches):
 * applies them now, returns the unsubscribe.
 */
export function followTheme(root: HTMLElement, host: Element): () => void {
  const apply = () => setThemeVars(root, readTheme(host));
  apply();
  return onThemeChange(apply);
}

/** An element with a class and text (always textContent: user strings never become HTML). */
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

/** Show `text` in `node` (as text, never HTML); hide the node while the text is empty. */
export function showText(node: HTMLElement, text: string): void {
  node.textContent = text;
  node.hidden = !text;
}

/**
 * Make a <select>'s options exactly `values` (rebuilt only when they changed), keeping the
 * selected value when it is still offered. Option text (`label(value)`, default the value) is
 * set as text, never HTML.
 */
export function fillSelect(
  select: HTMLSelectElement,
  values: readonly string[],
  label: (value: string) => string = (v) => v,
): void {
  const keep = select.value;
  if ([...select.options].map((o) => o.value).join("\0") !== values.join("\0")) {
    select.replaceChildren(...values.map((v) => {
      const o = el("option", undefined, label(v));
      o.value = v;
      return o;
    }));
  }
  if (values.includes(keep)) select.value = keep;
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

/** What a canvas panel view releases when it is destroyed. */
export interface ViewParts {
  frame: { cancel(): void };
  offs: readonly (() => void)[];
  resize: ResizeObserver | null;
  tooltip: Tooltip;
  root: HTMLElement;
}

/** Stop drawing, unsubscribe, stop observing and remove the view's nodes. */
export function releaseView(v: ViewParts): void {
  v.frame.cancel();
  for (const off of v.offs) off();
  v.resize?.disconnect();
  v.tooltip.remove();
  v.root.remove();
}
