/**
 * ConversationStore on Cassandra. Tables (cql/001_initial.cql): conversations (the row, with a
 * `version`), conversations_by_user (listing), conversation_activity (last activity).
 *
 * - create: first the members' conversations_by_user rows, then INSERT ... IF NOT EXISTS (atomic
 *   per id); not applied resolves the stored conversation with created: false.
 * - addMember / removeMember: read, then UPDATE ... IF version = <read> (optimistic concurrency,
 *   retried with a serial read up to MAX_ATTEMPTS times), so concurrent changes never lose each
 *   other. The per-user row is written or deleted USING TIMESTAMP <version of the change>: the
 *   latest change wins whatever the order the writes land in. A repeat (already a member / not a
 *   member) rewrites that row at the current version, which repairs a write lost to a crash.
 * - touch: a plain UPDATE of conversation_activity USING TIMESTAMP <activity time in µs>: the
 *   newest activity wins, no lightweight transaction on the message path.
 * - listForUser reads at most MAX_LISTED conversation ids of the user, then each conversation
 *   and its activity in parallel, keeps those the user is still a member of, and sorts them by
 *   last activity in the client.
 */
import { unavailable, type BackendHealth, type Conversation, type ConversationStore, type ConversationType } from '@chat4all/core';
import type { CassandraSession, Row } from './cassandra-session.js';
import { requireIso, toDate, toIso, toMicros } from './cql-values.js';
import { mapLimit } from './parallel.js';

/** The most conversations listForUser considers for one user (newest activity among these). */
export const MAX_LISTED = 1_000;
const MAX_ATTEMPTS = 8;
const CONCURRENCY = 32;

const CQL = {
  /** args: user_id, conversation_id, write timestamp (the conversation version). */
  link: 'INSERT INTO conversations_by_user (user_id, conversation_id) VALUES (?, ?) USING TIMESTAMP ?',
  /** args: write timestamp (the conversation version), user_id, conversation_id. */
  unlink: 'DELETE FROM conversations_by_user USING TIMESTAMP ? WHERE user_id = ? AND conversation_id = ?',
  /** args: user_id, limit. returns conversation_id rows. */
  listIds: 'SELECT conversation_id FROM conversations_by_user WHERE user_id = ? LIMIT ?',
  /** args: conversation_id, type, name, members, admins, created_by, created_at. returns [applied] (+ the stored row). */
  create:
    'INSERT INTO conversations (conversation_id, type, name, members, admins, created_by, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1) IF NOT EXISTS',
  /** args: conversation_id. returns the row. */
  read: 'SELECT conversation_id, type, name, members, admins, created_by, created_at, version FROM conversations WHERE conversation_id = ?',
  /** args: members, admins, new version, conversation_id, read version. returns [applied]. */
  changeMembers: 'UPDATE conversations SET members = ?, admins = ?, version = ? WHERE conversation_id = ? IF version = ?',
  /** args: conversation_id. returns members. */
  readMembers: 'SELECT members FROM conversations WHERE conversation_id = ?',
  /** args: conversation_id. returns last_activity_at. */
  readActivity: 'SELECT last_activity_at FROM conversation_activity WHERE conversation_id = ?',
  /** args: write timestamp (activity µs), last_activity_at, conversation_id. */
  touch: 'UPDATE conversation_activity USING TIMESTAMP ? SET last_activity_at = ? WHERE conversation_id = ?',
} as const;

interface Stored {
  conversation: Conversation;
  version: number;
}

export class CassandraConversationStore implements ConversationStore {
  readonly backendName = 'cassandra';

  constructor(private readonly session: CassandraSession) {}

  health(): BackendHealth {
    return this.session.health();
  }

