/**
 * Per-model state of the PR curves panel: the decoded curves, shared by every
 * view of one model, fed by snapshots and appends (SeqStream, lib/stream.ts).
 */
import type { AnyModel } from "@anywidget/types";
import { SeqStream, stateRegistry } from "../../lib/stream";
import { PrData, type CurveInfo } from "./data";
import type { View } from "./metrics";

/** Synced traits, see docs/wire.md ("PR curves"). Names mirror nbviz/panels/pr/widget.py. */
export interface PrModel {
  curves: CurveInfo[];
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
  view: View;
  overlay_steps: boolean;
  tag_filter: string;
  hidden_runs: string[];
  hidden_series: string[];
  max_steps: number;
  title: string;
}

export interface AppendMessage {
  type: "append";
  seq: number;
  curves: CurveInfo[];
}

export class PrState extends SeqStream<PrModel, CurveInfo, boolean, PrData> {
  constructor(model: AnyModel<PrModel>) {
    super(model, "PR curves", "curves", new PrData());
  }
}

export const prStates = stateRegistry((model: AnyModel<PrModel>) => new PrState(model));
