/**
 * The HTTP wire: every request body, path parameter and query string (validated by the api),
 * every answer (serialized by the api: fields not listed never leave it) and the error body,
 * as TypeBox schemas with their TypeScript types. The route table (routes.ts) puts them together
 * per operation; the OpenAPI document is built from it (openapi.ts).
 *
 * Request objects are closed (`additionalProperties: false`): an unknown field is rejected with
 * 400, because a misspelt optional field (`display_nmae`) must not silently do nothing.
 */
import Type, { type Static, type TProperties } from 'typebox';
import {
  CLIENT_MESSAGE_ID_PATTERN,
  CONTENT_TYPE_PATTERN,
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_CONTENT_BYTES,
  MAX_MEMBERS,
  MessageStatus,
  NAME_PATTERN,
  Nullable,
  SHA256_PATTERN,
  StringEnum,
  Time,
  USERNAME_PATTERN,
  Uuid,
} from './primitives.js';

/** A request object: unknown fields are refused. */
const Closed = <P extends TProperties>(properties: P, options: Record<string, unknown> = {}) => Type.Object(properties, { additionalProperties: false, ...options });

const UserRef = Type.String({ minLength: 1, maxLength: 64, description: 'A username or a user id.' });

// ---- Answers -----------------------------------------------------------------------------------

export const User = Type.Object({ user_id: Uuid, username: Type.String(), display_name: Type.String(), created_at: Time });
export type User = Static<typeof User>;

export const PublicUser = Type.Object({ user_id: Uuid, username: Type.String(), display_name: Type.String() });
export type PublicUser = Static<typeof PublicUser>;

export const Member = Type.Object({ user_id: Uuid, username: Type.String(), display_name: Type.String(), online: Type.Boolean() });
export type Member = Static<typeof Member>;

export const Conversation = Type.Object({
  conversation_id: Uuid,
  type: StringEnum(['direct', 'group']),
  name: Nullable(Type.String(), { description: 'The group name; null for a direct conversation.' }),
  members: Type.Array(Member, { description: 'In the order they joined.' }),
  admins: Type.Array(Uuid, { description: 'User ids of the admins, a subset of members.' }),
  created_at: Time,
  last_activity_at: Time,
});
export type Conversation = Static<typeof Conversation>;

/** A file as messages list it (the record form, with its bounds, is AttachmentRef of records.ts). */
export const AttachmentRefView = Type.Object(
  { attachment_id: Uuid, filename: Type.String(), content_type: Type.String(), size: Type.Integer(), sha256: Type.String() },
  { description: 'A file sent with a message.' },
);

export const Attachment = Type.Object({
  attachment_id: Uuid,
  conversation_id: Uuid,
  uploader_id: Uuid,
  filename: Type.String(),
  content_type: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  state: StringEnum(['pending', 'ready'], { description: 'pending until its bytes are uploaded and checked.' }),
  created_at: Time,
  expires_at: Type.String({ format: 'date-time', description: 'Removed then unless sent with a message by that time.' }),
  ready_at: Type.Optional(Time),
  sent_at: Type.Optional(Time),
  upload_url: Type.Optional(Type.String({ description: 'While pending: the path to PUT the bytes to.' })),
});
export type Attachment = Static<typeof Attachment>;

export const Message = Type.Object({
  message_id: Uuid,
  conversation_id: Uuid,
  sender_id: Uuid,
  content: Type.String(),
  created_at: Time,
  status: MessageStatus,
  sent_at: Type.Optional(Time),
  delivered_at: Type.Optional(Time),
  read_at: Type.Optional(Time),
  client_message_id: Type.Optional(Type.String()),
  attachments: Type.Optional(Type.Array(AttachmentRefView)),
});
export type Message = Static<typeof Message>;

export const TokenAnswer = Type.Object({
  access_token: Type.String(),
  token_type: StringEnum(['Bearer']),
  expires_in: Type.Integer({ description: 'Seconds.' }),
});
export type TokenAnswer = Static<typeof TokenAnswer>;

export const ConversationList = Type.Object({ conversations: Type.Array(Conversation) });
export type ConversationList = Static<typeof ConversationList>;

export const SendAnswer = Type.Object({ message_id: Uuid, conversation_id: Uuid, status: StringEnum(['ACCEPTED']), created_at: Time });
export type SendAnswer = Static<typeof SendAnswer>;

export const HistoryPage = Type.Object({ messages: Type.Array(Message), next_before: Type.Optional(Uuid) });
export type HistoryPage = Static<typeof HistoryPage>;

export const ReadAnswer = Type.Object({ message_id: Uuid, status: StringEnum(['READ']), read_at: Time });
export type ReadAnswer = Static<typeof ReadAnswer>;

export const AttachmentLink = Type.Object({ url: Type.String({ description: 'An absolute URL.' }), expires_at: Time });
export type AttachmentLink = Static<typeof AttachmentLink>;

export const Liveness = Type.Object({ status: StringEnum(['ok']) });

const BackendState = Type.Object({ status: StringEnum(['up', 'down']), detail: Type.Optional(Type.String()) });
export type BackendState = Static<typeof BackendState>;
export const Readiness = Type.Object({
  status: StringEnum(['ready', 'not_ready']),
  // additionalProperties (not patternProperties): what the serializer and OpenAPI tools read best.
  backends: Type.Unsafe<Record<string, BackendState>>({ type: 'object', additionalProperties: BackendState }),
});
export type Readiness = Static<typeof Readiness>;

