import { unavailable, type BackendHealth, type ConversationChangeListener, type ConversationChanges } from '@chat4all/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConnectionWatch, closeClient, createRedisClient, healthOf, toUnavailable, waitReady, type RedisOptions } from './redis-connection.js';

export interface RedisConversationChangesOptions {
  redis: RedisOptions;
  logger: Logger;
}

/**
 * ConversationChanges on Redis pub/sub: one channel, `conversation-changes` (under `keyPrefix`),
 * whose messages are conversation ids. Two connections: one publishes, one listens. Every time
 * the listening connection is (re)subscribed, the listener is told it may have missed changes.
 */
export class RedisConversationChanges implements ConversationChanges {
  readonly backendName = 'redis';
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly watches: ConnectionWatch[];
  private readonly logger: Logger;
  private readonly channel: string;
  private listener: ConversationChangeListener | undefined;
  /** The listening connection's SUBSCRIBE is confirmed (since its latest reconnection). */
  private subscribed = false;
  private closed = false;

  constructor(options: RedisConversationChangesOptions) {
    this.logger = options.logger.child({ backend: 'redis', component: 'conversation-changes' });
    this.channel = `${options.redis.keyPrefix ?? ''}conversation-changes`;
    this.publisher = createRedisClient(options.redis, 'chat4all-changes');
    this.subscriber = createRedisClient(options.redis, 'chat4all-changes-sub');
    this.watches = [new ConnectionWatch(this.publisher, 'publisher', this.logger), new ConnectionWatch(this.subscriber, 'subscriber', this.logger)];
    this.subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.channel) this.tell((l) => l.changed(id));
    });
    this.subscriber.on('ready', () => void this.subscribe().catch(() => {}));
  }

  health(): BackendHealth {
    const h = healthOf(this.watches, this.closed);
    // Subscribed is what matters to a listener: a ready connection not yet subscribed still misses changes.
    return h.status === 'up' && this.listener !== undefined && !this.subscribed ? { status: 'down', detail: 'subscribing' } : h;
  }

  async publish(conversationId: string): Promise<void> {
    if (this.closed) throw unavailable('redis_closed', 'the change feed is closed');
    if (this.publisher.status !== 'ready') throw unavailable('redis_unavailable', `Redis cannot publish a change now: ${this.health().detail ?? 'down'}`);
    try {
      await this.publisher.publish(this.channel, conversationId);
    } catch (err) {
      throw toUnavailable(err, 'publish a change');
    }
  }

  async listen(listener: ConversationChangeListener): Promise<void> {
    this.listener = listener;
    await waitReady(this.watches);
    await this.subscribe();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener = undefined;
    await Promise.all([closeClient(this.publisher), closeClient(this.subscriber)]);
  }

  /** Subscribes the listening connection (again); then the listener forgets what it may have missed. */
  private async subscribe(): Promise<void> {
    if (!this.listener || this.closed) return;
    this.subscribed = false;
    try {
      await this.subscriber.subscribe(this.channel);
    } catch (err) {
      throw toUnavailable(err, 'listen for changes');
    }
    this.subscribed = true;
    this.tell((l) => l.missed());
  }

  private tell(call: (l: ConversationChangeListener) => void): void {
    if (!this.listener || this.closed) return;
    try {
      call(this.listener);
    } catch (err) {
      this.logger.error({ err }, 'conversation change listener threw');
    }
  }
}