  async create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }> {
    const c = conversation;
    await mapLimit(c.members, CONCURRENCY, (m) => this.session.execute(CQL.link, [m, c.conversation_id, 1]));
    const rs = await this.session.execute(CQL.create, [c.conversation_id, c.type, c.name, c.members, c.admins, c.created_by, toDate(c.created_at)]);
    if (rs.wasApplied()) {
      if (c.last_activity_at > c.created_at) await this.touch(c.conversation_id, c.last_activity_at);
      return { conversation: { ...c, members: [...c.members], admins: [...c.admins] }, created: true };
    }
    const activity = await this.readActivity(c.conversation_id);
    return { conversation: toConversation(rs.first(), activity), created: false };
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    return (await this.read(conversationId))?.conversation;
  }

  async members(conversationId: string): Promise<string[] | undefined> {
    const row = (await this.session.execute(CQL.readMembers, [conversationId])).first();
    return row ? ((row['members'] as string[] | null) ?? []) : undefined;
  }

  async listForUser(userId: string, limit: number): Promise<Conversation[]> {
    if (limit <= 0) return [];
    const ids = (await this.session.execute(CQL.listIds, [userId, MAX_LISTED])).rows.map((r) => r['conversation_id'] as string);
    const found = await mapLimit(ids, CONCURRENCY, (id) => this.get(id));
    return found
      .filter((c): c is Conversation => c !== undefined && c.members.includes(userId))
      .sort((a, b) => (a.last_activity_at < b.last_activity_at ? 1 : a.last_activity_at > b.last_activity_at ? -1 : 0))
      .slice(0, limit);
  }

  addMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    return this.changeMembers(conversationId, userId, (c) => {
      if (c.members.includes(userId)) return undefined;
      return { members: [...c.members, userId], admins: c.admins };
    });
  }

  removeMember(conversationId: string, userId: string): Promise<Conversation | undefined> {
    return this.changeMembers(conversationId, userId, (c) => {
      if (!c.members.includes(userId)) return undefined;
      const members = c.members.filter((m) => m !== userId);
      let admins = c.admins.filter((m) => m !== userId);
      if (admins.length === 0 && members.length > 0) admins = [members[0]!];
      return { members, admins };
    });
  }

  async touch(conversationId: string, at: string): Promise<void> {
    await this.session.execute(CQL.touch, [toMicros(at), toDate(at), conversationId]);
  }

  /**
   * Applies `change` (undefined: nothing to change) with an optimistic LWT on `version`, then
   * makes `userId`'s conversations_by_user row agree with the resulting membership.
   */
  private async changeMembers(
    conversationId: string,
    userId: string,
    change: (c: Conversation) => { members: string[]; admins: string[] } | undefined,
  ): Promise<Conversation | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.read(conversationId, attempt > 0);
      if (!stored) return undefined;
      const next = change(stored.conversation);
      if (!next) {
        await this.syncLink(stored.conversation, userId, stored.version);
        return stored.conversation;
      }
      const version = stored.version + 1;
      const rs = await this.session.execute(CQL.changeMembers, [next.members, next.admins, version, conversationId, stored.version]);
      if (rs.wasApplied()) {
        const updated = { ...stored.conversation, ...next };
        await this.syncLink(updated, userId, version);
        return updated;
      }
    }
    throw unavailable('cassandra_contention', `too many concurrent membership changes to conversation ${conversationId}; retry`);
  }

  /** Writes or deletes `userId`'s listing row as `conversation` (at `version`) says. */
  private async syncLink(conversation: Conversation, userId: string, version: number): Promise<void> {
    if (conversation.members.includes(userId)) await this.session.execute(CQL.link, [userId, conversation.conversation_id, version]);
    else await this.session.execute(CQL.unlink, [version, userId, conversation.conversation_id]);
  }

  private async read(conversationId: string, serial = false): Promise<Stored | undefined> {
    const [rs, activity] = await Promise.all([this.session.execute(CQL.read, [conversationId], { serial }), this.readActivity(conversationId)]);
    const row = rs.first();
    if (!row) return undefined;
    return { conversation: toConversation(row, activity), version: row['version'] as number };
  }

  private async readActivity(conversationId: string): Promise<string | undefined> {
    return toIso((await this.session.execute(CQL.readActivity, [conversationId])).first()?.['last_activity_at']);
  }
}

function toConversation(row: Row, activity: string | undefined): Conversation {
  const createdAt = requireIso(row['created_at'], 'conversations.created_at');
  return {
    conversation_id: row['conversation_id'] as string,
    type: row['type'] as ConversationType,
    name: (row['name'] as string | null) ?? null,
    members: (row['members'] as string[] | null) ?? [],
    admins: (row['admins'] as string[] | null) ?? [],
    created_by: row['created_by'] as string,
    created_at: createdAt,
    last_activity_at: activity !== undefined && activity > createdAt ? activity : createdAt,
  };
}
