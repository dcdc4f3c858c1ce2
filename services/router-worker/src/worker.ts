import { TOPIC_DEAD_LETTER, TOPIC_MESSAGES, TOPIC_RECEIPTS } from '@chat4all/contract';
import { type Broker, type Consumer, type ConversationStore, type EventDelivery, type EventLog, type LogRecord, type MessageStore } from '@chat4all/core';
import { type BoundedMap, boundedMap } from '@chat4all/core/runtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DeadLetterPolicy } from './dead-letter.js';
import { type HandlerDeps, storeMessage, storeReceipt } from './handlers.js';
import { decodeMessageRecord, decodeReceiptRecord } from './records.js';
import { WorkerMetrics } from './metrics.js';

export const CONSUMER_GROUP = 'router-worker';

/** Records of one conversation being stored at once, ahead of the one being published. */
export const STORE_WINDOW = 32;
/** Messages this worker stored whose sender and conversation it remembers, for their receipts. */
const KNOWN_MESSAGES_MAX = 100_000;

/** What storing a record came to: the events to publish, or the error to handle. */
type Stored = { ok: true; deliveries: EventDelivery[]; createdAt?: string; started: number } | { ok: false; err: unknown; started: number };

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
 * was stored and published (or dead-lettered).
 *
 * Different conversations of one batch run concurrently. Within a conversation, up to
 * STORE_WINDOW records are stored at once (the writes are idempotent and commute: ids are
 * time-ordered, receipts and activity keep the earliest / newest time), and their events are
 * published strictly in record order, so clients see a conversation's events in the order the
 * api accepted them. A conversation's members (nothing else of it) are read once per batch and
 * its activity written once per batch; a receipt of a message this worker stored needs no read
 * of the message.
 */
export class RouterWorker {
  private consumer: Consumer | undefined;
  private readonly policy: DeadLetterPolicy;
  private readonly metrics: WorkerMetrics;
  private readonly now: () => number;
  /** message_id -> what its receipts need (immutable once stored); least recently used out first. */
  private readonly known: BoundedMap<string, { conversation_id: string; sender_id: string }> = boundedMap({ max: KNOWN_MESSAGES_MAX });

  constructor(private readonly options: RouterWorkerOptions) {
    this.now = options.now ?? Date.now;
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
    const deps = this.batchDeps();
    const byKey = new Map<string, LogRecord[]>();
    for (const r of batch) {
      const list = byKey.get(r.key);
      if (list) list.push(r);
      else byKey.set(r.key, [r]);
    }
    const results = await Promise.allSettled([...byKey.values()].map((records) => this.handleInOrder(deps, records)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await deps.flush();
  }

  /**
   * The stores as the handlers of one batch see them: each conversation's members read at most once (the
   * records were fetched together), and its activity written once, with the newest time, when
   * the batch is done (before its offsets are committed).
   */
  private batchDeps(): HandlerDeps & { flush: () => Promise<void> } {
    const { conversations, messages } = this.options;
    const read = new Map<string, Promise<string[] | undefined>>();
    const activity = new Map<string, string>();
    return {
      messages,
      now: this.now,
      knownMessage: (id) => this.known.get(id),
      flush: async () => {
        await Promise.all([...activity].map(([id, at]) => conversations.touch(id, at)));
      },
      conversations: {
        members: (id) => {
          let p = read.get(id);
          if (!p) {
            p = conversations.members(id);
            read.set(id, p);
            p.catch(() => read.delete(id));
          }
          return p;
        },
        touch: async (id, at) => {
          const seen = activity.get(id);
          if (seen === undefined || Date.parse(at) > Date.parse(seen)) activity.set(id, at);
        },
      },
    };
  }

  /**
   * Stores up to STORE_WINDOW records ahead and publishes (or dead-letters) them in order: the
   * records stored by the time their turn comes go out together, in one publish (one round trip).
   */
  private async handleInOrder(deps: HandlerDeps, records: LogRecord[]): Promise<void> {
    const stored: Promise<Stored>[] = [];
    const settled: Stored[] = [];
    const fill = (upTo: number) => {
      while (stored.length < Math.min(upTo, records.length)) {
        const i = stored.length;
        stored.push(this.store(deps, records[i]!).then((s) => (settled[i] = s)));
      }
    };
    fill(STORE_WINDOW);
    for (let i = 0; i < records.length; ) {
      const first = await stored[i]!;
      let end = i + 1;
      if (first.ok) while (end < stored.length && settled[end]?.ok) end++;
      if (end - i === 1) await this.finish(records[i]!, first);
      else await this.finishRun(records.slice(i, end), settled.slice(i, end) as Extract<Stored, { ok: true }>[]);
      i = end;
      fill(i + STORE_WINDOW);
    }
  }

  /** Publishes the events of consecutive stored records at once; when that fails, one by one. */
  private async finishRun(records: LogRecord[], results: Extract<Stored, { ok: true }>[]): Promise<void> {
    try {
      await this.options.broker.publish(results.flatMap((r) => r.deliveries));
    } catch (err) {
      this.options.logger.debug({ err }, 'publishing a run of records failed; publishing them one by one');
      for (let i = 0; i < records.length; i++) await this.finish(records[i]!, results[i]!);
      return;
    }
    for (let i = 0; i < records.length; i++) this.succeeded(records[i]!, results[i]!);
  }

  private remember(messageId: string, rec: { conversation_id: string; sender_id: string }): void {
    this.known.set(messageId, { conversation_id: rec.conversation_id, sender_id: rec.sender_id });
  }

  /** Never rejects: a failure is handed to `finish`, in order. */
  private async store(deps: HandlerDeps, record: LogRecord): Promise<Stored> {
    const started = performance.now();
    try {
      if (record.topic === TOPIC_MESSAGES) {
        const rec = decodeMessageRecord(record.value);
        const deliveries = await storeMessage(deps, rec);
        if (deliveries.length > 0) this.remember(rec.message_id, rec);
        return { ok: true, deliveries, createdAt: rec.created_at, started };
      }
      return { ok: true, deliveries: await storeReceipt(deps, decodeReceiptRecord(record.value)), started };
    } catch (err) {
      return { ok: false, err, started };
    }
  }

  private succeeded(record: LogRecord, stored: Extract<Stored, { ok: true }>): void {
    if (stored.createdAt !== undefined) this.metrics.stored(this.now() - Date.parse(stored.createdAt));
    this.policy.succeeded(record);
    this.metrics.handled(record.topic, 'ok', performance.now() - stored.started);
  }

  private async finish(record: LogRecord, stored: Stored): Promise<void> {
    let err = stored.ok ? undefined : stored.err;
    if (stored.ok) {
      try {
        if (stored.deliveries.length > 0) await this.options.broker.publish(stored.deliveries);
        this.succeeded(record, stored);
        return;
      } catch (publishErr) {
        err = publishErr;
      }
    }
    this.metrics.handled(record.topic, 'error', performance.now() - stored.started);
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
