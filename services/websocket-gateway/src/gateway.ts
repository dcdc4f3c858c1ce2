import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Backend, type Broker, type ConversationStore, type EventLog, type MessageStore, type Presence, type UserStore, isEventId } from '@chat4all/core';
import { type TokenClaims, type TokenService, bearerToken } from '@chat4all/core/auth';
import { type RateLimit, TokenBucket } from '@chat4all/core/runtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { Admission } from './admission.js';
import { CatchUp, INVALID_SINCE } from './catch-up.js';
import { CLOSE, type ConnectionEnv } from './connection.js';
import { ConnectionRegistry } from './connection-registry.js';
import { DeliveryReceipts } from './delivery-receipts.js';
import { FrameRouter } from './frame-router.js';
import { Heartbeat } from './heartbeat.js';
import { GatewayMetrics } from './metrics.js';
import { PresenceNotifier } from './presence-notifier.js';
import { Sessions } from './sessions.js';

/** What one client may do; beyond it, it is refused or closed (4029). */
export interface GatewayLimits {
  /** Connections one user may hold on this gateway. @default 10 */
  connectionsPerUser: number;
  /** Frames one connection may send. @default { perSecond: 10, burst: 20 } */
  connectionFrames: RateLimit;
  /** Frames one user may send over all its connections here. @default { perSecond: 20, burst: 40 } */
  userFrames: RateLimit;
  /**
   * New connections this gateway accepts, from everyone: a reconnect storm waits its turn.
   * @default { perSecond: 1000, burst: 2000 } (docs/performance.md, "Gateway hot paths")
   */
  connects: RateLimit;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  connectionsPerUser: 10,
  connectionFrames: { perSecond: 10, burst: 20 },
  userFrames: { perSecond: 20, burst: 40 },
  connects: { perSecond: 1000, burst: 2000 },
};

export interface GatewayOptions {
  tokens: TokenService;
  /** Read only: a token's user must exist, as the api requires. */
  users: UserStore;
  broker: Broker;
  presence: Presence;
  /** Where DELIVERED and READ receipts go. */
  eventLog: EventLog;
  /** Read only: membership for typing and read frames. */
  conversations: ConversationStore;
  messages: MessageStore;
  logger: Logger;
  registry: Registry;
  /** WebSocket path. @default '/notifications' */
  path?: string;
  /** Protocol ping period; a connection silent for two periods is closed. @default 15_000 */
  heartbeatMs?: number;
  /** Largest client frame; larger ones close the connection with 1009. @default 16_384 */
  maxPayloadBytes?: number;
  /** Bytes a connection may have waiting to be written before it is closed with 4008. @default 1_048_576 */
  maxBufferedBytes?: number;
  /**
   * Live events a connection holds while it catches up; past them it is closed with 1012 and its
   * client reconnects and catches up again from its last event. @default 10_000
   */
  maxCatchUpBuffer?: number;
  /** Time a connection without a token has to send an `auth` frame. @default 10_000 */
  authTimeoutMs?: number;
  /** Presence registrations live this long and are refreshed each heartbeat. @default 60_000 */
  presenceTtlMs?: number;
  /** At most one presence event per user every this long. @default 5000 */
  presenceIntervalMs?: number;
  limits?: Partial<GatewayLimits>;
  now?: () => number;
}

/**
 * The WebSocket gateway: authenticates connections, subscribes to the notification channels of
 * the users connected here (and only those), replays what a reconnecting client missed, pushes
 * every event to every connection of its user, and reports DELIVERED receipts.
 *
 * This class serves the HTTP upgrade (path, draining, connect rate) and hands each socket to the
 * roles it composes: Admission (token, user, connections per user), Sessions (a connection's
 * life), ConnectionRegistry (users and their subscriptions), CatchUp (replay), FrameRouter (client
 * frames) and Heartbeat (liveness).
 */
export class WebSocketGateway {
  readonly metrics: GatewayMetrics;
  private readonly wss: WebSocketServer;
  private readonly registry: ConnectionRegistry;
  private readonly catchUp: CatchUp;
  private readonly sessions: Sessions;
  private readonly heartbeat: Heartbeat;
  private readonly receipts: DeliveryReceipts;
  private readonly now: () => number;
  private readonly path: string;
  private server: Server | undefined;
  private draining = false;
  private readonly limits: GatewayLimits;
  private readonly connectLimiter: TokenBucket;
  private readonly presenceNotifier: PresenceNotifier;
  private readonly admission: Admission;

