import type { Backend } from '../domain/health.js';

/** A record to append. `key` decides the partition: records with one key keep their order. */
export interface AppendRecord {
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

/** A record as a consumer receives it. */
export interface LogRecord {
  topic: string;
  partition: number;
  /** Position in its partition, as a decimal string (Kafka offsets exceed 2^53). */
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface ConsumeOptions {
  /** Consumer group: every group receives every record; members of one group share partitions. */
  group: string;
  topics: string[];
  /**
   * Handles records of ONE partition, in offset order. The log commits the batch's offsets only
   * after the returned promise resolves. If it rejects, the log delivers the same records again
   * (from the first uncommitted one) after a backoff that grows up to `maxRetryDelayMs`: a record
   * is never skipped, so a handler that must give up on a record has to put it aside (a dead
   * letter) itself and then resolve. Calls for one partition never overlap.
   */
  handler: (batch: LogRecord[]) => Promise<void>;
  /** @default 100 */
  retryDelayMs?: number;
  /** @default 5000 */
  maxRetryDelayMs?: number;
}

export interface ConsumerLag {
  topic: string;
  partition: number;
  /** Records appended to the partition that this consumer has not committed yet. */
  lag: number;
}

export interface Consumer {
  /** Stops fetching, waits for the in-flight handler call, commits what it completed, leaves the group. */
  stop(): Promise<void>;
  /** The lag of each partition this consumer holds, as of its latest fetch. */
  lag(): ConsumerLag[];
}

/**
 * The event log between producers (api, gateway) and the router worker. Delivery is at least
 * once: a record can be delivered again after a failure or a restart, never lost once `append`
 * resolved. Consumers must be idempotent.
 */
export interface EventLog extends Backend {
  /**
   * Creates the topics if missing (idempotent). Real logs create them with configured partitions;
   * append to a topic that was not ensured may fail.
   */
  ensureTopics(topics: string[]): Promise<void>;
  /**
   * Appends records to `topic`. Resolves once every record is durable (acknowledged by all in-sync
   * replicas); rejects with an `unavailable` Chat4AllError when that cannot be done in time, in
   * which case some records may or may not have been written. Records of one call with one key
   * are appended in array order. Appending a record twice stores it twice.
   */
  append(topic: string, records: AppendRecord[]): Promise<void>;
  /** Joins a consumer group and starts delivering to `options.handler`. Resumes after the group's last commit. */
  consume(options: ConsumeOptions): Promise<Consumer>;
  /** Stops every consumer, flushes and closes. */
  close(): Promise<void>;
}
