/**
 * Per-model state of the Scalars panel: the decoded data (a SeqStream, lib/stream.ts)
 * and derived caches, shared by every view of the same model. Created in
 * `initialize` (or lazily by the first `render`).
 */
import type { AnyModel } from "@anywidget/types";
import { EmaSmoother, clampWeight } from "../../lib/smoothing";
import { SeqStream, stateRegistry } from "../../lib/stream";
import { ScalarData, type ApplyResult, type SeriesInfo } from "../../lib/wire";
import { unpackInfos, type PackedInfos } from "./infos";

export type XAxis = "step" | "relative" | "wall";

/** Synced traits, see docs/wire.md. */
export interface ScalarsModel {
  series: SeriesInfo[] | PackedInfos;
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

/** Page → kernel: send these series' points, decimated to `width` pixels (docs/wire.md). */
export interface RequestMessage {
  type: "request";
  ids: number[];
  width: number;
}

export class ModelState extends SeqStream<ScalarsModel, SeriesInfo, ApplyResult, ScalarData> {
  private readonly smoothers = new Map<number, { epoch: number; sm: EmaSmoother }>();
  private wall0: Map<string, number> | null = null;
  /** series asked for (shared by the model's views, so each is asked for once) */
  private readonly requested = new Set<number>();
  /** requests sent (diagnostics / tests) */
  requests = 0;

  constructor(model: AnyModel<ScalarsModel>) {
    super(model, "scalars", "series", new ScalarData());
  }

  /** `series` arrives packed from the kernel, as a list from an exported page. */
  protected override infosOf(value: unknown): SeriesInfo[] {
    return unpackInfos(value);
  }

  protected override emit(r: ApplyResult): void {
    if (r.replaced || r.created.size > 0) this.wall0 = null;
    super.emit(r);
  }

  /** True when the kernel holds points of series `id` that the page has not asked for yet. */
  needsRequest(id: number): boolean {
    const s = this.data.series.get(id);
    return !!s && s.store.length === 0 && (s.info.total ?? 0) > 0 && !this.requested.has(id);
  }

  /** Ask the kernel for the points of `ids` (at most once each), decimated to `width` px. */
  request(ids: number[], width: number): void {
    const fresh = ids.filter((id) => !this.requested.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.requested.add(id);
    const msg: RequestMessage = { type: "request", ids: fresh, width: Math.max(16, Math.round(width)) };
    this.model.send(msg);
    this.requests++;
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

export const modelStates = stateRegistry((model: AnyModel<ScalarsModel>) => new ModelState(model));
