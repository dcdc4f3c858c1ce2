import { encodeEventBody, eventPayload } from '@chat4all/contract';
import { isEventId, unavailable, type BackendHealth, type Broker, type BrokerListener, type EphemeralDelivery, type EventDelivery, type HistoryResult, type HistoryRetention } from '@chat4all/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  ConnectionWatch,
  closeClient,
  createRedisClient,
  defineScripts,
  execPipeline,
  healthOf,
  queueScript,
  toUnavailable,
  waitReady,
  type RedisOptions,
} from './redis-connection.js';

export interface RedisBrokerOptions {
  redis: RedisOptions;
  logger: Logger;
  /** @default { maxEvents: 1000, ttlMs: 86_400_000 } */
  retention?: Partial<HistoryRetention>;
}

/** Channels per SUBSCRIBE / UNSUBSCRIBE command when a batch or a restore is large. */
const CHANNELS_PER_COMMAND = 1_000;

interface Waiter {
  subscribing: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The Broker on Redis: per user a channel `notifications:{user_id}` and a history stream
 * `events:{user_id}` (both under `keyPrefix`). Two connections: one for commands, one in
 * subscriber mode. See services/redis/README.md for the design.
 *
 * Construction connects in the background and never fails; `connect()` waits until both
 * connections are ready, or rejects `unavailable` after READY_TIMEOUT_MS while reconnection goes
 * on. Operations reject `unavailable` at once while Redis is unreachable.
 */
export class RedisBroker implements Broker {
  readonly backendName = 'redis';
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly watches: ConnectionWatch[];
  private readonly logger: Logger;
  private readonly retention: HistoryRetention;
  private readonly channelPrefix: string;
  private readonly streamPrefix: string;
  private listener: BrokerListener = () => {};
  private onResubscribed: (() => void) | undefined;
  /** The users this broker wants to hear: what a reconnection restores, and a filter on delivery. */
  private readonly wanted = new Set<string>();
  /** Calls not yet sent: per user, whether the last call subscribed (true) or unsubscribed. */
  private pending = new Map<string, boolean>();
  private waiters: Waiter[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  /** Settles when every SUBSCRIBE/UNSUBSCRIBE sent so far is answered; never rejects. */
  private lastBatch: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: RedisBrokerOptions) {
    this.logger = options.logger.child({ backend: 'redis', component: 'broker' });
    this.retention = { maxEvents: options.retention?.maxEvents ?? 1000, ttlMs: options.retention?.ttlMs ?? 86_400_000 };
    for (const [name, value] of Object.entries(this.retention)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`retention.${name} must be a positive integer (got ${value})`);
    }
    const prefix = options.redis.keyPrefix ?? '';
    this.channelPrefix = `${prefix}notifications:`;
    this.streamPrefix = `${prefix}events:`;
    this.commands = createRedisClient(options.redis, 'chat4all-broker');
    this.subscriber = createRedisClient(options.redis, 'chat4all-broker-sub');
    this.watches = [
      new ConnectionWatch(this.commands, 'commands', this.logger),
      new ConnectionWatch(this.subscriber, 'subscriber', this.logger),
    ];
    defineScripts(this.commands, ['publish-event']);
    this.subscriber.on('message', (channel: string, payload: string) => this.onMessage(channel, payload));
    this.subscriber.on('ready', () => this.restoreSubscriptions());
  }

  /** Resolves once both connections are ready; rejects `unavailable` after READY_TIMEOUT_MS (reconnection goes on). */
  connect(): Promise<void> {
    return waitReady(this.watches);
  }

  health(): BackendHealth {
    return healthOf(this.watches, this.closed);
  }

  async publish(deliveries: EventDelivery[]): Promise<string[]> {
    if (deliveries.length === 0) return [];
    this.assertUsable(this.commands, 'publish');
    const pipeline = this.commands.pipeline();
    const { maxEvents, ttlMs } = this.retention;
    for (const d of deliveries) {
      queueScript(pipeline, 'publish-event', [this.streamPrefix + d.userId], [this.channelPrefix + d.userId, encodeEventBody(d.body), maxEvents, ttlMs]);
    }
    const ids = await execPipeline(pipeline, 'publish');
    return ids.map((id) => String(id));
  }

  async publishEphemeral(deliveries: EphemeralDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    this.assertUsable(this.commands, 'publish');
    const pipeline = this.commands.pipeline();
    for (const d of deliveries) pipeline.publish(this.channelPrefix + d.userId, JSON.stringify(d.frame));
    await execPipeline(pipeline, 'publish');
  }

  /** `onResubscribed` runs once a reconnection's SUBSCRIBE of every wanted user is confirmed. */
  setListener(listener: BrokerListener, onResubscribed?: () => void): void {
    this.listener = listener;
    this.onResubscribed = onResubscribed;
  }

  /**
   * Batched with every subscribe/unsubscribe call of the same event-loop turn into one SUBSCRIBE
   * (and one UNSUBSCRIBE); for a user named in several calls the last call wins. Resolves once
   * Redis confirmed. Rejects `unavailable` when the subscriber connection is down; the users stay
   * wanted then and are subscribed when it is back (call unsubscribe to give them up).
   */
  subscribe(userIds: string[]): Promise<void> {
    return this.enqueue(userIds, true);
  }

  /**
   * Batched like subscribe. Never fails: from the moment the batch is sent, payloads for these
   * users are dropped, and a reconnection does not restore them.
   */
  unsubscribe(userIds: string[]): Promise<void> {
    return this.enqueue(userIds, false);
  }

