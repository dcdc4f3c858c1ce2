import {
  type Broker,
  type ConnectedFrame,
  type ConversationStore,
  type EventLog,
  type MessageStore,
  type Presence,
  compareEventIds,
  eventIdTime,
  isChat4AllError,
  markRead,
  peekEvent,
} from '@chat4all/core';
import type { Logger } from 'pino';
import { parseClientFrame } from './client-frames.js';
import { CLOSE, type Connection, type Outgoing } from './connection.js';
import type { DeliveryReceipts } from './delivery-receipts.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceNotifier } from './presence-notifier.js';

export interface DispatcherOptions {
  broker: Broker;
  presence: Presence;
  eventLog: EventLog;
  conversations: ConversationStore;
  messages: MessageStore;
  logger: Logger;
  metrics: GatewayMetrics;
  receipts: DeliveryReceipts;
  presenceNotifier: PresenceNotifier;
  now: () => number;
  /** Presence registrations live this long unless refreshed by the heartbeat. */
  presenceTtlMs: number;
  maxBufferedBytes: number;
  /** History pages read at most when a client catches up (each of up to 1000 events). @default 10 */
  maxReplayPages?: number;
}

const REPLAY_PAGE = 1000;
/**
 * Connections a heartbeat handles before it lets the event loop run: each is a ping (one socket
 * write), so a slice holds the loop for a few milliseconds at most (500 held it for 20-80 ms).
 */
const HEARTBEAT_SLICE = 100;
/** Connections whose presence one refresh (one Redis pipeline) renews. */
const REFRESH_BATCH = 1000;
const TYPING_INTERVAL_MS = 3000;
/** How long a failing catch-up after a resubscription is retried before its connections are closed. */
const CATCH_UP_FOR_MS = 60_000;
/** Live payloads a connection may have waiting while it catches up; beyond them it is closed (1012). */
const MAX_PENDING = 10_000;
/** ws.send options for a payload encoded once: its Buffer goes out as a text frame. */
const TEXT = { binary: false } as const;

/**
 * Keeps the connections of this gateway by user, subscribes the broker to exactly those users,
 * and routes frames both ways.
 */
export class Dispatcher {
  private readonly users = new Map<string, Set<Connection>>();
  private readonly typingSent = new Map<string, number>();
  private count = 0;
  private sweeping = false;

  constructor(private readonly o: DispatcherOptions) {}

  get connectionCount(): number {
    return this.count;
  }

  /**
   * Registers a connection, subscribes to its user if it is the first here, replays what it missed
   * since `since`, then sends `connected` and goes live. Live events that arrive meanwhile wait in
   * the connection's buffer and are sent after the replay, without duplicates.
   */
  async add(conn: Connection, since: string | undefined): Promise<void> {
    conn.pending = [];
    let set = this.users.get(conn.userId);
    if (!set) this.users.set(conn.userId, (set = new Set()));
    set.add(conn);
    this.count++;
    this.o.metrics.connectionsActive.set(this.count);
    if (set.size === 1) {
      this.o.metrics.subscribedUsers.set(this.users.size);
      await this.o.broker.subscribe([conn.userId]);
    }
    await this.o.presence.connect({ userId: conn.userId, connectionId: conn.id }, this.o.presenceTtlMs).then(
      ({ wasOnline }) => wasOnline || this.o.presenceNotifier.changed(conn.userId),
      (err: unknown) => this.o.logger.warn({ err }, 'presence not recorded'),
    );
    let replay: string[] = [];
    let recovered: boolean | undefined;
    if (since !== undefined) {
      ({ replay, recovered } = await this.readHistory(conn.userId, since));
      this.o.metrics.replayedEvents.inc({ recovered: String(recovered) }, replay.length);
    } else {
      // Where this connection starts, so a broker failover can be caught up from here.
      conn.lastEventId = await this.o.broker.latestEventId(conn.userId).catch(() => undefined);
    }
    if (conn.closed) return;
    const connected: ConnectedFrame = { type: 'connected', user_id: conn.userId, connection_id: conn.id, server_time: new Date(this.o.now()).toISOString(), ...(recovered === undefined ? {} : { recovered }) };
    this.sendFrame(conn, JSON.stringify(connected), 'connected');
    this.replayThenLive(conn, replay);
  }

