/**
 * Shapes shared by the Graph panel's two layouts (ELK in a worker, the linear layered
 * layout for large graphs) and its view: box sizes, spacing and the placed result.
 */
import type { GraphView, Item } from "./model";
import { itemLabel } from "./model";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Placed {
  /** per visible item position */
  items: Box[];
  /** per open group index */
  open: Map<number, Box>;
  /** per visible edge: polyline points */
  edges: { x: number; y: number }[][];
  width: number;
  height: number;
  /** milliseconds the layout took */
  millis: number;
  /** which layout made it: "elk" (worker) or "layered" (linear, large graphs) */
  engine: "elk" | "layered";
  /** repeated blocks whose inside came from an earlier layout of an identical sibling */
  reused?: number;
}

export const NODE_HEIGHT = 30;
/** Vertical gap between layers, horizontal gap between boxes. */
export const LAYER_GAP = 28;
export const NODE_GAP = 18;
/** Inner padding of an open group's container (the header is on top). */
export const PAD = { top: 26, left: 10, bottom: 10, right: 10 };
const CHAR_WIDTH = 6.6;

/** Box width for a label (monospace-ish estimate: no DOM measuring on the main thread). */
export function boxWidth(label: string, extra = 0): number {
  return Math.max(60, Math.min(260, 18 + (label.length + extra) * CHAR_WIDTH));
}

/** Width of a visible item's box (a closed group keeps room for its ×N badge). */
export function itemWidth(view: GraphView, item: Item): number {
  return boxWidth(itemLabel(view, item), item.kind === "group" ? 6 : 0);
}

/** Header text of an open group's container. */
export function openHeader(view: GraphView, g: number): string {
  const group = view.groups[g]!;
  const label = group.type ? `${group.label}: ${group.type}` : group.label;
  return `▾ ${label}${group.repeat > 1 ? `  ×${group.repeat}` : ""}`;
}
