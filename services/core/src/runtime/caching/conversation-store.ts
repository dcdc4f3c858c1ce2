import type { BackendHealth } from '../../domain/health.js';
import type { Conversation } from '../../domain/model.js';
import type { ConversationChangeListener, ConversationChanges } from '../../ports/conversation-changes.js';
import type { ConversationStore } from '../../ports/conversation-store.js';
import { ReadThroughCache } from './read-through.js';

export interface ConversationCacheOptions {
  /**
   * Where membership changes are announced and heard. Without it, changes made through another
   * instance are seen only when an entry expires (`ttlMs`).
   */
  changes?: ConversationChanges;
  /** A cached conversation is fresh this long (a change that was not heard is seen by then). @default 30_000 */
  ttlMs?: number;
  /** While the store is unavailable, a cached conversation this old may still be served. @default 900_000 */
  maxStaleMs?: number;
  /** Conversations kept at most (least recently used go first). @default 50_000 */
  maxEntries?: number;
  /** How long an announcement that failed is retried. @default ttlMs */
  announceForMs?: number;
  now?: () => number;
}

/**
 * A ConversationStore that remembers conversations it read, so the hot path (membership checks
 * on every send, typing and read frame) does not read the store each time, and keeps working on
 * what it remembers while the store is unavailable.
 *
 * A membership change made through it updates its own entry and is announced on `changes`;
 * every instance listening there (other api replicas, every gateway) drops its entry at once.
 * While the feed is down (changes may go unheard), entries are not trusted as fresh: every read
 * goes to the store, and a remembered conversation answers only when the store cannot. A failed
 * announcement is retried for `announceForMs`, after which every entry read before the change
 * has expired anyway.
 *
 * A decorator of the port: build one per process where the process is wired, and hand that one
 * to every role of the process (two would disagree until the second hears the change).
 */
export class CachingConversationStore implements ConversationStore, ConversationChangeListener {
  private readonly cache: ReadThroughCache<Conversation>;
  private readonly changes: ConversationChanges | undefined;
  private readonly announceForMs: number;
  private readonly now: () => number;
  /** Announcements that failed, by conversation id: since when. */
  private readonly unannounced = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: ConversationStore,
    options: ConversationCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    const ttlMs = options.ttlMs ?? 30_000;
    this.cache = new ReadThroughCache({ ttlMs, maxStaleMs: options.maxStaleMs ?? 900_000, maxEntries: options.maxEntries ?? 50_000, now: this.now });
    this.changes = options.changes;
    this.announceForMs = options.announceForMs ?? ttlMs;
  }

  get backendName(): string {
    return this.inner.backendName;
  }

  health(): BackendHealth {
    return this.inner.health();
  }

  /** Starts hearing changes (see ConversationChanges.listen). */
  listen(): Promise<void> {
    return this.changes ? this.changes.listen(this) : Promise.resolve();
  }

  changed(conversationId: string): void {
    this.cache.delete(conversationId);
  }

  missed(): void {
    this.cache.clear();
  }

  get(conversationId: string): Promise<Conversation | undefined> {
    const feedUp = this.changes === undefined || this.changes.health().status === 'up';
    return this.cache.get(conversationId, () => this.inner.get(conversationId), feedUp);
  }

  /** Always the store's: who needs only the members needs the stored ones. */
  members(conversationId: string): Promise<string[] | undefined> {
    return this.inner.members(conversationId);
  }

  async create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }> {
    const r = await this.inner.create(conversation);
    this.cache.set(r.conversation.conversation_id, r.conversation);
    return r;
  }

  listForUser(userId: string, limit: number): Promise<Conversation[]> {
    return this.inner.listForUser(userId, limit);
  }

  addMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    return this.changeMembers(conversationId, this.inner.addMember(conversationId, userId));
  }

  removeMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    return this.changeMembers(conversationId, this.inner.removeMember(conversationId, userId));
  }

  touch(conversationId: string, at: string): Promise<void> {
    return this.inner.touch(conversationId, at);
  }

  /** Stops retrying announcements. */
  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.unannounced.clear();
  }

  private async changeMembers(conversationId: string, change: Promise<Conversation | undefined>): Promise<Conversation | undefined> {
    const c = await change;
    this.cache.delete(conversationId);
    if (c) this.cache.set(conversationId, c);
    await this.announce(conversationId);
    return c;
  }

  /** Announces a change; when the feed cannot take it now, retries in the background. */
  private async announce(conversationId: string): Promise<void> {
    if (!this.changes) return;
    try {
      await this.changes.publish(conversationId);
      this.unannounced.delete(conversationId);
    } catch {
      if (!this.unannounced.has(conversationId)) this.unannounced.set(conversationId, this.now());
      this.retryTimer ??= setTimeout(() => void this.retryAnnouncements(), 1000);
      this.retryTimer.unref();
    }
  }

  private async retryAnnouncements(): Promise<void> {
    this.retryTimer = undefined;
    for (const [id, since] of [...this.unannounced]) {
      if (this.now() - since > this.announceForMs) this.unannounced.delete(id);
      else await this.announce(id);
    }
  }
}