  constructor(private readonly options: GatewayOptions) {
    this.now = options.now ?? Date.now;
    this.path = options.path ?? '/notifications';
    this.metrics = new GatewayMetrics(options.registry);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 16_384, perMessageDeflate: false, clientTracking: false });
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.connectLimiter = new TokenBucket(this.limits.connects, this.now);
    const { logger, broker, presence } = options;
    const metrics = this.metrics;
    const now = this.now;
    const presenceTtlMs = options.presenceTtlMs ?? 60_000;
    this.receipts = new DeliveryReceipts({ eventLog: options.eventLog, logger, now });
    this.presenceNotifier = new PresenceNotifier({ ...options, now, ...(options.presenceIntervalMs === undefined ? {} : { intervalMs: options.presenceIntervalMs }) });
    const env: ConnectionEnv = {
      metrics,
      now,
      maxBufferedBytes: options.maxBufferedBytes ?? 1_048_576,
      maxHeld: options.maxCatchUpBuffer ?? 10_000,
      delivered: (messageId, conversationId, userId) => this.receipts.delivered(messageId, conversationId, userId),
    };
    this.registry = new ConnectionRegistry({ broker, metrics });
    this.admission = new Admission({
      tokens: options.tokens,
      users: options.users,
      connections: this.registry,
      metrics,
      connectionsPerUser: this.limits.connectionsPerUser,
      authTimeoutMs: options.authTimeoutMs ?? 10_000,
    });
    this.catchUp = new CatchUp({ broker, metrics, logger, now });
    this.sessions = new Sessions({
      registry: this.registry,
      catchUp: this.catchUp,
      router: new FrameRouter({ ...options, metrics, now }),
      presence,
      presenceNotifier: this.presenceNotifier,
      presenceTtlMs,
      env,
      metrics,
      logger,
      now,
      connectionFrames: this.limits.connectionFrames,
      userFrames: this.limits.userFrames,
    });
    this.heartbeat = new Heartbeat({
      connections: this.registry,
      presence,
      metrics,
      logger,
      now,
      presenceTtlMs,
      ...(options.heartbeatMs === undefined ? {} : { periodMs: options.heartbeatMs }),
      afterSweep: () => this.presenceNotifier.sweep(),
    });
    broker.setListener(
      (userId, payload) => this.sessions.onBrokerMessage(userId, payload),
      () => void this.catchUp.resume(this.registry),
    );
  }

  /** Backends this gateway depends on, for /readyz. */
  get backends(): Backend[] {
    return [this.options.broker, this.options.presence, this.options.eventLog, this.options.users, this.options.conversations, this.options.messages];
  }

  /** False while draining: load balancers should send new connections elsewhere. */
  get accepting(): boolean {
    return !this.draining && this.server !== undefined;
  }

  get connectionCount(): number {
    return this.registry.size;
  }

  /** Starts serving WebSocket upgrades on `port` (0 picks one). Resolves the port. */
  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'upgrade_required', message: `connect with WebSocket to ${this.path}` } }));
    });
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.heartbeat.start();
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  private refuse(socket: Duplex, status: 401 | 404 | 429 | 503, code: string, message: string, retryAfterSeconds = 1): void {
    if (socket.destroyed) return;
    this.metrics.connectionErrors.inc({ reason: code });
    const body = JSON.stringify({ error: { code, message } });
    const reason = { 401: 'Unauthorized', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status];
    const extra = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : status >= 429 ? `Retry-After: ${retryAfterSeconds}\r\n` : '';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroySocket);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== this.path) return this.refuse(socket, 404, 'not_found', `the WebSocket endpoint is ${this.path}`);
    if (this.draining) return this.refuse(socket, 503, 'draining', 'this gateway is shutting down; connect again');
    if (!this.connectLimiter.take()) {
      return this.refuse(socket, 503, 'overloaded', 'too many new connections; retry shortly', Math.ceil(this.connectLimiter.retryAfterMs() / 1000) + 1);
    }
    const token = url.searchParams.get('token') ?? bearerToken(req.headers.authorization);
    const sinceParam = url.searchParams.get('since');
    const since = sinceParam !== null && isEventId(sinceParam) ? sinceParam : sinceParam === null ? undefined : INVALID_SINCE;
    const upgrade = (claims: TokenClaims | undefined) =>
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        // ws handles the socket's errors from here on.
        socket.off('error', destroySocket);
        if (claims) void this.sessions.open(ws, claims, since);
        else void this.admission.awaitAuthFrame(ws).then((late) => late && this.sessions.open(ws, late, since));
      });
    if (token === undefined) return upgrade(undefined);
    void this.admission.admit(token).then((verdict) => {
      if (!verdict.ok) return this.refuse(socket, verdict.refusal.status, verdict.refusal.code, verdict.refusal.message, verdict.refusal.retryAfterSeconds);
      if (!socket.destroyed) upgrade(verdict.claims);
    });
  }

  /**
   * Stops accepting connections and closes the open ones with 1012 in batches spread over
   * `windowMs`, so their clients reconnect elsewhere without a thundering herd. Resolves when all
   * are closed.
   */
  async drain(windowMs = 10_000): Promise<void> {
    this.draining = true;
    await this.sessions.closeAll(CLOSE.draining, 'gateway draining', windowMs);
  }

  async close(): Promise<void> {
    this.draining = true;
    this.heartbeat.stop();
    await this.sessions.closeAll(CLOSE.draining, 'gateway stopping', 0);
    await this.receipts.close();
    this.presenceNotifier.close();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

/** An upgrade socket's error handler until ws takes it over: one function for all. */
function destroySocket(this: Duplex): void {
  this.destroy();
}
