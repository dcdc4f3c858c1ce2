import { isChat4AllError } from '../../domain/errors.js';
import { type BoundedMap, boundedMap } from './bounded.js';

export interface ReadThroughCacheOptions {
  /** An entry is fresh this long after it was read. */
  ttlMs: number;
  /** While the store answers `unavailable`, an entry this old may still be served. */
  maxStaleMs: number;
  /** Entries kept at most (least recently read go first). */
  maxEntries: number;
  now: () => number;
}

interface Entry<V> {
  value: V;
  at: number;
}

/**
 * Remembers what a store answered, by key: fresh entries answer without a read, and while the
 * store is `unavailable` an entry younger than `maxStaleMs` answers instead of the error. Only
 * values are remembered, never absence. A read that was in flight when an entry was dropped
 * (`delete`, `clear`) does not bring the old value back.
 *
 * Bounded by a BoundedMap: `maxEntries` least recently read first out, and no entry outlives
 * the longer of `ttlMs` and `maxStaleMs`.
 */
export class ReadThroughCache<V> {
  private readonly entries: BoundedMap<string, Entry<V>>;
  /** Counts drops: a read started before one does not store what it read. */
  private epoch = 0;

  constructor(private readonly o: ReadThroughCacheOptions) {
    this.entries = boundedMap({ max: o.maxEntries, ttlMs: Math.max(o.ttlMs, o.maxStaleMs), now: o.now });
  }

  /**
   * The value of `key`: the remembered one when it is fresh and `trustFresh`, else `load()`'s
   * (remembered), else, when `load` rejects `unavailable`, a remembered one that is not too old.
   */
  async get(key: string, load: () => Promise<V | undefined>, trustFresh = true): Promise<V | undefined> {
    const hit = this.entries.get(key);
    const age = hit ? this.o.now() - hit.at : Infinity;
    if (hit && trustFresh && age < this.o.ttlMs) return hit.value;
    const epoch = this.epoch;
    try {
      const value = await load();
      if (value === undefined) this.entries.delete(key);
      else if (epoch === this.epoch) this.set(key, value);
      return value;
    } catch (err) {
      if (hit && this.entries.peek(key) === hit && age < this.o.maxStaleMs && isChat4AllError(err, 'unavailable')) return hit.value;
      throw err;
    }
  }

  /** Remembers `value` as read now. */
  set(key: string, value: V): void {
    this.entries.set(key, { value, at: this.o.now() });
  }

  delete(key: string): void {
    this.epoch++;
    this.entries.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  /** Entries remembered now (expired ones may still count until they are touched). */
  get size(): number {
    return this.entries.size;
  }
}
