/**
 * The WebSocket wire (v1): the frames the gateway sends and those it reads. Events (`new_message`,
 * `message_status`) carry `event_id`, which the broker assigns when it publishes: producers hand
 * it the event's body, and the payload it publishes is that body with the id put first.
 *
 * Server frames are open (a client ignores fields it does not know, so the server may add some);
 * client frames are checked field by field, with the type first so an unknown type is named as such.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { type Decoded, parseObject, refused, validator } from './decode.js';
import { AttachmentRef } from './records.js';
import { EventId, MessageStatus, StringEnum, Uuid, WireTime } from './primitives.js';

const newMessage = {
  type: Type.Literal('new_message'),
  message_id: Uuid,
  conversation_id: Uuid,
  sender_id: Uuid,
  /** May be empty when the message carries attachments. */
  content: Type.String(),
  /** The files sent with the message; absent when none. */
  attachments: Type.Optional(Type.Array(AttachmentRef)),
  created_at: WireTime,
};

const messageStatus = {
  type: Type.Literal('message_status'),
  message_id: Uuid,
  conversation_id: Uuid,
  /** The recipient whose progress this is. */
  user_id: Uuid,
  status: MessageStatus,
  at: WireTime,
};

/** Bodies of events, as producers hand them to the broker. */
export const NewMessageBody = Type.Object(newMessage);
export type NewMessageBody = Static<typeof NewMessageBody>;
export const MessageStatusBody = Type.Object(messageStatus);
export type MessageStatusBody = Static<typeof MessageStatusBody>;
export type EventBody = NewMessageBody | MessageStatusBody;

/** Events as clients get them, live or replayed: the body with its event_id. */
export const NewMessageEvent = Type.Object({ event_id: EventId, ...newMessage });
export type NewMessageEvent = Static<typeof NewMessageEvent>;
export const MessageStatusEvent = Type.Object({ event_id: EventId, ...messageStatus });
export type MessageStatusEvent = Static<typeof MessageStatusEvent>;
export type EventFrame = NewMessageEvent | MessageStatusEvent;

/** Ephemeral frames: published live, never kept for catch-up. */
export const TypingFrame = Type.Object({ type: Type.Literal('typing'), conversation_id: Uuid, user_id: Uuid });
export type TypingFrame = Static<typeof TypingFrame>;
export const PresenceFrame = Type.Object({ type: Type.Literal('presence'), user_id: Uuid, status: StringEnum(['online', 'offline']), at: WireTime });
export type PresenceFrame = Static<typeof PresenceFrame>;
export type EphemeralFrame = TypingFrame | PresenceFrame;

/** The first frame of a connection; `recovered` answers a `since`. */
export const ConnectedFrame = Type.Object({
  type: Type.Literal('connected'),
  user_id: Uuid,
  connection_id: Type.String(),
  server_time: WireTime,
  recovered: Type.Optional(Type.Boolean()),
});
export type ConnectedFrame = Static<typeof ConnectedFrame>;
/** A client frame was refused; the connection stays. */
export const ErrorFrame = Type.Object({ type: Type.Literal('error'), code: Type.String(), message: Type.String() });
export type ErrorFrame = Static<typeof ErrorFrame>;
export const PongFrame = Type.Object({ type: Type.Literal('pong') });
export type PongFrame = Static<typeof PongFrame>;

export type ServerFrame = ConnectedFrame | EventFrame | EphemeralFrame | ErrorFrame | PongFrame;

/** Client frames. */
export const PingFrame = Type.Object({ type: Type.Literal('ping') });
export type PingFrame = Static<typeof PingFrame>;
export const TypingRequest = Type.Object({ type: Type.Literal('typing'), conversation_id: Uuid });
export type TypingRequest = Static<typeof TypingRequest>;
export const ReadRequest = Type.Object({ type: Type.Literal('read'), message_id: Uuid });
export type ReadRequest = Static<typeof ReadRequest>;
/** Authenticates a connection opened without a token (its first frame). */
export const AuthFrame = Type.Object({ type: Type.Literal('auth'), token: Type.String({ maxLength: 4096 }) });
export type AuthFrame = Static<typeof AuthFrame>;
export type ClientFrame = PingFrame | TypingRequest | ReadRequest | AuthFrame;

