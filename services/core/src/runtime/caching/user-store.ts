import type { BackendHealth } from '../../domain/health.js';
import type { UserRecord } from '../../domain/model.js';
import type { UserStore } from '../../ports/user-store.js';
import { ReadThroughCache } from './read-through.js';

export interface UserCacheOptions {
  /** A remembered user is read again after this long. @default 300_000 */
  ttlMs?: number;
  /** While the store is unavailable, a user remembered this long ago still answers. @default 86_400_000 */
  maxStaleMs?: number;
  /** Users kept at most (least recently read go first). @default 100_000 */
  maxEntries?: number;
  now?: () => number;
}

/**
 * A UserStore that remembers the users it read by id, so authenticating a request or a
 * connection (which must find the token's user) does not read the store every time, and goes on
 * working for known users while the store is unavailable. Only users that exist are remembered:
 * an id the store does not know is asked again each time, and answered as unknown. Users are
 * never deleted nor changed once created, so what it remembers stays true.
 *
 * A decorator of the port, like CachingConversationStore: one per process, built where the
 * process is wired.
 */
export class CachingUserStore implements UserStore {
  private readonly cache: ReadThroughCache<UserRecord>;

  constructor(
    private readonly inner: UserStore,
    options: UserCacheOptions = {},
  ) {
    this.cache = new ReadThroughCache({
      ttlMs: options.ttlMs ?? 300_000,
      maxStaleMs: options.maxStaleMs ?? 86_400_000,
      maxEntries: options.maxEntries ?? 100_000,
      now: options.now ?? Date.now,
    });
  }

  get backendName(): string {
    return this.inner.backendName;
  }

  health(): BackendHealth {
    return this.inner.health();
  }

  async create(user: UserRecord): Promise<void> {
    await this.inner.create(user);
    this.cache.set(user.user_id, user);
  }

  getById(userId: string): Promise<UserRecord | undefined> {
    return this.cache.get(userId, () => this.inner.getById(userId));
  }

  getByUsername(username: string): Promise<UserRecord | undefined> {
    return this.inner.getByUsername(username);
  }

  getManyById(userIds: string[]): Promise<UserRecord[]> {
    return this.inner.getManyById(userIds);
  }
}
