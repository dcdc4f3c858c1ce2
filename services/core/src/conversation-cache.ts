import { isChat4AllError } from './errors.js';
import type { BackendHealth } from './health.js';
import type { Conversation } from './model.js';
import type { ConversationStore } from './ports/conversation-store.js';

export interface ConversationCacheOptions {
  /** A cached conversation is fresh this long. @default 30_000 */
  ttlMs?: number;
  /** While the store is unavailable, a cached conversation this old may still be served. @default 900_000 */
  maxStaleMs?: number;
  /** Conversations kept at most (least recently used go first). @default 50_000 */
  maxEntries?: number;
  now?: () => number;
}

/**
 * A ConversationStore that remembers conversations it read, so the hot path (membership checks
 * on every send and typing frame) does not read the store each time, and keeps working on what it
 * remembers while the store is unavailable. Changes made through it update the cache; changes
 * made elsewhere (another replica) are seen within `ttlMs`.
 */
export class CachingConversationStore implements ConversationStore {
  private readonly entries = new Map<string, { conversation: Conversation; at: number }>();
  private readonly ttlMs: number;
  private readonly maxStaleMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: ConversationStore,
    options: ConversationCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxStaleMs = options.maxStaleMs ?? 900_000;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  get backendName(): string {
    return this.inner.backendName;
  }

  health(): BackendHealth {
    return this.inner.health();
  }

  private remember(c: Conversation | undefined): Conversation | undefined {
    if (!c) return c;
    this.entries.delete(c.conversation_id);
    this.entries.set(c.conversation_id, { conversation: c, at: this.now() });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return c;
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    const hit = this.entries.get(conversationId);
    const age = hit ? this.now() - hit.at : Infinity;
    if (hit && age < this.ttlMs) return hit.conversation;
    try {
      const c = await this.inner.get(conversationId);
      if (!c) this.entries.delete(conversationId);
      return this.remember(c);
    } catch (err) {
      if (hit && age < this.maxStaleMs && isChat4AllError(err, 'unavailable')) return hit.conversation;
      throw err;
    }
  }

  async create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }> {
    const r = await this.inner.create(conversation);
    this.remember(r.conversation);
    return r;
  }

  listForUser(userId: string, limit: number): Promise<Conversation[]> {
    return this.inner.listForUser(userId, limit);
  }

  async addMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    return this.remember(await this.inner.addMember(conversationId, userId));
  }

  async removeMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    const c = await this.inner.removeMember(conversationId, userId);
    if (!c) this.entries.delete(conversationId);
    return this.remember(c);
  }

  touch(conversationId: string, at: string): Promise<void> {
    return this.inner.touch(conversationId, at);
  }
}
