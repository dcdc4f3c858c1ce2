/**
 * MessageStore on Cassandra. Tables (cql/002_messages.cql, 003_plain_writes.cql): messages_by_id,
 * messages_by_conversation (partition = conversation + UTC day), conversation_buckets, receipts,
 * client_message_ids.
 *
 * The message path has no lightweight transaction (docs/adr/0006): each LWT is a Paxos round that
 * cost the single-node Cassandra of the benchmarks more CPU than every other statement together.
 *
 * - insert: reads messages_by_id; when the message is there with its row, a redelivery changes
 *   nothing and resolves inserted: false. Otherwise it writes the day's entry in
 *   conversation_buckets (once per process) and then the pointer and the row together in one
 *   unlogged batch (plain, idempotent writes of the same values) and resolves inserted: true. A pointer without its row is an interrupted insert and is completed.
 *   Two concurrent deliveries of one message may both see inserted: true; delivery is
 *   at-least-once and clients dedupe by message_id.
 * - locations (message id -> conversation and day) never change once written, so the store keeps
 *   the LOCATIONS_MAX most recently used in memory: a receipt for a message this process stored needs no read
 *   of messages_by_id.
 * - history: walks the conversation's non-empty days newest first, starting at the day of
 *   `before`, reading `message_id < before` newest first until limit + 1 messages are found.
 * - recordReceipt: reads the recipient's receipt; a step not yet reached is written with a plain
 *   UPDATE USING TIMESTAMP (INVERSION_BASE_MICROS - time), as is the message's aggregate (the
 *   earliest delivered_at / read_at of any recipient): the earliest time carries the highest write
 *   timestamp and wins in any arrival order. `changed` is exact for calls made one after another
 *   (a repeat reads the stored time and writes nothing); two concurrent first calls may both
 *   report changed (one extra message_status event, which carries the same state). Rewriting the
 *   aggregate on every call repairs a write lost to a crash. The writes of one call go in one
 *   unlogged batch.
 * - claimClientMessageId: INSERT ... IF NOT EXISTS (the one LWT left: the api's idempotency key);
 *   the loser reads the winner from the LWT result. findClientMessageId is a plain read.
 */
import { isUuid, notFound, statusAfter, uuidV7Time, type AttachmentRef, type BackendHealth, type ClientMessageClaim, type HistoryPage, type Message, type MessageStatus, type MessageStore, type Receipt, type ReceiptChange } from '@chat4all/core';
import { BoundedSet, boundedMap } from '@chat4all/core/runtime';
import type { CassandraSession, Row } from './cassandra-session.js';
import { requireIso, toDate, toIso } from './cql-values.js';

const DAY_MS = 86_400_000;
/**
 * Aggregate write timestamps are INVERSION_BASE_MICROS - time (µs). The base, 2080-11-28, keeps
 * them below the wall clock for any time after mid-2025 (so an ordinary DELETE of a message still
 * shadows them); times after the base are rejected.
 */
export const INVERSION_BASE_MICROS = 3_500_000_000_000_000;
/** Buckets read from conversation_buckets per query while walking history. */
const BUCKET_PAGE = 32;
/** Buckets known to be listed already (per process), to skip rewriting the index row. */
const KNOWN_BUCKETS_MAX = 10_000;
/** Content bytes up to which a message's writes go in one batch (Cassandra warns from 5 KiB on). */
const BATCH_BYTES_MAX = 4096;
/** Message locations remembered (least recently used first out when full). */
const LOCATIONS_MAX = 50_000;

const MESSAGE_COLUMNS = 'message_id, sender_id, content, attachments, client_message_id, created_at, status, sent_at, delivered_at, read_at';

