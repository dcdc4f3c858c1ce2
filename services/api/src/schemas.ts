/**
 * The JSON schemas of every route: request bodies, path parameters and query strings (validated),
 * responses (serialized: fields not listed never leave the api), and the documentation that
 * /openapi.json is assembled from. This file is the one source of truth for the wire shapes.
 *
 * Request objects are closed (`additionalProperties: false`): an unknown field is rejected with 400,
 * because a misspelt optional field (`display_nmae`) must not silently do nothing.
 */
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_CONTENT_BYTES, MAX_MEMBERS } from '@chat4all/core';
import type { FastifySchema } from 'fastify';

/** A route's schema with the fields OpenAPI needs besides the validated and serialized parts. */
export interface RouteSchema extends FastifySchema {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Present on routes that need an access token. */
  security?: { bearerAuth: string[] }[];
  /** OpenAPI responses of bodies that are not JSON serialized by Fastify (metrics, the document itself). */
  docResponses?: Record<string, unknown>;
  /** The OpenAPI request body of a route whose body is not JSON (the bytes of an upload). */
  docBody?: Record<string, unknown>;
}

export const USERNAME_PATTERN = '^[a-z0-9_]{3,32}$';
export const CLIENT_MESSAGE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
/** Names shown to other users: no control characters (line breaks included), and not blank. */
const NAME_PATTERN = '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]*$';

const uuid = { type: 'string', format: 'uuid' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const closed = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const object = (properties: Record<string, unknown>, required: string[], description?: string) => ({
  type: 'object',
  ...(description === undefined ? {} : { description }),
  properties,
  required,
});

const userRef = { type: 'string', minLength: 1, maxLength: 64, description: 'A username or a user id.' };

// ---- Response bodies -------------------------------------------------------------------------

const user = object({ user_id: uuid, username: { type: 'string' }, display_name: { type: 'string' }, created_at: time }, [
  'user_id',
  'username',
  'display_name',
  'created_at',
]);
const publicUser = object({ user_id: uuid, username: { type: 'string' }, display_name: { type: 'string' } }, ['user_id', 'username', 'display_name']);
const member = object({ user_id: uuid, username: { type: 'string' }, display_name: { type: 'string' }, online: { type: 'boolean' } }, [
  'user_id',
  'username',
  'display_name',
  'online',
]);
const conversation = object(
  {
    conversation_id: uuid,
    type: { type: 'string', enum: ['direct', 'group'] },
    name: { type: ['string', 'null'], description: 'The group name; null for a direct conversation.' },
    members: { type: 'array', items: member, description: 'In the order they joined.' },
    admins: { type: 'array', items: uuid, description: 'User ids of the admins, a subset of members.' },
    created_at: time,
    last_activity_at: time,
  },
  ['conversation_id', 'type', 'name', 'members', 'admins', 'created_at', 'last_activity_at'],
);
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the bytes, 64 lower-case hex digits.' } as const;
/** File names as shown to others: no control characters, not blank. */
const filename = { type: 'string', minLength: 1, maxLength: 255, pattern: NAME_PATTERN } as const;
const CONTENT_TYPE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\\s*;[\\x20-\\x7e]*)?$";
const contentType = { type: 'string', maxLength: 255, pattern: CONTENT_TYPE_PATTERN, description: 'A media type such as image/png.' } as const;
const attachmentRef = object(
  { attachment_id: uuid, filename: { type: 'string' }, content_type: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' } },
  ['attachment_id', 'filename', 'content_type', 'size', 'sha256'],
  'A file sent with a message.',
);
const attachment = object(
  {
    attachment_id: uuid,
    conversation_id: uuid,
    uploader_id: uuid,
    filename: { type: 'string' },
    content_type: { type: 'string' },
    size: { type: 'integer' },
    sha256: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'ready'], description: 'pending until its bytes are uploaded and checked.' },
    created_at: time,
    expires_at: { ...time, description: 'Removed then unless sent with a message by that time.' },
    ready_at: time,
    sent_at: time,
    upload_url: { type: 'string', description: 'While pending: the path to PUT the bytes to.' },
  },
  ['attachment_id', 'conversation_id', 'uploader_id', 'filename', 'content_type', 'size', 'sha256', 'state', 'created_at', 'expires_at'],
);
const statusEnum = { type: 'string', enum: ['ACCEPTED', 'SENT', 'DELIVERED', 'READ'] };
const message = object(
  {
    message_id: uuid,
    conversation_id: uuid,
    sender_id: uuid,
    content: { type: 'string' },
    created_at: time,
    status: statusEnum,
    sent_at: time,
    delivered_at: time,
    read_at: time,
    client_message_id: { type: 'string' },
    attachments: { type: 'array', items: attachmentRef },
  },
  ['message_id', 'conversation_id', 'sender_id', 'content', 'created_at', 'status'],
);
const backendState = object({ status: { type: 'string', enum: ['up', 'down'] }, detail: { type: 'string' } }, ['status']);
const readiness = object({ status: { type: 'string', enum: ['ready', 'not_ready'] }, backends: { type: 'object', additionalProperties: backendState } }, [
  'status',
  'backends',
]);

