import { LRUCache } from 'lru-cache';

/**
 * Bounded memory, one way everywhere: a least-recently-used map (lru-cache),
 * optionally with a time to live. Packages that do not depend on lru-cache themselves take it
 * from here.
 */
export interface BoundOptions {
  /** Entries kept at most; past it the least recently used go first. */
  max: number;
  /** An entry is forgotten once it is older than this (since it was set). @default never */
  ttlMs?: number;
  /** The clock the time to live is measured on (tests move it). @default performance.now */
  now?: () => number;
}

/** What a bounded map holds as keys and values: anything but undefined and null. */
export type Defined = NonNullable<unknown>;

/** A bounded map: `get` counts as a use, `peek` and `has` do not. */
export type BoundedMap<K extends Defined, V extends Defined> = LRUCache<K, V>;

export function boundedMap<K extends Defined, V extends Defined>(o: BoundOptions): BoundedMap<K, V> {
  if (!Number.isSafeInteger(o.max) || o.max < 1) throw new RangeError(`a bound must be a positive integer, not ${o.max}`);
  return new LRUCache<K, V>({
    max: o.max,
    ...(o.ttlMs === undefined ? {} : { ttl: Math.max(1, Math.ceil(o.ttlMs)) }),
    // An injected clock is read each time (no 1 ms resolution timer): tests move it at will.
    ...(o.now === undefined ? {} : { perf: fromOne(o.now), ttlResolution: 0 }),
  });
}

/** `now` counted from 1 at the start (lru-cache takes a time of 0 for "no time to live"). */
function fromOne(now: () => number): { now: () => number } {
  const origin = now();
  return { now: () => now() - origin + 1 };
}

/** A bounded set: `add` and `touch` make a key the most recent; `has` does not. */
export class BoundedSet<K extends Defined> {
  private readonly keys: BoundedMap<K, true>;

  constructor(o: BoundOptions) {
    this.keys = boundedMap<K, true>(o);
  }

  has(key: K): boolean {
    return this.keys.has(key);
  }

  /** Whether `key` is there, counting as a use of it (it becomes the most recent). */
  touch(key: K): boolean {
    return this.keys.get(key) !== undefined;
  }

  /** Adds `key`, or refreshes it; false when it was there already. */
  add(key: K): boolean {
    const had = this.keys.has(key);
    this.keys.set(key, true);
    return !had;
  }

  delete(key: K): boolean {
    return this.keys.delete(key);
  }

  clear(): void {
    this.keys.clear();
  }

  get size(): number {
    return this.keys.size;
  }
}
