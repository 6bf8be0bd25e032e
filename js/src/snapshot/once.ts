/**
 * Promises made once per key, with a count of those still pending (the snapshot page
 * waits for "nothing shown is loading" before decoding in the background).
 */
export class OncePerKey<T> {
  private readonly made = new Map<string, Promise<T>>();
  /** promises made and not yet settled */
  pending = 0;

  /** The promise of `key`: made by `make` the first time, the same one afterwards. */
  get(key: string, make: (key: string) => Promise<T>): Promise<T> {
    let found = this.made.get(key);
    if (!found) {
      this.pending++;
      found = make(key).finally(() => this.pending--);
      this.made.set(key, found);
    }
    return found;
  }

  /** The promise of `key` if it was made. */
  peek(key: string): Promise<T> | undefined {
    return this.made.get(key);
  }
}
