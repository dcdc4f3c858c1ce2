import {
  type Broker,
  type Consumer,
  type ConversationStore,
  type EventLog,
  type LogRecord,
  type MessageStore,
  TOPIC_DEAD_LETTER,
  TOPIC_MESSAGES,
  TOPIC_RECEIPTS,
  decodeMessageRecord,
  decodeReceiptRecord,
} from '@chat4all/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DeadLetterPolicy } from './dead-letter.js';
import { type HandlerDeps, handleMessage, handleReceipt } from './handlers.js';
import { WorkerMetrics } from './metrics.js';

export const CONSUMER_GROUP = 'router-worker';

export interface RouterWorkerOptions {
  eventLog: EventLog;
  conversations: ConversationStore;
  messages: MessageStore;
  broker: Broker;
  logger: Logger;
  registry: Registry;
  /** Attempts of a failing record (other than a backend outage) before it is dead-lettered. @default 5 */
  maxAttempts?: number;
  now?: () => number;
}

/**
 * The router worker: consumes `messages` and `receipts` in group `router-worker`, stores, and
 * fans out through the broker. A batch's offsets are committed only after every record in it
 * was stored and published (or dead-lettered). Records of one conversation are handled in order;
 * different conversations of one batch run concurrently.
 */
export class RouterWorker {
  private consumer: Consumer | undefined;
  private readonly deps: HandlerDeps;
  private readonly policy: DeadLetterPolicy;
  private readonly metrics: WorkerMetrics;
  private readonly now: () => number;

  constructor(private readonly options: RouterWorkerOptions) {
    this.now = options.now ?? Date.now;
    this.deps = { conversations: options.conversations, messages: options.messages, broker: options.broker, now: this.now };
    this.policy = new DeadLetterPolicy(options.eventLog, options.maxAttempts ?? 5, this.now);
    this.metrics = new WorkerMetrics(options.registry, () => this.consumer?.lag() ?? []);
  }

  async start(): Promise<void> {
    await this.options.eventLog.ensureTopics([TOPIC_MESSAGES, TOPIC_RECEIPTS, TOPIC_DEAD_LETTER]);
    this.consumer = await this.options.eventLog.consume({
      group: CONSUMER_GROUP,
      topics: [TOPIC_MESSAGES, TOPIC_RECEIPTS],
      handler: (batch) => this.handleBatch(batch),
    });
    this.options.logger.info({ group: CONSUMER_GROUP }, 'router worker consuming');
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  private async handleBatch(batch: LogRecord[]): Promise<void> {
    const byKey = new Map<string, LogRecord[]>();
    for (const r of batch) {
      const list = byKey.get(r.key);
      if (list) list.push(r);
      else byKey.set(r.key, [r]);
    }
    const results = await Promise.allSettled([...byKey.values()].map((records) => this.handleInOrder(records)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async handleInOrder(records: LogRecord[]): Promise<void> {
    for (const record of records) await this.handleOne(record);
  }

  private async handleOne(record: LogRecord): Promise<void> {
    const started = performance.now();
    try {
      if (record.topic === TOPIC_MESSAGES) {
        const rec = decodeMessageRecord(record.value);
        await handleMessage(this.deps, rec);
        this.metrics.stored(this.now() - Date.parse(rec.created_at));
      } else {
        await handleReceipt(this.deps, decodeReceiptRecord(record.value));
      }
      this.policy.succeeded(record);
      this.metrics.handled(record.topic, 'ok', performance.now() - started);
    } catch (err) {
      this.metrics.handled(record.topic, 'error', performance.now() - started);
      const failure = await this.policy.onError(record, err).catch((retry: unknown) => {
        this.options.logger.warn({ err: retry, topic: record.topic, partition: record.partition, offset: record.offset }, 'record failed; will retry');
        throw retry;
      });
      this.metrics.deadLettered(record.topic, failure.code);
      this.options.logger.error(
        { topic: record.topic, partition: record.partition, offset: record.offset, code: failure.code, attempts: failure.attempts },
        `record dead-lettered: ${failure.message}`,
      );
    }
  }
}
