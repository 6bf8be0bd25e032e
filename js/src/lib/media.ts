/**
 * Per-model state of the Media panels (Images, Audio, Text, Table; docs/wire.md, "Media").
 * Entries (metadata of every stored record) arrive as the synced `entries` list and as
 * `{type: "append", entries}` messages — both unions, entries never change. Media bytes
 * arrive as binary buffers in `{type: "blobs", items}` messages: pushed for the newest
 * step, or asked for with `{type: "want", ids}` for what the page shows.
 */
import type { AnyModel } from "@anywidget/types";
import { ModelStream } from "./stream";

export interface MediaEntry {
  id: number;
  run: string;
  tag: string;
  step: number;
  sample: number;
  kind: string;
  wall_time: number;
  meta: Record<string, any>;
}

export interface MediaModel {
  entries: MediaEntry[];
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
  runs: string[];
  title: string;
  max_samples: number;
}

export interface MediaBlob {
  bytes: Uint8Array;
  mime: string;
  mask: Uint8Array | null;
}

export interface MediaChange {
  entries: boolean;
  blobs: number[];
}

interface BlobItem {
  id: number;
  mime: string;
  part: number;
  mask_part: number;
}

const RETRY_MS = 4000;
/** decoded images kept (least recently used dropped and closed): ~40 MB of 64×64 RGBA… */
const MAX_BITMAPS = 640;