/** The body of every error. */
export const errorBody = object(
  {
    error: object(
      {
        code: { type: 'string', description: 'Stable, for programs.' },
        message: { type: 'string', description: 'For humans; may change.' },
        details: { type: 'array', items: object({ field: { type: 'string' }, message: { type: 'string' } }, ['message']) },
      },
      ['code', 'message'],
    ),
  },
  ['error'],
);

/** Wire objects that OpenAPI names (components/schemas) and references wherever they appear. */
export const namedSchemas: Record<string, { properties: object }> = {
  Error: errorBody,
  User: user,
  PublicUser: publicUser,
  Member: member,
  Conversation: conversation,
  Message: message,
  Attachment: attachment,
  AttachmentRef: attachmentRef,
};

// ---- Error responses -------------------------------------------------------------------------

type Codes = Partial<Record<number, string[]>>;
const AUTH: Codes = { 401: ['missing_token', 'invalid_token', 'token_expired'] };
const BODY: Codes = { 400: ['validation_failed', 'malformed_json', 'invalid_text'], 413: ['body_too_large'], 415: ['unsupported_media_type'] };
const INPUT: Codes = { 400: ['validation_failed'] };
/** Routes with path parameters: a parameter that is not valid percent-encoding. */
const PATH: Codes = { 400: ['malformed_url'] };
/** POST and DELETE routes without a body schema: a body, if one is sent, must still be JSON. */
const ANY_BODY: Codes = { 400: ['malformed_json', 'invalid_text'], 413: ['body_too_large'], 415: ['unsupported_media_type'] };
const ALWAYS: Codes = { 500: ['internal'], 503: ['unavailable'] };

/** Error responses by status, each describing its possible codes; 500 and 503 are always possible. */
function errors(...sets: Codes[]): Record<number, unknown> {
  const merged = new Map<number, string[]>();
  for (const set of [...sets, ALWAYS]) {
    for (const [status, codes] of Object.entries(set)) {
      const list = merged.get(Number(status)) ?? [];
      merged.set(Number(status), [...new Set([...list, ...codes!])]);
    }
  }
  const out: Record<number, unknown> = {};
  for (const [status, codes] of [...merged].sort((a, b) => a[0] - b[0])) out[status] = { description: `Error codes: ${codes.join(', ')}.`, ...errorBody };
  return out;
}

const ok = (description: string, body: object) => ({ description, ...body });
const bearer = [{ bearerAuth: [] as string[] }];
const idParams = closed({ id: { ...uuid, description: 'A conversation id. An id that is not a UUID names nothing: 404.' } }, ['id']);

// ---- Routes ----------------------------------------------------------------------------------

export const registerSchema: RouteSchema = {
  operationId: 'register',
  summary: 'Register a user',
  tags: ['auth'],
  body: closed(
    {
      username: { type: 'string', pattern: USERNAME_PATTERN, description: '3 to 32 of a-z, 0-9 and _; unique.' },
      password: { type: 'string', minLength: 8, maxLength: 128 },
      display_name: { type: 'string', minLength: 1, maxLength: 64, pattern: NAME_PATTERN, description: 'Trimmed; defaults to the username.' },
    },
    ['username', 'password'],
  ),
  response: { 201: ok('The user was created.', user), ...errors(BODY, { 409: ['username_taken'] }) },
};

