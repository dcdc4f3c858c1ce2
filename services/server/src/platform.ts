import type { Server } from 'node:http';
import { createApiApp } from '@chat4all/api';
import { TOPIC_MESSAGES, TOPIC_RECEIPTS } from '@chat4all/contract';
import { type Backend, type EventLog, isChat4AllError } from '@chat4all/core';
import { TokenService } from '@chat4all/core/auth';
import { CachingConversationStore, CachingUserStore } from '@chat4all/core/runtime';
import { RouterWorker } from '@chat4all/router-worker';
import { type GatewayOptions, WebSocketGateway } from '@chat4all/websocket-gateway';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Backends } from './backends.js';
import { keepTrying } from './keep-trying.js';
import { PORT_VARIABLES, type ServerConfig } from './config.js';
import { portOf, readiness, startHealthServer } from './health-server.js';
import { listening } from './listen-error.js';

export interface PlatformOptions {
  config: ServerConfig;
  backends: Backends;
  logger: Logger;
  /** The HS256 key (config.jwtSecret, or a generated one in the embedded default). */
  jwtSecret: string;
  /** scrypt cost for new password hashes (tests lower it). */
  passwords?: { N: number; r: number; p: number };
  /** Gateway settings beyond the configuration (tests tighten limits and intervals). */
  gateway?: GatewayTuning;
}

export type GatewayTuning = Partial<Pick<GatewayOptions, 'limits' | 'presenceIntervalMs' | 'presenceTtlMs' | 'maxBufferedBytes' | 'authTimeoutMs'>>;

/** The roles running in this process, and how to stop them. */
export interface RunningPlatform {
  apiPort?: number;
  websocketPort?: number;
  metricsPort?: number;
  gateway?: WebSocketGateway;
  worker?: RouterWorker;
  api?: FastifyInstance;
  registry: Registry;
  /** Drains the gateway (over `drainMs`), stops the api and the worker, then closes the backends. */
  shutdown(drainMs?: number): Promise<void>;
}

const has = (role: ServerConfig['role'], r: 'api' | 'worker' | 'gateway') => role === 'all' || role === r;

/**
 * Creates the topics a producing role appends to, in the background and every 5 s until it
 * succeeds: an api or a gateway may start before any worker (and Kafka does not create topics on
 * first use).
 */
function ensureTopicsInBackground(eventLog: EventLog, logger: Logger): () => void {
  const { first, stop } = keepTrying(() => eventLog.ensureTopics([TOPIC_MESSAGES, TOPIC_RECEIPTS]), {
    firstMs: 5000,
    maxMs: 5000,
    retry: () => true,
    onRetry: (err, delayMs) => logger.warn({ err: { message: (err as Error).message }, retryInMs: delayMs }, 'topics not ensured yet; trying again'),
    onGiveUp: () => {},
  });
  first.catch(() => {});
  return stop;
}

/**
 * A conversation cache that hears every process's membership changes. Listening starts in the
 * background: until it does, the cache reads the store every time. Built at most once per
 * process (see startPlatform), so the roles of one process never disagree on a conversation.
 */
function conversationCache(backends: Backends, logger: Logger): CachingConversationStore {
  const cache = new CachingConversationStore(backends.conversations, { changes: backends.newConversationChanges() });
  cache.listen().catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'membership changes not heard yet; reading conversations from the store meanwhile'));
  return cache;
}

/**
 * Starts the worker, and when a backend cannot serve yet (on a fresh cluster, Kafka before its
 * topics exist, say) keeps trying in the background, 1 s doubling to 10 s, instead of failing the
 * process: a pod that restarts for that reason restarts for nothing. Until the worker consumes,
 * the returned backend says the role is not ready.
 */
async function startWorkerWhenPossible(worker: RouterWorker, logger: Logger): Promise<{ backend: Backend; stop: () => void }> {
  let consuming = false;
  let stopped = false;
  const backend: Backend = {
    backendName: 'worker',
    health: () => (consuming ? { status: 'up' } : { status: 'down', detail: 'not consuming yet' }),
  };
  const trying = keepTrying(
    async () => {
      await worker.start();
      if (stopped) await worker.stop();
      else consuming = true;
    },
    {
      firstMs: 1000,
      maxMs: 10_000,
      retry: (err) => isChat4AllError(err, 'unavailable'),
      onRetry: (err, delayMs) => logger.warn({ err: { message: (err as Error).message }, retryInMs: delayMs }, 'worker not consuming yet: a backend cannot serve; trying again'),
      onGiveUp: (err) => logger.error({ err }, 'worker cannot start'),
    },
  );
  await trying.first;
  return {
    backend,
    stop: () => {
      stopped = true;
      trying.stop();
    },
  };
}

