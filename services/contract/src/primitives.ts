/**
 * The building blocks every part of the wire shares: ids, times, limits, and the text rules.
 * HTTP bodies are checked by the api's validator; records and frames by the decoders of this
 * package (typebox's compiler), so the formats below are registered with typebox the way the api
 * registers them with its own validator: both sides must agree on what a UUID or a time is.
 */
import Type, { type Static, type TSchema, type TUnsafe } from 'typebox';
import Format from 'typebox/format';

/** Bytes of UTF-8 in a message's content, at most. */
export const MAX_CONTENT_BYTES = 10_240;
/** Members of a conversation, its creator included, at most. */
export const MAX_MEMBERS = 256;
/** Files sent with one message, at most. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

export const USERNAME_PATTERN = '^[a-z0-9_]{3,32}$';
export const CLIENT_MESSAGE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
/** Names shown to other users: no control characters (line breaks included), and not blank. */
export const NAME_PATTERN = '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]*$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';
export const CONTENT_TYPE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\\s*;[\\x20-\\x7e]*)?$";
/** `<unix ms>-<sequence>`: the shape of Redis stream ids, which the broker assigns as event ids. */
export const EVENT_ID_PATTERN = '^\\d{1,15}-\\d{1,15}$';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Lower-case canonical only (as the ids the services generate), and any time Date.parse reads:
// the same rules as the api's validator, where typebox's defaults are case-insensitive and RFC 3339.
Format.Set('uuid', (s) => UUID_RE.test(s));
Format.Set('date-time', (s) => !Number.isNaN(Date.parse(s)));

/** A UTF-16 surrogate without its other half: text that no UTF-8 encoder or strict JSON parser accepts. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` is well-formed Unicode (no lone surrogate), so it encodes to UTF-8 and back unchanged. */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * The path (`content`, `members.3`) of the first string, key or value, in a parsed JSON value that
 * is not well-formed Unicode; undefined when every one is. JSON text can carry such strings only
 * as `\ud800`-style escapes.
 */
export function malformedTextPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return isWellFormedText(value) ? undefined : path.join('.');
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, v] of Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)) {
    if (!isWellFormedText(key)) return [...path, key.replace(LONE_SURROGATE, '?')].join('.');
    const found = malformedTextPath(v, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A string of exactly these values, as `{type: string, enum}` (what validators and OpenAPI tools read best). */
export function StringEnum<const Values extends readonly string[]>(values: Values, options: { description?: string } = {}): TUnsafe<Values[number]> {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: [...values], ...options });
}

/** `schema` or null, as `type: [..., 'null']` rather than anyOf (kept as the document always had it). */
export function Nullable<T extends TSchema>(schema: T & { type: string }, options: { description?: string } = {}): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'], ...options });
}

export const Uuid = Type.String({ format: 'uuid' });
/** A time on the wire: ISO-8601, in UTC as the services write it. */
export const Time = Type.String({ format: 'date-time' });
/** A time in a record or frame, bounded so a decoder never parses a long string as a date. */
export const WireTime = Type.String({ format: 'date-time', maxLength: 40 });
export const EventId = Type.String({ pattern: EVENT_ID_PATTERN, description: 'Opaque to clients; increasing per user.' });

/** Text that must survive UTF-8: a lone surrogate would make strict JSON parsers (other clients) refuse it. */
export function WellFormed<T extends TSchema>(schema: T) {
  return Type.Refine(schema, (s: unknown) => typeof s !== 'string' || isWellFormedText(s), () => 'is not well-formed Unicode (a lone surrogate)');
}

export const MESSAGE_STATUSES = ['ACCEPTED', 'SENT', 'DELIVERED', 'READ'] as const;
export const MessageStatus = StringEnum(MESSAGE_STATUSES);
export type MessageStatus = Static<typeof MessageStatus>;
