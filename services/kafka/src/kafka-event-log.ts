import { type AppendRecord, type BackendHealth, type ConsumeOptions, type Consumer, type EventLog, unavailable } from '@chat4all/core';
import { type Admin, Kafka, type Message, Partitioners, type Producer, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { AppendBatcher, type TopicBatch } from './append-batcher.js';
import { ClientSlot } from './client-slot.js';
import { KafkaGroupConsumer } from './kafka-consumer.js';
import { describeKafkaError, toChat4AllError, withTimeout } from './kafka-errors.js';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-logging.js';
import type { KafkaEventLogOptions } from './kafka-options.js';

/** Connections, metadata and admin requests: a few quick tries (each caller bounds its own wait). */
const CLIENT_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 2000, retries: 3 };
/** Produce: about 10 s of tries (300 ms doubling, capped at 3 s) before the send fails. */
const PRODUCER_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 3000, retries: 5 };
/** The consumer's fetch loop: when it runs out of tries it crashes, and is restarted. */
const CONSUMER_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 };
/** Bytes of records in one produce request at most: well under the broker's 1 MiB per partition batch. */
const MAX_REQUEST_BYTES = 512 * 1024;
/** Records in one handler call at most. */
const MAX_HANDLER_BATCH = 500;

/** Counters for tests and metrics. */
export interface KafkaEventLogStats {
  /** Produce requests sent (`sendBatch` calls), each carrying the appends gathered within `linger`. */
  produceRequests: number;
  /** Records those requests carried. */
  producedRecords: number;
  /** Consumer crashes seen (each followed by a restart). */
  consumerCrashes: number;
}

