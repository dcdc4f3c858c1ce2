import { randomBytes } from 'node:crypto';
import { ROUTES, buildOpenApiDocument } from '@chat4all/contract';
import { malformedTextPath } from '@chat4all/contract';
import { Chat4AllError, type AttachmentStore, type BlobStore, UuidV7Generator, invalid, randomId, type Backend, type ConversationStore, type EventLog, type MessageStore, type Presence, type UserStore } from '@chat4all/core';
import { type TokenService } from '@chat4all/core/auth';
import { MemoryAttachmentStore, MemoryBlobStore } from '@chat4all/core/memory';
import { KeyedRateLimiter, type RateLimit } from '@chat4all/core/runtime';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { LinkSigner } from './auth/links.js';
import { LoginThrottle, type LoginLimits } from './auth/login-throttle.js';
import { PasswordHasher, type ScryptParams } from './auth/passwords.js';
import { DEFAULT_ATTACHMENT_LIMITS, type ApiContext, type AttachmentLimits } from './context.js';
import { attachmentRoutes, downloadRoute } from './http/attachments.js';
import { authRoutes } from './http/auth.js';
import { authenticate } from './http/authenticate.js';
import { conversationRoutes } from './http/conversations.js';
import { handleError, handleFrameworkError, handleNotFound } from './http/errors.js';
import { healthRoutes } from './http/health.js';
import { messageRoutes } from './http/messages.js';
import { ApiMetrics } from './http/metrics.js';
import { userRoutes } from './http/users.js';
import { createValidatorCompiler } from './http/validation.js';
import { sweepAttachments } from './logic/attachments.js';

export interface ApiOptions {
  users: UserStore;
  conversations: ConversationStore;
  messages: MessageStore;
  /** Messages go to TOPIC_MESSAGES and read receipts to TOPIC_RECEIPTS, keyed by conversation id. */
  eventLog: EventLog;
  /** Attachments' records. @default a MemoryAttachmentStore */
  attachments?: AttachmentStore;
  /** Attachments' bytes, by attachment id. @default a MemoryBlobStore */
  blobs?: BlobStore;
  /** @default DEFAULT_ATTACHMENT_LIMITS */
  attachmentLimits?: Partial<AttachmentLimits>;
  /** The secret download links are signed with (a key is derived from it): the token secret, shared by every replica. @default random */
  linkSecret?: string;
  /** How often unsent attachments past their time are removed; 0: never. @default 60000 */
  attachmentSweepMs?: number;
  /** For the members' `online` flag. */
  presence: Presence;
  tokens: TokenService;
  /** The service's logger; request logs go to a child of it with credentials redacted. */
  logger: Logger;
  /** Where the api registers its metrics (never the global default registry); one app per registry. */
  registry: Registry;
  /** @default a new UuidV7Generator on `now` */
  ids?: UuidV7Generator;
  /** Unix milliseconds. @default Date.now */
  now?: () => number;
  /** scrypt cost of new password hashes. @default { N: 2 ** 15, r: 8, p: 3 } */
  passwords?: ScryptParams;
  /** Backends reported by /readyz besides the stores, the event log and presence. */
  backends?: Backend[];
  /** Messages one user may send. @default { perSecond: 50, burst: 100 } */
  sendRate?: RateLimit;
  /** Failed logins allowed per username and client address. @default DEFAULT_LOGIN_LIMITS */
  loginLimits?: Partial<LoginLimits>;
  /**
   * Proxies in front of the api whose X-Forwarded-For is believed, for the client address that
   * login throttling counts by (Fastify's trustProxy: a hop count, or true for all). @default false
   */
  trustProxy?: boolean | number;
}

/** Believes X-Forwarded-For for the `hops` proxies nearest the api. */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** Node's default bound on a request's headers, the request line included: no URL is longer. */
const MAX_URL_BYTES = 16 * 1024;

