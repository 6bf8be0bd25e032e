/**
 * Per-model state of the Scalars panel: the decoded data and derived caches,
 * shared by every view of the same model. Created in `initialize` (or lazily
 * by the first `render`), fed by `change:snapshot` and `msg:custom` appends.
 */
import type { AnyModel } from "@anywidget/types";
import { EmaSmoother, clampWeight } from "../../lib/smoothing";
import { ScalarData, type ApplyResult, type BufferLike, type SeriesInfo } from "../../lib/wire";

export type XAxis = "step" | "relative" | "wall";

/** Synced traits, see docs/wire.md. */
export interface ScalarsModel {
  series: SeriesInfo[];
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
  smoothing: number;
  x_axis: XAxis;
  log_y: boolean;
  tag_filter: string;
  hidden_runs: string[];
  max_points: number;
  title: string;
}

export interface AppendMessage {
  type: "append";
  seq: number;
  series: SeriesInfo[];
}

export type DataListener = (r: ApplyResult) => void;

export class ModelState {
  readonly data = new ScalarData();
  private readonly listeners = new Set<DataListener>();
  private readonly smoothers = new Map<number, { epoch: number; sm: EmaSmoother }>();
  private wall0: Map<string, number> | null = null;
  private readonly model: AnyModel<ScalarsModel>;
  private disposed = false;
  /** Count of messages that failed to decode (diagnostics). */
  errors = 0;

  constructor(model: AnyModel<ScalarsModel>) {
    this.model = model;
    this.onSnapshot = this.onSnapshot.bind(this);
    this.onCustom = this.onCustom.bind(this);
    this.onSnapshot();
    model.on("change:snapshot", this.onSnapshot);
    model.on("change:snapshot_seq", this.onSnapshot);
    model.on("change:series", this.onSnapshot);
    model.on("msg:custom", this.onCustom);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.off("change:snapshot", this.onSnapshot);
    this.model.off("change:snapshot_seq", this.onSnapshot);
    this.model.off("change:series", this.onSnapshot);
    this.model.off("msg:custom", this.onCustom);
    this.listeners.clear();
  }

  subscribe(cb: DataListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(r: ApplyResult): void {
    if (r.replaced || r.created.size > 0) this.wall0 = null;
    for (const cb of [...this.listeners]) {
      try {
        cb(r);
      } catch (e) {
        console.error("nbviz: scalars listener failed", e);
      }
    }
  }

  private onSnapshot(): void {
    const seq = Number(this.model.get("snapshot_seq") ?? 0);
    if (!(seq > this.data.seq)) return;
    const series = this.model.get("series") ?? [];
    const snap = this.model.get("snapshot") as BufferLike | null;
    let r: ApplyResult | null = null;
    try {
      r = this.data.applySnapshot(seq, series, snap);
    } catch (e) {
      // series and snapshot may arrive in separate change events: wait for the
      // matching pair rather than decode a mismatched one.
      this.errors++;
      console.debug("nbviz: snapshot not applied yet:", (e as Error).message);
      return;
    }
    if (r) this.emit(r);
  }

  private onCustom(msg: unknown, buffers?: DataView[]): void {
    if (!msg || typeof msg !== "object") return;
    const m = msg as Partial<AppendMessage>;
    if (m.type !== "append" || typeof m.seq !== "number" || !Array.isArray(m.series)) return;
    let r: ApplyResult | null = null;
    try {
      r = this.data.applyAppend(m.seq, m.series, buffers?.[0] ?? null);
    } catch (e) {
      this.errors++;
      console.warn("nbviz: append not applied:", (e as Error).message);
      return;
    }
    if (r) this.emit(r);
  }

  /** Smoothed values of series `id` with weight `w`, extended incrementally. */
  smoothed(id: number, w: number): EmaSmoother | null {
    const s = this.data.series.get(id);
    if (!s) return null;
    const weight = clampWeight(w);
    let e = this.smoothers.get(id);
    if (!e || e.sm.weight !== weight) {
      e = { epoch: s.store.epoch, sm: new EmaSmoother(weight) };
      this.smoothers.set(id, e);
    } else if (e.epoch !== s.store.epoch) {
      e.sm.reset();
      e.epoch = s.store.epoch;
    }
    e.sm.update(s.store.rawValue, s.store.length);
    return e.sm;
  }

  /** The run's first wall time (min over its series) — origin of the "relative" x axis. */
  runWall0(run: string): number {
    if (!this.wall0) {
      const m = new Map<string, number>();
      for (const s of this.data.series.values()) {
        if (s.store.length === 0) continue;
        const w = s.store.rawWall[0]!;
        if (!Number.isFinite(w)) continue;
        const cur = m.get(s.info.run);
        if (cur === undefined || w < cur) m.set(s.info.run, w);
      }
      this.wall0 = m;
    }
    const w = this.wall0.get(run);
    if (w === undefined) {
      // a series of this run got its first points via an append: recompute once
      this.wall0 = null;
      return this.wall0Fallback(run);
    }
    return w;
  }

  private wall0Fallback(run: string): number {
    let best = Infinity;
    for (const s of this.data.series.values()) {
      if (s.info.run !== run || s.store.length === 0) continue;
      const w = s.store.rawWall[0]!;
      if (w < best) best = w;
    }
    return Number.isFinite(best) ? best : 0;
  }
}

const states = new WeakMap<object, ModelState>();

export function getModelState(model: AnyModel<ScalarsModel>): ModelState {
  let st = states.get(model);
  if (!st) {
    st = new ModelState(model);
    states.set(model, st);
  }
  return st;
}

export function disposeModelState(model: AnyModel<ScalarsModel>): void {
  const st = states.get(model);
  if (st) {
    st.dispose();
    states.delete(model);
  }
}
