/**
 * Every operation of the HTTP api: method, path, the schemas of its parts, its answers with the
 * error codes each status may carry, and its documentation. The api registers each route with its
 * entry's `schema` (Fastify validates and serializes with it); the OpenAPI document is built from
 * this table, and a test of the api checks that the two list the same routes.
 */
import Type, { type TSchema } from 'typebox';
import {
  AddMemberBody,
  Attachment,
  AttachmentIdParams,
  AttachmentLink,
  Conversation,
  ConversationList,
  CreateAttachmentBody,
  CreateConversationBody,
  DownloadQuery,
  ErrorBody,
  HistoryPage,
  HistoryQuery,
  IdParams,
  ListConversationsQuery,
  Liveness,
  MemberParams,
  Message,
  MessageIdParams,
  PublicUser,
  ReadAnswer,
  Readiness,
  RegisterBody,
  SendAnswer,
  SendMessageBody,
  TokenAnswer,
  TokenBody,
  User,
  UsernameParams,
} from './http.js';
import { MAX_MEMBERS } from './primitives.js';

/** An answer: a schema, with the description OpenAPI shows for its status. */
export type Answer = TSchema;

/** A route's schema: the parts Fastify validates and serializes, and what OpenAPI needs besides. */
export interface RouteSchema {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Present on routes that need an access token. */
  security?: { bearerAuth: string[] }[];
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** JSON answers by status. */
  response?: Record<number, Answer>;
  /** OpenAPI responses of bodies that are not JSON serialized by the api (a download, the document itself). */
  docResponses?: Record<string, unknown>;
  /** The OpenAPI request body of a route whose body is not JSON (the bytes of an upload). */
  docBody?: Record<string, unknown>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  method: Method;
  /** OpenAPI form: `/v1/conversations/{id}`. */
  path: string;
  schema: RouteSchema;
}

// ---- Error answers ---------------------------------------------------------------------------

type Codes = Partial<Record<number, string[]>>;
const AUTH: Codes = { 401: ['missing_token', 'invalid_token', 'token_expired'] };
const BODY: Codes = { 400: ['validation_failed', 'malformed_json', 'invalid_text'], 413: ['body_too_large'], 415: ['unsupported_media_type'] };
const INPUT: Codes = { 400: ['validation_failed'] };
/** Routes with path parameters: a parameter that is not valid percent-encoding. */
const PATH: Codes = { 400: ['malformed_url'] };
/** POST and DELETE routes without a body schema: a body, if one is sent, must still be JSON. */
const ANY_BODY: Codes = { 400: ['malformed_json', 'invalid_text'], 413: ['body_too_large'], 415: ['unsupported_media_type'] };
/** Any route: a bug, or a backend that cannot serve now (the api shutting down included). */
const ALWAYS: Codes = { 500: ['internal'], 503: ['unavailable'] };

/** The codes of each status: those of `sets` merged, 500 and 503 always among them. */
function mergeCodes(sets: Codes[]): Map<number, string[]> {
  const merged = new Map<number, string[]>();
  for (const set of [...sets, ALWAYS]) {
    for (const [status, codes] of Object.entries(set)) {
      const list = merged.get(Number(status)) ?? [];
      merged.set(Number(status), [...new Set([...list, ...(codes ?? [])])]);
    }
  }
  return new Map([...merged].sort((a, b) => a[0] - b[0]));
}

const described = (description: string, schema: TSchema): Answer => ({ ...schema, description });

/** Error answers by status, each describing its possible codes. */
function errors(...sets: Codes[]): Record<number, Answer> {
  const out: Record<number, Answer> = {};
  for (const [status, codes] of mergeCodes(sets)) out[status] = described(`Error codes: ${codes.join(', ')}.`, ErrorBody);
  return out;
}

const ok = described;
const bearer = [{ bearerAuth: [] as string[] }];
const binary = { schema: { type: 'string', format: 'binary' } };