/** Client frames are at most 16 KiB (the gateway's bound on a frame). */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;
/** A payload is one event or ephemeral frame: far below this even with ten attachments. */
export const MAX_SERVER_FRAME_BYTES = 64 * 1024;

/** A validate-and-type function of one frame type (internal to the contract). */
export type Check<T> = (value: unknown) => Decoded<T>;

/** One validator per frame type, so that an error names the frame and its field, never a union's branches. */
export const frameCheck = <T extends TSchema>(type: string, schema: T): Check<Static<T>> => validator(schema, 'invalid_frame', `${type} frame`);

/** The frame `o` is checked by its `type`, an own property of `checks` (`toString` is no frame type). */
export function checkFrame<T>(checks: Record<string, Check<T>>, o: object): Decoded<T> {
  const type = 'type' in o ? o.type : undefined;
  if (typeof type === 'string' && Object.hasOwn(checks, type)) return checks[type]!(o);
  return refused('unknown_frame', type === undefined ? 'a frame needs a type' : `unknown frame type ${JSON.stringify(type)?.slice(0, 40)}`);
}

const clientChecks: Record<string, Check<ClientFrame>> = {
  ping: frameCheck('ping', PingFrame),
  typing: frameCheck('typing', TypingRequest),
  read: frameCheck('read', ReadRequest),
  auth: frameCheck('auth', AuthFrame),
};

/**
 * A client frame, or why it is refused: `malformed_json` (not JSON), `invalid_frame` (not an
 * object, over MAX_CLIENT_FRAME_BYTES, or a known type with a missing or malformed field) or
 * `unknown_frame`. Messages name the frame and the field.
 */
export function decodeClientFrame(data: string): Decoded<ClientFrame> {
  const parsed = parseObject(data, MAX_CLIENT_FRAME_BYTES, 'frame', 'a frame');
  if (!parsed.ok) return refused(parsed.error.code === 'frame_not_json' ? 'malformed_json' : 'invalid_frame', parsed.error.code === 'frame_too_large' ? parsed.error.message : 'frames are JSON objects');
  return checkFrame(clientChecks, parsed.value);
}

const serverChecks: Record<string, Check<ServerFrame>> = {
  connected: frameCheck('connected', ConnectedFrame),
  new_message: frameCheck('new_message', NewMessageEvent),
  message_status: frameCheck('message_status', MessageStatusEvent),
  typing: frameCheck('typing', TypingFrame),
  presence: frameCheck('presence', PresenceFrame),
  error: frameCheck('error', ErrorFrame),
  pong: frameCheck('pong', PongFrame),
};

/** A frame from the gateway, or why it is not one: for clients (codes as decodeClientFrame). */
export function decodeServerFrame(text: string): Decoded<ServerFrame> {
  const parsed = parseObject(text, MAX_SERVER_FRAME_BYTES, 'frame', 'a frame');
  if (!parsed.ok) return refused(parsed.error.code === 'frame_not_json' ? 'malformed_json' : 'invalid_frame', parsed.error.message);
  return checkFrame(serverChecks, parsed.value);
}

/**
 * The JSON of an event's body, `type` first: the broker splices the event_id in right after the
 * opening brace (eventPayload), so the body must be an object that starts with a field.
 */
export function encodeEventBody(body: EventBody): string {
  const { type, ...fields } = body;
  return JSON.stringify({ type, ...fields });
}

/**
 * The payload of an event as it travels on pub/sub and sits in history: the body's JSON with
 * `event_id` as its first field. Built by splicing so that a broker (the Lua script in Redis) can
 * add the id it assigns, inside the same atomic step, without parsing or re-encoding the body.
 */
export function eventPayload(eventId: string, bodyJson: string): string {
  return `{"event_id":${JSON.stringify(eventId)},${bodyJson.slice(1)}`;
}
