/**
 * Per-model stream state: what the page holds of a panel's data, fed by the
 * synced snapshot traits and by custom messages, shared by every view of one
 * model. Mirrors the Python `StreamingPanel` (nbviz/widgets/_base.py): the kernel
 * sends a full snapshot (traits `snapshot`, `snapshot_seq` and the panel's info
 * list) or an `{type: "append", seq, <infos>}` message with one binary buffer;
 * snapshot and append share one `seq` counter, so a stale one is ignored.
 */
import type { AnyModel } from "@anywidget/types";
import type { BufferLike } from "./wire";

type Listener<R> = (result: R) => void;

/**
 * The subscription plumbing every panel state shares: listens to `snapshotTraits`
 * and `msg:custom`, applies them through `readSnapshot` / `readMessage`, tells the
 * subscribers when something changed (a truthy result), counts what failed.
 */
/** anywidget's bound on a model's traits */
type Traits = Record<string, any>;

export abstract class ModelStream<M extends Traits, R> {
  /** messages that could not be decoded (diagnostics) */
  errors = 0;
  private readonly listeners = new Set<Listener<R>>();
  private disposed = false;

  constructor(
    protected readonly model: AnyModel<M>,
    /** names the panel in console messages */
    protected readonly label: string,
    private readonly snapshotTraits: readonly (keyof M & string)[],
  ) {
    this.onSnapshot = this.onSnapshot.bind(this);
    this.onCustom = this.onCustom.bind(this);
    for (const trait of snapshotTraits) model.on(`change:${trait}`, this.onSnapshot);
    model.on("msg:custom", this.onCustom);
  }

  /** Read the synced snapshot once (after construction); returns this. */
  start(): this {
    this.onSnapshot();
    return this;
  }

  /** Apply the synced snapshot; null when there is nothing new. Throws on a mismatch. */
  protected abstract readSnapshot(): R | null;

  /** Apply one custom message; null when it is not for this state. Throws when undecodable. */
  protected abstract readMessage(msg: Record<string, unknown>, buffers: DataView[] | undefined): R | null;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const trait of this.snapshotTraits) this.model.off(`change:${trait}`, this.onSnapshot);
    this.model.off("msg:custom", this.onCustom);
    this.listeners.clear();
  }

  subscribe(cb: Listener<R>): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  protected emit(result: R): void {
    for (const cb of [...this.listeners]) {
      try {
        cb(result);
      } catch (e) {
        console.error(`nbviz: ${this.label} listener failed`, e);
      }
    }
  }

  private onSnapshot(): void {
    let result: R | null;
    try {
      result = this.readSnapshot();
    } catch (e) {
      // the snapshot traits may arrive in separate change events: wait for the
      // matching set rather than decode a mismatched one.
      this.errors++;
      console.debug(`nbviz: ${this.label} snapshot not applied yet:`, (e as Error).message);
      return;
    }
    if (result) this.emit(result);
  }

  private onCustom(msg: unknown, buffers?: DataView[]): void {
    if (!msg || typeof msg !== "object") return;
    let result: R | null;
    try {
      result = this.readMessage(msg as Record<string, unknown>, buffers);
    } catch (e) {
      this.errors++;
      console.warn(`nbviz: ${this.label} message not applied:`, (e as Error).message);
      return;
    }
    if (result) this.emit(result);
  }
}

/** Decoded data that takes a snapshot and appends in `seq` order (ScalarData, PrData, RowData …). */
export interface SeqData<I, R> {
  readonly seq: number;
  applySnapshot(seq: number, infos: I[], buf: BufferLike | null): R | null;
  applyAppend(seq: number, infos: I[], buf: BufferLike | null): R | null;
}

/** Traits of a snapshot/append panel: `snapshot`, `snapshot_seq` and the info list. */
export interface SeqModel {
  snapshot: DataView | ArrayBuffer | null;
  snapshot_seq: number;
}

/** The snapshot/append protocol with sequence numbers over one info list trait (`series`, `curves` …). */
export class SeqStream<M extends SeqModel, I, R, D extends SeqData<I, R> = SeqData<I, R>> extends ModelStream<M, R> {
  constructor(
    model: AnyModel<M>,
    label: string,
    private readonly infos: keyof M & string,
    readonly data: D,
  ) {
    super(model, label, ["snapshot", "snapshot_seq", infos]);
  }

  protected readSnapshot(): R | null {
    const seq = Number(this.model.get("snapshot_seq") ?? 0);
    if (!(seq > this.data.seq)) return null;
    const infos = this.infosOf(this.model.get(this.infos));
    return this.data.applySnapshot(seq, infos, this.model.get("snapshot") as BufferLike | null);
  }

  /** The info list trait's value as infos (a panel may send it packed). */
  protected infosOf(value: unknown): I[] {
    return (value ?? []) as I[];
  }

  protected readMessage(msg: Record<string, unknown>, buffers: DataView[] | undefined): R | null {
    const infos = msg[this.infos];
    if (msg.type !== "append" || typeof msg.seq !== "number" || !Array.isArray(infos)) return null;
    return this.data.applyAppend(msg.seq, infos as I[], buffers?.[0] ?? null);
  }
}

/** One state per model, shared by its views: `get` creates (and starts) it, `dispose` drops it. */
export function stateRegistry<M extends Traits, S extends { dispose(): void }>(
  create: (model: AnyModel<M>) => S,
): { get(model: AnyModel<M>): S; dispose(model: AnyModel<M>): void } {
  const states = new WeakMap<object, S>();
  return {
    get(model) {
      let st = states.get(model);
      if (!st) {
        st = create(model);
        states.set(model, st);
        if (st instanceof ModelStream) st.start();
      }
      return st;
    },
    dispose(model) {
      states.get(model)?.dispose();
      states.delete(model);
    },
  };
}

/**
 * Call `changed(trait)` whenever one of `traits` changes on `model`; returns the
 * function that stops listening (for a view's cleanups).
 */
export function onTraits<T extends string>(
  model: Pick<AnyModel, "on" | "off">,
  traits: readonly T[],
  changed: (trait: T) => void,
): () => void {
  const offs = traits.map((trait) => {
    const cb = () => changed(trait);
    model.on(`change:${trait}`, cb);
    return () => model.off(`change:${trait}`, cb);
  });
  return () => {
    for (const off of offs) off();
  };
}
