import { invalid } from './errors.js';
import { isUuid } from './ids.js';
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_CONTENT_BYTES, type AttachmentRef } from './model.js';
import { isWellFormedText } from './text.js';

/**
 * Records on the event log. Both topics are keyed by conversation_id, so a conversation's
 * messages and receipts keep their order. Values are UTF-8 JSON with a version field `v`.
 */
export const TOPIC_MESSAGES = 'messages';
export const TOPIC_RECEIPTS = 'receipts';
export const TOPIC_DEAD_LETTER = 'chat4all.dead-letter';

/** A message accepted by the api. */
export interface MessageRecord {
  v: 1;
  message_id: string;
  conversation_id: string;
  sender_id: string;
  /** May be empty when the message carries attachments. */
  content: string;
  /** The files sent with the message (1 to MAX_ATTACHMENTS_PER_MESSAGE); absent when none. */
  attachments?: AttachmentRef[];
  client_message_id?: string;
  created_at: string;
}

/** A recipient's progress on a message: DELIVERED from a gateway, READ from the api or a gateway. */
export interface ReceiptRecord {
  v: 1;
  message_id: string;
  conversation_id: string;
  user_id: string;
  status: 'DELIVERED' | 'READ';
  at: string;
}

export const MAX_RECORD_BYTES = 64 * 1024;

function parseObject(value: Buffer | string): Record<string, unknown> {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  if (text.length > MAX_RECORD_BYTES) throw invalid('record_too_large', `record over ${MAX_RECORD_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid('record_not_json', 'record value is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('record_not_object', 'record value is not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.v !== 1) throw invalid('record_version', `unsupported record version ${JSON.stringify(o.v)}`);
  return o;
}

function isTime(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 40 && !Number.isNaN(Date.parse(v));
}

/** A well-formed AttachmentRef (the bounds the api enforces on upload). */
export function isAttachmentRef(v: unknown): v is AttachmentRef {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return (
    isUuid(a.attachment_id) &&
    typeof a.filename === 'string' && a.filename.length > 0 && a.filename.length <= 255 && isWellFormedText(a.filename) &&
    typeof a.content_type === 'string' && a.content_type.length > 0 && a.content_type.length <= 255 &&
    typeof a.size === 'number' && Number.isSafeInteger(a.size) && a.size >= 0 &&
    typeof a.sha256 === 'string' && /^[0-9a-f]{64}$/.test(a.sha256)
  );
}

function need(ok: boolean, field: string): void {
  if (!ok) throw invalid('record_field', `record field ${field} is missing or malformed`);
}

/** Decodes and validates a `messages` record; throws `invalid` (a poison record) when it is not one. */
export function decodeMessageRecord(value: Buffer | string): MessageRecord {
  const o = parseObject(value);
  need(isUuid(o.message_id), 'message_id');
  need(isUuid(o.conversation_id), 'conversation_id');
  need(isUuid(o.sender_id), 'sender_id');
  need(o.attachments === undefined || (Array.isArray(o.attachments) && o.attachments.length > 0 && o.attachments.length <= MAX_ATTACHMENTS_PER_MESSAGE && o.attachments.every(isAttachmentRef)), 'attachments');
  const mayBeEmpty = o.attachments !== undefined;
  need(typeof o.content === 'string' && (mayBeEmpty || o.content.length > 0) && Buffer.byteLength(o.content) <= MAX_CONTENT_BYTES && isWellFormedText(o.content), 'content');
  need(o.client_message_id === undefined || (typeof o.client_message_id === 'string' && o.client_message_id.length <= 128), 'client_message_id');
  need(isTime(o.created_at), 'created_at');
  return o as unknown as MessageRecord;
}

/** Decodes and validates a `receipts` record; throws `invalid` (a poison record) when it is not one. */
export function decodeReceiptRecord(value: Buffer | string): ReceiptRecord {
  const o = parseObject(value);
  need(isUuid(o.message_id), 'message_id');
  need(isUuid(o.conversation_id), 'conversation_id');
  need(isUuid(o.user_id), 'user_id');
  need(o.status === 'DELIVERED' || o.status === 'READ', 'status');
  need(isTime(o.at), 'at');
  return o as unknown as ReceiptRecord;
}

export function encodeRecord(record: MessageRecord | ReceiptRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}
