import type { Presence } from '@chat4all/core';
import type { Logger } from 'pino';
import { CLOSE, type Connection } from './connection.js';
import type { GatewayMetrics } from './metrics.js';

export interface HeartbeatOptions {
  /** The connections to sweep, iterated afresh by each sweep; `size` is how many there are. */
  connections: Iterable<Connection> & { readonly size: number };
  presence: Pick<Presence, 'refresh'>;
  metrics: Pick<GatewayMetrics, 'connectionErrors'>;
  logger: Logger;
  now: () => number;
  /** Ping period: a connection not heard from since the previous ping is terminated. @default 15_000 */
  periodMs?: number;
  /** Presence registrations live this long; each sweep renews those of the live connections. @default 60_000 */
  presenceTtlMs?: number;
  /** Called once a sweep has visited every connection. */
  afterSweep?: () => void;
}

/**
 * Connections a sweep handles before it lets the event loop run: each is a ping (one socket
 * write), so a slice holds the loop for a few milliseconds at most (500 held it for 20-80 ms).
 */
const SLICE = 100;
/** Connections whose presence one refresh (one Redis pipeline) renews. */
const REFRESH_BATCH = 1000;

/**
 * Liveness by protocol ping and pong. Every period a sweep pings each connection; one that was not
 * heard from (a pong or any frame: see Connection.heard) since the previous sweep's ping is
 * terminated, so a silent client goes after one to two periods and a responsive one never does.
 * The sweep also closes connections whose token has expired (4001) and renews the presence of the
 * others.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly o: HeartbeatOptions) {}

  get periodMs(): number {
    return this.o.periodMs ?? 15_000;
  }

  /** Sweeps every period from now on. Each sweep is spread over a third of the period: its pings and refreshes go out in small slices, not one burst that would delay deliveries. */
  start(): void {
    if (this.timer) return;
    const period = this.periodMs;
    this.timer = setInterval(() => void this.sweep(period / 3), period);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One sweep, in slices of SLICE connections spread over `spreadMs` (the event loop runs between
   * them), so a sweep of many thousands of connections neither holds up deliveries nor takes the
   * CPU in one burst. Every connection is visited at about the same point of each sweep, so the
   * time it has to answer a ping stays one period. One sweep at a time: a sweep started while
   * another runs does nothing.
   */
  async sweep(spreadMs = 0): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const ttl = this.o.presenceTtlMs ?? 60_000;
    const refreshes: Promise<void>[] = [];
    const refresh = (live: { userId: string; connectionId: string }[]) =>
      refreshes.push(this.o.presence.refresh(live, ttl).catch((err: unknown) => this.o.logger.warn({ err }, 'presence refresh failed')));
    try {
      // Slice i starts at `i * step` after the start, or at once when the sweep is behind that.
      const start = this.o.now();
      const step = spreadMs / Math.max(1, Math.ceil(this.o.connections.size / SLICE));
      let slice = 0;
      let inSlice = 0;
      let live: { userId: string; connectionId: string }[] = [];
      let now = start;
      for (const conn of this.o.connections) {
        if (inSlice >= SLICE) {
          if (live.length >= REFRESH_BATCH) {
            refresh(live);
            live = [];
          }
          inSlice = 0;
          const wait = start + ++slice * step - this.o.now();
          await new Promise<void>((resolve) => (wait >= 1 ? setTimeout(resolve, wait) : setImmediate(resolve)));
          now = this.o.now();
        }
        inSlice++;
        if (this.visit(conn, now)) live.push({ userId: conn.userId, connectionId: conn.id });
      }
      refresh(live);
      this.o.afterSweep?.();
      await Promise.all(refreshes);
    } finally {
      this.sweeping = false;
    }
  }

  /** Closes `conn` if expired or silent, else pings it; true when it stays. */
  private visit(conn: Connection, now: number): boolean {
    if (!conn.isOpen) return false;
    if (now >= conn.expiresAt) {
      conn.close(CLOSE.tokenExpired, 'token expired');
      return false;
    }
    if (!conn.responsive) {
      this.o.metrics.connectionErrors.inc({ reason: 'heartbeat_timeout' });
      conn.terminate();
      return false;
    }
    conn.ping();
    return true;
  }
}