// ---- Routes ----------------------------------------------------------------------------------

export const ROUTES = {
  register: {
    method: 'POST',
    path: '/auth/register',
    schema: {
      operationId: 'register',
      summary: 'Register a user',
      tags: ['auth'],
      body: RegisterBody,
      response: { 201: ok('The user was created.', User), ...errors(BODY, { 409: ['username_taken'] }) },
    },
  },
  createToken: {
    method: 'POST',
    path: '/auth/token',
    schema: {
      operationId: 'createToken',
      summary: 'Log in: exchange a username and password for an access token',
      description:
        'An unknown username and a wrong password get the same answer, after the same work. Failed logins are throttled per username and client address: ' +
        '429 too_many_attempts with Retry-After, before the password is checked. Answers carry Cache-Control: no-store.',
      tags: ['auth'],
      body: TokenBody,
      response: {
        200: ok('An HS256 JWT (claims sub = user id, username, iat, exp).', TokenAnswer),
        ...errors(BODY, { 401: ['invalid_credentials'], 429: ['too_many_attempts'] }),
      },
    },
  },
  getMe: {
    method: 'GET',
    path: '/v1/me',
    schema: { operationId: 'getMe', summary: 'The caller', tags: ['users'], security: bearer, response: { 200: ok('The caller.', User), ...errors(AUTH) } },
  },
  getUser: {
    method: 'GET',
    path: '/v1/users/{username}',
    schema: {
      operationId: 'getUser',
      summary: 'A user by username',
      tags: ['users'],
      security: bearer,
      params: UsernameParams,
      response: { 200: ok('The user.', PublicUser), ...errors(AUTH, PATH, { 404: ['user_not_found'] }) },
    },
  },
  createConversation: {
    method: 'POST',
    path: '/v1/conversations',
    schema: {
      operationId: 'createConversation',
      summary: 'Open a direct conversation or create a group',
      description:
        'direct: `members` holds exactly one other user; the conversation of a pair is unique, so a repeat answers 200 with it. ' +
        `group: \`name\` is required; the creator becomes member and admin; duplicates are removed; at most ${MAX_MEMBERS} members in all.`,
      tags: ['conversations'],
      security: bearer,
      body: CreateConversationBody,
      response: {
        200: ok('The direct conversation existed already.', Conversation),
        201: ok('The conversation was created.', Conversation),
        ...errors(AUTH, BODY, { 400: ['invalid_members', 'too_many_members'], 404: ['user_not_found'] }),
      },
    },
  },
  listConversations: {
    method: 'GET',
    path: '/v1/conversations',
    schema: {
      operationId: 'listConversations',
      summary: "The caller's conversations, newest activity first",
      tags: ['conversations'],
      security: bearer,
      querystring: ListConversationsQuery,
      response: { 200: ok('The conversations.', ConversationList), ...errors(AUTH, INPUT) },
    },
  },
  getConversation: {
    method: 'GET',
    path: '/v1/conversations/{id}',
    schema: {
      operationId: 'getConversation',
      summary: 'A conversation of the caller',
      description: 'A conversation the caller is not a member of is answered exactly like an unknown one.',
      tags: ['conversations'],
      security: bearer,
      params: IdParams,
      response: { 200: ok('The conversation.', Conversation), ...errors(AUTH, PATH, { 404: ['conversation_not_found'] }) },
    },
  },
  addMember: {
    method: 'POST',
    path: '/v1/conversations/{id}/members',
    schema: {
      operationId: 'addMember',
      summary: 'Add a member to a group (admins only)',
      description: 'Adding a member again changes nothing.',
      tags: ['conversations'],
      security: bearer,
      params: IdParams,
      body: AddMemberBody,
      response: {
        200: ok('The conversation as it now is.', Conversation),
        ...errors(AUTH, BODY, PATH, { 403: ['not_admin'], 404: ['conversation_not_found', 'user_not_found'], 409: ['direct_conversation', 'conversation_full'] }),
      },
    },
  },
  removeMember: {
    method: 'DELETE',
    path: '/v1/conversations/{id}/members/{user_id}',
    schema: {
      operationId: 'removeMember',
      summary: 'Remove a member from a group (admins, or the member itself)',
      description: 'When the last admin leaves, the earliest remaining member becomes admin.',
      tags: ['conversations'],
      security: bearer,
      params: MemberParams,
      response: {
        200: ok('The conversation as it now is (also when the caller has just left it).', Conversation),
        ...errors(AUTH, PATH, ANY_BODY, { 403: ['not_admin'], 404: ['conversation_not_found', 'member_not_found'], 409: ['direct_conversation'] }),
      },
    },
  },
  sendMessage: {
    method: 'POST',
    path: '/v1/messages',
    schema: {
      operationId: 'sendMessage',
      summary: 'Send a message',
      description:
        'Accepted into the event log; stored and delivered asynchronously. Sending a client_message_id again answers the first answer and stores one message.',
      tags: ['messages'],
      security: bearer,
      body: SendMessageBody,
      response: {
        202: ok('The message is accepted.', SendAnswer),
        ...errors(AUTH, BODY, {
          400: ['content_empty', 'attachment_not_sendable'],
          404: ['conversation_not_found', 'attachment_not_found'],
          409: ['client_message_id_reused', 'attachment_not_ready'],
          413: ['content_too_large'],
          429: ['rate_limited'],
        }),
      },
    },
  },
  listMessages: {
    method: 'GET',
    path: '/v1/conversations/{id}/messages',
    schema: {
      operationId: 'listMessages',
      summary: "A page of a conversation's stored messages, oldest first",
      description: 'Pass next_before as before to read the previous page; it is absent on the oldest page.',
      tags: ['messages'],
      security: bearer,
      params: IdParams,
      querystring: HistoryQuery,
      response: { 200: ok('The messages.', HistoryPage), ...errors(AUTH, INPUT, PATH, { 404: ['conversation_not_found'] }) },
    },
  },
  markRead: {
    method: 'POST',
    path: '/v1/messages/{id}/read',
    schema: {
      operationId: 'markRead',
      summary: 'Mark a message read by the caller',
      description: 'Idempotent once the receipt is stored: a message already read answers its first read_at.',
      tags: ['messages'],
      security: bearer,
      params: MessageIdParams,
      response: { 200: ok('Read.', ReadAnswer), ...errors(AUTH, PATH, ANY_BODY, { 404: ['message_not_found'], 409: ['own_message'] }) },
    },
  },
  getMessage: {
    method: 'GET',
    path: '/v1/messages/{id}',
    schema: {
      operationId: 'getMessage',
      summary: "A stored message of one of the caller's conversations",
      tags: ['messages'],
      security: bearer,
      params: MessageIdParams,
      response: { 200: ok('The message.', Message), ...errors(AUTH, PATH, { 404: ['message_not_found'] }) },
    },
  },
  createAttachment: {
    method: 'POST',
    path: '/v1/attachments',
    schema: {
      operationId: 'createAttachment',
      summary: 'Announce a file to upload into a conversation',
      description:
        'Members only. Answers the pending attachment and its upload_url; PUT the bytes there, then send its id with a message. ' +
        "A size over the service's bound (2 GiB by default) gets 413 attachment_too_large.",
      tags: ['attachments'],
      security: bearer,
      body: CreateAttachmentBody,
      response: { 201: ok('The attachment, pending.', Attachment), ...errors(AUTH, BODY, { 404: ['conversation_not_found'], 413: ['attachment_too_large'] }) },
    },
  },
  uploadAttachment: {
    method: 'PUT',
    path: '/v1/attachments/{id}/content',
    schema: {
      operationId: 'uploadAttachment',
      summary: 'Upload the bytes of a pending attachment (its uploader only)',
      description:
        'The body is the file itself, of any content type, streamed. It must have the size and SHA-256 announced: more bytes get 413 ' +
        'attachment_too_large as soon as they come, fewer 400 blob_size_mismatch, others 400 blob_checksum_mismatch; then nothing is kept ' +
        'and the attachment stays pending (upload again).',
      tags: ['attachments'],
      security: bearer,
      params: AttachmentIdParams,
      docBody: { required: false, content: { 'application/octet-stream': binary } },
      response: {
        200: ok('The attachment, ready.', Attachment),
        ...errors(AUTH, PATH, {
          400: ['blob_size_mismatch', 'blob_checksum_mismatch', 'invalid_content_length', 'upload_cut'],
          404: ['attachment_not_found'],
          409: ['attachment_already_uploaded'],
          413: ['attachment_too_large'],
        }),
      },
    },
  },
  getAttachment: {
    method: 'GET',
    path: '/v1/attachments/{id}',
    schema: {
      operationId: 'getAttachment',
      summary: "An attachment of one of the caller's conversations",
      description: 'A pending attachment is seen by its uploader only.',
      tags: ['attachments'],
      security: bearer,
      params: AttachmentIdParams,
      response: { 200: ok('The attachment.', Attachment), ...errors(AUTH, PATH, { 404: ['attachment_not_found'] }) },
    },
  },
  getAttachmentLink: {
    method: 'GET',
    path: '/v1/attachments/{id}/link',
    schema: {
      operationId: 'getAttachmentLink',
      summary: 'A download link for an attachment (members only)',
      description: 'The link needs no token and works until expires_at (an hour by default).',
      tags: ['attachments'],
      security: bearer,
      params: AttachmentIdParams,
      response: { 200: ok('The link.', AttachmentLink), ...errors(AUTH, PATH, { 404: ['attachment_not_found'], 409: ['attachment_pending'] }) },
    },
  },
  downloadAttachment: {
    method: 'GET',
    path: '/v1/attachments/{id}/content',
    schema: {
      operationId: 'downloadAttachment',
      summary: 'The bytes of an attachment, through a link from getAttachmentLink',
      description: 'No token: the signed link is the right. Sent as a download (Content-Disposition: attachment).',
      tags: ['attachments'],
      params: AttachmentIdParams,
      querystring: DownloadQuery,
      response: errors(INPUT, PATH, { 403: ['link_invalid', 'link_expired'], 404: ['attachment_not_found'] }),
      // The bytes go with the content type the uploader announced (image/png, ...): any media type.
      docResponses: {
        200: {
          description: "The file, with the attachment's content type, Content-Length and Content-Disposition: attachment.",
          content: { '*/*': binary },
        },
      },
    },
  },
  liveness: {
    method: 'GET',
    path: '/healthz',
    schema: { operationId: 'liveness', summary: 'Liveness', tags: ['operations'], response: { 200: ok('The process serves HTTP.', Liveness), ...errors() } },
  },
  readiness: {
    method: 'GET',
    path: '/readyz',
    schema: {
      operationId: 'readiness',
      summary: "Readiness, with each backend's state",
      description: 'While the api shuts down, every route answers 503 unavailable (an error body), this one included.',
      tags: ['operations'],
      response: {
        200: ok('Every backend is up.', Readiness),
        500: errors()[500]!,
        // A down backend, or the api shutting down: the serializer picks the shape that fits.
        503: Type.Union([Readiness, ErrorBody], { description: 'A backend is down (the readiness), or the api is shutting down (error code unavailable).' }),
      },
    },
  },
  openApi: {
    method: 'GET',
    path: '/openapi.json',
    schema: {
      operationId: 'openApi',
      summary: 'This document',
      tags: ['operations'],
      response: errors(),
      docResponses: { 200: { description: 'The OpenAPI 3.1 document of this api.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
} satisfies Record<string, Route>;

export type OperationId = keyof typeof ROUTES;
