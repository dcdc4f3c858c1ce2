import type { BackendHealth } from '../domain/health.js';
import type { Conversation } from '../domain/model.js';
import type { ConversationStore } from '../ports/conversation-store.js';

const copy = (c: Conversation): Conversation => ({ ...c, members: [...c.members], admins: [...c.admins] });

/** Conversations in memory. */
export class MemoryConversationStore implements ConversationStore {
  readonly backendName = 'memory';
  private readonly byId = new Map<string, Conversation>();
  private readonly byUser = new Map<string, Set<string>>();

  health(): BackendHealth {
    return { status: 'up' };
  }

  async create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }> {
    const existing = this.byId.get(conversation.conversation_id);
    if (existing) return { conversation: copy(existing), created: false };
    const c = copy(conversation);
    this.byId.set(c.conversation_id, c);
    for (const m of c.members) this.link(m, c.conversation_id);
    return { conversation: copy(c), created: true };
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    const c = this.byId.get(conversationId);
    return c && copy(c);
  }

  async members(conversationId: string): Promise<string[] | undefined> {
    const c = this.byId.get(conversationId);
    return c && [...c.members];
  }

  async listForUser(userId: string, limit: number): Promise<Conversation[]> {
    const ids = [...(this.byUser.get(userId) ?? [])];
    return ids
      .map((id) => this.byId.get(id)!)
      .sort((a, b) => (a.last_activity_at < b.last_activity_at ? 1 : a.last_activity_at > b.last_activity_at ? -1 : 0))
      .slice(0, limit)
      .map(copy);
  }

  async addMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    const c = this.byId.get(conversationId);
    if (!c) return undefined;
    if (!c.members.includes(userId)) c.members.push(userId);
    this.link(userId, conversationId);
    return copy(c);
  }

  async removeMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    const c = this.byId.get(conversationId);
    if (!c) return undefined;
    c.members = c.members.filter((m) => m !== userId);
    c.admins = c.admins.filter((m) => m !== userId);
    if (c.admins.length === 0 && c.members.length > 0) c.admins = [c.members[0]!];
    this.byUser.get(userId)?.delete(conversationId);
    return copy(c);
  }

  async touch(conversationId: string, at: string): Promise<void> {
    const c = this.byId.get(conversationId);
    if (c && at > c.last_activity_at) c.last_activity_at = at;
  }

  private link(userId: string, conversationId: string): void {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(conversationId);
  }
}
