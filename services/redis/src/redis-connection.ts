import { unavailable, type BackendHealth, type Chat4AllError } from '@chat4all/core';
import { Redis, type ChainableCommander, type RedisOptions as IORedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { LUA_SOURCES, type LuaScriptName } from './lua/scripts.generated.js';

/** Where Redis is: one server (`url`) or a Sentinel-managed master (`sentinels` + `sentinelName`). */
export interface RedisOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://`). Ignored when `sentinels` is set. */
  url?: string;
  /** Sentinel endpoints; when set, the client asks them for the master and follows failovers. */
  sentinels?: { host: string; port: number }[];
  /** The master's name as the Sentinels know it. @default 'mymaster' */
  sentinelName?: string;
  /** Password of the Redis data nodes (not of the Sentinels). Overrides one in `url`. */
  password?: string;
  /** Prepended to every key and channel, e.g. `staging:`. @default '' */
  keyPrefix?: string;
}

export interface RedisEnv {
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_PASSWORD?: string;
}

/**
 * Reads the Redis settings from the environment: `REDIS_SENTINELS` ("host:port,host:port", with
 * `REDIS_SENTINEL_NAME`, default `mymaster`) wins over `REDIS_URL`. Undefined when neither is set
 * (the in-memory adapters are meant). Throws an Error naming the variable on a bad value.
 */
