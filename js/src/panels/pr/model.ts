/**
 * Per-model state of the PR curves panel: the decoded curves, shared by every
 * view of one model, fed by `change:snapshot` and `msg:custom` appends.
 */
import type { AnyModel } from "@anywidget/types";
import type { BufferLike } from "../../lib/wire";
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

export class PrState {
  readonly data = new PrData();
  private readonly listeners = new Set<() => void>();
  private readonly model: AnyModel<PrModel>;
  private disposed = false;
  /** messages that could not be decoded (diagnostics) */
  errors = 0;

  constructor(model: AnyModel<PrModel>) {
    this.model = model;
    this.onSnapshot = this.onSnapshot.bind(this);
    this.onCustom = this.onCustom.bind(this);
    this.onSnapshot();
    model.on("change:snapshot", this.onSnapshot);
    model.on("change:snapshot_seq", this.onSnapshot);
    model.on("change:curves", this.onSnapshot);
    model.on("msg:custom", this.onCustom);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.off("change:snapshot", this.onSnapshot);
    this.model.off("change:snapshot_seq", this.onSnapshot);
    this.model.off("change:curves", this.onSnapshot);
    this.model.off("msg:custom", this.onCustom);
    this.listeners.clear();
  }

  subscribe(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(): void {
    for (const cb of [...this.listeners]) {
      try {
        cb();
      } catch (e) {
        console.error("nbviz: PR curves listener failed", e);
      }
    }
  }

  private onSnapshot(): void {
    const seq = Number(this.model.get("snapshot_seq") ?? 0);
    if (!(seq > this.data.seq)) return;
    try {
      // `curves` and `snapshot` may arrive in separate change events: apply the
      // matching pair only (a mismatch throws before anything changes).
      if (this.data.applySnapshot(seq, this.model.get("curves") ?? [], this.model.get("snapshot") as BufferLike | null)) {
        this.emit();
      }
    } catch (e) {
      this.errors++;
      console.debug("nbviz: PR snapshot not applied yet:", (e as Error).message);
    }
  }

  private onCustom(msg: unknown, buffers?: DataView[]): void {
    if (!msg || typeof msg !== "object") return;
    const m = msg as Partial<AppendMessage>;
    if (m.type !== "append" || typeof m.seq !== "number" || !Array.isArray(m.curves)) return;
    try {
      if (this.data.applyAppend(m.seq, m.curves, buffers?.[0] ?? null)) this.emit();
    } catch (e) {
      this.errors++;
      console.warn("nbviz: PR append not applied:", (e as Error).message);
    }
  }
}

const states = new WeakMap<object, PrState>();

export function getPrState(model: AnyModel<PrModel>): PrState {
  let st = states.get(model);
  if (!st) {
    st = new PrState(model);
    states.set(model, st);
  }
  return st;
}

export function disposePrState(model: AnyModel<PrModel>): void {
  const st = states.get(model);
  if (st) {
    st.dispose();
    states.delete(model);
  }
}
