/**
 * AttachmentStore on Cassandra. Tables (cql/004_attachments.cql): attachments (one row each) and
 * attachments_unsent (the work list of the sweep, by expiry, in SHARDS partitions).
 *
 * - create writes the row and its work-list entry (plain, idempotent writes).
 * - markReady / markSent set state and times; ready_at and sent_at are written USING TIMESTAMP
 *   (INVERSION_BASE_MICROS - time): the first time wins in any order. markSent also deletes the
 *   work-list entry.
 * - expired reads every shard up to `before` and merges them by expiry; an entry whose row is gone
 *   or sent (an interrupted remove or send) is dropped from the list as it is read.
 */
import type { Attachment, AttachmentStore, BackendHealth } from '@chat4all/core';
import { INVERSION_BASE_MICROS } from './cassandra-message-store.js';
import type { CassandraSession, Row } from './cassandra-session.js';
import { requireIso, toDate, toIso } from './cql-values.js';

const SHARDS = 8;
const COLUMNS = 'attachment_id, conversation_id, uploader_id, filename, content_type, size, sha256, state, created_at, expires_at, ready_at, sent_at';

const CQL = {
  /** args: the columns of COLUMNS but ready_at and sent_at. */
  insert: `INSERT INTO attachments (${COLUMNS.replace(', ready_at, sent_at', '')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** args: shard, expires_at, attachment_id. */
  listUnsent: 'INSERT INTO attachments_unsent (shard, expires_at, attachment_id) VALUES (?, ?, ?)',
  /** args: shard, expires_at, attachment_id. */
  unlistUnsent: 'DELETE FROM attachments_unsent WHERE shard = ? AND expires_at = ? AND attachment_id = ?',
  /** args: attachment_id. returns COLUMNS. */
  read: `SELECT ${COLUMNS} FROM attachments WHERE attachment_id = ?`,
  /** args: attachment_id. */
  ready: "UPDATE attachments SET state = 'ready' WHERE attachment_id = ?",
  /** args: write timestamp (inverted), ready_at, attachment_id. */
  readyAt: 'UPDATE attachments USING TIMESTAMP ? SET ready_at = ? WHERE attachment_id = ?',
  /** args: write timestamp (inverted), sent_at, attachment_id. */
  sentAt: 'UPDATE attachments USING TIMESTAMP ? SET sent_at = ? WHERE attachment_id = ?',
  /** args: shard, expires_at bound (exclusive), limit. returns expires_at, attachment_id, oldest first. */
  unsentBefore: 'SELECT expires_at, attachment_id FROM attachments_unsent WHERE shard = ? AND expires_at < ? LIMIT ?',
  /** args: attachment_id. */
  remove: 'DELETE FROM attachments WHERE attachment_id = ?',
} as const;

/** The work-list partition of an attachment id. */
function shardOf(attachmentId: string): number {
  let h = 0;
  for (let i = 0; i < attachmentId.length; i++) h = (h * 31 + attachmentId.charCodeAt(i)) | 0;
  return Math.abs(h) % SHARDS;
}

function inverted(iso: string): number {
  return INVERSION_BASE_MICROS - toDate(iso).getTime() * 1000;
}

export class CassandraAttachmentStore implements AttachmentStore {
  readonly backendName = 'cassandra';

  constructor(private readonly session: CassandraSession) {}

  health(): BackendHealth {
    return this.session.health();
  }

  async create(a: Attachment): Promise<void> {
    if (await this.get(a.attachment_id)) return;
    await this.session.execute(CQL.listUnsent, [shardOf(a.attachment_id), toDate(a.expires_at), a.attachment_id]);
    await this.session.execute(CQL.insert, [
      a.attachment_id, a.conversation_id, a.uploader_id, a.filename, a.content_type, a.size, a.sha256, a.state, toDate(a.created_at), toDate(a.expires_at),
    ]);
  }

  async get(attachmentId: string): Promise<Attachment | undefined> {
    const row = (await this.session.execute(CQL.read, [attachmentId])).first();
    return row && row['conversation_id'] != null ? toAttachment(row) : undefined;
  }

  async markReady(attachmentId: string, at: string): Promise<Attachment | undefined> {
    if (!(await this.get(attachmentId))) return undefined;
    await Promise.all([this.session.execute(CQL.ready, [attachmentId]), this.session.execute(CQL.readyAt, [inverted(at), toDate(at), attachmentId])]);
    return this.get(attachmentId);
  }

  async markSent(a: Attachment, at: string): Promise<void> {
    await this.session.execute(CQL.sentAt, [inverted(at), toDate(at), a.attachment_id]);
    await this.session.execute(CQL.unlistUnsent, [shardOf(a.attachment_id), toDate(a.expires_at), a.attachment_id]);
  }

  async expired(before: string, limit: number): Promise<Attachment[]> {
    const bound = toDate(before);
    const entries: { expires: number; id: string; shard: number; expiresAt: Date }[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      for (const row of (await this.session.execute(CQL.unsentBefore, [shard, bound, limit])).rows) {
        const expiresAt = row['expires_at'] as Date;
        entries.push({ expires: expiresAt.getTime(), id: row['attachment_id'] as string, shard, expiresAt });
      }
    }
    entries.sort((x, y) => x.expires - y.expires || (x.id < y.id ? -1 : 1));
    const found: Attachment[] = [];
    for (const e of entries) {
      if (found.length >= limit) break;
      const a = await this.get(e.id);
      if (a && a.sent_at === undefined) found.push(a);
      else await this.session.execute(CQL.unlistUnsent, [e.shard, e.expiresAt, e.id]);
    }
    return found;
  }

  async remove(a: Attachment): Promise<void> {
    await this.session.execute(CQL.remove, [a.attachment_id]);
    await this.session.execute(CQL.unlistUnsent, [shardOf(a.attachment_id), toDate(a.expires_at), a.attachment_id]);
  }
}

/** A `bigint` column (the driver's Long) as a number; sizes stay far below 2^53. */
function longToNumber(v: unknown): number {
  return typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v);
}

function toAttachment(row: Row): Attachment {
  const a: Attachment = {
    attachment_id: row['attachment_id'] as string,
    conversation_id: row['conversation_id'] as string,
    uploader_id: row['uploader_id'] as string,
    filename: row['filename'] as string,
    content_type: row['content_type'] as string,
    size: longToNumber(row['size']),
    sha256: row['sha256'] as string,
    state: row['state'] === 'ready' ? 'ready' : 'pending',
    created_at: requireIso(row['created_at'], 'attachments.created_at'),
    expires_at: requireIso(row['expires_at'], 'attachments.expires_at'),
  };
  const readyAt = toIso(row['ready_at']);
  if (readyAt !== undefined) a.ready_at = readyAt;
  const sentAt = toIso(row['sent_at']);
  if (sentAt !== undefined) a.sent_at = sentAt;
  return a;
}
