import { unavailable, type BackendHealth, type Presence, type PresenceChange, type PresenceConnection } from '@chat4all/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  ConnectionWatch,
  callScript,
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

export interface RedisPresenceOptions {
  redis: RedisOptions;
  logger: Logger;
}

/** Users per presence-online.lua call; larger asks are split and pipelined. */
const USERS_PER_ONLINE_CALL = 500;

/**
 * Presence on Redis: per user a sorted set `presence:{user_id}` (under `keyPrefix`) of connection
 * ids scored by their expiry, in ms of the Redis server's clock (the scripts read TIME, so gateway
 * clocks do not matter). Every operation is one Lua script per user (src/lua/presence-*.lua), the
 * calls of one operation pipelined. The status last told of a user is a string
 * `presence-told:{user_id}`, swapped by one `SET ... GET` per user (atomic, so of two gateways
 * telling the same change one sees it new).
 *
 * Construction connects in the background; `start()` waits until ready or rejects `unavailable`
 * after READY_TIMEOUT_MS while reconnection goes on. Operations reject `unavailable` at once while
 * Redis is unreachable.
 */
export class RedisPresence implements Presence {
  readonly backendName = 'redis';
  private readonly client: Redis;
  private readonly watch: ConnectionWatch;
  private readonly keyPrefix: string;
  private readonly toldPrefix: string;
  private closed = false;

  constructor(options: RedisPresenceOptions) {
    const logger = options.logger.child({ backend: 'redis', component: 'presence' });
    this.keyPrefix = `${options.redis.keyPrefix ?? ''}presence:`;
    this.toldPrefix = `${options.redis.keyPrefix ?? ''}presence-told:`;
    this.client = createRedisClient(options.redis, 'chat4all-presence');
    this.watch = new ConnectionWatch(this.client, 'commands', logger);
    defineScripts(this.client, ['presence-connect', 'presence-disconnect', 'presence-refresh', 'presence-online']);
  }

  /**
   * Resolves once the connection is ready; rejects `unavailable` after READY_TIMEOUT_MS (reconnection
   * goes on). Named `start` because `connect` is the port's "register a connection".
   */
  start(): Promise<void> {
    return waitReady([this.watch]);
  }

  async connect(conn: PresenceConnection, ttlMs: number): Promise<{ wasOnline: boolean }> {
    this.assertUsable();
    const was = await this.run('presence-connect', [this.key(conn.userId)], [conn.connectionId, Math.max(1, Math.ceil(ttlMs))]);
    return { wasOnline: was === 1 };
  }

  health(): BackendHealth {
    return healthOf([this.watch], this.closed);
  }

  async disconnect(conn: PresenceConnection): Promise<{ stillOnline: boolean }> {
    this.assertUsable();
    const still = await this.run('presence-disconnect', [this.key(conn.userId)], [conn.connectionId]);
    return { stillOnline: still === 1 };
  }

  async refresh(conns: PresenceConnection[], ttlMs: number): Promise<void> {
    if (conns.length === 0) return;
    this.assertUsable();
    const byUser = new Map<string, string[]>();
    for (const c of conns) {
      const list = byUser.get(c.userId);
      if (list) list.push(c.connectionId);
      else byUser.set(c.userId, [c.connectionId]);
    }
    const pipeline = this.client.pipeline();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    for (const [userId, ids] of byUser) queueScript(pipeline, 'presence-refresh', [this.key(userId)], [ttl, ...ids]);
    await execPipeline(pipeline, 'refresh presence');
  }

  async online(userIds: string[]): Promise<Set<string>> {
    const users = [...new Set(userIds)];
    if (users.length === 0) return new Set();
    this.assertUsable();
    const pipeline = this.client.pipeline();
    for (let i = 0; i < users.length; i += USERS_PER_ONLINE_CALL) {
      queueScript(pipeline, 'presence-online', users.slice(i, i + USERS_PER_ONLINE_CALL).map((u) => this.key(u)), []);
    }
    const flags = (await execPipeline(pipeline, 'read presence')).flatMap((r) => r as number[]);
    return new Set(users.filter((_, i) => flags[i] === 1));
  }

  async announce(changes: PresenceChange[], ttlMs: number): Promise<PresenceChange[]> {
    if (changes.length === 0) return [];
    this.assertUsable();
    const pipeline = this.client.pipeline();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    for (const c of changes) pipeline.call('SET', this.toldPrefix + c.userId, c.status, 'PX', ttl, 'GET');
    const before = await execPipeline(pipeline, 'tell presence');
    return changes.filter((c, i) => before[i] !== c.status);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeClient(this.client);
  }

  private key(userId: string): string {
    return this.keyPrefix + userId;
  }

  private assertUsable(): void {
    if (this.closed) throw unavailable('redis_closed', 'presence is closed');
    if (this.client.status !== 'ready') {
      throw unavailable('redis_unavailable', `Redis cannot serve presence now: ${this.health().detail ?? this.client.status}`);
    }
  }

  private async run(name: Parameters<typeof callScript>[1], keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await callScript(this.client, name, keys, args);
    } catch (err) {
      throw toUnavailable(err, 'serve presence');
    }
  }
}