export function parseRedisOptions(env: RedisEnv): RedisOptions | undefined {
  const sentinels = env.REDIS_SENTINELS?.trim();
  const url = env.REDIS_URL?.trim();
  const password = env.REDIS_PASSWORD === undefined || env.REDIS_PASSWORD === '' ? undefined : env.REDIS_PASSWORD;
  if (!sentinels && !url) return undefined;
  const options: RedisOptions = {};
  if (password !== undefined) options.password = password;
  if (sentinels) {
    options.sentinels = sentinels.split(',').map((entry) => parseHostPort(entry.trim()));
    const name = env.REDIS_SENTINEL_NAME?.trim();
    if (env.REDIS_SENTINEL_NAME !== undefined && !name) throw new Error('REDIS_SENTINEL_NAME is empty');
    options.sentinelName = name || 'mymaster';
    return options;
  }
  let parsed: URL;
  try {
    parsed = new URL(url!);
  } catch {
    throw new Error('REDIS_URL is not a URL (expected redis://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
  if (!parsed.hostname) throw new Error('REDIS_URL has no host');
  options.url = url;
  return options;
}

function parseHostPort(entry: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65_535) {
    throw new Error(`REDIS_SENTINELS must be a comma-separated list of host:port (bad entry "${entry}")`);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** A command that does not answer within this long rejects (`unavailable`). */
export const COMMAND_TIMEOUT_MS = 5_000;
/** How long `connect()` of the adapters waits for Redis before it rejects. */
export const READY_TIMEOUT_MS = 10_000;
/** Reconnection backoff: 100 ms doubling up to this cap, plus up to 100 ms of jitter. */
export const MAX_RECONNECT_DELAY_MS = 2_000;

/** Reconnection delay before attempt `times` (1-based): capped exponential backoff with jitter. */
export function reconnectDelay(times: number): number {
  return Math.min(100 * 2 ** Math.min(times - 1, 10), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100);
}

/**
 * Makes an ioredis client that connects at once, in the background, and never queues: while it is
 * not ready a command rejects at once, a command in flight when the connection drops rejects, and
 * one without an answer rejects after COMMAND_TIMEOUT_MS. The caller turns those into `unavailable`
 * (toUnavailable) and retries later; the client keeps reconnecting by itself until closed.
 */
export function createRedisClient(options: RedisOptions, connectionName: string): Redis {
  const common: IORedisOptions = {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The broker restores its own subscriptions on 'ready' (it knows which ones it still wants).
    autoResubscribe: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: COMMAND_TIMEOUT_MS,
    // How long close() leaves a socket to end gracefully (a timer that outlives an already-dead
    // socket by this much, keeping the process up).
    disconnectTimeout: 200,
    retryStrategy: reconnectDelay,
  };
  if (options.password !== undefined) common.password = options.password;
  if (options.sentinels?.length) {
    return keepConnecting(new Redis({
      ...common,
      sentinels: options.sentinels,
      name: options.sentinelName ?? 'mymaster',
      // Without it, writes went on to a demoted master for ~11 s after a failover (REAL-SERVICES.md).
      failoverDetector: true,
      sentinelRetryStrategy: (times: number) => Math.min(times * 100, 1_000),
      // A master demoted under us answers READONLY: reconnect, asking the Sentinels again.
      reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    }));
  }
  if (!options.url) throw new Error('RedisOptions needs url or sentinels');
  return keepConnecting(new Redis(options.url, common));
}

/** Clients being closed by closeClient: the only ones that may stay ended. */
const closing = new WeakSet<Redis>();

/**
 * ioredis gives a client up for good (status `end`) when a connection attempt itself fails, as a
 * Sentinel lookup does when a failover detector disconnects it midway: a gateway would then never
 * reach the new master. A client that closeClient did not close connects again.
 */
function keepConnecting(client: Redis): Redis {
  client.on('end', () => {
    if (closing.has(client)) return;
    setTimeout(() => {
      if (!closing.has(client) && client.status === 'end') client.connect().catch(() => undefined);
    }, reconnectDelay(1)).unref();
  });
  return client;
}

/**
 * Follows one client's connection for health() and logs its transitions once each (not every
 * failed reconnection attempt).
 */
export class ConnectionWatch {
  private lastError: string | undefined;
  private wasReady = false;
  private loggedDown = false;

  constructor(
    readonly client: Redis,
    private readonly what: string,
    private readonly logger: Logger,
  ) {
    client.on('ready', () => {
      this.lastError = undefined;
      if (this.loggedDown || !this.wasReady) this.logger.info({ connection: what }, 'redis connection ready');
      this.wasReady = true;
      this.loggedDown = false;
    });
    client.on('error', (err: Error) => {
      this.lastError = shortError(err);
      if (!this.loggedDown) {
        this.loggedDown = true;
        this.logger.warn({ connection: what, err: this.lastError }, 'redis connection failing; reconnecting in the background');
      } else {
        this.logger.debug({ connection: what, err: this.lastError }, 'redis connection error');
      }
    });
    client.on('close', () => {
      if (this.wasReady && !this.loggedDown && client.status !== 'end') {
        this.loggedDown = true;
        this.logger.warn({ connection: what }, 'redis connection lost; reconnecting');
      }
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Null when ready, else a short reason (no secrets: no URL, no password). */
  downReason(): string | null {
    if (this.ready) return null;
    const status = this.client.status === 'end' ? 'closed' : this.client.status;
    return `${this.what} ${status}${this.lastError ? `: ${this.lastError}` : ''}`;
  }
}

/** Health of an adapter from the watches of its connections: up only when every one is ready. */
export function healthOf(watches: ConnectionWatch[], closed: boolean): BackendHealth {
  if (closed) return { status: 'down', detail: 'closed' };
  const reasons = watches.map((w) => w.downReason()).filter((r): r is string => r !== null);
  return reasons.length === 0 ? { status: 'up' } : { status: 'down', detail: reasons.join('; ') };
}

/** Resolves when every client is ready; rejects `unavailable` after `timeoutMs` (clients keep trying). */
export function waitReady(watches: ConnectionWatch[], timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (watches.every((w) => w.ready)) {
        done();
        resolve();
      } else if (watches.some((w) => w.client.status === 'end')) {
        done();
        reject(unavailable('redis_closed', 'the Redis client is closed'));
      }
    };
    const timer = setTimeout(() => {
      done();
      const reasons = watches.map((w) => w.downReason()).filter(Boolean).join('; ');
      reject(unavailable('redis_unavailable', `Redis not ready after ${timeoutMs} ms (${reasons})`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      for (const w of watches) {
        w.client.off('ready', check);
        w.client.off('end', check);
      }
    };
    for (const w of watches) {
      w.client.on('ready', check);
      w.client.on('end', check);
    }
    check();
  });
}

/** Server replies that mean "not now" rather than "wrong request". */
const TRANSIENT_REPLY = /^(READONLY|LOADING|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)/;

/**
 * Turns a client or server failure into an `unavailable` Chat4AllError (the caller retries), except
 * server errors that say the request itself is wrong (a bug: those are rethrown as they are).
 */
export function toUnavailable(err: unknown, what: string): Chat4AllError | Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ReplyError' && !TRANSIENT_REPLY.test(e.message)) return e;
  return unavailable('redis_unavailable', `Redis cannot ${what} now: ${shortError(e)}`, e);
}

function shortError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  const text = typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Closes a client without waiting on a dead server; also stops its Sentinel failover watchers. */
export async function closeClient(client: Redis): Promise<void> {
  closing.add(client);
  if (client.status === 'ready') await client.quit().catch(() => {});
  client.disconnect();
}

type ScriptFn<R> = (numKeys: number, ...keysAndArgs: (string | number)[]) => R;
const scriptCommand = (name: LuaScriptName) => `c4a_${name.replace(/-/g, '_')}`;

/** Registers the Lua scripts on a client: sent with EVALSHA, loaded by EVAL on a connection's first use. */
export function defineScripts(client: Redis, names: LuaScriptName[]): void {
  for (const name of names) client.defineCommand(scriptCommand(name), { lua: LUA_SOURCES[name] });
}

/** Runs a script defined with defineScripts on the client. */
export function callScript(client: Redis, name: LuaScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  const fn = (client as unknown as Record<string, ScriptFn<Promise<unknown>>>)[scriptCommand(name)];
  if (!fn) throw new Error(`Lua script ${name} is not defined on this client`);
  return fn.call(client, keys.length, ...keys, ...args);
}

/** Queues a script defined with defineScripts on a pipeline or transaction. */
export function queueScript(pipeline: ChainableCommander, name: LuaScriptName, keys: string[], args: (string | number)[]): void {
  const fn = (pipeline as unknown as Record<string, ScriptFn<ChainableCommander>>)[scriptCommand(name)];
  if (!fn) throw new Error(`Lua script ${name} is not defined on this client`);
  fn.call(pipeline, keys.length, ...keys, ...args);
}

/** Executes a pipeline; resolves each command's result, or rejects with the first failure. */
export async function execPipeline(pipeline: ChainableCommander, what: string): Promise<unknown[]> {
  let results: [Error | null, unknown][] | null;
  try {
    results = await pipeline.exec();
  } catch (err) {
    throw toUnavailable(err, what);
  }
  if (!results) throw toUnavailable(new Error('transaction aborted'), what);
  return results.map(([err, value]) => {
    if (err) throw toUnavailable(err, what);
    return value;
  });
}