const CQL = {
  /** args: message_id, conversation_id, bucket. */
  writePointer: 'INSERT INTO messages_by_id (message_id, conversation_id, bucket) VALUES (?, ?, ?)',
  /** args: message_id. returns conversation_id, bucket. */
  readPointer: 'SELECT conversation_id, bucket FROM messages_by_id WHERE message_id = ?',
  /** args: conversation_id, bucket. */
  listBucket: 'INSERT INTO conversation_buckets (conversation_id, bucket) VALUES (?, ?)',
  /** args: conversation_id, bucket, message_id, sender_id, content, attachments (JSON), client_message_id, created_at, status, sent_at. */
  insertRow: `INSERT INTO messages_by_conversation (conversation_id, bucket, ${MESSAGE_COLUMNS.replace(', delivered_at, read_at', '')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** args: conversation_id, bucket, message_id. returns the message columns. */
  readRow: `SELECT ${MESSAGE_COLUMNS} FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND message_id = ?`,
  /** args: conversation_id, limit. returns bucket, newest first. */
  buckets: 'SELECT bucket FROM conversation_buckets WHERE conversation_id = ? LIMIT ?',
  /** args: conversation_id, bucket bound, limit. */
  bucketsAtOrBefore: 'SELECT bucket FROM conversation_buckets WHERE conversation_id = ? AND bucket <= ? LIMIT ?',
  /** args: conversation_id, bucket bound, limit. */
  bucketsBefore: 'SELECT bucket FROM conversation_buckets WHERE conversation_id = ? AND bucket < ? LIMIT ?',
  /** args: conversation_id, bucket, limit. returns messages newest first. */
  page: `SELECT ${MESSAGE_COLUMNS} FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ? LIMIT ?`,
  /** args: conversation_id, bucket, message_id bound (exclusive), limit. returns messages newest first. */
  pageBefore: `SELECT ${MESSAGE_COLUMNS} FROM messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND message_id < ? LIMIT ?`,
  /** args: write timestamp (inverted), delivered_at, conversation_id, bucket, message_id. */
  aggregateDelivered: 'UPDATE messages_by_conversation USING TIMESTAMP ? SET delivered_at = ? WHERE conversation_id = ? AND bucket = ? AND message_id = ?',
  /** args: write timestamp (inverted), read_at, conversation_id, bucket, message_id. */
  aggregateRead: 'UPDATE messages_by_conversation USING TIMESTAMP ? SET read_at = ? WHERE conversation_id = ? AND bucket = ? AND message_id = ?',
  /** args: message_id, user_id. returns delivered_at, read_at. */
  readReceipt: 'SELECT delivered_at, read_at FROM receipts WHERE message_id = ? AND user_id = ?',
  /** args: write timestamp (inverted), delivered_at, message_id, user_id. */
  receiptDelivered: 'UPDATE receipts USING TIMESTAMP ? SET delivered_at = ? WHERE message_id = ? AND user_id = ?',
  /** args: write timestamp (inverted), read_at, message_id, user_id. */
  receiptRead: 'UPDATE receipts USING TIMESTAMP ? SET read_at = ? WHERE message_id = ? AND user_id = ?',
  /** args: sender_id, client_message_id. returns message_id, conversation_id, created_at. */
  readClientId: 'SELECT message_id, conversation_id, created_at FROM client_message_ids WHERE sender_id = ? AND client_message_id = ?',
  /** args: sender_id, client_message_id, message_id, conversation_id, created_at. returns [applied] (+ the winner). */
  claimClientId:
    'INSERT INTO client_message_ids (sender_id, client_message_id, message_id, conversation_id, created_at) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS',
} as const;

interface Location {
  conversationId: string;
  bucket: number;
}

/** The UTC day (days since 1970-01-01) of a UUIDv7 message id; of `fallbackIso` for other ids. */
export function bucketOf(messageId: string, fallbackIso?: string): number {
  const ms = isUuid(messageId) ? uuidV7Time(messageId) : Number.NaN;
  const t = Number.isNaN(ms) && fallbackIso !== undefined ? toDate(fallbackIso).getTime() : ms;
  return Math.floor(t / DAY_MS);
}

export class CassandraMessageStore implements MessageStore {
  readonly backendName = 'cassandra';
  private readonly knownBuckets = new BoundedSet<string>({ max: KNOWN_BUCKETS_MAX });
  private readonly locations = boundedMap<string, Location>({ max: LOCATIONS_MAX });

  constructor(private readonly session: CassandraSession) {}

  health(): BackendHealth {
    return this.session.health();
  }

  async insert(message: Message): Promise<{ inserted: boolean }> {
    const at: Location = { conversationId: message.conversation_id, bucket: bucketOf(message.message_id, message.created_at) };
    const stored = await this.locate(message.message_id);
    if (stored) {
      if (stored.conversationId !== at.conversationId || stored.bucket !== at.bucket) return { inserted: false };
      if (await this.readRow(message.message_id, at)) return { inserted: false };
      // An earlier attempt wrote the pointer but never its row: complete it.
    }
    await this.listBucket(at);
    const writes = [{ cql: CQL.writePointer, params: [message.message_id, at.conversationId, at.bucket] }, ...rowWrites(message, at)];
    await this.writeAll(writes, Buffer.byteLength(message.content) + (message.attachments ? JSON.stringify(message.attachments).length : 0));
    this.remember(message.message_id, at);
    return { inserted: true };
  }

  async get(messageId: string): Promise<Message | undefined> {
    const at = await this.locate(messageId);
    return at && this.readRow(messageId, at);
  }

  async history(conversationId: string, options: { limit: number; before?: string }): Promise<HistoryPage> {
    const limit = Math.max(0, options.limit);
    const want = limit + 1;
    const found: Message[] = [];
    const { before } = options;
    let bound = before !== undefined && isUuid(before) ? bucketOf(before) : undefined;
    let query: string = bound === undefined ? CQL.buckets : CQL.bucketsAtOrBefore;
    walk: for (;;) {
      const params = bound === undefined ? [conversationId, BUCKET_PAGE] : [conversationId, bound, BUCKET_PAGE];
      const buckets = (await this.session.execute(query, params)).rows.map((r) => r['bucket'] as number);
      for (const bucket of buckets) {
        await this.readBucket(conversationId, bucket, before, want - found.length, found);
        if (found.length >= want) break walk;
      }
      if (buckets.length < BUCKET_PAGE) break;
      bound = buckets[buckets.length - 1]!;
      query = CQL.bucketsBefore;
    }
    return { messages: found.slice(0, limit).reverse(), has_more: found.length > limit };
  }

  async recordReceipt(messageId: string, userId: string, status: Exclude<MessageStatus, 'ACCEPTED' | 'SENT'>, at: string): Promise<ReceiptChange> {
    const location = await this.locate(messageId);
    if (!location) throw notFound('message_not_found', `message ${messageId} is not stored`);
    const when = toDate(at);
    const current = (await this.session.execute(CQL.readReceipt, [messageId, userId])).first();
    const before = { delivered_at: toIso(current?.['delivered_at']), read_at: toIso(current?.['read_at']) };
    const after = { delivered_at: before.delivered_at ?? at, read_at: status === 'READ' ? (before.read_at ?? at) : before.read_at };
    const stamp = invertedTimestamp(at);
    const writes = aggregateWrites(location, messageId, after);
    if (before.delivered_at === undefined) writes.push({ cql: CQL.receiptDelivered, params: [stamp, when, messageId, userId] });
    if (after.read_at !== before.read_at) writes.push({ cql: CQL.receiptRead, params: [stamp, when, messageId, userId] });
    await this.writeAll(writes, 0);
    const changed = status === 'READ' ? before.read_at === undefined : before.delivered_at === undefined;
    return { changed, receipt: toReceipt(messageId, userId, after.delivered_at, after.read_at) };
  }

  async getReceipt(messageId: string, userId: string): Promise<Receipt | undefined> {
    const row = (await this.session.execute(CQL.readReceipt, [messageId, userId])).first();
    return row ? toReceipt(messageId, userId, toIso(row['delivered_at']), toIso(row['read_at'])) : undefined;
  }

  /** A plain read first: a key claimed already (the worker checking the api's claim, a client's retry) needs no LWT. */
  async claimClientMessageId(senderId: string, clientMessageId: string, candidate: ClientMessageClaim): Promise<ClientMessageClaim> {
    const existing = (await this.session.execute(CQL.readClientId, [senderId, clientMessageId])).first();
    if (existing) return toClaim(existing);
    const rs = await this.session.execute(CQL.claimClientId, [senderId, clientMessageId, candidate.message_id, candidate.conversation_id, toDate(candidate.created_at)]);
    return rs.wasApplied() ? { ...candidate } : toClaim(rs.first());
  }

  private async locate(messageId: string): Promise<Location | undefined> {
    const known = this.locations.get(messageId);
    if (known) return known;
    const row = (await this.session.execute(CQL.readPointer, [messageId])).first();
    if (!row) return undefined;
    const at = { conversationId: row['conversation_id'] as string, bucket: row['bucket'] as number };
    this.remember(messageId, at);
    return at;
  }

  private remember(messageId: string, at: Location): void {
    this.locations.set(messageId, at);
  }

  /** The complete message at `at` (a row without sender_id is an interrupted insert: undefined). */
  private async readRow(messageId: string, at: Location): Promise<Message | undefined> {
    const row = (await this.session.execute(CQL.readRow, [at.conversationId, at.bucket, messageId])).first();
    return row && row['sender_id'] != null ? toMessage(row, at.conversationId) : undefined;
  }

  /** Lists the bucket unless this process did already; before the row is written, so a stored row's bucket is always listed. */
  private async listBucket(at: Location): Promise<void> {
    const key = `${at.conversationId}\0${at.bucket}`;
    if (this.knownBuckets.touch(key)) return;
    await this.session.execute(CQL.listBucket, [at.conversationId, at.bucket]);
    this.knownBuckets.add(key);
  }

  /**
   * Idempotent writes in one request (an unlogged batch), or one request each when they carry
   * more than BATCH_BYTES_MAX of content (Cassandra warns about larger batches).
   */
  private async writeAll(writes: Write[], contentBytes: number): Promise<void> {
    if (contentBytes <= BATCH_BYTES_MAX) await this.session.batch(writes);
    else await Promise.all(writes.map((w) => this.session.execute(w.cql, w.params)));
  }

  /** Appends up to `need` complete messages of one bucket with ids below `before`, newest first. */
  private async readBucket(conversationId: string, bucket: number, before: string | undefined, need: number, out: Message[]): Promise<void> {
    let cursor = before;
    while (need > 0) {
      const asked = need;
      const rs =
        cursor === undefined
          ? await this.session.execute(CQL.page, [conversationId, bucket, asked])
          : await this.session.execute(CQL.pageBefore, [conversationId, bucket, cursor, asked]);
      for (const row of rs.rows) {
        if (row['sender_id'] == null) continue; // an interrupted insert
        out.push(toMessage(row, conversationId));
        need--;
      }
      if (rs.rowLength < asked) return;
      cursor = rs.rows[rs.rowLength - 1]!['message_id'] as string;
    }
  }
}

interface Write {
  cql: string;
  params: unknown[];
}

/** The row of a message, and the aggregate when it carries delivered_at / read_at. */
function rowWrites(m: Message, at: Location): Write[] {
  const row: Write = {
    cql: CQL.insertRow,
    params: [
      at.conversationId,
      at.bucket,
      m.message_id,
      m.sender_id,
      m.content,
      m.attachments && m.attachments.length > 0 ? JSON.stringify(m.attachments) : undefined,
      m.client_message_id,
      toDate(m.created_at),
      m.status,
      m.sent_at === undefined ? undefined : toDate(m.sent_at),
    ],
  };
  return [row, ...aggregateWrites(at, m.message_id, { delivered_at: m.delivered_at, read_at: m.read_at })];
}

/** Offers `times` to the message's aggregate: the earliest time of each step wins. */
function aggregateWrites(at: Location, messageId: string, times: { delivered_at?: string | undefined; read_at?: string | undefined }): Write[] {
  const writes: Write[] = [];
  const key = [at.conversationId, at.bucket, messageId];
  if (times.delivered_at !== undefined) writes.push({ cql: CQL.aggregateDelivered, params: [invertedTimestamp(times.delivered_at), toDate(times.delivered_at), ...key] });
  if (times.read_at !== undefined) writes.push({ cql: CQL.aggregateRead, params: [invertedTimestamp(times.read_at), toDate(times.read_at), ...key] });
  return writes;
}

function invertedTimestamp(iso: string): number {
  const micros = toDate(iso).getTime() * 1000;
  if (micros >= INVERSION_BASE_MICROS || micros < 0) throw new RangeError(`time ${iso} is outside 1970..2080`);
  return INVERSION_BASE_MICROS - micros;
}

function toClaim(row: Row): ClientMessageClaim {
  return {
    message_id: row['message_id'] as string,
    conversation_id: row['conversation_id'] as string,
    created_at: requireIso(row['created_at'], 'client_message_ids.created_at'),
  };
}

function toReceipt(messageId: string, userId: string, deliveredAt: string | undefined, readAt: string | undefined): Receipt {
  const r: Receipt = { message_id: messageId, user_id: userId };
  if (deliveredAt !== undefined) r.delivered_at = deliveredAt;
  if (readAt !== undefined) r.read_at = readAt;
  return r;
}

function toMessage(row: Row, conversationId: string): Message {
  const deliveredAt = toIso(row['delivered_at']);
  const readAt = toIso(row['read_at']);
  let status = row['status'] as MessageStatus;
  if (deliveredAt !== undefined && statusAfter('DELIVERED', status)) status = 'DELIVERED';
  if (readAt !== undefined && statusAfter('READ', status)) status = 'READ';
  const m: Message = {
    message_id: row['message_id'] as string,
    conversation_id: conversationId,
    sender_id: row['sender_id'] as string,
    content: row['content'] as string,
    created_at: requireIso(row['created_at'], 'messages_by_conversation.created_at'),
    status,
  };
  const attachments = row['attachments'] as string | null;
  if (attachments != null) m.attachments = JSON.parse(attachments) as AttachmentRef[];
  const clientMessageId = row['client_message_id'] as string | null;
  if (clientMessageId != null) m.client_message_id = clientMessageId;
  const sentAt = toIso(row['sent_at']);
  if (sentAt !== undefined) m.sent_at = sentAt;
  if (deliveredAt !== undefined) m.delivered_at = deliveredAt;
  if (readAt !== undefined) m.read_at = readAt;
  return m;
}