function bytesOf(view: DataView | ArrayBuffer | undefined): Uint8Array | null {
  if (!view) return null;
  if (view instanceof ArrayBuffer) return new Uint8Array(view.slice(0));
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** Sorted unique numbers. */
export function uniqueSorted(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** The largest of sorted `steps` that is <= step (or the first one). */
export function stepAtOrBefore(steps: readonly number[], step: number): number | null {
  if (!steps.length) return null;
  let lo = 0;
  let hi = steps.length - 1;
  if (step < steps[0]!) return steps[0]!;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (steps[mid]! <= step) lo = mid;
    else hi = mid - 1;
  }
  return steps[lo]!;
}

export class MediaState extends ModelStream<MediaModel, MediaChange> {
  readonly entries = new Map<number, MediaEntry>();
  /** tag -> run -> step -> entries sorted by sample */
  private readonly index = new Map<string, Map<string, Map<number, MediaEntry[]>>>();
  /** sorted steps per "tag\0run" (and per tag: "tag\0"), rebuilt after new entries */
  private readonly stepCache = new Map<string, number[]>();
  readonly blobs = new Map<number, MediaBlob>();
  private readonly asked = new Map<number, number>();
  private readonly bitmaps = new Map<string, Promise<ImageBitmap | null>>();
  private readonly urls = new Map<number, string>();
  private wanted = new Set<number>();
  private flushQueued = false;
  /** blob bytes received (diagnostics, benchmarks) */
  bytesReceived = 0;

  constructor(model: AnyModel<MediaModel>) {
    super(model, "media", ["entries", "snapshot_seq"]);
  }

  protected readSnapshot(): MediaChange | null {
    const added = this.merge((this.model.get("entries") ?? []) as MediaEntry[]);
    return added ? { entries: true, blobs: [] } : null;
  }

  protected readMessage(msg: Record<string, unknown>, buffers: DataView[] | undefined): MediaChange | null {
    if (msg.type === "append" && Array.isArray(msg.entries)) {
      return this.merge(msg.entries as MediaEntry[]) ? { entries: true, blobs: [] } : null;
    }
    if (msg.type !== "blobs" || !Array.isArray(msg.items)) return null;
    const ids: number[] = [];
    for (const item of msg.items as BlobItem[]) {
      const bytes = bytesOf(buffers?.[item.part]);
      if (!bytes) throw new Error(`blob ${item.id}: buffer ${item.part} missing`);
      const mask = item.mask_part >= 0 ? bytesOf(buffers?.[item.mask_part]) : null;
      this.blobs.set(item.id, { bytes, mime: item.mime, mask });
      this.asked.delete(item.id);
      this.bytesReceived += bytes.byteLength + (mask?.byteLength ?? 0);
      ids.push(item.id);
    }
    return ids.length ? { entries: false, blobs: ids } : null;
  }

  private merge(list: readonly MediaEntry[]): boolean {
    let added = false;
    for (const e of list) {
      if (this.entries.has(e.id)) continue;
      this.entries.set(e.id, e);
      let runs = this.index.get(e.tag);
      if (!runs) this.index.set(e.tag, (runs = new Map()));
      let steps = runs.get(e.run);
      if (!steps) runs.set(e.run, (steps = new Map()));
      const at = steps.get(e.step) ?? [];
      at.push(e);
      at.sort((a, b) => a.sample - b.sample || a.id - b.id);
      steps.set(e.step, at);
      added = true;
    }
    if (added) this.stepCache.clear();
    return added;
  }

  tags(): string[] {
    return [...this.index.keys()].sort();
  }

  runs(tag?: string): string[] {
    if (tag !== undefined) return [...(this.index.get(tag)?.keys() ?? [])];
    const out: string[] = [];
    for (const runs of this.index.values()) for (const r of runs.keys()) if (!out.includes(r)) out.push(r);
    return out;
  }

  /** Sorted steps of a tag (over all runs, or one run). */
  steps(tag: string, run?: string): number[] {
    const key = `${tag}\0${run ?? ""}`;
    const cached = this.stepCache.get(key);
    if (cached) return cached;
    const runs = this.index.get(tag);
    if (!runs) return [];
    const out: number[] = [];
    for (const [r, steps] of runs) if (run === undefined || r === run) out.push(...steps.keys());
    const sorted = uniqueSorted(out);
    this.stepCache.set(key, sorted);
    return sorted;
  }

  /** Entries of (tag, run) at the step at or before `step`. */
  at(tag: string, run: string, step: number): MediaEntry[] {
    const steps = this.index.get(tag)?.get(run);
    if (!steps) return [];
    const s = stepAtOrBefore(this.steps(tag, run), step);
    return s === null ? [] : steps.get(s) ?? [];
  }

  /** Ask the kernel for the bytes of `ids` not held (batched per task; re-asked after 4 s). */
  want(ids: Iterable<number>): void {
    const now = Date.now();
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e || e.kind === "text" || this.blobs.has(id)) continue;
      const t = this.asked.get(id);
      if (t !== undefined && now - t < RETRY_MS) continue;
      this.wanted.add(id);
    }
    if (!this.wanted.size || this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const ids = [...this.wanted].slice(0, 512);
      for (const id of ids) this.wanted.delete(id);
      const when = Date.now();
      for (const id of ids) this.asked.set(id, when);
      if (ids.length) this.model.send({ type: "want", ids });
      if (this.wanted.size) this.want([]);
    });
  }

  /** An object URL of a blob (for <img>/<audio>), created once. */
  url(id: number): string | null {
    const blob = this.blobs.get(id);
    if (!blob) return null;
    let u = this.urls.get(id);
    if (!u) {
      u = URL.createObjectURL(new Blob([blob.bytes as BlobPart], { type: blob.mime }));
      this.urls.set(id, u);
    }
    return u;
  }

  /** The decoded image (or its mask with `mask`), cached; null when not held or undecodable. */
  bitmap(id: number, mask = false, slice?: [number, number]): Promise<ImageBitmap | null> {
    const key = `${id}:${mask ? "m" : "i"}:${slice ? slice.join("-") : ""}`;
    let p = this.bitmaps.get(key);
    if (p) {
      this.bitmaps.delete(key); // most recently used last
      this.bitmaps.set(key, p);
      return p;
    }
    const blob = this.blobs.get(id);
    if (!blob) return Promise.resolve(null);
    let bytes = mask ? blob.mask : blob.bytes;
    if (!bytes) return Promise.resolve(null);
    if (slice) bytes = bytes.subarray(slice[0], slice[1]);
    const mime = mask || slice ? "image/png" : blob.mime;
    p = createImageBitmap(new Blob([bytes as BlobPart], { type: mime })).catch(() => null);
    this.bitmaps.set(key, p);
    while (this.bitmaps.size > MAX_BITMAPS) {
      const [oldest, evicted] = this.bitmaps.entries().next().value as [string, Promise<ImageBitmap | null>];
      this.bitmaps.delete(oldest);
      // closed only after a tick: a draw that already holds it finishes first
      void evicted.then((b) => setTimeout(() => b?.close(), 1000));
    }
    return p;
  }

  override dispose(): void {
    for (const u of this.urls.values()) URL.revokeObjectURL(u);
    this.urls.clear();
    super.dispose();
  }
}

