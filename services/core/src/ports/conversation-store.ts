import type { Backend } from '../domain/health.js';
import type { Conversation } from '../domain/model.js';

/** Conversations, their members and admins, and each user's list of conversations. */
export interface ConversationStore extends Backend {
  /**
   * Creates `conversation` unless one with its id exists. Creating an existing id is not an error:
   * it resolves `{ created: false }` with the stored conversation, unchanged (direct conversations
   * have ids derived from their members, so a repeat lands here). Atomic per id.
   */
  create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }>;
  get(conversationId: string): Promise<Conversation | undefined>;
  /**
   * The stored members, or undefined when the conversation does not exist: one read, for whoever
   * must follow the stored membership and needs nothing else (the router worker's fan-out).
   */
  members(conversationId: string): Promise<string[] | undefined>;
  /** A user's conversations, newest `last_activity_at` first, at most `limit`. */
  listForUser(userId: string, limit: number): Promise<Conversation[]>;
  /**
   * Adds a member (idempotent: adding a member again changes nothing). Resolves the updated
   * conversation, or undefined when it does not exist. The caller enforces the size bound.
   */
  addMember(conversationId: string, userId: string): Promise<Conversation | undefined>;
  /**
   * Removes a member and its admin role (idempotent). When the last admin leaves and members
   * remain, the earliest remaining member becomes admin. Resolves the updated conversation, or
   * undefined when it does not exist.
   */
  removeMember(conversationId: string, userId: string): Promise<Conversation | undefined>;
  /** Records activity at `at` (ISO time); last_activity_at only moves forward. Idempotent. */
  touch(conversationId: string, at: string): Promise<void>;
}
