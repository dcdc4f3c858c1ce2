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

export const MAX_MEMBERS = 256;
export const MAX_CONTENT_BYTES = 10_240;

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
