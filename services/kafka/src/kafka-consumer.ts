import type { BackendHealth, ConsumeOptions, Consumer, ConsumerLag, LogRecord } from '@chat4all/core';
import type { Consumer as KafkaJsConsumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { describeKafkaError, toChat4AllError } from './kafka-errors.js';

export interface KafkaGroupConsumerOptions {
  consume: ConsumeOptions;
  /**
   * Makes a new kafkajs consumer of `consume.group`. kafkajs asks `restartOnFailure` before it
   * restarts a consumer that crashed on a retriable error.
   */
  createConsumer(restartOnFailure: (err: Error) => Promise<boolean>): KafkaJsConsumer;
  logger: Logger;
  /** Records handed to one handler call at most (a kafkajs batch is split into chunks). */
  maxHandlerBatch: number;
  partitionsConsumedConcurrently: number;
  /** Called once, when `stop()` has finished. */
  onStopped(): void;
}

const RECREATE_MIN_MS = 1000;
const RECREATE_MAX_MS = 30_000;

/** Kafka header values come back as Buffers (or lists of them when a name repeats): the first, as UTF-8. */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (v !== undefined) out[name] = typeof v === 'string' ? v : v.toString('utf8');
  }
  return out;
}

export function toLogRecord(topic: string, partition: number, m: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    headers: headersToStrings(m.headers),
  };
}

type Committer = EachBatchPayload['commitOffsetsIfNecessary'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One member of a consumer group, delivering each partition's records to the handler in offset
 * order and committing a chunk's offsets only after the handler resolved for it (in the
 * background: see queueCommit). On a handler
 * failure nothing is committed: after a backoff the partition is sought back to the failed chunk,
 * which is delivered again. It outlives broker restarts and rebalances: kafkajs restarts a
 * consumer that crashed on a retriable error; on any other crash this class makes a new one.
 */
export class KafkaGroupConsumer implements Consumer {
  private readonly lags = new Map<string, ConsumerLag>();

  lag(): ConsumerLag[] {
    return [...this.lags.values()];
  }

  private consumer: KafkaJsConsumer | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private inGroup = false;
  private problem: string | undefined = 'joining the group';
  private recreateTimer: NodeJS.Timeout | undefined;
  private recreateDelay = RECREATE_MIN_MS;
  private readonly delays = new Map<string, number>();
  private readonly pendingCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  private committing: Promise<void> | undefined;
  /** The commit function of the newest batch (of the current kafkajs consumer). */
  private committer: Committer | undefined;
  private readonly log: Logger;
  /** Crashes seen (kafkajs' `consumer.crash` events), for tests and metrics. */
  crashes = 0;

  constructor(private readonly options: KafkaGroupConsumerOptions) {
    this.log = options.logger.child({ group: options.consume.group });
  }

