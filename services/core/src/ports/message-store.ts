import type { Backend } from '../domain/health.js';
import type { Message, MessageStatus, Receipt } from '../domain/model.js';

export interface HistoryPage {
  /** Oldest first. */
  messages: Message[];
  /** True when older messages exist before the first one returned. */
  has_more: boolean;
}

export interface ClientMessageClaim {
  message_id: string;
  conversation_id: string;
  created_at: string;
}

export interface ReceiptChange {
  /** False when the recipient had already reached `status` (a repeat): nothing changed. */
  changed: boolean;
  /** The recipient's receipt after the call. */
  receipt: Receipt;
}

/** Messages, their status, per-recipient receipts, and the send idempotency keys. */
export interface MessageStore extends Backend {
  /**
   * Stores `message` (with status SENT and sent_at set by the caller) unless a message with its
   * id exists. Idempotent: a repeat resolves `{ inserted: false }` and changes nothing.
   */
  insert(message: Message): Promise<{ inserted: boolean }>;
  get(messageId: string): Promise<Message | undefined>;
  /**
   * The newest `limit` messages of a conversation with ids below `before` (all when absent),
   * returned oldest first. Message ids are time-ordered, so this pages backwards in time.
   */
  history(conversationId: string, options: { limit: number; before?: string }): Promise<HistoryPage>;
  /**
   * Records that `userId` reached `status` (DELIVERED or READ) on message `messageId` at `at`.
   * Monotonic and idempotent: each timestamp is set once, the first time; READ implies DELIVERED.
   * Also advances the message's aggregate status and timestamps. Rejects with `not_found` when
   * the message is not stored.
   */
  recordReceipt(messageId: string, userId: string, status: Exclude<MessageStatus, 'ACCEPTED' | 'SENT'>, at: string): Promise<ReceiptChange>;
  getReceipt(messageId: string, userId: string): Promise<Receipt | undefined>;
  /**
   * Binds a sender's client_message_id to `candidate` if it is free and resolves `candidate`;
   * otherwise resolves the claim made first. Atomic: concurrent claims agree on one winner.
   */
  claimClientMessageId(senderId: string, clientMessageId: string, candidate: ClientMessageClaim): Promise<ClientMessageClaim>;
}
