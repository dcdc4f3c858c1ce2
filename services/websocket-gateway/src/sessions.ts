import { decodeNotification, isEvent } from '@chat4all/contract';
import { type Presence, eventIdTime, randomId } from '@chat4all/core';
import { type TokenClaims } from '@chat4all/core/auth';
import { KeyedRateLimiter, type RateLimit } from '@chat4all/core/runtime';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { CatchUp } from './catch-up.js';
import { CLOSE, Connection, type ConnectionEnv, type Outgoing } from './connection.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { FrameRouter } from './frame-router.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceNotifier } from './presence-notifier.js';

export interface SessionsOptions {
  registry: ConnectionRegistry;
  catchUp: CatchUp;
  router: FrameRouter;
  presence: Pick<Presence, 'connect' | 'disconnect'>;
  presenceNotifier: Pick<PresenceNotifier, 'changed'>;
  /** Presence registrations live this long unless the heartbeat renews them. */
  presenceTtlMs: number;
  /** What the connections share. */
  env: ConnectionEnv;
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => number;
  /** Frames one connection may send. */
  connectionFrames: RateLimit;
  /** Frames one user may send over all its connections here. */
  userFrames: RateLimit;
}

/**
 * Takes an authenticated socket through its life: makes its Connection, registers it (subscribing
 * its user), records its presence, catches it up, routes its frames within their limits and, when
 * it closes, undoes all that. Also fans each broker payload out to the connections of its user.
 */
export class Sessions {
  /** The connection of each open socket, for the shared listeners. */
  private readonly sockets = new WeakMap<WebSocket, Connection>();
  private readonly listeners: ReturnType<typeof socketListeners>;
  private readonly userFrames: KeyedRateLimiter;

  constructor(private readonly o: SessionsOptions) {
    this.userFrames = new KeyedRateLimiter(o.userFrames, o.now);
    this.listeners = socketListeners(this, this.sockets, o);
  }

  /**
   * Brings an authenticated socket live: it holds live events from the moment it is registered,
   * until its catch-up is written. When a backend fails on the way it is closed with 1011, so its
   * client retries.
   */
  async open(ws: WebSocket, claims: TokenClaims, since: string | undefined): Promise<void> {
    const conn = new Connection(ws, randomId(), claims.userId, claims.expiresAt * 1000, this.o.env);
    this.sockets.set(ws, conn);
    ws.on('pong', this.listeners.pong);
    ws.on('message', this.listeners.message);
    ws.on('error', this.listeners.error);
    ws.on('close', this.listeners.close);
    conn.startCatchUp();
    try {
      await this.o.registry.add(conn);
      await this.o.presence.connect({ userId: conn.userId, connectionId: conn.id }, this.o.presenceTtlMs).then(
        ({ wasOnline }) => wasOnline || this.o.presenceNotifier.changed(conn.userId),
        (err: unknown) => this.o.logger.warn({ err }, 'presence not recorded'),
      );
      await this.o.catchUp.connect(conn, since);
      this.o.metrics.connects.inc();
      this.o.logger.debug(fieldsOf(conn), 'connected');
    } catch (err) {
      this.o.logger.warn({ ...fieldsOf(conn), err }, 'could not set up the connection');
      this.o.metrics.connectionErrors.inc({ reason: 'backend_unavailable' });
      conn.close(1011, 'try again');
    }
  }

  /**
   * A payload from the broker for one user: to each of the user's connections here. It is parsed
   * once and, for several connections, UTF-8 encoded once: every socket writes the same Buffer.
   */
  onBrokerMessage(userId: string, payload: string): void {
    this.o.metrics.brokerMessages.inc();
    const conns = this.o.registry.connectionsOf(userId);
    if (!conns) return;
    const decoded = decodeNotification(payload);
    if (!decoded.ok) {
      // Not what any worker or gateway publishes: forwarded to nobody, and said once per payload.
      this.o.logger.warn({ user_id: userId, code: decoded.error.code, reason: decoded.error.message }, 'broker payload refused');
      return;
    }
    const ev = decoded.value;
    if (isEvent(ev)) this.o.metrics.pubsubLag.observe(Math.max(0, this.o.now() - eventIdTime(ev.event_id)) / 1000);
    const out: Outgoing = { data: conns.size > 1 ? Buffer.from(payload) : payload, ev };
    for (const conn of conns) conn.push(out);
  }

  /** Spends a frame of the connection's and the user's budgets; closes with 4029 when either is spent. */
  allowFrame(conn: Connection): boolean {
    if (conn.spendFrame(this.o.connectionFrames, this.o.now) && this.userFrames.take(conn.userId) === 0) return true;
    this.o.metrics.connectionErrors.inc({ reason: 'rate_limited' });
    conn.close(CLOSE.rateLimited, 'rate limited');
    return false;
  }

  /** The socket of `conn` closed: unregisters it (unsubscribing its user if it was the last) and records it offline. */
  async release(conn: Connection): Promise<void> {
    try {
      await this.o.registry.remove(conn);
    } finally {
      const { stillOnline } = await this.o.presence.disconnect({ userId: conn.userId, connectionId: conn.id });
      if (!stillOnline) this.o.presenceNotifier.changed(conn.userId);
    }
  }

  /** Closes every connection with `code`, in batches spread over `windowMs`; resolves when all have closed (or after 6 s). */
  async closeAll(code: number, reason: string, windowMs: number): Promise<void> {
    const all = [...this.o.registry];
    const batches = windowMs > 0 ? Math.min(20, all.length) : 1;
    const size = Math.ceil(all.length / Math.max(1, batches));
    for (let i = 0; i < all.length; i += size) {
      for (const conn of all.slice(i, i + size)) conn.close(code, reason);
      if (windowMs > 0 && i + size < all.length) await new Promise((r) => setTimeout(r, windowMs / batches));
    }
    const deadline = this.o.now() + 6000;
    while (this.o.registry.size > 0 && this.o.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}

/** The log fields of a connection (added per call: connections keep no child logger). */
export function fieldsOf(conn: Connection): { connection_id: string; user_id: string } {
  return { connection_id: conn.id, user_id: conn.userId };
}

/**
 * The listeners of every connection's socket, shared: a gateway holds many thousands of
 * connections, so none gets closures (or a child logger) of its own. `this` is the socket.
 */
function socketListeners(sessions: Sessions, sockets: WeakMap<WebSocket, Connection>, { router, metrics, logger }: SessionsOptions) {
  return {
    pong(this: WebSocket): void {
      sockets.get(this)?.heard();
    },
    message(this: WebSocket, data: RawData, isBinary: boolean): void {
      const conn = sockets.get(this);
      // Frames still arriving after a close was asked (past the rate limit, say) are not handled, nor counted again.
      if (!conn?.isOpen) return;
      conn.heard();
      if (!sessions.allowFrame(conn)) return;
      void router.route(conn, isBinary ? '' : String(data), isBinary);
    },
    error(this: WebSocket, err: Error): void {
      metrics.connectionErrors.inc({ reason: 'socket_error' });
      const conn = sockets.get(this);
      logger.debug({ ...(conn ? fieldsOf(conn) : {}), err }, 'socket error');
    },
    close(this: WebSocket, code: number): void {
      const conn = sockets.get(this);
      if (!conn) return;
      sockets.delete(this);
      conn.socketClosed();
      metrics.disconnects.inc({ code: String(code) });
      void sessions.release(conn).catch((err: unknown) => logger.warn({ ...fieldsOf(conn), err }, 'cleanup after close failed'));
    },
  };
}