  /** Connects, subscribes (a new group starts at the earliest offset) and joins the group. */
  async start(): Promise<void> {
    const consumer = this.options.createConsumer(async () => !this.stopped && consumer === this.consumer);
    this.consumer = consumer;
    // Offsets the previous consumer could not commit: its partitions may be someone else's now.
    this.pendingCommits.clear();
    this.committer = undefined;
    this.watch(consumer);
    const abandoned = () => this.stopped || this.consumer !== consumer;
    try {
      await consumer.connect();
      if (abandoned()) throw new Error('stopped while starting');
      await consumer.subscribe({ topics: this.options.consume.topics, fromBeginning: true });
      if (abandoned()) throw new Error('stopped while starting');
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(consumer, payload),
      });
      if (abandoned()) await consumer.disconnect();
    } catch (err) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => {});
      throw toChat4AllError(err, 'kafka_unavailable', `cannot start consumer group ${this.options.consume.group}`);
    }
  }

  health(): BackendHealth {
    if (this.stopped) return { status: 'up' };
    if (this.inGroup && this.problem === undefined) return { status: 'up' };
    return { status: 'down', detail: `consumer group ${this.options.consume.group}: ${this.problem ?? 'not in the group'}` };
  }

  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopped = true;
      clearTimeout(this.recreateTimer);
      const consumer = this.consumer;
      this.consumer = undefined;
      this.stopping = (async () => {
        // kafkajs' disconnect waits for the batch in flight (which sends its commit), then leaves the group.
        await this.commitsSent();
        if (consumer) await consumer.disconnect().catch((err: unknown) => this.log.warn({ err: describeKafkaError(err) }, 'disconnecting the consumer failed'));
        this.options.onStopped();
      })();
    }
    return this.stopping;
  }

  private watch(consumer: KafkaJsConsumer): void {
    const current = () => consumer === this.consumer && !this.stopped;
    const { GROUP_JOIN, HEARTBEAT, CRASH, DISCONNECT, REQUEST_TIMEOUT } = consumer.events;
    const fine = () => {
      if (!current()) return;
      this.inGroup = true;
      this.problem = undefined;
    };
    consumer.on(GROUP_JOIN, () => {
      this.recreateDelay = RECREATE_MIN_MS;
      fine();
    });
    consumer.on(HEARTBEAT, fine);
    consumer.on(REQUEST_TIMEOUT, () => {
      if (current()) this.problem = 'a request to the broker timed out';
    });
    consumer.on(DISCONNECT, () => {
      if (!current()) return;
      this.inGroup = false;
      this.problem = 'disconnected';
    });
    consumer.on(CRASH, ({ payload }) => {
      if (!current()) return;
      this.crashes++;
      this.inGroup = false;
      this.problem = `crashed (${describeKafkaError(payload.error)}), ${payload.restart ? 'kafkajs restarts it' : 'making a new consumer'}`;
      this.log.warn({ err: describeKafkaError(payload.error), restart: payload.restart }, 'the Kafka consumer crashed');
      if (!payload.restart) this.scheduleRecreate(consumer);
    });
  }

  /** Replaces a consumer that kafkajs will not restart (or that could not start), with a growing delay. */
  private scheduleRecreate(old?: KafkaJsConsumer): void {
    if (this.stopped) return;
    if (old) {
      if (this.consumer === old) this.consumer = undefined;
      void old.disconnect().catch(() => {});
    }
    const delay = this.recreateDelay;
    this.recreateDelay = Math.min(delay * 2, RECREATE_MAX_MS);
    this.recreateTimer = setTimeout(() => {
      this.recreateTimer = undefined;
      if (this.stopped) return;
      this.start().catch((err: unknown) => {
        if (this.stopped) return;
        this.problem = `cannot restart: ${describeKafkaError(err)}`;
        this.log.warn({ err: describeKafkaError(err), retryInMs: this.recreateDelay }, 'restarting the Kafka consumer failed');
        this.scheduleRecreate();
      });
    }, delay);
  }

  private async eachBatch(consumer: KafkaJsConsumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale } = payload;
    const { topic, partition, messages } = batch;
    const lagKey = `${topic}:${partition}`;
    const high = batch.highWatermark;
    const behind = (offset: string) => (high === undefined ? 0 : Math.max(0, Number(BigInt(high) - BigInt(offset))));
    if (messages.length > 0) this.lags.set(lagKey, { topic, partition, lag: behind(messages[0]!.offset) });
    const max = this.options.maxHandlerBatch;
    for (let i = 0; i < messages.length; i += max) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(i, i + max);
      const first = chunk[0]!.offset;
      const last = chunk[chunk.length - 1]!.offset;
      try {
        await this.options.consume.handler(chunk.map((m) => toLogRecord(topic, partition, m)));
      } catch (err) {
        await this.backoff(topic, partition, first, err, payload);
        // Deliver the failed chunk again: fetch from its first offset (nothing after it was resolved).
        if (isRunning() && !isStale()) consumer.seek({ topic, partition, offset: first });
        return;
      }
      this.delays.delete(`${topic}:${partition}`);
      resolveOffset(last);
      const next = (BigInt(last) + 1n).toString();
      this.queueCommit(commitOffsetsIfNecessary, topic, partition, next);
      // Stopping: the group is left once this call returns, so the commit goes out first.
      if (!isRunning()) await this.commitsSent();
      this.lags.set(lagKey, { topic, partition, lag: behind(next) });
      await heartbeat();
    }
  }

  /**
   * Commits in the background, one request at a time carrying the newest offset of every partition
   * handled since the last one: the next fetch does not wait for the commit's round trip. Only
   * handled records are ever committed; a commit that fails (a rebalance) or never goes out (a
   * crash) means records are delivered again, which the handler must take anyway.
   */
  private queueCommit(commit: Committer, topic: string, partition: number, offset: string): void {
    this.committer = commit;
    this.pendingCommits.set(`${topic}:${partition}`, { topic, partition, offset });
    this.sendCommits();
  }

  private sendCommits(): void {
    const commit = this.committer;
    if (this.committing || this.pendingCommits.size === 0 || !commit) return;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of this.pendingCommits.values()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }]);
    this.pendingCommits.clear();
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    this.committing = commit({ topics })
      .then(
        () => undefined,
        (err: unknown) => this.log.warn({ err: describeKafkaError(err), topics }, 'committing offsets failed; those records will be delivered again'),
      )
      .finally(() => {
        this.committing = undefined;
        this.sendCommits();
      });
  }

  /** Resolves once every queued commit was answered. */
  private async commitsSent(): Promise<void> {
    while (this.committing) await this.committing;
  }

  /** Waits the partition's retry delay (doubling up to the maximum), heartbeating, unless stopped or sought. */
  private async backoff(topic: string, partition: number, offset: string, err: unknown, payload: EachBatchPayload): Promise<void> {
    const key = `${topic}:${partition}`;
    const base = this.options.consume.retryDelayMs ?? 100;
    const max = this.options.consume.maxRetryDelayMs ?? 5000;
    const delay = this.delays.get(key) ?? base;
    this.delays.set(key, Math.min(delay * 2, max));
    this.log.warn({ topic, partition, offset, retryInMs: delay, err: err instanceof Error ? err.message : String(err) }, 'handler failed; the records will be delivered again');
    const until = Date.now() + delay;
    while (payload.isRunning() && !payload.isStale()) {
      const left = until - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(left, 100));
      await payload.heartbeat();
    }
  }
}
