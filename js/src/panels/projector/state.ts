/**
 * Per-model state of the Projector: every dataset's decoded metadata, vectors and
 * positions the page has received (snapshot trait + custom messages), shared by
 * all views of the model. Requests to the kernel (`need`, `reduce`, `neighbors`,
 * `cancel`) are sent from here; they are answered when the kernel is idle.
 */
import type { AnyModel } from "@anywidget/types";
import { ModelStream, stateRegistry } from "../../lib/stream";
import type { BufferLike } from "../../lib/wire";
import {
  decodeParts,
  projectionKey,
  type DatasetData,
  type DatasetInfo,
  type Method,
  type Metric,
  type PartHeader,
  type Positions,
  type Projection,
} from "./wire";

/** Synced traits, see docs/wire.md ("Projector"). */
export interface ProjectorModel {
  datasets: DatasetInfo[];
  snapshot: DataView | ArrayBuffer | null;
  snapshot_info: { dataset?: number; n?: number; parts?: PartHeader[] };
  group: number;
  step: number;
  method: Method;
  dims: number;
  params: Record<string, Record<string, unknown>>;
  color_by: string;
  label_by: string;
  search: string;
  search_column: string;
  neighbors: number;
  metric: Metric;
  point_size: number;
  hidden_runs: string[];
  max_vector_bytes: number;
  title: string;
}

export interface ProgressInfo {
  dataset: number;
  method: string;
  dims: number;
  stage: string;
  fraction: number | null;
  elapsed: number;
}

export interface NeighbourReply {
  dataset: number;
  index: number;
  metric: Metric;
  indices: Int32Array;
  distances: Float32Array;
}

export class ProjectorState extends ModelStream<ProjectorModel, true> {
  readonly data = new Map<number, DatasetData>();
  readonly positions = new Map<number, Map<string, Positions>>();
  progress: ProgressInfo | null = null;
  /** last error or cancellation reported by the kernel (shown in the status line) */
  notice = "";
  readonly neighbourReplies = new Map<number, NeighbourReply>();
  private readonly sent = new Set<string>();
  private nextRequest = 1;

  constructor(model: AnyModel<ProjectorModel>) {
    super(model, "projector", ["snapshot", "snapshot_info"]);
  }

  datasets(): DatasetInfo[] {
    return (this.model.get("datasets") ?? []) as DatasetInfo[];
  }

  info(id: number): DatasetInfo | undefined {
    return this.datasets().find((d) => d.id === id);
  }

  private store(id: number, n: number, parts: readonly PartHeader[], buf: BufferLike, withData: boolean): void {
    const decoded = decodeParts(parts, buf, n);
    if (withData) this.data.set(id, decoded.data);
    let m = this.positions.get(id);
    if (!m) this.positions.set(id, (m = new Map()));
    for (const p of decoded.positions) {
      m.set(p.key, p);
      this.sent.delete(`pos:${id}:${p.key}`);
    }
    if (withData) this.sent.delete(`data:${id}`);
  }

  protected readSnapshot(): true | null {
    const info = this.model.get("snapshot_info") ?? {};
    const buf = this.model.get("snapshot") as BufferLike | null;
    if (typeof info.dataset !== "number" || !Array.isArray(info.parts) || !buf) return null;
    this.store(info.dataset, Number(info.n ?? 0), info.parts, buf, true);
    return true;
  }

  protected readMessage(m: Record<string, unknown>, buffers: DataView[] | undefined): true | null {
    const type = m.type;
    if ((type === "data" || type === "positions") && typeof m.dataset === "number" && buffers?.[0]) {
      this.store(m.dataset, Number(m.n ?? 0), (m.parts ?? []) as PartHeader[], buffers[0], type === "data");
      if (type === "positions" && this.progress?.dataset === m.dataset) this.progress = null;
      this.notice = "";
    } else if (type === "progress") {
      this.progress = {
        dataset: Number(m.dataset),
        method: String(m.method ?? ""),
        dims: Number(m.dims ?? 2),
        stage: String(m.stage ?? ""),
        fraction: typeof m.fraction === "number" ? m.fraction : null,
        elapsed: Number(m.elapsed ?? 0),
      };
    } else if (type === "neighbors" && buffers && buffers.length >= 2) {
      const k = Number(m.k ?? 0);
      const ib = buffers[0]!;
      const db = buffers[1]!;
      const indices = new Int32Array(k);
      const distances = new Float32Array(k);
      for (let i = 0; i < k; i++) {
        indices[i] = ib.getInt32(i * 4, true);
        distances[i] = db.getFloat32(i * 4, true);
      }
      this.neighbourReplies.set(Number(m.request), {
        dataset: Number(m.dataset),
        index: Number(m.index),
        metric: (m.metric as Metric) ?? "cosine",
        indices,
        distances,
      });
    } else if (type === "error" || type === "cancelled") {
      this.progress = null;
      this.notice = type === "error" ? `kernel: ${String(m.message ?? "error")}` : "reduction cancelled";
      // allow asking again
      for (const key of [...this.sent]) if (key.startsWith("pos:")) this.sent.delete(key);
    } else {
      return null;
    }
    return true;
  }

  getPositions(id: number, p: Projection): Positions | undefined {
    return this.positions.get(id)?.get(projectionKey(p));
  }

  /** Ask the kernel for a dataset's data and/or a projection (once per key until answered). */
  need(id: number, p: Projection | null, data: boolean): void {
    const dataKey = `data:${id}`;
    const posKey = p ? `pos:${id}:${projectionKey(p)}` : "";
    const wantData = data && !this.sent.has(dataKey);
    const wantPos = !!p && !this.sent.has(posKey);
    if (!wantData && !wantPos) return;
    if (wantData) this.sent.add(dataKey);
    if (wantPos) this.sent.add(posKey);
    if (wantData) {
      this.model.send({ type: "need", datasets: [id], data: true, projection: wantPos ? p : null, request: this.nextRequest++ });
    } else if (p) {
      this.model.send({ type: "reduce", dataset: id, method: p.method, dims: p.dims, params: p.params, request: this.nextRequest++ });
    }
  }

  pending(id: number, p: Projection): boolean {
    return this.sent.has(`pos:${id}:${projectionKey(p)}`);
  }

  cancel(): void {
    this.model.send({ type: "cancel" });
    for (const key of [...this.sent]) if (key.startsWith("pos:")) this.sent.delete(key);
    this.progress = null;
    this.emit(true);
  }

  /** Ask the kernel for neighbours (large embeddings whose vectors stay in the kernel). */
  requestNeighbours(id: number, index: number, k: number, metric: Metric): number {
    const request = this.nextRequest++;
    this.model.send({ type: "neighbors", dataset: id, index, k, metric, request });
    return request;
  }
}

export const projectorStates = stateRegistry((model: AnyModel<ProjectorModel>) => new ProjectorState(model));