/** The request body limit: far above the largest valid request (a 10 KiB message), far below harm. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Paths of the log lines that must never carry credentials, whatever a later change logs. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'password', 'password_hash', 'access_token', '*.password', '*.password_hash', '*.access_token'];

function context(options: ApiOptions): ApiContext {
  const now = options.now ?? Date.now;
  return {
    users: options.users,
    conversations: options.conversations,
    messages: options.messages,
    eventLog: options.eventLog,
    attachments: options.attachments ?? new MemoryAttachmentStore(),
    blobs: options.blobs ?? new MemoryBlobStore(),
    attachmentLimits: { ...DEFAULT_ATTACHMENT_LIMITS, ...options.attachmentLimits },
    links: new LinkSigner(options.linkSecret ?? randomBytes(32)),
    presence: options.presence,
    tokens: options.tokens,
    passwords: new PasswordHasher(options.passwords),
    ids: options.ids ?? new UuidV7Generator(now),
    sendLimiter: new KeyedRateLimiter(options.sendRate ?? { perSecond: 50, burst: 100 }, now),
    loginThrottle: new LoginThrottle(options.loginLimits, now),
    now,
  };
}

/** Fastify's per-request lines as one line at debug: at info, two lines per request drown everything else. */
class RequestLogsAtDebug extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * JSON only. An empty JSON body counts as no body (clients send the header on bodiless POSTs). A
 * string that is not well-formed Unicode (a lone surrogate, `"\ud800"`) anywhere in the body is
 * refused with 400 `invalid_text`: strict JSON parsers, and so other members' clients, refuse it.
 */
function setUpParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, (err, value) => {
      if (err) return done(err, undefined);
      const path = malformedTextPath(value);
      if (path === undefined) return done(null, value);
      done(invalid('invalid_text', 'the body has text that is not well-formed Unicode (a lone surrogate)', [{ field: ['body', path].filter(Boolean).join('.'), message: 'is not well-formed Unicode' }]), undefined);
    });
  });
}

/** Removes unsent attachments past their time every `periodMs` while the app is open; failures are logged and retried next time. */
function sweepPeriodically(app: FastifyInstance, ctx: ApiContext, periodMs: number): void {
  if (periodMs <= 0) return;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepAttachments(ctx)
      .then((removed) => removed > 0 && app.log.info({ removed }, 'removed attachments never sent'))
      .catch((err: unknown) => app.log.warn({ err: { message: (err as Error).message } }, 'attachment sweep failed; retrying later'))
      .finally(() => (running = false));
  }, periodMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/** A route as Fastify registered it (HEAD routes, which Fastify adds for every GET, included). */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** The operation of the contract whose schema the route was registered with. */
  operationId: string | undefined;
}

const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * The routes an app built by createApiApp registered: what its OpenAPI document (built from the
 * contract's route table, not from these) must describe, as a test checks.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return [...(registered.get(app) ?? [])];
}

/** Builds the api's Fastify app over the given ports: ready to `listen` or to `inject`. */
export async function createApiApp(options: ApiOptions): Promise<FastifyInstance> {
  const ctx = context(options);
  const metrics = new ApiMetrics(options.registry);
  const logger: FastifyBaseLogger = options.logger.child({}, { redact: { paths: REDACT, censor: '[redacted]' } });
  const app = Fastify({
    loggerInstance: logger,
    logController: new RequestLogsAtDebug(),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomId(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Ids are short; a long one reaches its route (401 without a token, 404 with one) rather than
    // being refused by the router. The request line is bounded by Node's header limit anyway.
    routerOptions: { maxParamLength: MAX_URL_BYTES },
    frameworkErrors: handleFrameworkError,
    // Requests arriving while the app closes are answered by the hook below, in the error shape.
    return503OnClosing: false,
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : (options.trustProxy ?? false),
  });
  let closing = false;
  app.addHook('preClose', async () => void (closing = true));
  app.addHook('onRequest', async () => {
    if (closing) throw new Chat4AllError('unavailable', 'unavailable', 'the service is shutting down; retry', { retryAfterSeconds: 1 });
  });

  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (r) => {
    const operationId = r.schema && 'operationId' in r.schema ? String(r.schema.operationId) : undefined;
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, operationId });
  });
  registered.set(app, routes);
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  setUpParsers(app);
  metrics.install(app);
  app.addHook('onRequest', async (request, reply) => void reply.header('x-request-id', request.id));

  const backends = [options.users, options.conversations, options.messages, options.eventLog, options.presence, ctx.attachments, ctx.blobs, ...(options.backends ?? [])];
  healthRoutes(app, backends);
  let document: object | undefined;
  app.get('/openapi.json', { schema: ROUTES.openApi.schema }, async () => (document ??= buildOpenApiDocument()));
  authRoutes(app, ctx, metrics);
  downloadRoute(app, ctx, metrics);
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', authenticate(ctx));
      userRoutes(v1, ctx);
      conversationRoutes(v1, ctx);
      messageRoutes(v1, ctx, metrics);
      await attachmentRoutes(v1, ctx, metrics);
    },
    { prefix: '/v1' },
  );
  sweepPeriodically(app, ctx, options.attachmentSweepMs ?? 60_000);
  await app.ready();
  return app;
}
