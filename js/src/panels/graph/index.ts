/**
 * nbviz Graph panel — a model's graph collapsed by module, laid out with elkjs in a
 * Web Worker (only the open groups; past 400 boxes a linear layered layout), with
 * search, details, fan-in/fan-out and a live training-statistic overlay (docs/wire.md,
 * "Graph").
 */
import { definePanel } from "../../lib/panel";
import graphCss from "./graph.css";
import { type GraphModel, GraphPanelView } from "./view";

/** The layout switch benchmarks/graph_scale.py flips to compare repeated-block reuse off / on. */
export { Layouter } from "./layout";

export default definePanel<GraphModel>({
  name: "graph",
  css: [graphCss],
  view: (model, el) => new GraphPanelView(model, el),
});