function recordBytes(r: AppendRecord): number {
  let n = Buffer.byteLength(r.key) + r.value.length;
  for (const [k, v] of Object.entries(r.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/**
 * The event log on Kafka (kafkajs). Appends go through one idempotent producer (acks from all
 * in-sync replicas), gathered over `linger` ms into one request; consumers commit offsets only after
 * their handler resolved. Nothing connects in the constructor: `connect()` does, and every
 * operation (re)connects what it needs, so the log recovers by itself when Kafka comes back.
 */
export class KafkaEventLog implements EventLog {
  readonly backendName = 'kafka';
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly producers: ClientSlot<Producer>;
  private readonly admins: ClientSlot<Admin>;
  private readonly batcher: AppendBatcher<Message>;
  private readonly consumers = new Set<KafkaGroupConsumer>();
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly minInsyncReplicas: number | undefined;
  private readonly appendTimeoutMs: number;
  private readonly healthCheckIntervalMs: number;
  private readonly partitionsConsumedConcurrently: number;
  private readonly sessionTimeoutMs: number;
  /** Why the producer cannot be trusted now; undefined once it connected or a send succeeded. */
  private producerProblem: string | undefined = 'not connected yet';
  /** Why the last health check could not reach the cluster. */
  private probeProblem: string | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private retiredCrashes = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: KafkaEventLogOptions) {
    this.logger = options.logger;
    this.partitions = options.partitions ?? 12;
    this.replicationFactor = options.replicationFactor ?? 1;
    this.minInsyncReplicas = options.minInsyncReplicas;
    this.appendTimeoutMs = options.appendTimeoutMs ?? 10_000;
    this.healthCheckIntervalMs = options.healthCheckIntervalMs ?? 3000;
    this.partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? this.partitions;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: kafkaLogLevel('warn'),
      logCreator: kafkaLogCreator(options.logger),
      retry: CLIENT_RETRY,
      connectionTimeout: 3000,
      requestTimeout: 15_000,
    });
    this.producers = new ClientSlot('producer', () => this.newProducer(), connectTimeoutMs);
    this.admins = new ClientSlot('admin client', () => this.kafka.admin({ retry: CLIENT_RETRY }), connectTimeoutMs);
    this.batcher = new AppendBatcher<Message>({
      linger: options.linger ?? 2,
      timeoutMs: this.appendTimeoutMs,
      maxBatchBytes: MAX_REQUEST_BYTES,
      send: (batches) => this.send(batches),
    });
  }

  /**
   * Connects the producer and an admin client. Resolves once appends can be sent; rejects with
   * `unavailable` after `connectTimeoutMs` when Kafka cannot be reached. Either way the log keeps
   * reconnecting in the background (health checks every `healthCheckIntervalMs`), so a caller may
   * ignore the rejection.
   */
  async connect(): Promise<void> {
    this.assertOpen();
    this.startHealthChecks();
    await Promise.all([this.connectedProducer(), this.admins.get()]);
  }

  health(): BackendHealth {
    if (this.closed) return { status: 'down', detail: 'closed' };
    const problems: string[] = [];
    if (this.producerProblem !== undefined) problems.push(`producer: ${this.producerProblem}`);
    if (this.probeProblem !== undefined) problems.push(this.probeProblem);
    for (const c of this.consumers) {
      const h = c.health();
      if (h.status === 'down' && h.detail) problems.push(h.detail);
    }
    return problems.length === 0 ? { status: 'up' } : { status: 'down', detail: problems.join('; ').slice(0, 300) };
  }

  stats(): KafkaEventLogStats {
    let crashes = this.retiredCrashes;
    for (const c of this.consumers) crashes += c.crashes;
    return { produceRequests: this.batcher.stats.requests, producedRecords: this.batcher.stats.records, consumerCrashes: crashes };
  }

  /**
   * Creates the missing topics with `partitions`, `replicationFactor` (and `min.insync.replicas`
   * when set) and waits for their leaders. Existing topics are left as they are.
   */
  async ensureTopics(topics: string[]): Promise<void> {
    this.assertOpen();
    this.startHealthChecks();
    const wanted = [...new Set(topics)];
    if (wanted.length === 0) return;
    let admin: Admin | undefined;
    try {
      admin = await this.admins.get();
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      const configEntries = this.minInsyncReplicas === undefined ? [] : [{ name: 'min.insync.replicas', value: String(this.minInsyncReplicas) }];
      // Resolves false when another process created them first: fine.
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: this.partitions, replicationFactor: this.replicationFactor, configEntries })),
        waitForLeaders: true,
        timeout: 10_000,
      });
    } catch (err) {
      const e = toChat4AllError(err, 'kafka_unavailable', `cannot create topics ${wanted.join(', ')}`);
      if (e.kind === 'unavailable' && admin) this.admins.discard(admin);
      throw e;
    }
  }

  async append(topic: string, records: AppendRecord[]): Promise<void> {
    this.assertOpen();
    if (records.length === 0) return;
    this.startHealthChecks();
    let bytes = 0;
    const messages: Message[] = records.map((r) => {
      bytes += recordBytes(r);
      return r.headers ? { key: r.key, value: r.value, headers: { ...r.headers } } : { key: r.key, value: r.value };
    });
    return this.batcher.append(topic, messages, bytes);
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    this.assertOpen();
    this.startHealthChecks();
    const consumer: KafkaGroupConsumer = new KafkaGroupConsumer({
      consume: options,
      logger: this.logger.child({ component: 'kafka-consumer' }),
      maxHandlerBatch: MAX_HANDLER_BATCH,
      partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
      createConsumer: (restartOnFailure) =>
        this.kafka.consumer({
          groupId: options.group,
          allowAutoTopicCreation: false,
          maxWaitTimeInMs: 1000,
          sessionTimeout: this.sessionTimeoutMs,
          heartbeatInterval: Math.min(3000, Math.floor(this.sessionTimeoutMs / 3)),
          retry: { ...CONSUMER_RETRY, restartOnFailure },
        }),
      onStopped: () => {
        this.retiredCrashes += consumer.crashes;
        this.consumers.delete(consumer);
      },
    });
    this.consumers.add(consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.consumers.delete(consumer);
      throw err;
    }
    return consumer;
  }

  /** Stops every consumer, sends what is queued, then disconnects. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      clearInterval(this.healthTimer);
      this.closing = (async () => {
        await Promise.all([...this.consumers].map((c) => c.stop()));
        await this.batcher.drain();
        await Promise.all([this.producers.close(), this.admins.close()]);
      })();
    }
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closed) throw unavailable('event_log_closed', 'the event log is closed');
  }

  private newProducer(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: PRODUCER_RETRY,
    });
    const current = () => this.producers.peek() === producer && !this.closed;
    producer.on(producer.events.REQUEST_TIMEOUT, () => {
      if (current()) this.producerProblem = 'a produce request timed out';
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (current()) this.producerProblem = 'disconnected';
    });
    return producer;
  }

  /** The connected producer, connecting a new one if needed; keeps `producerProblem` up to date. */
  private async connectedProducer(): Promise<Producer> {
    try {
      const producer = await this.producers.get();
      this.producerProblem = undefined;
      return producer;
    } catch (err) {
      this.producerProblem = describeKafkaError(err);
      throw err;
    }
  }

  /** One produce request (the batcher's `send`): acks from all in-sync replicas, bounded in time. */
  private async send(batches: TopicBatch<Message>[]): Promise<void> {
    let producer: Producer | undefined;
    try {
      producer = await this.connectedProducer();
      const request = producer.sendBatch({ topicMessages: batches, acks: -1, timeout: this.appendTimeoutMs });
      await withTimeout(request, this.appendTimeoutMs, () => new Error(`no acknowledgement within ${this.appendTimeoutMs} ms`));
      this.producerProblem = undefined;
    } catch (err) {
      const e = toChat4AllError(err, 'kafka_unavailable', 'cannot append to Kafka');
      if (e.kind === 'unavailable' && producer) {
        // A new producer (new producer id) for the next send: the failed one's sequence numbers
        // may no longer match what the broker holds.
        this.producerProblem = describeKafkaError(err);
        this.producers.discard(producer);
      }
      throw e;
    }
  }

  private startHealthChecks(): void {
    if (this.healthTimer || this.closed) return;
    this.healthTimer = setInterval(() => void this.probe(), this.healthCheckIntervalMs);
    this.healthTimer.unref();
  }

  /** Asks the cluster for its metadata; when it answers, reconnects a producer that is down. */
  private async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    let admin: Admin | undefined;
    try {
      admin = await this.admins.get();
      const timeoutMs = Math.max(1000, Math.min(5000, this.healthCheckIntervalMs));
      await withTimeout(admin.describeCluster(), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
      this.probeProblem = undefined;
    } catch (err) {
      if (!this.closed) this.probeProblem = `cluster unreachable: ${describeKafkaError(err)}`;
      if (admin) this.admins.discard(admin);
    }
    try {
      // Background reconnection: appends find a connected producer again without paying for it.
      if (this.probeProblem === undefined && this.producerProblem !== undefined && !this.closed) await this.connectedProducer();
    } catch {
      // connectedProducer() recorded why.
    } finally {
      this.probing = false;
    }
  }
}