export const tokenSchema: RouteSchema = {
  operationId: 'createToken',
  summary: 'Log in: exchange a username and password for an access token',
  description:
    'An unknown username and a wrong password get the same answer, after the same work. Failed logins are throttled per username and client address: ' +
    '429 too_many_attempts with Retry-After, before the password is checked. Answers carry Cache-Control: no-store.',
  tags: ['auth'],
  body: closed({ username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 128 } }, ['username', 'password']),
  response: {
    200: ok(
      'An HS256 JWT (claims sub = user id, username, iat, exp).',
      object({ access_token: { type: 'string' }, token_type: { type: 'string', enum: ['Bearer'] }, expires_in: { type: 'integer', description: 'Seconds.' } }, [
        'access_token',
        'token_type',
        'expires_in',
      ]),
    ),
    ...errors(BODY, { 401: ['invalid_credentials'], 429: ['too_many_attempts'] }),
  },
};

export const meSchema: RouteSchema = {
  operationId: 'getMe',
  summary: 'The caller',
  tags: ['users'],
  security: bearer,
  response: { 200: ok('The caller.', user), ...errors(AUTH) },
};

export const userSchema: RouteSchema = {
  operationId: 'getUser',
  summary: 'A user by username',
  tags: ['users'],
  security: bearer,
  params: closed({ username: { type: 'string', description: 'A username; one that cannot exist gets 404.' } }, ['username']),
  response: { 200: ok('The user.', publicUser), ...errors(AUTH, PATH, { 404: ['user_not_found'] }) },
};

export const createConversationSchema: RouteSchema = {
  operationId: 'createConversation',
  summary: 'Open a direct conversation or create a group',
  description:
    'direct: `members` holds exactly one other user; the conversation of a pair is unique, so a repeat answers 200 with it. ' +
    `group: \`name\` is required; the creator becomes member and admin; duplicates are removed; at most ${MAX_MEMBERS} members in all.`,
  tags: ['conversations'],
  security: bearer,
  body: {
    ...closed(
      {
        type: { type: 'string', enum: ['direct', 'group'] },
        name: { type: 'string', minLength: 1, maxLength: 100, pattern: NAME_PATTERN, description: 'Groups only, and required for them; trimmed.' },
        members: { type: 'array', items: userRef, maxItems: 4 * MAX_MEMBERS, description: 'The other members: usernames or user ids (exactly one for direct).' },
      },
      ['type', 'members'],
    ),
    if: { type: 'object', properties: { type: { const: 'direct' } }, required: ['type'] },
    then: { type: 'object', properties: { members: { type: 'array', minItems: 1, maxItems: 1 } }, not: { type: 'object', properties: { name: {} }, required: ['name'] } },
    else: { type: 'object', properties: { name: {} }, required: ['name'] },
  },
  response: {
    200: ok('The direct conversation existed already.', conversation),
    201: ok('The conversation was created.', conversation),
    ...errors(AUTH, BODY, { 400: ['invalid_members', 'too_many_members'], 404: ['user_not_found'] }),
  },
};

export const listConversationsSchema: RouteSchema = {
  operationId: 'listConversations',
  summary: "The caller's conversations, newest activity first",
  tags: ['conversations'],
  security: bearer,
  querystring: closed({ limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }),
  response: { 200: ok('The conversations.', object({ conversations: { type: 'array', items: conversation } }, ['conversations'])), ...errors(AUTH, INPUT) },
};

export const getConversationSchema: RouteSchema = {
  operationId: 'getConversation',
  summary: 'A conversation of the caller',
  description: 'A conversation the caller is not a member of is answered exactly like an unknown one.',
  tags: ['conversations'],
  security: bearer,
  params: idParams,
  response: { 200: ok('The conversation.', conversation), ...errors(AUTH, PATH, { 404: ['conversation_not_found'] }) },
};

export const addMemberSchema: RouteSchema = {
  operationId: 'addMember',
  summary: 'Add a member to a group (admins only)',
  description: 'Adding a member again changes nothing.',
  tags: ['conversations'],
  security: bearer,
  params: idParams,
  body: closed({ user: userRef }, ['user']),
  response: {
    200: ok('The conversation as it now is.', conversation),
    ...errors(AUTH, BODY, PATH, { 403: ['not_admin'], 404: ['conversation_not_found', 'user_not_found'], 409: ['direct_conversation', 'conversation_full'] }),
  },
};

