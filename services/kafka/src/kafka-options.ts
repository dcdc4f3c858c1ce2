import type { Logger } from 'pino';

export interface KafkaEventLogOptions {
  /** Bootstrap brokers, `host:port` each. */
  brokers: string[];
  /** Names this process to the brokers (logs, quotas), e.g. `chat4all-api`. */
  clientId: string;
  /** kafkajs logs go to a child of it (`component: "kafkajs"`), from `warn` up. */
  logger: Logger;
  /** Partitions of each topic that `ensureTopics` creates. @default 12 */
  partitions?: number;
  /** Replication factor of each topic that `ensureTopics` creates. @default 1 */
  replicationFactor?: number;
  /** `min.insync.replicas` of the topics that `ensureTopics` creates. @default the broker's */
  minInsyncReplicas?: number;
  /** Milliseconds that `append` waits to gather concurrent appends into one produce request. @default 2 */
  linger?: number;
  /** An `append` that is not acknowledged within this time rejects with `unavailable`. @default 10000 */
  appendTimeoutMs?: number;
  /** `connect()`, and each (re)connection of a client, gives up after this time. @default 10000 */
  connectTimeoutMs?: number;
  /** How often the health check asks the cluster for its metadata (and reconnects what is down). @default 3000 */
  healthCheckIntervalMs?: number;
  /**
   * A consumer that sends no heartbeat for this long leaves its group, and its partitions go to the
   * others. It also bounds the pause after a broker restart: the coordinator waits that long for the
   * members it knew before the restart. Heartbeats are sent between handler calls, so one call
   * must take less than this. @default 10000
   */
  sessionTimeoutMs?: number;
  /**
   * Partitions whose handler calls may run at the same time in one consumer (never two for one
   * partition). kafkajs fetches again only once every batch of a fetch was handled, so with fewer
   * than the partitions that have records, the batches wait for each other in turns. @default `partitions`
   */
  partitionsConsumedConcurrently?: number;
}

/** What the environment can set; the rest of the options come from the program. */
export interface KafkaEnv {
  /** Comma-separated `host:port` list. Unset or empty: no Kafka (the memory event log). */
  KAFKA_BROKERS?: string;
  /** Partitions of created topics, 1 to 10000. */
  KAFKA_PARTITIONS?: string;
  /** Replication factor of created topics, 1 to 100. */
  KAFKA_REPLICATION_FACTOR?: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

function wholeNumber(env: KafkaEnv, name: 'KAFKA_PARTITIONS' | 'KAFKA_REPLICATION_FACTOR', max: number): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < 1 || n > max) throw new Error(`${name} must be between 1 and ${max}, got ${n}`);
  return n;
}

/**
 * Reads the Kafka settings from the environment. Returns `undefined` when `KAFKA_BROKERS` is unset
 * or empty (use the memory event log); throws an Error naming the variable at fault otherwise.
 *
 * @example parseKafkaOptions({ KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092', KAFKA_REPLICATION_FACTOR: '3' })
 */
export function parseKafkaOptions(env: KafkaEnv): Omit<KafkaEventLogOptions, 'logger' | 'clientId'> | undefined {
  const raw = env.KAFKA_BROKERS?.trim();
  if (raw === undefined || raw === '') return undefined;
  const brokers = raw.split(',').map((b) => b.trim());
  for (const b of brokers) {
    const m = HOST_PORT.exec(b);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new Error(`KAFKA_BROKERS must be a comma-separated list of host:port, got ${JSON.stringify(b)} in ${JSON.stringify(raw)}`);
    }
  }
  const options: Omit<KafkaEventLogOptions, 'logger' | 'clientId'> = { brokers };
  const partitions = wholeNumber(env, 'KAFKA_PARTITIONS', 10_000);
  if (partitions !== undefined) options.partitions = partitions;
  const replicationFactor = wholeNumber(env, 'KAFKA_REPLICATION_FACTOR', 100);
  if (replicationFactor !== undefined) options.replicationFactor = replicationFactor;
  return options;
}
