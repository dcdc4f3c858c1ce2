import { MAX_CONTENT_BYTES, TOPIC_MESSAGES, encodeRecord, type HistoryPage, type MessageRecord, type ReadAnswer, type SendAnswer, type SendMessageBody } from '@chat4all/contract';
import { Chat4AllError, conflict, decideSend, invalid, isChat4AllError, isUuid, markRead as markMessageRead, notFound, type ClientMessageClaim, type Message } from '@chat4all/core';
import { isoNow, type ApiContext } from '../context.js';
import { sendableAttachments } from './attachments.js';
import { conversationNotFound, memberConversation, memberConversationOf } from './conversations.js';

/** Internal: the answer body (the message is in the event log, not yet stored) plus whether it was a replay, which only metrics see. */
export interface SendMessageResult {
  accepted: SendAnswer;
  /** True when this was a retry of an earlier send (same client_message_id) answered with its first answer. */
  replayed: boolean;
}

const reused = () => conflict('client_message_id_reused', 'this client_message_id was used for another message');
const messageNotFound = () => notFound('message_not_found', 'the message does not exist');

function checkContent(content: string, withAttachments: boolean): void {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes === 0 && !withAttachments) throw invalid('content_empty', 'the content is empty', [{ field: 'body.content', message: 'must not be empty' }]);
  if (bytes > MAX_CONTENT_BYTES) {
    throw new Chat4AllError('too_large', 'content_too_large', `the content is ${bytes} bytes, over the bound of ${MAX_CONTENT_BYTES} UTF-8 bytes`);
  }
}

/** Appends one record keyed by its conversation. Any failure means nothing was accepted: 503, retry. */
async function append(ctx: ApiContext, topic: string, record: MessageRecord): Promise<void> {
  try {
    await ctx.eventLog.append(topic, [{ key: record.conversation_id, value: encodeRecord(record) }]);
  } catch (err) {
    const retryAfterSeconds = (isChat4AllError(err) && err.retryAfterSeconds) || 1;
    throw new Chat4AllError('unavailable', 'unavailable', 'the service cannot accept this now; retry later', { cause: err, retryAfterSeconds });
  }
}

/**
 * Accepts a message: checks its size, gives it a time-ordered id and appends it to the `messages`
 * topic. Membership and the client_message_id claim are core's decideSend (the rule the worker
 * applies again before storing): a non-member, like an unknown conversation, gets 404
 * `conversation_not_found`, and nothing is claimed before the attachments are checked. When the
 * store cannot claim now, the message is accepted unclaimed and the worker claims it (a retry
 * during the outage may get another message_id, but one message is stored). With a
 * client_message_id, a retry answers the first answer and stores one message: if the first
 * message is already stored nothing is appended; otherwise the same record is appended again (the
 * first append may have failed; the worker's insert is idempotent by message_id).
 */
export async function sendMessage(ctx: ApiContext, senderId: string, input: SendMessageBody): Promise<SendMessageResult> {
  const attachmentIds = input.attachments ?? [];
  checkContent(input.content, attachmentIds.length > 0);
  const waitMs = ctx.sendLimiter.take(senderId);
  if (waitMs > 0) throw new Chat4AllError('rate_limited', 'rate_limited', 'too many messages; slow down', { retryAfterSeconds: Math.ceil(waitMs / 1000) });
  if (!isUuid(input.conversation_id)) throw conversationNotFound();
  const cmid = input.client_message_id;
  const candidate: ClientMessageClaim = { message_id: ctx.ids.next(), conversation_id: input.conversation_id, created_at: isoNow(ctx) };
  let attachments: MessageRecord['attachments'];
  const { verdict, claim } = await decideSend(
    { members: async (id) => (await ctx.conversations.get(id))?.members, messages: ctx.messages },
    { sender_id: senderId, conversation_id: input.conversation_id, candidate, ...(cmid === undefined ? {} : { client_message_id: cmid }) },
    {
      refuse: () => conversationNotFound(),
      beforeClaim: async () => {
        if (attachmentIds.length > 0) attachments = await sendableAttachments(ctx, senderId, input.conversation_id, attachmentIds);
      },
      deferClaimWhenUnavailable: true,
    },
  );
  if (verdict === 'reused') throw reused();
  const replayed = verdict === 'repeat';
  const accepted: SendAnswer = { message_id: claim.message_id, conversation_id: claim.conversation_id, status: 'ACCEPTED', created_at: claim.created_at };
  if (replayed) {
    const stored = await ctx.messages.get(claim.message_id);
    if (stored) {
      const storedIds = (stored.attachments ?? []).map((a) => a.attachment_id);
      if (stored.content !== input.content || storedIds.join() !== attachmentIds.join()) throw reused();
      return { accepted, replayed };
    }
  }
  const record: MessageRecord = { v: 1, ...claim, sender_id: senderId, content: input.content, ...(attachments === undefined ? {} : { attachments }), ...(cmid === undefined ? {} : { client_message_id: cmid }) };
  await append(ctx, TOPIC_MESSAGES, record);
  return { accepted, replayed };
}

/** A stored message of one of the caller's conversations. */
export async function getMessage(ctx: ApiContext, callerId: string, messageId: string): Promise<Message> {
  const m = isUuid(messageId) ? await ctx.messages.get(messageId) : undefined;
  if (!m) throw messageNotFound();
  await memberConversationOf(ctx, callerId, m.conversation_id, messageNotFound);
  return m;
}

/** A page of a conversation's stored messages, oldest first, older than `before` when given. */
export async function readHistory(ctx: ApiContext, callerId: string, conversationId: string, page: { limit: number; before?: string }): Promise<HistoryPage> {
  await memberConversation(ctx, callerId, conversationId);
  const { messages, has_more } = await ctx.messages.history(conversationId, page);
  const first = messages[0];
  return has_more && first ? { messages, next_before: first.message_id } : { messages };
}

/**
 * Marks a stored message read by the caller: core's one rule for the api and the WebSocket `read`
 * frame (members only, not the sender, idempotent once stored).
 */
export async function markRead(ctx: ApiContext, callerId: string, messageId: string): Promise<ReadAnswer> {
  if (!isUuid(messageId)) throw messageNotFound();
  try {
    return await markMessageRead(ctx, callerId, messageId, ctx.now());
  } catch (err) {
    if (isChat4AllError(err, 'unavailable')) throw new Chat4AllError('unavailable', 'unavailable', 'the service cannot accept this now; retry later', { cause: err, retryAfterSeconds: err.retryAfterSeconds ?? 1 });
    throw err;
  }
}