export function mediaStates() {
  const states = new WeakMap<object, MediaState>();
  return {
    get(model: AnyModel<MediaModel>): MediaState {
      let st = states.get(model);
      if (!st) {
        st = new MediaState(model).start();
        states.set(model, st);
      }
      return st;
    },
    dispose(model: AnyModel<MediaModel>): void {
      states.get(model)?.dispose();
      states.delete(model);
    },
  };
}

/** A step control: slider over the steps, exact-step box, play button. */
export class StepControl {
  readonly root: HTMLElement;
  readonly slider: HTMLInputElement;
  readonly box: HTMLInputElement;
  readonly play: HTMLButtonElement;
  steps: number[] = [];
  step = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** true when the user moved away from the newest step (then live updates keep the step) */
  pinned = false;
  /** the user is typing a step: the box is not overwritten */
  private editing = false;

  constructor(private readonly onChange: (step: number) => void, withPlay = true) {
    this.root = document.createElement("span");
    this.root.className = "nbviz-media-steps";
    const label = document.createElement("span");
    label.textContent = "step";
    this.slider = document.createElement("input");
    this.slider.type = "range";
    this.slider.className = "nbviz-media-slider";
    this.slider.min = "0";
    this.box = document.createElement("input");
    this.box.type = "number";
    this.box.className = "nbviz-media-stepbox";
    this.box.title = "type an exact step (Enter)";
    this.play = document.createElement("button");
    this.play.className = "nbviz-media-play";
    this.play.textContent = "▶";
    this.play.title = "play through the steps";
    this.root.append(label, this.slider, this.box);
    if (withPlay) this.root.append(this.play);
    this.slider.addEventListener("input", () => {
      const s = this.steps[Number(this.slider.value)];
      if (s !== undefined) this.set(s, true);
    });
    const typed = () => {
      this.editing = false;
      const v = Number(this.box.value);
      if (this.box.value !== "" && Number.isFinite(v) && this.steps.length) this.set(stepAtOrBefore(this.steps, v) ?? v, true);
    };
    this.box.addEventListener("change", typed);
    this.box.addEventListener("input", () => (this.editing = true));
    this.box.addEventListener("blur", () => {
      this.editing = false;
      this.sync();
    });
    this.box.addEventListener("keydown", (e) => {
      e.stopPropagation(); // the notebook must not take Enter / digits as its shortcuts
      if (e.key === "Enter") typed();
    });
    this.play.addEventListener("click", () => (this.timer ? this.stop() : this.start()));
  }

  /** New steps: follow the newest unless the user pinned another one. */
  setSteps(steps: number[]): void {
    this.steps = steps;
    this.slider.max = String(Math.max(0, steps.length - 1));
    if (!steps.length) return;
    if (!this.pinned || !steps.includes(this.step)) this.set(steps[steps.length - 1]!, false);
    else this.sync();
  }

  set(step: number, byUser: boolean): void {
    this.step = step;
    if (byUser) this.pinned = step !== this.steps[this.steps.length - 1];
    this.sync();
    this.onChange(step);
  }

  private sync(): void {
    const i = this.steps.indexOf(this.step);
    if (i >= 0) this.slider.value = String(i);
    if (!this.editing) this.box.value = String(this.step);
  }

  start(): void {
    if (this.timer || this.steps.length < 2) return;
    this.play.textContent = "⏸";
    this.timer = setInterval(() => {
      const i = this.steps.indexOf(this.step);
      this.set(this.steps[(i + 1) % this.steps.length]!, true);
    }, 200);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = "▶";
  }
}

export const MEDIA_CSS = `
.nbviz-media-bar { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin: 2px 0 6px; }
.nbviz-media-bar label { display: inline-flex; gap: 4px; align-items: center; color: var(--nbviz-muted); }
.nbviz-media-steps { display: inline-flex; gap: 6px; align-items: center; color: var(--nbviz-muted); }
.nbviz-media-slider { width: 220px; }
.nbviz-media-stepbox { width: 72px; }
.nbviz-media-root button, .nbviz-media-root select, .nbviz-media-root input[type=number], .nbviz-media-root input[type=search] {
  background: var(--nbviz-surface); color: var(--nbviz-fg); border: 1px solid var(--nbviz-border); border-radius: 3px; font: inherit; padding: 1px 6px; }
.nbviz-media-tag { font-weight: 600; margin: 8px 0 4px; }
.nbviz-media-empty { color: var(--nbviz-muted); padding: 12px; }
.nbviz-media-title { font-weight: 600; font-size: 13px; }
`;
