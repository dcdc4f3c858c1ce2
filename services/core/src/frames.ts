import type { AttachmentRef, MessageStatus } from './model.js';

/**
 * Server frames of the WebSocket wire contract (v1). Frames that are events carry `event_id`; the
 * broker assigns it when it publishes, so the bodies below are what producers hand to the broker.
 */
export interface NewMessageBody {
  type: 'new_message';
  message_id: string;
  conversation_id: string;
  sender_id: string;
  content: string;
  /** The files sent with the message; absent when none. */
  attachments?: AttachmentRef[];
  created_at: string;
}

export interface MessageStatusBody {
  type: 'message_status';
  message_id: string;
  conversation_id: string;
  /** The recipient whose progress this is. */
  user_id: string;
  status: MessageStatus;
  at: string;
}

/** Bodies of events, which are kept in a user's history for catch-up. */
export type EventBody = NewMessageBody | MessageStatusBody;

export interface TypingFrame {
  type: 'typing';
  conversation_id: string;
  user_id: string;
}

export interface PresenceFrame {
  type: 'presence';
  user_id: string;
  status: 'online' | 'offline';
  at: string;
}

/** Ephemeral frames: published live, never kept for catch-up. */
export type EphemeralFrame = TypingFrame | PresenceFrame;

export interface ConnectedFrame {
  type: 'connected';
  user_id: string;
  connection_id: string;
  server_time: string;
  recovered?: boolean;
}

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
}

/** Client frames. */
export type ClientFrame =
  | { type: 'ping' }
  | { type: 'typing'; conversation_id: string }
  | { type: 'read'; message_id: string }
  | { type: 'auth'; token: string };

/**
 * The payload of an event as it travels on pub/sub and sits in history: the body's JSON with
 * `event_id` as its first field. Built by string concatenation so a broker (a Lua script, say) can
 * add the id it assigns without parsing the body.
 */
export function eventPayload(eventId: string, bodyJson: string): string {
  return `{"event_id":${JSON.stringify(eventId)},${bodyJson.slice(1)}`;
}

/** Reads event_id and type off a payload without trusting it; undefined when it is not an event. */
export function peekEvent(payload: string): { event_id?: string; type?: string; [k: string]: unknown } | undefined {
  try {
    const v: unknown = JSON.parse(payload);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