export const removeMemberSchema: RouteSchema = {
  operationId: 'removeMember',
  summary: 'Remove a member from a group (admins, or the member itself)',
  description: 'When the last admin leaves, the earliest remaining member becomes admin.',
  tags: ['conversations'],
  security: bearer,
  params: closed({ id: idParams.properties.id, user_id: { ...uuid, description: 'The member to remove.' } }, ['id', 'user_id']),
  response: {
    200: ok('The conversation as it now is (also when the caller has just left it).', conversation),
    ...errors(AUTH, PATH, ANY_BODY, { 403: ['not_admin'], 404: ['conversation_not_found', 'member_not_found'], 409: ['direct_conversation'] }),
  },
};

export const sendMessageSchema: RouteSchema = {
  operationId: 'sendMessage',
  summary: 'Send a message',
  description:
    'Accepted into the event log; stored and delivered asynchronously. Sending a client_message_id again answers the first answer and stores one message.',
  tags: ['messages'],
  security: bearer,
  body: {
    ...closed(
      {
        conversation_id: uuid,
        content: {
          type: 'string',
          description: `Up to ${MAX_CONTENT_BYTES} UTF-8 bytes (over: 413 content_too_large); empty only with attachments (else 400).`,
        },
        client_message_id: { type: 'string', pattern: CLIENT_MESSAGE_ID_PATTERN, description: 'Idempotency key chosen by the client, unique per sender.' },
        attachments: {
          type: 'array',
          items: uuid,
          minItems: 1,
          maxItems: MAX_ATTACHMENTS_PER_MESSAGE,
          uniqueItems: true,
          description: 'Ids of ready attachments the sender uploaded into this conversation (POST /v1/attachments).',
        },
      },
      ['conversation_id', 'content'],
    ),
    if: { type: 'object', properties: { attachments: {} }, required: ['attachments'] },
    else: { type: 'object', properties: { content: { type: 'string', minLength: 1 } } },
  },
  response: {
    202: ok(
      'The message is accepted.',
      object({ message_id: uuid, conversation_id: uuid, status: { type: 'string', enum: ['ACCEPTED'] }, created_at: time }, [
        'message_id',
        'conversation_id',
        'status',
        'created_at',
      ]),
    ),
    ...errors(AUTH, BODY, { 400: ['content_empty', 'attachment_not_sendable'], 404: ['conversation_not_found', 'attachment_not_found'], 409: ['client_message_id_reused', 'attachment_not_ready'], 413: ['content_too_large'], 429: ['rate_limited'] }),
  },
};

export const historySchema: RouteSchema = {
  operationId: 'listMessages',
  summary: "A page of a conversation's stored messages, oldest first",
  description: 'Pass next_before as before to read the previous page; it is absent on the oldest page.',
  tags: ['messages'],
  security: bearer,
  params: idParams,
  querystring: closed({ limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, before: { ...uuid, description: 'A message id: only older messages.' } }),
  response: {
    200: ok('The messages.', object({ messages: { type: 'array', items: message }, next_before: uuid }, ['messages'])),
    ...errors(AUTH, INPUT, PATH, { 404: ['conversation_not_found'] }),
  },
};

export const readSchema: RouteSchema = {
  operationId: 'markRead',
  summary: 'Mark a message read by the caller',
  description: 'Idempotent once the receipt is stored: a message already read answers its first read_at.',
  tags: ['messages'],
  security: bearer,
  params: closed({ id: { ...uuid, description: 'A message id.' } }, ['id']),
  response: {
    200: ok('Read.', object({ message_id: uuid, status: { type: 'string', enum: ['READ'] }, read_at: time }, ['message_id', 'status', 'read_at'])),
    ...errors(AUTH, PATH, ANY_BODY, { 404: ['message_not_found'], 409: ['own_message'] }),
  },
};

const messageIdParams = closed({ id: { ...uuid, description: 'A message id.' } }, ['id']);

export const getMessageSchema: RouteSchema = {
  operationId: 'getMessage',
  summary: 'A stored message of one of the caller\'s conversations',
  tags: ['messages'],
  security: bearer,
  params: messageIdParams,
  response: { 200: ok('The message.', message), ...errors(AUTH, PATH, { 404: ['message_not_found'] }) },
};

const attachmentIdParams = closed({ id: { ...uuid, description: 'An attachment id.' } }, ['id']);