  async latestEventId(userId: string): Promise<string | undefined> {
    this.assertUsable(this.commands, 'read history');
    const [latest] = (await this.commands.xrevrange(this.streamPrefix + userId, '+', '-', 'COUNT', 1).catch((err: unknown) => {
      throw unavailable('redis_unavailable', 'Redis cannot read history now', err);
    })) as StreamEntry[];
    return latest?.[0];
  }

  async history(userId: string, since: string, limit: number): Promise<HistoryResult> {
    if (!isEventId(since)) return { events: [], recovered: false };
    this.assertUsable(this.commands, 'read history');
    const key = this.streamPrefix + userId;
    const count = Math.max(0, Math.floor(limit));
    // One transaction: `since` is looked up and the entries after it read from the same state.
    const tx = this.commands.multi().xrange(key, since, since, 'COUNT', 1);
    if (count > 0) tx.xrange(key, `(${since}`, '+', 'COUNT', count);
    const [found, after] = (await execPipeline(tx, 'read history')) as StreamEntry[][];
    if (!found || found.length === 0) return { events: [], recovered: false };
    return { events: (after ?? []).map(([id, fields]) => eventPayload(id, bodyOf(fields))), recovered: true };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(unavailable('redis_closed', 'the broker is closed'));
    await Promise.all([closeClient(this.commands), closeClient(this.subscriber)]);
  }

  private assertUsable(client: Redis, what: string): void {
    if (this.closed) throw unavailable('redis_closed', 'the broker is closed');
    if (client.status !== 'ready') {
      throw unavailable('redis_unavailable', `Redis cannot ${what} now: ${this.health().detail ?? client.status}`);
    }
  }

  private enqueue(userIds: string[], subscribing: boolean): Promise<void> {
    if (this.closed) return Promise.reject(unavailable('redis_closed', 'the broker is closed'));
    for (const u of userIds) {
      this.pending.delete(u); // re-insert: the batch keeps call order
      this.pending.set(u, subscribing);
    }
    this.flushTimer ??= setImmediate(() => this.flush());
    return new Promise((resolve, reject) => this.waiters.push({ subscribing, resolve, reject }));
  }

  /** Sends the batch gathered during this event-loop turn. */
  private flush(): void {
    this.flushTimer = undefined;
    const ops = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    const toSubscribe: string[] = [];
    const toUnsubscribe: string[] = [];
    for (const [userId, subscribing] of ops) {
      if (subscribing && !this.wanted.has(userId)) {
        this.wanted.add(userId);
        toSubscribe.push(this.channelPrefix + userId);
      } else if (!subscribing && this.wanted.delete(userId)) {
        toUnsubscribe.push(this.channelPrefix + userId);
      }
    }
    if (this.subscriber.status !== 'ready') {
      // Nothing to send: the server dropped this connection's subscriptions with it, and the
      // 'ready' handler subscribes `wanted` when it is back.
      const err = unavailable('redis_unavailable', `Redis cannot subscribe now: ${this.health().detail ?? 'subscriber down'}`);
      for (const w of waiters) if (w.subscribing) w.reject(err);
      else w.resolve();
      return;
    }
    const sent = [
      ...chunks(toUnsubscribe).map((c) => this.subscriber.unsubscribe(...c)),
      ...chunks(toSubscribe).map((c) => this.subscriber.subscribe(...c)),
    ];
    const batch = Promise.all([this.lastBatch, ...sent]).then(() => undefined);
    this.lastBatch = batch.catch(() => undefined);
    batch.then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        this.logger.debug({ err: String(err) }, 'redis subscribe/unsubscribe batch failed');
        const failure = toUnavailable(err, 'subscribe');
        for (const w of waiters) if (w.subscribing) w.reject(failure);
        else w.resolve();
      },
    );
  }

  /**
   * After a (re)connection: subscribes every wanted user again, in large batches, then tells the
   * listener's owner (onResubscribed) that payloads may have been missed meanwhile.
   */
  private restoreSubscriptions(): void {
    if (this.closed || this.wanted.size === 0) return;
    const channels = [...this.wanted].map((u) => this.channelPrefix + u);
    this.logger.info({ channels: channels.length }, 'redis subscriber ready: restoring subscriptions');
    const sent = chunks(channels).map((c) => this.subscriber.subscribe(...c));
    const restore = Promise.all([this.lastBatch, ...sent]).then(() => undefined);
    this.lastBatch = restore.catch((err: unknown) => {
      // The connection dropped again; the next 'ready' restores them.
      this.logger.warn({ err: String(err) }, 'redis: restoring subscriptions failed; retrying on reconnection');
    });
    // Catching up reads history on the command connection: the owner is told once that works
    // again (or after READY_TIMEOUT_MS; it retries reads that fail).
    restore.then(
      async () => {
        await waitReady([this.watches[0]!]).catch(() => undefined);
        if (this.closed) return;
        try {
          this.onResubscribed?.();
        } catch (err) {
          this.logger.error({ err }, 'broker onResubscribed threw');
        }
      },
      () => undefined,
    );
  }

  private onMessage(channel: string, payload: string): void {
    if (!channel.startsWith(this.channelPrefix)) return;
    const userId = channel.slice(this.channelPrefix.length);
    if (!this.wanted.has(userId)) return;
    try {
      this.listener(userId, payload);
    } catch (err) {
      this.logger.error({ err, userId }, 'broker listener threw');
    }
  }
}

/** An XRANGE entry: id and the flat field/value list. */
type StreamEntry = [id: string, fields: string[]];

/** The body JSON of a history entry (field `d`, written by publish-event.lua). */
function bodyOf(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'd') return fields[i + 1]!;
  return '{}';
}

function chunks<T>(items: T[], size = CHANNELS_PER_COMMAND): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
