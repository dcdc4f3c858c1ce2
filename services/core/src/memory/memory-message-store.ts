import { notFound } from '../domain/errors.js';
import type { BackendHealth } from '../domain/health.js';
import { statusAfter, type Message, type MessageStatus, type Receipt } from '../domain/model.js';
import type { ClientMessageClaim, HistoryPage, MessageStore, ReceiptChange } from '../ports/message-store.js';

/** Messages in memory; each conversation's messages kept sorted by id. */
export class MemoryMessageStore implements MessageStore {
  readonly backendName = 'memory';
  private readonly byId = new Map<string, Message>();
  private readonly byConversation = new Map<string, string[]>();
  private readonly receipts = new Map<string, Receipt>();
  private readonly claims = new Map<string, ClientMessageClaim>();

  health(): BackendHealth {
    return { status: 'up' };
  }

  async insert(message: Message): Promise<{ inserted: boolean }> {
    if (this.byId.has(message.message_id)) return { inserted: false };
    this.byId.set(message.message_id, { ...message });
    let ids = this.byConversation.get(message.conversation_id);
    if (!ids) this.byConversation.set(message.conversation_id, (ids = []));
    // Ids are time-ordered and mostly arrive in order: insert from the end.
    let i = ids.length;
    while (i > 0 && ids[i - 1]! > message.message_id) i--;
    ids.splice(i, 0, message.message_id);
    return { inserted: true };
  }

  async get(messageId: string): Promise<Message | undefined> {
    const m = this.byId.get(messageId);
    return m && { ...m };
  }

  async history(conversationId: string, options: { limit: number; before?: string }): Promise<HistoryPage> {
    const ids = this.byConversation.get(conversationId) ?? [];
    let end = ids.length;
    if (options.before !== undefined) {
      const before = options.before;
      while (end > 0 && ids[end - 1]! >= before) end--;
    }
    const start = Math.max(0, end - options.limit);
    return { messages: ids.slice(start, end).map((id) => ({ ...this.byId.get(id)! })), has_more: start > 0 };
  }

  async recordReceipt(messageId: string, userId: string, status: Exclude<MessageStatus, 'ACCEPTED' | 'SENT'>, at: string): Promise<ReceiptChange> {
    const m = this.byId.get(messageId);
    if (!m) throw notFound('message_not_found', `message ${messageId} is not stored`);
    const key = `${messageId}\0${userId}`;
    const r: Receipt = this.receipts.get(key) ?? { message_id: messageId, user_id: userId };
    let changed = false;
    if (r.delivered_at === undefined) {
      r.delivered_at = at;
      changed = status === 'DELIVERED';
    }
    if (status === 'READ' && r.read_at === undefined) {
      r.read_at = at;
      changed = true;
    }
    this.receipts.set(key, r);
    if (m.delivered_at === undefined) m.delivered_at = r.delivered_at;
    if (status === 'READ' && m.read_at === undefined) m.read_at = r.read_at;
    if (statusAfter(status, m.status)) m.status = status;
    return { changed, receipt: { ...r } };
  }

  async getReceipt(messageId: string, userId: string): Promise<Receipt | undefined> {
    const r = this.receipts.get(`${messageId}\0${userId}`);
    return r && { ...r };
  }

  async claimClientMessageId(senderId: string, clientMessageId: string, candidate: ClientMessageClaim): Promise<ClientMessageClaim> {
    const key = `${senderId}\0${clientMessageId}`;
    const existing = this.claims.get(key);
    if (existing) return { ...existing };
    this.claims.set(key, { ...candidate });
    return { ...candidate };
  }
}
