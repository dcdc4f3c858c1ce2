import { LRUCache } from 'lru-cache';

/** A set that remembers at most `capacity` keys, forgetting the oldest added first. */
export class RecentSet {
  private readonly keys: LRUCache<string, true>;

  constructor(capacity = 10_000) {
    this.keys = new LRUCache({ max: capacity });
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.set(key, true);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
