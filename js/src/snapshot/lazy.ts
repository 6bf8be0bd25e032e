/**
 * A lazy panel's points in an offline page (nbviz/export/lazy.py): every series is
 * announced in the state with `count` 0, its points sit in gzip chunks (one per tag).
 * The panel asks for the series of the charts it shows with the page → kernel message
 * `{"type": "request", "ids", "width"}` (docs/wire.md, "Lazy series"); with no kernel,
 * this answers it: the chunks holding those series are decoded (once each, one after the
 * other in the order asked) and every chunk's series go to the panel as one `append`. Once the
 * first request is answered, the series nobody asked for follow on idle (`pushRest`), so
 * every chart fills in without scrolling (a panel never shown asks for nothing).
 *
 * The first chart's series are sent before the panel's first view is built (`prefetch`,
 * `firstChartIds`): that view draws them in its first frame, instead of asking for them
 * frames later, once its charts are laid out and seen by its IntersectionObserver — frames
 * that a busy page (or GPU process) hands out slowly.
 */
import { compileTagFilter, groupTags } from "../lib/tags";
import { whenIdle } from "./idle";

const POINT_BYTES = 24; // step, wall_time, value: float64 each

export interface LazyItem {
  info: { id: number; count: number } & Record<string, unknown>;
  chunk: number;
  offset: number;
}

export interface LazyEntry {
  /** the state's `snapshot_seq`: answers are numbered after it */
  seq: number;
  /** index of each chunk's bytes script */
  chunks: number[];
  items: Record<string, LazyItem>;
}

export type Emit = (content: unknown, buffers: DataView[]) => void;

/** The series of `content` if it is a lazy-series request, else null. */
export function requestedIds(content: unknown): number[] | null {
  if (!content || typeof content !== "object") return null;
  const msg = content as Record<string, unknown>;
  if (msg.type !== "request" || !Array.isArray(msg.ids)) return null;
  return msg.ids.filter((id): id is number => typeof id === "number");
}

/**
 * The series of the chart a Scalars view draws first: its first tag in the view's order
 * (groups, then tags, in natural order: lib/tags `groupTags`) that `tagFilter` keeps.
 */
export function firstChartIds(entry: LazyEntry, tagFilter: unknown): number[] {
  const filter = compileTagFilter(typeof tagFilter === "string" ? tagFilter : "");
  const items = Object.values(entry.items);
  const tags = new Set<string>();
  for (const item of items) {
    const tag = item.info.tag;
    if (typeof tag === "string" && filter(tag)) tags.add(tag);
  }
  const first = groupTags(tags)[0]?.tags[0];
  return first === undefined ? [] : items.filter((item) => item.info.tag === first).map((item) => item.info.id);
}

export class LazySeries {
  private seq: number;
  private readonly chunks = new Map<number, Promise<Uint8Array>>();
  private readonly sent = new Set<number>();
  private emit: Emit | null = null;
  private queue: Promise<void> = Promise.resolve();
  private asked = false;
  /** answers sent (diagnostics / tests) */
  answers = 0;
  /** chunks being decoded for an answer */
  pending = 0;

  constructor(
    private readonly entry: LazyEntry,
    private readonly unpack: (script: number) => Promise<Uint8Array>,
  ) {
    this.seq = entry.seq;
  }

  /** Where answers go (the model's `msg:custom`). */
  attach(emit: Emit): void {
    this.emit = emit;
  }

  /** Answer `content` if it is a request: true when it was one. */
  answer(content: unknown): boolean {
    const ids = requestedIds(content);
    if (!ids) return false;
    performance.mark(`nbviz-snapshot-request:${ids.length}`);
    this.thenTheRest(this.sendIds(ids));
    return true;
  }

  /** Send `ids` unasked (the first chart's, before the panel's first view is built);
   * resolves once they are sent. As after a first request, the rest follows on idle. */
  prefetch(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    performance.mark(`nbviz-snapshot-prefetch:${ids.length}`);
    const sent = this.sendIds(ids);
    this.thenTheRest(sent);
    return sent.then(() => undefined);
  }

  /** Once `sent` (what the panel shows first) is on its way, push the rest on idle (once). */
  private thenTheRest(sent: Promise<unknown>): void {
    if (this.asked) return;
    this.asked = true;
    void sent.then(() => whenIdle(() => this.pushRest()));
  }

  /** Send every series not sent yet, one chunk per idle period. */
  pushRest(): void {
    const rest = Object.values(this.entry.items).filter((item) => !this.sent.has(item.info.id));
    const chunks = [...new Set(rest.map((item) => item.chunk))];
    const next = (): void => {
      const chunk = chunks.shift();
      if (chunk === undefined) return;
      const ids = rest.filter((item) => item.chunk === chunk).map((item) => item.info.id);
      void this.sendIds(ids).finally(() => whenIdle(next));
    };
    next();
  }

  private sendIds(ids: readonly number[]): Promise<unknown> {
    const byChunk = new Map<number, LazyItem[]>();
    for (const id of ids) {
      const item = this.entry.items[String(id)];
      if (!item || this.sent.has(id)) continue;
      this.sent.add(id);
      let list = byChunk.get(item.chunk);
      if (!list) byChunk.set(item.chunk, (list = []));
      list.push(item);
    }
    // one chunk at a time, in the order asked: the first chart's points arrive first
    const sends = [...byChunk].map(([chunk, items]) => (this.queue = this.queue.then(() => this.sendChunk(chunk, items))));
    return Promise.all(sends);
  }

  private chunk(index: number): Promise<Uint8Array> {
    let found = this.chunks.get(index);
    if (!found) {
      const script = this.entry.chunks[index];
      found = script === undefined ? Promise.reject(new Error(`no chunk ${index}`)) : this.unpack(script);
      this.chunks.set(index, found);
      void found.then(() => performance.mark(`nbviz-snapshot-chunk:${index}`)).catch(() => undefined);
    }
    return found;
  }

  private async sendChunk(index: number, items: LazyItem[]): Promise<void> {
    this.pending++;
    try {
      const bytes = await this.chunk(index);
      let total = 0;
      for (const item of items) total += item.info.count * POINT_BYTES;
      const out = new Uint8Array(total);
      let at = 0;
      for (const item of items) {
        const size = item.info.count * POINT_BYTES;
        if (item.offset + size > bytes.byteLength) throw new Error(`chunk ${index} too short for series ${item.info.id}`);
        out.set(bytes.subarray(item.offset, item.offset + size), at);
        at += size;
      }
      // numbered when sent: a panel applies an append only after the ones it holds
      this.emit?.({ type: "append", seq: ++this.seq, series: items.map((item) => item.info) }, [new DataView(out.buffer)]);
      this.answers++;
    } catch (error) {
      console.error("nbviz snapshot: series points", error);
    } finally {
      this.pending--;
    }
  }
}
