/**
 * Records on the event log. Both topics are keyed by conversation_id, so a conversation's
 * messages and receipts keep their order. Values are UTF-8 JSON with a version field `v`.
 *
 * Decoders accept fields they do not know (a newer producer may add some during a rolling
 * upgrade) and hand the record on as it came; what they know they check fully, so a consumer
 * never stores a record that the api would not have accepted.
 */
import Type, { type Static } from 'typebox';
import { type Decoded, parseObject, refused, validator } from './decode.js';
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_CONTENT_BYTES, SHA256_PATTERN, StringEnum, Uuid, WellFormed, WireTime } from './primitives.js';

export const TOPIC_MESSAGES = 'messages';
export const TOPIC_RECEIPTS = 'receipts';
export const TOPIC_DEAD_LETTER = 'chat4all.dead-letter';

export const MAX_RECORD_BYTES = 64 * 1024;

/** What a message says of each file sent with it: enough to show it and to check a download. */
export const AttachmentRef = Type.Object(
  {
    attachment_id: Uuid,
    /** The file's name as the sender gave it (no directories). */
    filename: WellFormed(Type.String({ minLength: 1, maxLength: 255 })),
    content_type: Type.String({ minLength: 1, maxLength: 255 }),
    /** Bytes. */
    size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    /** SHA-256 of the bytes, lower-case hex. */
    sha256: Type.String({ pattern: SHA256_PATTERN }),
  },
  { description: 'A file sent with a message.' },
);
export type AttachmentRef = Static<typeof AttachmentRef>;

/** Content as the api accepts it: at most MAX_CONTENT_BYTES of UTF-8, well-formed. */
export const Content = Type.Refine(
  WellFormed(Type.String()),
  (s: string) => Buffer.byteLength(s, 'utf8') <= MAX_CONTENT_BYTES,
  () => `is over ${MAX_CONTENT_BYTES} UTF-8 bytes`,
);

/** A message accepted by the api. Its content is empty only when it carries attachments. */
export const MessageRecord = Type.Refine(
  Type.Object({
    v: Type.Literal(1),
    message_id: Uuid,
    conversation_id: Uuid,
    sender_id: Uuid,
    content: Content,
    /** The files sent with the message; absent when none. */
    attachments: Type.Optional(Type.Array(AttachmentRef, { minItems: 1, maxItems: MAX_ATTACHMENTS_PER_MESSAGE })),
    client_message_id: Type.Optional(Type.String({ maxLength: 128 })),
    created_at: WireTime,
  }),
  (r: { content: string; attachments?: unknown }) => r.content.length > 0 || r.attachments !== undefined,
  () => 'content is empty and there are no attachments',
);
export type MessageRecord = Static<typeof MessageRecord>;

/** A recipient's progress on a message: DELIVERED from a gateway, READ from the api or a gateway. */
export const ReceiptRecord = Type.Object({
  v: Type.Literal(1),
  message_id: Uuid,
  conversation_id: Uuid,
  user_id: Uuid,
  status: StringEnum(['DELIVERED', 'READ']),
  at: WireTime,
});
export type ReceiptRecord = Static<typeof ReceiptRecord>;

const checkMessage = validator(MessageRecord, 'record_field', 'record field');
const checkReceipt = validator(ReceiptRecord, 'record_field', 'record field');

/**
 * The record's object, once it is JSON of a version this contract reads. The version is checked
 * apart from the fields: a record of another version is not malformed, it is for another reader.
 */
function versioned(value: Buffer | string): Decoded<object> {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  const parsed = parseObject(text, MAX_RECORD_BYTES, 'record', 'record value');
  if (!parsed.ok) return parsed;
  const v = 'v' in parsed.value ? parsed.value.v : undefined;
  if (v !== 1) return refused('record_version', `unsupported record version ${JSON.stringify(v)}`);
  return parsed;
}

/**
 * A `messages` record, or why it is not one: codes record_too_large, record_not_json,
 * record_not_object, record_version, record_field (a poison record, for the dead-letter topic).
 */
export function decodeMessageRecord(value: Buffer | string): Decoded<MessageRecord> {
  const o = versioned(value);
  return o.ok ? checkMessage(o.value) : o;
}

/** A `receipts` record, or why it is not one (the codes of decodeMessageRecord). */
export function decodeReceiptRecord(value: Buffer | string): Decoded<ReceiptRecord> {
  const o = versioned(value);
  return o.ok ? checkReceipt(o.value) : o;
}

export function encodeRecord(record: MessageRecord | ReceiptRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}
