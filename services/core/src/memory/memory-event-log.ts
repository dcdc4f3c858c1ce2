import { Chat4AllError, unavailable } from '../domain/errors.js';
import type { BackendHealth } from '../domain/health.js';
import type { AppendRecord, ConsumeOptions, Consumer, ConsumerLag, EventLog, LogRecord } from '../ports/event-log.js';

export interface MemoryEventLogOptions {
  /** Partitions of each topic. @default 4 */
  partitions?: number;
  /** Records handed to one handler call at most. @default 100 */
  maxBatch?: number;
}

function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/**
 * The event log in memory: topics of partitions, a committed offset per group and partition,
 * redelivery with backoff after a handler failure. State lives in this object only. One active
 * consumer per group at a time (a second one in the same group is refused).
 */
export class MemoryEventLog implements EventLog {
  readonly backendName = 'memory';
  private readonly partitions: number;
  private readonly maxBatch: number;
  private readonly topics = new Map<string, LogRecord[][]>();
  private readonly commits = new Map<string, number>();
  private readonly activeGroups = new Set<string>();
  private readonly consumers = new Set<MemoryConsumer>();
  private wakers = new Set<() => void>();
  private closed = false;

  constructor(options: MemoryEventLogOptions = {}) {
    this.partitions = options.partitions ?? 4;
    this.maxBatch = options.maxBatch ?? 100;
  }

  health(): BackendHealth {
    return this.closed ? { status: 'down', detail: 'closed' } : { status: 'up' };
  }

  async ensureTopics(topics: string[]): Promise<void> {
    for (const t of topics) this.topic(t);
  }

  async append(topic: string, records: AppendRecord[]): Promise<void> {
    if (this.closed) throw unavailable('event_log_closed', 'the event log is closed');
    const parts = this.topic(topic);
    for (const r of records) {
      const p = partitionOf(r.key, this.partitions);
      const log = parts[p]!;
      log.push({ topic, partition: p, offset: String(log.length), key: r.key, value: Buffer.from(r.value), headers: { ...r.headers } });
    }
    this.wake();
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw unavailable('event_log_closed', 'the event log is closed');
    if (this.activeGroups.has(options.group)) {
      throw new Chat4AllError('conflict', 'group_busy', `group ${options.group} already has a consumer in this process`);
    }
    this.activeGroups.add(options.group);
    const consumer = new MemoryConsumer(this, options, () => {
      this.activeGroups.delete(options.group);
      this.consumers.delete(consumer);
    });
    this.consumers.add(consumer);
    for (const t of options.topics) {
      for (let p = 0; p < this.partitions; p++) consumer.start(t, p);
    }
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.closed = true;
  }

  /** @internal */
  topic(name: string): LogRecord[][] {
    let parts = this.topics.get(name);
    if (!parts) {
      parts = Array.from({ length: this.partitions }, () => []);
      this.topics.set(name, parts);
    }
    return parts;
  }

  /** @internal */
  committed(group: string, topic: string, partition: number): number {
    return this.commits.get(`${group}\0${topic}\0${partition}`) ?? 0;
  }

  /** @internal */
  commit(group: string, topic: string, partition: number, next: number): void {
    this.commits.set(`${group}\0${topic}\0${partition}`, next);
  }

  /** @internal */
  batchSize(): number {
    return this.maxBatch;
  }

  /** @internal Resolves at the next append (or wake). */
  nextAppend(): Promise<void> {
    return new Promise((resolve) => this.wakers.add(resolve));
  }

  /** @internal */
  wake(): void {
    const w = this.wakers;
    this.wakers = new Set();
    for (const f of w) f();
  }
}

class MemoryConsumer implements Consumer {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly stopSignal: Promise<void>;
  private signalStop: () => void = () => {};

  constructor(
    private readonly log: MemoryEventLog,
    private readonly options: ConsumeOptions,
    private readonly onStop: () => void,
  ) {
    this.stopSignal = new Promise((resolve) => (this.signalStop = resolve));
  }

  private readonly held: { topic: string; partition: number }[] = [];

  start(topic: string, partition: number): void {
    this.held.push({ topic, partition });
    this.loops.push(this.run(topic, partition));
  }

  lag(): ConsumerLag[] {
    return this.held.map(({ topic, partition }) => ({
      topic,
      partition,
      lag: this.log.topic(topic)[partition]!.length - this.log.committed(this.options.group, topic, partition),
    }));
  }

  private async run(topic: string, partition: number): Promise<void> {
    const { group, handler } = this.options;
    const base = this.options.retryDelayMs ?? 100;
    const max = this.options.maxRetryDelayMs ?? 5000;
    let delay = base;
    while (!this.stopped) {
      const records = this.log.topic(topic)[partition]!;
      const from = this.log.committed(group, topic, partition);
      if (from >= records.length) {
        await this.log.nextAppend();
        continue;
      }
      const batch = records.slice(from, from + this.log.batchSize());
      try {
        await handler(batch);
        this.log.commit(group, topic, partition, from + batch.length);
        delay = base;
      } catch {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise((r) => (timer = setTimeout(r, delay))), this.stopSignal]);
        clearTimeout(timer);
        delay = Math.min(delay * 2, max);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.signalStop();
    this.log.wake();
    await Promise.all(this.loops);
    this.onStop();
  }
}