/** The body of every error. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable, for programs.' }),
    message: Type.String({ description: 'For humans; may change.' }),
    details: Type.Optional(Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() }))),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;
export type ErrorDetail = NonNullable<ErrorBody['error']['details']>[number];

/** Wire objects that OpenAPI names (components/schemas) and references wherever they appear. */
export const namedSchemas = {
  Error: ErrorBody,
  User,
  PublicUser,
  Member,
  Conversation,
  Message,
  Attachment,
  AttachmentRef: AttachmentRefView,
} as const;

// ---- Requests ----------------------------------------------------------------------------------

export const RegisterBody = Closed({
  username: Type.String({ pattern: USERNAME_PATTERN, description: '3 to 32 of a-z, 0-9 and _; unique.' }),
  password: Type.String({ minLength: 8, maxLength: 128 }),
  display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: NAME_PATTERN, description: 'Trimmed; defaults to the username.' })),
});
export type RegisterBody = Static<typeof RegisterBody>;

export const TokenBody = Closed({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) });
export type TokenBody = Static<typeof TokenBody>;

export const UsernameParams = Closed({ username: Type.String({ description: 'A username; one that cannot exist gets 404.' }) });
export type UsernameParams = Static<typeof UsernameParams>;

/**
 * direct: exactly one other member and no name; group: a name. Said in the schema (if/then/else)
 * so that both are 400 validation_failed and the document states it.
 */
export const CreateConversationBody = Closed(
  {
    type: StringEnum(['direct', 'group']),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: NAME_PATTERN, description: 'Groups only, and required for them; trimmed.' })),
    members: Type.Array(UserRef, { maxItems: 4 * MAX_MEMBERS, description: 'The other members: usernames or user ids (exactly one for direct).' }),
  },
  {
    if: { type: 'object', properties: { type: { const: 'direct' } }, required: ['type'] },
    then: { type: 'object', properties: { members: { type: 'array', minItems: 1, maxItems: 1 } }, not: { type: 'object', properties: { name: {} }, required: ['name'] } },
    else: { type: 'object', properties: { name: {} }, required: ['name'] },
  },
);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const ListConversationsQuery = Closed({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) });
/** As the handler sees it: the validator has applied the default. */
export type ListConversationsQuery = Static<typeof ListConversationsQuery> & { limit: number };

export const IdParams = Closed({ id: Type.String({ format: 'uuid', description: 'A conversation id. An id that is not a UUID names nothing: 404.' }) });
export type IdParams = Static<typeof IdParams>;

export const AddMemberBody = Closed({ user: UserRef });
export type AddMemberBody = Static<typeof AddMemberBody>;

export const MemberParams = Closed({ id: IdParams.properties.id, user_id: Type.String({ format: 'uuid', description: 'The member to remove.' }) });
export type MemberParams = Static<typeof MemberParams>;

/** Content may be empty only with attachments (the `else`): its minLength failure is 400 content_empty. */
export const SendMessageBody = Closed(
  {
    conversation_id: Uuid,
    content: Type.String({ description: `Up to ${MAX_CONTENT_BYTES} UTF-8 bytes (over: 413 content_too_large); empty only with attachments (else 400).` }),
    client_message_id: Type.Optional(Type.String({ pattern: CLIENT_MESSAGE_ID_PATTERN, description: 'Idempotency key chosen by the client, unique per sender.' })),
    attachments: Type.Optional(
      Type.Array(Uuid, {
        minItems: 1,
        maxItems: MAX_ATTACHMENTS_PER_MESSAGE,
        uniqueItems: true,
        description: 'Ids of ready attachments the sender uploaded into this conversation (POST /v1/attachments).',
      }),
    ),
  },
  {
    if: { type: 'object', properties: { attachments: {} }, required: ['attachments'] },
    else: { type: 'object', properties: { content: { type: 'string', minLength: 1 } } },
  },
);
export type SendMessageBody = Static<typeof SendMessageBody>;

export const HistoryQuery = Closed({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  before: Type.Optional(Type.String({ format: 'uuid', description: 'A message id: only older messages.' })),
});
/** As the handler sees it: the validator has applied the default. */
export type HistoryQuery = Static<typeof HistoryQuery> & { limit: number };

export const MessageIdParams = Closed({ id: Type.String({ format: 'uuid', description: 'A message id.' }) });
export type MessageIdParams = Static<typeof MessageIdParams>;

export const AttachmentIdParams = Closed({ id: Type.String({ format: 'uuid', description: 'An attachment id.' }) });
export type AttachmentIdParams = Static<typeof AttachmentIdParams>;

export const CreateAttachmentBody = Closed({
  conversation_id: Uuid,
  filename: Type.String({ minLength: 1, maxLength: 255, pattern: NAME_PATTERN, description: "The file's name; a path keeps its last segment." }),
  content_type: Type.Optional(Type.String({ maxLength: 255, pattern: CONTENT_TYPE_PATTERN, description: 'A media type such as image/png.', default: 'application/octet-stream' })),
  size: Type.Integer({ minimum: 0, description: 'Bytes.' }),
  sha256: Type.String({ pattern: SHA256_PATTERN, description: 'SHA-256 of the bytes, 64 lower-case hex digits.' }),
});
export type CreateAttachmentBody = Static<typeof CreateAttachmentBody>;

export const DownloadQuery = Closed({
  expires: Type.Integer({ minimum: 0, description: 'Unix seconds.' }),
  signature: Type.String({ maxLength: 128 }),
});
export type DownloadQuery = Static<typeof DownloadQuery>;
