/**
 * Growable columnar storage for one scalar series: step, wall_time, value as
 * Float64Arrays with amortised doubling, so appends cost O(new points).
 *
 * Views returned by `step`/`wall`/`value` are valid until the next append
 * (a growth may reallocate): read them again after appending.
 */

const MIN_CAPACITY = 64;
/** shared by every store that holds nothing yet (never written: `reserve` reallocates first) */
const EMPTY = new Float64Array(0);

export class SeriesStore {
  private _step: Float64Array;
  private _wall: Float64Array;
  private _value: Float64Array;
  private _length = 0;
  /** Indices of points whose value is NaN / +Inf / -Inf (ascending). */
  readonly nonFinite: number[] = [];
  /** Indices of finite values <= 0 (gaps on a log scale), ascending. */
  readonly nonPositive: number[] = [];
  /**
   * Incremented whenever existing points are replaced (clear/replace), so
   * derived caches know they must restart from scratch rather than extend.
   */
  epoch = 0;

  /**
   * `capacity` points reserved up front (at least MIN_CAPACITY); 0 (the default)
   * allocates nothing until the first append or adopt, so a panel holding
   * thousands of series it has not loaded yet costs no buffers.
   */
  constructor(capacity = 0) {
    const cap = capacity > 0 ? Math.max(MIN_CAPACITY, capacity | 0) : 0;
    this._step = cap > 0 ? new Float64Array(cap) : EMPTY;
    this._wall = cap > 0 ? new Float64Array(cap) : EMPTY;
    this._value = cap > 0 ? new Float64Array(cap) : EMPTY;
  }

  get length(): number {
    return this._length;
  }

  get capacity(): number {
    return this._step.length;
  }

  /** Step column, exactly `length` long (zero-copy view). */
  get step(): Float64Array {
    return this._step.subarray(0, this._length);
  }

  /** Wall-time column (unix seconds), exactly `length` long (zero-copy view). */
  get wall(): Float64Array {
    return this._wall.subarray(0, this._length);
  }

  /** Value column, exactly `length` long (zero-copy view). */
  get value(): Float64Array {
    return this._value.subarray(0, this._length);
  }

  /** Underlying buffers (may be longer than `length`). Fast path for hot loops. */
  get rawStep(): Float64Array {
    return this._step;
  }
  get rawWall(): Float64Array {
    return this._wall;
  }
  get rawValue(): Float64Array {
    return this._value;
  }

  private reserve(n: number): void {
    if (n <= this._step.length) return;
    let cap = this._step.length;
    cap = Math.max(cap, MIN_CAPACITY);
    while (cap < n) cap *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this._length));
      return b;
    };
    this._step = grow(this._step);
    this._wall = grow(this._wall);
    this._value = grow(this._value);
  }

  /** Append `step.length` points (the three columns must have equal length). */
  append(step: ArrayLike<number>, wall: ArrayLike<number>, value: ArrayLike<number>): void {
    const n = step.length;
    if (wall.length !== n || value.length !== n) {
      throw new Error(`column length mismatch: ${n}/${wall.length}/${value.length}`);
    }
    if (n === 0) return;
    const start = this._length;
    this.reserve(start + n);
    if (isTyped(step)) this._step.set(step, start);
    else for (let i = 0; i < n; i++) this._step[start + i] = step[i]!;
    if (isTyped(wall)) this._wall.set(wall, start);
    else for (let i = 0; i < n; i++) this._wall[start + i] = wall[i]!;
    if (isTyped(value)) this._value.set(value, start);
    else for (let i = 0; i < n; i++) this._value[start + i] = value[i]!;
    this.scan(start, start + n);
    this._length = start + n;
  }

  private scan(from: number, to: number): void {
    const vals = this._value;
    for (let i = from; i < to; i++) {
      const v = vals[i]!;
      if (v - v !== 0) this.nonFinite.push(i); // NaN and ±Inf
      else if (v <= 0) this.nonPositive.push(i);
    }
  }

  /**
   * Replace all points by taking ownership of the given columns (no copy;
   * the caller must not modify them afterwards). The next append that needs
   * room reallocates.
   */
  adopt(step: Float64Array, wall: Float64Array, value: Float64Array): void {
    const n = step.length;
    if (wall.length !== n || value.length !== n) {
      throw new Error(`column length mismatch: ${n}/${wall.length}/${value.length}`);
    }
    this.clear();
    if (n === 0) return;
    this._step = step;
    this._wall = wall;
    this._value = value;
    this.scan(0, n);
    this._length = n;
  }

  /** Drop all points (keeps capacity). */
  clear(): void {
    this._length = 0;
    this.nonFinite.length = 0;
    this.nonPositive.length = 0;
    this.epoch++;
  }

  /** Replace all points with the given columns. */
  replace(step: ArrayLike<number>, wall: ArrayLike<number>, value: ArrayLike<number>): void {
    this.clear();
    this.append(step, wall, value);
  }
}

function isTyped(a: ArrayLike<number>): a is Float64Array {
  return a instanceof Float64Array;
}

/** The values of `byId` in the order of `order` (ids missing from the map are skipped). */
export function inOrder<T>(order: readonly number[], byId: ReadonlyMap<number, T>): T[] {
  const out: T[] = [];
  for (const id of order) {
    const s = byId.get(id);
    if (s) out.push(s);
  }
  return out;
}
