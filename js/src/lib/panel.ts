/**
 * `definePanel`: the anywidget entry of a panel (its `index.ts` default export).
 * It injects the shared and the panel's stylesheets once per page, creates the
 * per-model state in `initialize` (shared by every view of the model, disposed
 * with it) and builds one view per `render`, destroyed with the view.
 *
 *   export default definePanel({ name: "pr", css: [panelCss], state: prStates,
 *                                view: (model, el, state) => new PrView(model, el, state) });
 */
import type { AnyModel, Initialize, Render, RenderProps } from "@anywidget/types";
import baseCss from "./base.css";
import { injectCss } from "./dom";

export interface PanelView {
  destroy(): void;
}

/** anywidget's bound on a model's traits */
type Traits = Record<string, any>;

export interface PanelDefinition<M extends Traits, S> {
  /** the panel's name: its stylesheet is `<style id="nbviz-<name>-style">` */
  name: string;
  /** the panel's stylesheets (CSS files imported as text), after lib/base.css */
  css: readonly string[];
  /** per-model state (e.g. `stateRegistry(...)` from lib/stream.ts); omit for none */
  state?: { get(model: AnyModel<M>): S; dispose(model: AnyModel<M>): void };
  /** one view of the model in `el`; null when it rendered a message instead */
  view(model: AnyModel<M>, el: HTMLElement, state: S, context: RenderProps<M>): PanelView | null;
}

export function injectPanelStyles(name: string, css: readonly string[]): void {
  injectCss("nbviz-base-style", baseCss);
  injectCss(`nbviz-${name}-style`, css.join("\n"));
}

export function definePanel<M extends Traits, S = undefined>(
  def: PanelDefinition<M, S>,
): { initialize?: Initialize<M>; render: Render<M> } {
  const state = def.state;
  const render: Render<M> = (context) => {
    injectPanelStyles(def.name, def.css);
    const model = context.model;
    const view = def.view(model, context.el, (state ? state.get(model) : undefined) as S, context);
    return view ? () => view.destroy() : undefined;
  };
  if (!state) return { render };
  const initialize: Initialize<M> = ({ model }) => {
    state.get(model);
    return () => state.dispose(model);
  };
  return { initialize, render };
}
