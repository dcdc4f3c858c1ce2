import type { AttachmentStore, BlobStore, ConversationStore, EventLog, MessageStore, Presence, UserStore, UuidV7Generator } from '@chat4all/core';
import type { TokenService } from '@chat4all/core/auth';
import type { KeyedRateLimiter } from '@chat4all/core/runtime';
import type { LoginThrottle } from './auth/login-throttle.js';
import type { LinkSigner } from './auth/links.js';
import type { PasswordHasher } from './auth/passwords.js';

/** The bounds and times of attachments (docs/attachments.md). */
export interface AttachmentLimits {
  /** The largest file, in bytes. @default 2147483648 (2 GiB) */
  maxBytes: number;
  /** How long a download link works. @default 3600 */
  linkTtlSeconds: number;
  /** How long an attachment may wait to be sent with a message before it is removed. @default 86400 */
  unsentTtlSeconds: number;
}

export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = { maxBytes: 2 * 1024 ** 3, linkTtlSeconds: 3600, unsentTtlSeconds: 86_400 };

/**
 * What the use-cases of the api work with: the ports, the token service, an id generator and a
 * clock. Built once by createApiApp and shared by every request; holds no per-request state.
 */
export interface ApiContext {
  users: UserStore;
  conversations: ConversationStore;
  messages: MessageStore;
  eventLog: EventLog;
  /** Attachments' records; their bytes are in `blobs` under the attachment id. */
  attachments: AttachmentStore;
  blobs: BlobStore;
  attachmentLimits: AttachmentLimits;
  links: LinkSigner;
  presence: Presence;
  tokens: TokenService;
  passwords: PasswordHasher;
  ids: UuidV7Generator;
  /** Sends per user (POST /v1/messages); over it, 429 with Retry-After. */
  sendLimiter: KeyedRateLimiter;
  /** Failed logins per username and client address (POST /auth/token); over them, 429 with Retry-After. */
  loginThrottle: LoginThrottle;
  /** Unix milliseconds. */
  now: () => number;
}

/** The context's clock as an ISO-8601 UTC string (the wire format of times). */
export function isoNow(ctx: Pick<ApiContext, 'now'>): string {
  return new Date(ctx.now()).toISOString();
}
