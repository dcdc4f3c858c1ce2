import { type ConnectedFrame, decodeNotification, isEvent } from '@chat4all/contract';
import type { Broker } from '@chat4all/core';
import type { Logger } from 'pino';
import { CLOSE, type Connection, type Outgoing } from './connection.js';
import type { GatewayMetrics } from './metrics.js';

export interface CatchUpOptions {
  broker: Pick<Broker, 'history' | 'latestEventId'>;
  metrics: Pick<GatewayMetrics, 'replayedEvents'>;
  logger: Logger;
  now: () => number;
  /** History pages read at most when a client catches up (each of up to 1000 events). @default 10 */
  maxReplayPages?: number;
  /** How long a failing catch-up after a resubscription is retried before its connections are closed. @default 60_000 */
  retryForMs?: number;
}

/** What the gateway passes for a `since` that is no event id: the client is told it was not recovered. */
export const INVALID_SINCE = 'invalid';

const REPLAY_PAGE = 1000;
/** The longest pause between two rounds of a failing catch-up. */
const MAX_BACKOFF_MS = 2000;

/**
 * Replays what a connection missed: on connect, from the event id the client last saw; after the
 * broker lost and restored its subscriptions, from the last event each connection was written.
 * While it reads history the connection holds the live payloads that arrive (it is catching up,
 * see Connection), then writes the replay and those, de-duplicated and in order, and goes live.
 */
export class CatchUp {
  constructor(private readonly o: CatchUpOptions) {}

  /**
   * Brings a new connection, already catching up and subscribed, live: reads the history since
   * `since` (or, without one, notes where the user's history stands, so a later broker failover
   * can be caught up from there), sends `connected` and then the replay and the held payloads.
   * Rejects when history cannot be read; the connection is then left to its caller to close.
   */
  async connect(conn: Connection, since: string | undefined): Promise<void> {
    let replay: Outgoing[] = [];
    let recovered: boolean | undefined;
    if (since !== undefined) {
      ({ replay, recovered } = await this.readHistory(conn.userId, since));
      this.o.metrics.replayedEvents.inc({ recovered: String(recovered) }, replay.length);
    } else {
      conn.startFrom(await this.o.broker.latestEventId(conn.userId).catch(() => undefined));
    }
    if (!conn.isOpen) return;
    const connected: ConnectedFrame = {
      type: 'connected',
      user_id: conn.userId,
      connection_id: conn.id,
      server_time: new Date(this.o.now()).toISOString(),
      ...(recovered === undefined ? {} : { recovered }),
    };
    conn.sendFrame(connected);
    conn.finishCatchUp(replay);
  }

  /**
   * After the broker restored lost subscriptions: every live connection catches up from history
   * since the last event it was written, holding live payloads meanwhile. A read that fails (the
   * broker still moving to a new master, say) is retried with backoff for up to `retryForMs`, the
   * connections kept open meanwhile: a failover must not turn into a reconnect storm. A connection
   * whose gap is beyond history, whose held payloads overflow, or that could not be caught up in
   * time is closed with 1012, so its client reconnects and catches up itself.
   */
  async resume(connections: Iterable<Connection>): Promise<void> {
    const conns = [...connections].filter((c) => c.startCatchUp());
    this.o.logger.warn({ connections: conns.length }, 'broker resubscribed: catching connections up from history');
    const deadline = this.o.now() + (this.o.retryForMs ?? 60_000);
    let waiting = conns;
    for (let attempt = 0; waiting.length > 0; attempt++) {
      const failed: Connection[] = [];
      for (const conn of waiting) {
        if (!conn.isOpen) continue;
        try {
          await this.catchUp(conn);
        } catch (err) {
          if (attempt === 0) this.o.logger.warn({ err, connection_id: conn.id }, 'catch-up failed; retrying');
          failed.push(conn);
        }
      }
      waiting = failed;
      if (waiting.length === 0) break;
      if (this.o.now() >= deadline) {
        this.o.logger.warn({ connections: waiting.length }, 'catch-up kept failing; closing so the clients reconnect');
        for (const conn of waiting) conn.close(CLOSE.draining, 'reconnect');
        break;
      }
      await new Promise((r) => setTimeout(r, Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)));
    }
  }

  /** Replays what `conn` missed since its last event, then what it holds; throws when history cannot be read. */
  private async catchUp(conn: Connection): Promise<void> {
    const since = conn.lastEventId;
    if (since === undefined) {
      // It had no history to start from: whatever it missed is all the history there is.
      if ((await this.o.broker.latestEventId(conn.userId)) === undefined) return conn.finishCatchUp([]);
      return conn.close(CLOSE.draining, 'missed events; reconnect');
    }
    const { replay, recovered } = await this.readHistory(conn.userId, since);
    this.o.metrics.replayedEvents.inc({ recovered: String(recovered) }, replay.length);
    if (!recovered) return conn.close(CLOSE.draining, 'missed events beyond history; reconnect');
    conn.finishCatchUp(replay);
  }

  /** The events after `since`, page by page up to maxReplayPages; `recovered` is false when some were beyond history. */
  /**
   * The user's events after `since`, decoded by the contract. An entry of the history that is no
   * event is left out and said; a page with no event to go on from ends the replay unrecovered
   * (the client re-reads over HTTP).
   */
  private async readHistory(userId: string, since: string): Promise<{ replay: Outgoing[]; recovered: boolean }> {
    if (since === INVALID_SINCE) return { replay: [], recovered: false };
    const replay: Outgoing[] = [];
    let cursor = since;
    for (let page = 0; page < (this.o.maxReplayPages ?? 10); page++) {
      const h = await this.o.broker.history(userId, cursor, REPLAY_PAGE);
      if (!h.recovered) return { replay, recovered: page > 0 };
      let last: string | undefined;
      for (const data of h.events) {
        const decoded = decodeNotification(data);
        if (decoded.ok && isEvent(decoded.value)) {
          replay.push({ data, ev: decoded.value });
          last = decoded.value.event_id;
        } else {
          this.o.logger.warn({ user_id: userId, code: decoded.ok ? 'not_an_event' : decoded.error.code }, 'history entry refused');
        }
      }
      if (h.events.length < REPLAY_PAGE) return { replay, recovered: true };
      if (last === undefined) return { replay, recovered: false };
      cursor = last;
    }
    return { replay, recovered: false };
  }
}
