import {
  type Broker,
  type ConversationStore,
  type EventDelivery,
  type MessageStore,
  type MessageRecord,
  type ReceiptRecord,
  invalid,
  notFound,
} from '@chat4all/core';

export interface HandlerDeps {
  conversations: ConversationStore;
  messages: MessageStore;
  broker: Broker;
  now: () => number;
}

/**
 * Stores an accepted message (once: a redelivered record changes nothing), records the
 * conversation's activity, and publishes `new_message` to every member, the sender's other
 * devices included. Publishing again on a redelivery is deliberate: the first attempt may have
 * died between the store and the publish; clients drop duplicates by message_id.
 * Resolves the number of members notified.
 */
export async function handleMessage(deps: HandlerDeps, rec: MessageRecord): Promise<number> {
  const conv = await deps.conversations.get(rec.conversation_id);
  if (!conv) throw notFound('conversation_not_found', `conversation ${rec.conversation_id} does not exist`);
  if (!conv.members.includes(rec.sender_id)) throw invalid('sender_not_member', 'the sender is not a member of the conversation');
  if (rec.client_message_id !== undefined) {
    // The api claims client_message_ids; when it could not (store down), the claim happens here,
    // and a second record of the same send (a client retry meanwhile) is dropped.
    const claim = await deps.messages.claimClientMessageId(rec.sender_id, rec.client_message_id, { message_id: rec.message_id, conversation_id: rec.conversation_id, created_at: rec.created_at });
    if (claim.message_id !== rec.message_id) return 0;
  }
  const sentAt = new Date(deps.now()).toISOString();
  await deps.messages.insert({
    message_id: rec.message_id,
    conversation_id: rec.conversation_id,
    sender_id: rec.sender_id,
    content: rec.content,
    ...(rec.client_message_id === undefined ? {} : { client_message_id: rec.client_message_id }),
    created_at: rec.created_at,
    status: 'SENT',
    sent_at: sentAt,
  });
  await deps.conversations.touch(rec.conversation_id, rec.created_at);
  const deliveries: EventDelivery[] = conv.members.map((userId) => ({
    userId,
    body: {
      type: 'new_message',
      message_id: rec.message_id,
      conversation_id: rec.conversation_id,
      sender_id: rec.sender_id,
      content: rec.content,
      created_at: rec.created_at,
    },
  }));
  await deps.broker.publish(deliveries);
  return deliveries.length;
}

/**
 * Records a recipient's DELIVERED or READ. When it changes something, tells the sender (and,
 * for READ, the reader's own other devices) with `message_status`. Repeats change nothing and
 * publish nothing.
 */
export async function handleReceipt(deps: HandlerDeps, rec: ReceiptRecord): Promise<boolean> {
  const message = await deps.messages.get(rec.message_id);
  if (!message) throw notFound('message_not_found', `message ${rec.message_id} is not stored`);
  if (message.conversation_id !== rec.conversation_id) throw invalid('receipt_conversation', 'the receipt names another conversation');
  if (message.sender_id === rec.user_id) throw invalid('receipt_own_message', 'a sender cannot acknowledge its own message');
  const conv = await deps.conversations.get(rec.conversation_id);
  if (!conv?.members.includes(rec.user_id)) throw invalid('receipt_not_member', 'the recipient is not a member of the conversation');
  const { changed } = await deps.messages.recordReceipt(rec.message_id, rec.user_id, rec.status, rec.at);
  if (!changed) return false;
  const body = {
    type: 'message_status' as const,
    message_id: rec.message_id,
    conversation_id: rec.conversation_id,
    user_id: rec.user_id,
    status: rec.status,
    at: rec.at,
  };
  const to = rec.status === 'READ' ? [message.sender_id, rec.user_id] : [message.sender_id];
  await deps.broker.publish(to.map((userId) => ({ userId, body })));
  return true;
}
