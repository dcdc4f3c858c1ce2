import { hostname } from 'node:os';
import { CassandraStores, parseCassandraOptions } from '@chat4all/cassandra';
import type { Broker, ConversationChanges } from '@chat4all/core';
import { KafkaEventLog, parseKafkaOptions } from '@chat4all/kafka';
import { S3BlobStore, parseS3Options } from '@chat4all/s3';
import { RedisBroker, RedisConversationChanges, RedisPresence, parseRedisOptions } from '@chat4all/redis';
import type { Logger } from 'pino';
import { type Backends, memoryBackends } from './backends.js';
import { ConfigError, type ServerConfig } from './config.js';
import { keepTrying } from './keep-trying.js';

type Env = Record<string, string | undefined>;

/** Parses the backend variables; throws ConfigError naming the one at fault. */
export function parseBackendEnv(env: Env) {
  try {
    return { kafka: parseKafkaOptions(env), cassandra: parseCassandraOptions(env), redis: parseRedisOptions(env), s3: parseS3Options(env) };
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * The adapters selected by the environment: Kafka when KAFKA_BROKERS is set, Cassandra when
 * CASSANDRA_CONTACT_POINTS is, Redis when REDIS_URL or REDIS_SENTINELS is, the S3 object store when S3_ENDPOINT is; memory for the rest
 * (role `all` only: separate roles need every backend shared). Connecting is attempted at start,
 * but a backend that is down does not stop the process: it reports not ready and reconnects.
 */
export async function selectBackends(config: ServerConfig, env: Env, logger: Logger): Promise<Backends> {
  const parsed = parseBackendEnv(env);
  const fallback = memoryBackends(config);
  const kinds: string[] = [];
  const log = logger.child({ component: 'backends' });
  const tryConnect = (name: string, p: Promise<unknown>) =>
    p.catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, `${name} not reachable yet; will keep trying and report not ready meanwhile`));

  let eventLog = fallback.eventLog;
  if (parsed.kafka) {
    const kafka = new KafkaEventLog({ ...parsed.kafka, clientId: `chat4all-${config.role}-${hostname()}`, logger: logger.child({ component: 'kafka' }) });
    await tryConnect('kafka', kafka.connect());
    eventLog = kafka;
    kinds.push('kafka');
  }
  let stores: Pick<Backends, 'users' | 'conversations' | 'messages' | 'attachments'> = fallback;
  let cassandra: CassandraStores | undefined;
  if (parsed.cassandra) {
    cassandra = new CassandraStores({ ...parsed.cassandra, logger: logger.child({ component: 'cassandra' }) });
    await tryConnect('cassandra', cassandra.connect());
    stores = cassandra;
    kinds.push('cassandra');
  }
  let blobs = fallback.blobs;
  let stopStarting = () => {};
  if (parsed.s3) {
    const s3 = new S3BlobStore({ ...parsed.s3, logger: logger.child({ component: 's3' }) });
    const starting = keepTrying(() => s3.start(), {
      firstMs: 5000,
      maxMs: 5000,
      retry: () => true,
      onRetry: (err) => log.warn({ err: { message: (err as Error).message } }, 'object store not reachable yet; will keep trying and report not ready meanwhile'),
      onGiveUp: () => {},
    });
    await starting.first;
    stopStarting = starting.stop;
    blobs = s3;
    kinds.push('s3');
  }
  let presence = fallback.presence;
  const brokers: (Broker | ConversationChanges)[] = [];
  let newBroker = fallback.newBroker;
  let newConversationChanges = fallback.newConversationChanges;
  if (parsed.redis) {
    const redis = parsed.redis;
    const p = new RedisPresence({ redis, logger: logger.child({ component: 'redis' }) });
    await tryConnect('redis', p.start());
    presence = p;
    newBroker = () => {
      const b = new RedisBroker({ redis, logger: logger.child({ component: 'redis' }), retention: { maxEvents: config.historyMaxEvents, ttlMs: config.historyTtlSeconds * 1000 } });
      void tryConnect('redis', b.connect());
      brokers.push(b);
      return b;
    };
    newConversationChanges = () => {
      const f = new RedisConversationChanges({ redis, logger: logger.child({ component: 'redis' }) });
      brokers.push(f);
      return f;
    };
    kinds.push('redis');
  }
  return {
    kind: kinds.length === 0 ? 'memory' : kinds.join('+'),
    users: stores.users,
    conversations: stores.conversations,
    messages: stores.messages,
    eventLog,
    presence,
    attachments: stores.attachments,
    blobs,
    newBroker,
    newConversationChanges,
    async close() {
      stopStarting();
      await Promise.allSettled(brokers.map((b) => b.close()));
      await Promise.allSettled([eventLog.close(), presence.close(), cassandra?.close(), blobs.close()]);
      await fallback.close();
    },
  };
}
