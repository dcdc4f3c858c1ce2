import { TOPIC_RECEIPTS, encodeRecord, type ReceiptRecord } from '@chat4all/contract';
import { conflict, notFound } from '../domain/errors.js';
import type { ConversationStore } from '../ports/conversation-store.js';
import type { EventLog } from '../ports/event-log.js';
import type { MessageStore } from '../ports/message-store.js';

export interface MarkReadDeps {
  messages: MessageStore;
  conversations: ConversationStore;
  eventLog: EventLog;
}

export interface ReadResult {
  message_id: string;
  status: 'READ';
  read_at: string;
}

/**
 * Marks a message read by `userId`, the one rule behind POST /v1/messages/{id}/read and the
 * WebSocket `read` frame. The message must be stored and the user a member of its conversation
 * (else `not_found`, so non-members learn nothing); a sender cannot read its own message
 * (`conflict`). Idempotent: a message already read answers its first read_at and appends nothing.
 * Otherwise a READ receipt goes to the event log (the worker stores it and tells the sender).
 */
export async function markRead(deps: MarkReadDeps, userId: string, messageId: string, now: number): Promise<ReadResult> {
  const message = await deps.messages.get(messageId);
  const conv = message && (await deps.conversations.get(message.conversation_id));
  if (!message || !conv?.members.includes(userId)) throw notFound('message_not_found', 'the message does not exist');
  if (message.sender_id === userId) throw conflict('own_message', 'a sender cannot mark its own message read');
  const existing = await deps.messages.getReceipt(messageId, userId);
  if (existing?.read_at !== undefined) return { message_id: messageId, status: 'READ', read_at: existing.read_at };
  const at = new Date(now).toISOString();
  const record: ReceiptRecord = { v: 1, message_id: messageId, conversation_id: message.conversation_id, user_id: userId, status: 'READ', at };
  await deps.eventLog.append(TOPIC_RECEIPTS, [{ key: message.conversation_id, value: encodeRecord(record) }]);
  return { message_id: messageId, status: 'READ', read_at: at };
}