/**
 * Starts the roles of `config.role` on `backends`. A listener that cannot start (its port in use)
 * fails with a ConfigError naming the variable, after what had started is stopped again.
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const { config, backends, logger } = options;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const tokens = new TokenService({ secret: options.jwtSecret, ttlSeconds: config.jwtTtlSeconds });
  const running: RunningPlatform = { registry, shutdown: async () => {} };
  const readinessOf: Backend[] = [];
  // The caches of the ports, one per process, shared by the roles that read through them (the
  // worker reads the stores: it decides on what they hold now).
  const users = new CachingUserStore(backends.users);
  let conversationsCache: CachingConversationStore | undefined;
  const cachedConversations = () => (conversationsCache ??= conversationCache(backends, logger));
  let health: Server | undefined;
  let stopEnsuring = () => {};
  let stopWorkerStart = () => {};

  running.shutdown = async (drainMs = config.drainSeconds * 1000) => {
    stopEnsuring();
    stopWorkerStart();
    await running.gateway?.drain(drainMs);
    await running.api?.close();
    await running.worker?.stop();
    await running.gateway?.close();
    conversationsCache?.close();
    const server = health;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await backends.close();
  };
  try {
    await startRoles();
  } catch (err) {
    await running.shutdown(0).catch(() => undefined);
    throw err;
  }
  return running;

  async function startRoles(): Promise<void> {
    if (has(config.role, 'worker')) {
      const worker = new RouterWorker({ eventLog: backends.eventLog, conversations: backends.conversations, messages: backends.messages, broker: backends.newBroker(), logger: logger.child({ role: 'worker' }), registry });
      running.worker = worker;
      const started = await startWorkerWhenPossible(worker, logger.child({ role: 'worker' }));
      stopWorkerStart = started.stop;
      readinessOf.push(backends.eventLog, backends.conversations, backends.messages, started.backend);
    }
    if (has(config.role, 'gateway')) {
      const conversations = cachedConversations();
      const gateway = new WebSocketGateway({
        tokens,
        users,
        broker: backends.newBroker(),
        presence: backends.presence,
        eventLog: backends.eventLog,
        conversations,
        messages: backends.messages,
        logger: logger.child({ role: 'gateway' }),
        registry,
        heartbeatMs: config.heartbeatMs,
        maxCatchUpBuffer: config.catchUpBuffer,
        ...options.gateway,
        limits: { connects: { perSecond: config.connectRateLimit, burst: config.connectRateLimit * 2 }, ...options.gateway?.limits },
      });
      running.gateway = gateway;
      running.websocketPort = await listening(PORT_VARIABLES.websocket, config.host, config.websocketPort, () => gateway.listen(config.websocketPort, config.host));
      readinessOf.push(...gateway.backends);
    }
    if (has(config.role, 'api')) readinessOf.push(backends.users, backends.conversations, backends.messages, backends.eventLog, backends.presence);
    // Every role serves /metrics, /healthz and /readyz on the metrics port, apart from the port
    // clients use: scrapes and probes never travel the public path.
    const gateway = running.gateway;
    health = await listening(PORT_VARIABLES.metrics, config.host, config.metricsPort, () =>
      startHealthServer({
        port: config.metricsPort,
        host: config.host,
        registry,
        readiness: () => readiness(readinessOf, gateway ? { ok: gateway.accepting, reason: 'draining' } : undefined),
      }),
    );
    running.metricsPort = portOf(health);
    if (config.role === 'api' || config.role === 'gateway') stopEnsuring = ensureTopicsInBackground(backends.eventLog, logger);
    if (has(config.role, 'api')) {
      const conversations = cachedConversations();
      const api = await createApiApp({
        users,
        conversations,
        messages: backends.messages,
        eventLog: backends.eventLog,
        presence: backends.presence,
        attachments: backends.attachments,
        blobs: backends.blobs,
        attachmentLimits: { maxBytes: config.attachmentMaxBytes, linkTtlSeconds: config.attachmentLinkTtlSeconds, unsentTtlSeconds: config.attachmentUnsentTtlSeconds },
        linkSecret: options.jwtSecret,
        tokens,
        logger: logger.child({ role: 'api' }),
        registry,
        sendRate: { perSecond: config.sendRateLimit, burst: config.sendRateLimit * 2 },
        trustProxy: config.trustProxyHops,
        ...(options.passwords ? { passwords: options.passwords } : {}),
      });
      running.api = api;
      await listening(PORT_VARIABLES.api, config.host, config.apiPort, () => api.listen({ port: config.apiPort, host: config.host }));
      running.apiPort = portOf(api.server);
    }
  }
}
