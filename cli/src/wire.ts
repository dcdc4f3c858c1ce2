/**
 * The parts of the Chat4All wire contract (v1, docs/design.md) the CLI reads and writes.
 * Declared here, not imported from the server, so the client depends on the contract only.
 */

export interface User {
  user_id: string;
  username: string;
  display_name: string;
  created_at?: string;
}

export interface Member {
  user_id: string;
  username: string;
  display_name?: string;
  online?: boolean;
}

export interface Conversation {
  conversation_id: string;
  type: 'direct' | 'group';
  /** The group's name; null (or absent) for a direct conversation. */
  name?: string | null;
  members: Member[];
  admins: string[];
  created_at: string;
  last_activity_at?: string;
}

export type MessageStatus = 'ACCEPTED' | 'SENT' | 'DELIVERED' | 'READ';

/** A file sent with a message, as messages and `new_message` frames list it (docs/attachments.md). */
export interface AttachmentRef {
  attachment_id: string;
  filename: string;
  content_type: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the bytes, 64 lower-case hex digits. */
  sha256: string;
}

/** An attachment as the API shows it (POST /v1/attachments, its upload, GET /v1/attachments/{id}). */
export interface Attachment extends AttachmentRef {
  conversation_id: string;
  uploader_id: string;
  state: 'pending' | 'ready';
  created_at: string;
  expires_at: string;
  ready_at?: string;
  sent_at?: string;
  /** While pending: the path to PUT the bytes to. */
  upload_url?: string;
}

/** What POST /v1/attachments takes. */
export interface NewAttachment {
  conversation_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
}

/** A signed download link (GET /v1/attachments/{id}/link): whoever holds it may download until it expires. */
export interface AttachmentLink {
  url: string;
  expires_at: string;
}

export interface Message {
  message_id: string;
  conversation_id: string;
  sender_id: string;
  /** May be empty when the message carries attachments. */
  content: string;
  attachments?: AttachmentRef[];
  created_at: string;
  status: MessageStatus;
  sent_at?: string;
  delivered_at?: string;
  read_at?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export interface SendResponse {
  message_id: string;
  conversation_id: string;
  status: MessageStatus;
  created_at: string;
}

export interface HistoryPage {
  messages: Message[];
  next_before?: string;
}

export interface ReadResponse {
  message_id: string;
  status: 'READ';
  read_at: string;
}

/** Server frames of the gateway. Events (`new_message`, `message_status`) carry `event_id`. */
export interface ConnectedFrame {
  type: 'connected';
  user_id: string;
  connection_id: string;
  server_time: string;
  recovered?: boolean;
}

export interface NewMessageFrame {
  type: 'new_message';
  event_id?: string;
  message_id: string;
  conversation_id: string;
  sender_id: string;
  content: string;
  /** The files sent with the message; absent when none. */
  attachments?: AttachmentRef[];
  created_at: string;
  /** Set by the CLI (never by the server) on messages it fetched over HTTP after a gap. */
  catch_up?: true;
}

export interface MessageStatusFrame {
  type: 'message_status';
  event_id?: string;
  message_id: string;
  conversation_id: string;
  user_id: string;
  status: MessageStatus;
  at: string;
}

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

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
}

export interface PongFrame {
  type: 'pong';
}

export type ServerFrame = ConnectedFrame | NewMessageFrame | MessageStatusFrame | TypingFrame | PresenceFrame | ErrorFrame | PongFrame;

/** The frames a client shows: what the server pushes about messages and people. */
export type NotificationFrame = NewMessageFrame | MessageStatusFrame | TypingFrame | PresenceFrame;

export type ClientFrame = { type: 'ping' } | { type: 'typing'; conversation_id: string } | { type: 'read'; message_id: string };

const FRAME_TYPES = new Set(['connected', 'new_message', 'message_status', 'typing', 'presence', 'error', 'pong']);

/** Parses one text frame; undefined for anything that is not a JSON object with a known `type`. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && FRAME_TYPES.has(type) ? (value as ServerFrame) : undefined;
}
