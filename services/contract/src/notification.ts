/**
 * The payload the broker publishes on a user's channel (Redis pub/sub, or the in-memory hub), and
 * that history reads give back: one server frame as the gateway forwards it to the user's
 * connections, either an event (with its event_id) or an ephemeral frame (typing, presence).
 */
import { type Check, type EphemeralFrame, type EventFrame, MAX_SERVER_FRAME_BYTES, MessageStatusEvent, NewMessageEvent, PresenceFrame, TypingFrame, checkFrame, frameCheck } from './frames.js';
import { type Decoded, parseObject } from './decode.js';

export type Notification = EventFrame | EphemeralFrame;

const checks: Record<string, Check<Notification>> = {
  new_message: frameCheck('new_message', NewMessageEvent),
  message_status: frameCheck('message_status', MessageStatusEvent),
  typing: frameCheck('typing', TypingFrame),
  presence: frameCheck('presence', PresenceFrame),
};

/**
 * A published payload, typed, or why it is not one: `notification_too_large`,
 * `notification_not_json`, `notification_not_object`, `unknown_frame` (a type no broker publishes)
 * or `invalid_frame` (a field missing or malformed; the message names it).
 */
export function decodeNotification(raw: string): Decoded<Notification> {
  const parsed = parseObject(raw, MAX_SERVER_FRAME_BYTES, 'notification', 'a notification');
  return parsed.ok ? checkFrame(checks, parsed.value) : parsed;
}

/** True for an event (kept in history, with an event_id), false for an ephemeral frame. */
export function isEvent(n: Notification): n is EventFrame {
  return n.type === 'new_message' || n.type === 'message_status';
}
