/**
 * The stand-in for anywidget's model in an offline snapshot: the panel's synced
 * traits in memory, `change:<name>` and `msg:custom` events, and no kernel
 * (`save_changes` keeps the change local; `send` is answered from the page's data
 * where it can be, else dropped). What a panel's bundle
 * needs from `AnyModel`, so the same bundle renders live and offline.
 */
import type { AnyModel } from "@anywidget/types";

type Handler = (...args: any[]) => void;
type Traits = Record<string, any>;

export class StaticModel implements AnyModel<Traits> {
  private readonly state: Traits;
  private readonly handlers = new Map<string, Set<Handler>>();
  readonly widget_manager: AnyModel<Traits>["widget_manager"];

  /**
   * `answer` handles what the panel sends (`send`) where the page can answer without a
   * kernel (lazy series requests, ./lazy.ts); other messages stay unanswered.
   */
  constructor(
    state: Traits,
    getModel: (ref: string) => Promise<AnyModel<Traits>>,
    private readonly answer?: (content: unknown) => boolean,
  ) {
    this.state = { ...state };
    this.widget_manager = { get_model: (id: string) => getModel(`anywidget:${id}`) as Promise<any> };
  }

  get<K extends keyof Traits>(key: K): Traits[K] {
    return this.state[key as string];
  }

  set<K extends keyof Traits>(key: K, value: Traits[K]): void {
    this.state[key as string] = value;
    this.emit(`change:${String(key)}`);
  }

  on(eventName: string, callback: Handler): void {
    let set = this.handlers.get(eventName);
    if (!set) this.handlers.set(eventName, (set = new Set()));
    set.add(callback);
  }

  off(eventName?: string | null, callback?: Handler | null): void {
    if (!eventName) {
      this.handlers.clear();
      return;
    }
    if (!callback) this.handlers.delete(eventName);
    else this.handlers.get(eventName)?.delete(callback);
  }

  /** Call every handler of `eventName` (a handler's error is logged, the others still run). */
  emit(eventName: string, ...args: unknown[]): void {
    for (const cb of [...(this.handlers.get(eventName) ?? [])]) {
      try {
        cb(...args);
      } catch (error) {
        console.error(`nbviz snapshot: ${eventName} handler`, error);
      }
    }
  }

  save_changes(): void {
    // No kernel: the change stays in this page.
  }

  send(content?: unknown): void {
    // No kernel: what the page holds answers (lazy series), other requests go unanswered.
    this.answer?.(content);
  }
}
