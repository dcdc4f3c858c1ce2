/** Domain records as the stores keep them. Times are ISO-8601 strings in UTC (wire format). */

export interface User {
  user_id: string;
  username: string;
  display_name: string;
  created_at: string;
}

/** A user with its credential, as kept by a UserStore. Never leaves the api. */
export interface UserRecord extends User {
  /** Self-describing password hash (algorithm and parameters included). */
  password_hash: string;
}

export type ConversationType = 'direct' | 'group';

export interface Conversation {
  conversation_id: string;
  type: ConversationType;
  /** The group's name; null for a direct conversation. */
  name: string | null;
  /** Member user ids, in the order they joined. */
  members: string[];
  /** Admin user ids, a subset of members. Both members of a direct conversation are admins. */
  admins: string[];
  created_by: string;
  created_at: string;
  /** The time of the latest stored message, or created_at when there is none. */
  last_activity_at: string;
}

/** What a message says of each file sent with it: enough to show it and to check a download. */
export interface AttachmentRef {
  attachment_id: string;
  /** The file's name as the sender gave it (no directories). */
  filename: string;
  content_type: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
}

/**
 * A file uploaded into a conversation. `pending` until its bytes are stored and checked, then
 * `ready`; sendable by its uploader in its conversation once ready. One never sent with a message by
 * `expires_at` (or never uploaded) is removed, bytes and record.
 */
export interface Attachment extends AttachmentRef {
  conversation_id: string;
  uploader_id: string;
  state: 'pending' | 'ready';
  created_at: string;
  expires_at: string;
  ready_at?: string;
  /** When it was first sent with a message: from then on it is kept. */
  sent_at?: string;
}

export type MessageStatus = 'ACCEPTED' | 'SENT' | 'DELIVERED' | 'READ';
const STATUS_RANK: Record<MessageStatus, number> = { ACCEPTED: 0, SENT: 1, DELIVERED: 2, READ: 3 };

/** True when `a` is further along the lifecycle than `b`. */
export function statusAfter(a: MessageStatus, b: MessageStatus): boolean {
  return STATUS_RANK[a] > STATUS_RANK[b];
}

/**
 * A stored message. `status` and its timestamps are the message's aggregate: the furthest step any
 * recipient has reached, each timestamp set once, the first time it was reached.
 */
export interface Message {
  message_id: string;
  conversation_id: string;
  sender_id: string;
  content: string;
  /** Files sent with the message; absent when none. */
  attachments?: AttachmentRef[];
  client_message_id?: string;
  /** When the api accepted it (status ACCEPTED). */
  created_at: string;
  status: MessageStatus;
  sent_at?: string;
  delivered_at?: string;
  read_at?: string;
}

/** One recipient's progress on one message. */
export interface Receipt {
  message_id: string;
  user_id: string;
  delivered_at?: string;
  read_at?: string;
}