export const createAttachmentSchema: RouteSchema = {
  operationId: 'createAttachment',
  summary: 'Announce a file to upload into a conversation',
  description:
    'Members only. Answers the pending attachment and its upload_url; PUT the bytes there, then send its id with a message. ' +
    'A size over the service\'s bound (2 GiB by default) gets 413 attachment_too_large.',
  tags: ['attachments'],
  security: bearer,
  body: closed(
    {
      conversation_id: uuid,
      filename: { ...filename, description: 'The file\'s name; a path keeps its last segment.' },
      content_type: { ...contentType, description: 'A media type such as image/png. @default application/octet-stream' },
      size: { type: 'integer', minimum: 0, description: 'Bytes.' },
      sha256,
    },
    ['conversation_id', 'filename', 'size', 'sha256'],
  ),
  response: { 201: ok('The attachment, pending.', attachment), ...errors(AUTH, BODY, { 404: ['conversation_not_found'], 413: ['attachment_too_large'] }) },
};

export const uploadAttachmentSchema: RouteSchema = {
  operationId: 'uploadAttachment',
  summary: 'Upload the bytes of a pending attachment (its uploader only)',
  description:
    'The body is the file itself, of any content type, streamed. It must have the size and SHA-256 announced: more bytes get 413 ' +
    'attachment_too_large as soon as they come, fewer 400 blob_size_mismatch, others 400 blob_checksum_mismatch; then nothing is kept ' +
    'and the attachment stays pending (upload again).',
  tags: ['attachments'],
  security: bearer,
  params: attachmentIdParams,
  docBody: { required: false, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
  response: {
    200: ok('The attachment, ready.', attachment),
    ...errors(AUTH, PATH, { 400: ['blob_size_mismatch', 'blob_checksum_mismatch', 'invalid_content_length', 'upload_cut'], 404: ['attachment_not_found'], 409: ['attachment_already_uploaded'], 413: ['attachment_too_large'] }),
  },
};

export const getAttachmentSchema: RouteSchema = {
  operationId: 'getAttachment',
  summary: 'An attachment of one of the caller\'s conversations',
  description: 'A pending attachment is seen by its uploader only.',
  tags: ['attachments'],
  security: bearer,
  params: attachmentIdParams,
  response: { 200: ok('The attachment.', attachment), ...errors(AUTH, PATH, { 404: ['attachment_not_found'] }) },
};

export const attachmentLinkSchema: RouteSchema = {
  operationId: 'getAttachmentLink',
  summary: 'A download link for an attachment (members only)',
  description: 'The link needs no token and works until expires_at (an hour by default).',
  tags: ['attachments'],
  security: bearer,
  params: attachmentIdParams,
  response: {
    200: ok('The link.', object({ url: { type: 'string', description: 'An absolute URL.' }, expires_at: time }, ['url', 'expires_at'])),
    ...errors(AUTH, PATH, { 404: ['attachment_not_found'], 409: ['attachment_pending'] }),
  },
};

export const downloadAttachmentSchema: RouteSchema = {
  operationId: 'downloadAttachment',
  summary: 'The bytes of an attachment, through a link from getAttachmentLink',
  description: 'No token: the signed link is the right. Sent as a download (Content-Disposition: attachment).',
  tags: ['attachments'],
  params: attachmentIdParams,
  querystring: closed({ expires: { type: 'integer', minimum: 0, description: 'Unix seconds.' }, signature: { type: 'string', maxLength: 128 } }, ['expires', 'signature']),
  response: errors(INPUT, PATH, { 403: ['link_invalid', 'link_expired'], 404: ['attachment_not_found'] }),
  docResponses: { 200: { description: 'The file.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
};

export const healthzSchema: RouteSchema = {
  operationId: 'liveness',
  summary: 'Liveness',
  tags: ['operations'],
  response: { 200: ok('The process serves HTTP.', object({ status: { type: 'string', enum: ['ok'] } }, ['status'])) },
};

export const readyzSchema: RouteSchema = {
  operationId: 'readiness',
  summary: "Readiness, with each backend's state",
  tags: ['operations'],
  response: { 200: ok('Every backend is up.', readiness), 503: ok('A backend is down.', readiness) },
};

export const openApiSchema: RouteSchema = {
  operationId: 'openApi',
  summary: 'This document',
  tags: ['operations'],
  docResponses: { 200: { description: 'The OpenAPI 3.1 document of this api.', content: { 'application/json': { schema: { type: 'object' } } } } },
};