  /** Sends `replay`, then the live payloads that waited meanwhile, skipping those already replayed. */
  private replayThenLive(conn: Connection, replay: string[]): void {
    let last: string | undefined;
    for (const payload of replay) {
      const ev = peekEvent(payload);
      last = ev?.event_id;
      this.deliver(conn, { data: payload, ev });
    }
    const pending = conn.pending ?? [];
    conn.pending = null;
    for (const out of pending) {
      const id = out.ev?.event_id;
      if (last !== undefined && typeof id === 'string' && compareEventIds(id, last) <= 0) continue;
      this.deliver(conn, out);
    }
  }

  /**
   * After the broker restored lost subscriptions: every connection catches up from history since
   * the last event it got, while live payloads wait in its buffer. A read that fails (the broker
   * is still moving to a new master, say) is retried with backoff for up to CATCH_UP_FOR_MS, the
   * connections kept open meanwhile: a failover must not turn into a reconnect storm. A
   * connection whose gap is beyond history, whose buffer outgrows MAX_PENDING, or that could not
   * be caught up in time is closed with 1012, so its client reconnects (and is told
   * `recovered: false` if it missed too much).
   */
  async catchUpAll(): Promise<void> {
    const conns = [...this.users.values()].flatMap((s) => [...s]).filter((c) => !c.closed && !c.pending);
    for (const conn of conns) conn.pending = [];
    this.o.logger.warn({ connections: conns.length }, 'broker resubscribed: catching connections up from history');
    const deadline = this.o.now() + CATCH_UP_FOR_MS;
    let waiting = conns;
    for (let attempt = 0; waiting.length > 0; attempt++) {
      const failed: Connection[] = [];
      for (const conn of waiting) {
        if (conn.closed) continue;
        if ((conn.pending?.length ?? 0) > MAX_PENDING) {
          conn.close(CLOSE.draining, 'missed events; reconnect');
          continue;
        }
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
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  }

  /** Replays what `conn` missed since its last event, then its buffer; throws when history cannot be read. */
  private async catchUp(conn: Connection): Promise<void> {
    if (conn.lastEventId === undefined) {
      // It had no history to start from: whatever it missed is all the history there is.
      if ((await this.o.broker.latestEventId(conn.userId)) === undefined) return this.replayThenLive(conn, []);
      return conn.close(CLOSE.draining, 'missed events; reconnect');
    }
    const { replay, recovered } = await this.readHistory(conn.userId, conn.lastEventId);
    this.o.metrics.replayedEvents.inc({ recovered: String(recovered) }, replay.length);
    if (!recovered) return conn.close(CLOSE.draining, 'missed events beyond history; reconnect');
    this.replayThenLive(conn, replay);
  }

  private async readHistory(userId: string, since: string): Promise<{ replay: string[]; recovered: boolean }> {
    if (since === 'invalid') return { replay: [], recovered: false };
    const replay: string[] = [];
    let cursor = since;
    for (let page = 0; page < (this.o.maxReplayPages ?? 10); page++) {
      const h = await this.o.broker.history(userId, cursor, REPLAY_PAGE);
      if (!h.recovered) return { replay, recovered: page > 0 ? true : false };
      replay.push(...h.events);
      if (h.events.length < REPLAY_PAGE) return { replay, recovered: true };
      cursor = peekEvent(h.events[h.events.length - 1]!)?.event_id as string;
    }
    return { replay, recovered: false };
  }

  async remove(conn: Connection): Promise<void> {
    const set = this.users.get(conn.userId);
    if (!set?.delete(conn)) return;
    this.count--;
    this.o.metrics.connectionsActive.set(this.count);
    if (set.size === 0) {
      this.users.delete(conn.userId);
      this.o.metrics.subscribedUsers.set(this.users.size);
      await this.o.broker.unsubscribe([conn.userId]);
    }
    const { stillOnline } = await this.o.presence.disconnect({ userId: conn.userId, connectionId: conn.id });
    if (!stillOnline) this.o.presenceNotifier.changed(conn.userId);
  }

  /** Connections of `userId` on this gateway. */
  connectionsOf(userId: string): number {
    return this.users.get(userId)?.size ?? 0;
  }

  /**
   * A payload from the broker for one user: to each of the user's connections here. It is parsed
   * once and, for several connections, UTF-8 encoded once: every socket writes the same Buffer.
   */
  onBrokerMessage(userId: string, payload: string): void {
    this.o.metrics.brokerMessages.inc();
    const set = this.users.get(userId);
    if (!set) return;
    const ev = peekEvent(payload);
    if (typeof ev?.event_id === 'string') this.o.metrics.pubsubLag.observe(Math.max(0, this.o.now() - eventIdTime(ev.event_id)) / 1000);
    const out: Outgoing = { data: set.size > 1 ? Buffer.from(payload) : payload, ev };
    for (const conn of set) {
      if (conn.pending) conn.pending.push(out);
      else this.deliver(conn, out);
    }
  }

  private deliver(conn: Connection, { data, ev }: Outgoing): void {
    const type = typeof ev?.type === 'string' ? ev.type : 'unknown';
    const isNewMessage = type === 'new_message' && typeof ev?.message_id === 'string';
    const ack =
      isNewMessage && ev.sender_id !== conn.userId
        ? (err?: Error | null) => {
            if (!err) this.o.receipts.delivered(ev.message_id as string, ev.conversation_id as string, conn.userId);
          }
        : undefined;
    if (!this.sendFrame(conn, data, type, ack)) return;
    if (typeof ev?.event_id === 'string') conn.lastEventId = ev.event_id;
    if (isNewMessage && typeof ev.created_at === 'string') {
      this.o.metrics.deliveryLatency.observe(Math.max(0, this.o.now() - Date.parse(ev.created_at)) / 1000);
    }
  }

  /** Sends one frame; closes a connection that cannot keep up (4008). `written` is called once it is written (with an error if it was not). */
  private sendFrame(conn: Connection, payload: string | Buffer, type: string, written?: (err?: Error | null) => void): boolean {
    if (conn.closed) return false;
    if (conn.ws.bufferedAmount > this.o.maxBufferedBytes) {
      this.o.metrics.connectionErrors.inc({ reason: 'slow_consumer' });
      conn.close(CLOSE.slowConsumer, 'slow consumer');
      return false;
    }
    conn.ws.send(payload, TEXT, written);
    this.o.metrics.frameSent(type);
    return true;
  }

  sendError(conn: Connection, code: string, message: string): void {
    this.sendFrame(conn, JSON.stringify({ type: 'error', code, message }), 'error');
  }

  async onClientFrame(conn: Connection, data: string): Promise<void> {
    const frame = parseClientFrame(data);
    if ('error' in frame) {
      this.o.metrics.clientFrames.inc({ type: 'invalid' });
      return this.sendError(conn, frame.error, frame.message);
    }
    this.o.metrics.clientFrames.inc({ type: frame.type });
    try {
      switch (frame.type) {
        case 'ping':
          return void this.sendFrame(conn, '{"type":"pong"}', 'pong');
        case 'typing':
          return await this.typing(conn, frame.conversation_id);
        case 'read':
          await markRead(this.o, conn.userId, frame.message_id, this.o.now());
          return;
        case 'auth':
          return this.sendError(conn, 'already_authenticated', 'this connection is authenticated');
      }
    } catch (err) {
      if (isChat4AllError(err)) return this.sendError(conn, err.code, err.message);
      this.o.logger.error({ err }, 'client frame failed');
      this.sendError(conn, 'internal', 'the frame could not be handled');
    }
  }

  /** Relays typing to the other members, at most once per sender and conversation every 3 s. */
  private async typing(conn: Connection, conversationId: string): Promise<void> {
    const key = `${conn.userId}:${conversationId}`;
    const now = this.o.now();
    const last = this.typingSent.get(key);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return;
    // Claim the slot before any await, so frames racing in together relay once.
    this.typingSent.set(key, now);
    if (this.typingSent.size > 100_000) this.typingSent.clear();
    const conv = await this.o.conversations.get(conversationId);
    if (!conv?.members.includes(conn.userId)) {
      this.typingSent.delete(key);
      return this.sendError(conn, 'conversation_not_found', 'no such conversation');
    }
    const frame = { type: 'typing' as const, conversation_id: conversationId, user_id: conn.userId };
    await this.o.broker.publishEphemeral(conv.members.filter((m) => m !== conn.userId).map((userId) => ({ userId, frame })));
  }

  /**
   * Closes dead, silent and expired connections, pings the rest, refreshes their presence. Works
   * in slices of HEARTBEAT_SLICE connections spread over `spreadMs` (the event loop runs between
   * them), so a sweep of many thousands of connections neither holds up deliveries nor takes the
   * CPU in one burst. Every connection is visited at about the same point of each sweep, so the
   * time it has to answer a ping stays one heartbeat period. One sweep at a time.
   */
  async heartbeat(presenceTtlMs: number, spreadMs = 0): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const refreshes: Promise<void>[] = [];
    const refresh = (live: { userId: string; connectionId: string }[]) =>
      refreshes.push(this.o.presence.refresh(live, presenceTtlMs).catch((err: unknown) => this.o.logger.warn({ err }, 'presence refresh failed')));
    try {
      // Slice i starts at `i * step` after the start, or at once when the sweep is behind that.
      const start = this.o.now();
      const step = spreadMs / Math.max(1, Math.ceil(this.count / HEARTBEAT_SLICE));
      let slice = 0;
      let live: { userId: string; connectionId: string }[] = [];
      let inSlice = 0;
      for (const set of this.users.values()) {
        if (inSlice >= HEARTBEAT_SLICE) {
          if (live.length >= REFRESH_BATCH) {
            refresh(live);
            live = [];
          }
          inSlice = 0;
          const wait = start + ++slice * step - this.o.now();
          await new Promise<void>((resolve) => (wait >= 1 ? setTimeout(resolve, wait) : setImmediate(resolve)));
        }
        const now = this.o.now();
        for (const conn of set) {
          inSlice++;
          if (conn.closed) continue;
          if (now >= conn.expiresAt) {
            conn.close(CLOSE.tokenExpired, 'token expired');
            continue;
          }
          if (!conn.alive) {
            this.o.metrics.connectionErrors.inc({ reason: 'heartbeat_timeout' });
            conn.closed = true;
            conn.ws.terminate();
            continue;
          }
          conn.alive = false;
          conn.ws.ping();
          live.push({ userId: conn.userId, connectionId: conn.id });
        }
      }
      refresh(live);
      this.o.presenceNotifier.sweep();
      await Promise.all(refreshes);
    } finally {
      this.sweeping = false;
    }
  }

  /** Closes every connection with `code`, in batches spread over `windowMs`; resolves when all have closed. */
  async closeAll(code: number, reason: string, windowMs: number): Promise<void> {
    const all = [...this.users.values()].flatMap((s) => [...s]);
    const batches = windowMs > 0 ? Math.min(20, all.length) : 1;
    const size = Math.ceil(all.length / Math.max(1, batches));
    for (let i = 0; i < all.length; i += size) {
      for (const conn of all.slice(i, i + size)) conn.close(code, reason);
      if (windowMs > 0 && i + size < all.length) await new Promise((r) => setTimeout(r, windowMs / batches));
    }
    const deadline = this.o.now() + 6000;
    while (this.count > 0 && this.o.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
