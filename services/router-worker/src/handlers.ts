import type { MessageRecord, ReceiptRecord } from '@chat4all/contract';
import { type ConversationStore, type EventDelivery, type Message, type MessageStore, decideSend, invalid, notFound } from '@chat4all/core';

export interface HandlerDeps {
  conversations: Pick<ConversationStore, 'members' | 'touch'>;
  messages: MessageStore;
  now: () => number;
  /** What a receipt needs of its message, when known without a read (messages stored recently). */
  knownMessage?: (messageId: string) => Pick<Message, 'conversation_id' | 'sender_id'> | undefined;
}

/**
 * Stores an accepted message (once: a redelivered record changes nothing) and records the
 * conversation's activity; resolves the `new_message` events for every member, the sender's other
 * devices included, for the caller to publish. They are resolved on a redelivery too, on purpose:
 * the first attempt may have died between the store and the publish; clients drop duplicates by
 * message_id. Resolves none for a second record of the same send (same client_message_id).
 */
export async function storeMessage(deps: HandlerDeps, rec: MessageRecord): Promise<EventDelivery[]> {
  // Core's decideSend, the api's rule applied again to what the store holds now: the record is
  // not trusted (it may be stale, or not the api's). A conversation that does not exist or a
  // sender that is not a member fails the record; nothing is claimed then. The claim made here is
  // one plain read when the api claimed already (see claimClientMessageId); when the api could
  // not (store down), it is made here, and a second record of the same send is dropped.
  const { verdict, members } = await decideSend(
    { members: (id) => deps.conversations.members(id), messages: deps.messages },
    {
      sender_id: rec.sender_id,
      conversation_id: rec.conversation_id,
      candidate: { message_id: rec.message_id, conversation_id: rec.conversation_id, created_at: rec.created_at },
      ...(rec.client_message_id === undefined ? {} : { client_message_id: rec.client_message_id }),
    },
  );
  if (verdict !== 'accept') return [];
  const sentAt = new Date(deps.now()).toISOString();
  const insert = deps.messages.insert({
    message_id: rec.message_id,
    conversation_id: rec.conversation_id,
    sender_id: rec.sender_id,
    content: rec.content,
    ...(rec.attachments === undefined ? {} : { attachments: rec.attachments }),
    ...(rec.client_message_id === undefined ? {} : { client_message_id: rec.client_message_id }),
    created_at: rec.created_at,
    status: 'SENT',
    sent_at: sentAt,
  });
  // Independent writes (touch keeps the newest time whatever the order): one round trip, not two.
  await Promise.all([insert, deps.conversations.touch(rec.conversation_id, rec.created_at)]);
  return members.map((userId) => ({
    userId,
    body: {
      type: 'new_message',
      message_id: rec.message_id,
      conversation_id: rec.conversation_id,
      sender_id: rec.sender_id,
      content: rec.content,
      ...(rec.attachments === undefined ? {} : { attachments: rec.attachments }),
      created_at: rec.created_at,
    },
  }));
}

/**
 * Records a recipient's DELIVERED or READ. When it changes something, resolves the
 * `message_status` events for the sender (and, for READ, the reader's own other devices), each
 * only while a member of the conversation: a member who left hears nothing more of it.
 *
 * A repeat resolves the events again only when it is the very record that set the time (same
 * status, same `at`): a redelivery after the first attempt stored the receipt but could not
 * publish (a broker failover, a crash in between), so that first publication is never lost.
 * Repeats from other devices or gateways (other times) resolve none.
 */
export async function storeReceipt(deps: HandlerDeps, rec: ReceiptRecord): Promise<EventDelivery[]> {
  const known = deps.knownMessage?.(rec.message_id);
  const [message, members] = await Promise.all([known ?? deps.messages.get(rec.message_id), deps.conversations.members(rec.conversation_id)]);
  if (!message) throw notFound('message_not_found', `message ${rec.message_id} is not stored`);
  if (message.conversation_id !== rec.conversation_id) throw invalid('receipt_conversation', 'the receipt names another conversation');
  if (message.sender_id === rec.user_id) throw invalid('receipt_own_message', 'a sender cannot acknowledge its own message');
  if (!members?.includes(rec.user_id)) throw invalid('receipt_not_member', 'the recipient is not a member of the conversation');
  const { changed, receipt } = await deps.messages.recordReceipt(rec.message_id, rec.user_id, rec.status, rec.at);
  const storedAt = rec.status === 'READ' ? receipt.read_at : receipt.delivered_at;
  const setByThisRecord = storedAt !== undefined && Date.parse(storedAt) === Date.parse(rec.at);
  if (!changed && !setByThisRecord) return [];
  const body = {
    type: 'message_status' as const,
    message_id: rec.message_id,
    conversation_id: rec.conversation_id,
    user_id: rec.user_id,
    status: rec.status,
    at: rec.at,
  };
  const to = rec.status === 'READ' ? [message.sender_id, rec.user_id] : [message.sender_id];
  return to.filter((userId) => members.includes(userId)).map((userId) => ({ userId, body }));
}
