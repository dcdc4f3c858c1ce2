import { unavailable } from '@chat4all/core';

/** The records of one topic in one produce request, in append order. */
export interface TopicBatch<M> {
  topic: string;
  messages: M[];
}

export interface AppendBatcherOptions<M> {
  /** Milliseconds to wait for more appends before sending. */
  linger: number;
  /** An append that is not acknowledged within this time rejects with `unavailable`. */
  timeoutMs: number;
  /** Bytes of records in one request at most (one append larger than this goes alone). */
  maxBatchBytes: number;
  /**
   * Sends one request holding every batch and resolves once all are acknowledged. It must settle
   * in bounded time (the batcher sends one request at a time) and reject with the error to give
   * every caller in the request.
   */
  send(batches: TopicBatch<M>[]): Promise<void>;
}

interface Entry<M> {
  topic: string;
  messages: M[];
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/**
 * Gathers concurrent appends into few produce requests: an append waits `linger` ms for others,
 * then one request carries all of them; while a request is in flight new appends queue up and go
 * together in the next one. Each append's promise settles with the request that carried it, or
 * rejects with `unavailable` when its own deadline passes first (its records may still be written).
 */
export class AppendBatcher<M> {
  private queue: Entry<M>[] = [];
  private sending: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Produce requests sent, and records they carried. */
  readonly stats = { requests: 0, records: 0 };

  constructor(private readonly options: AppendBatcherOptions<M>) {}

  append(topic: string, messages: M[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Entry<M> = { topic, messages, bytes, resolve, reject, timer: undefined, done: false };
      entry.timer = setTimeout(
        () => this.settle(entry, unavailable('kafka_timeout', `records not acknowledged by Kafka within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      this.queue.push(entry);
      this.schedule();
    });
  }

  /** Sends what is queued at once and resolves when nothing is queued or in flight. */
  async drain(): Promise<void> {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      void this.flush();
    }
    if (!this.sending && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.sending || this.lingerTimer || this.queue.length === 0) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      void this.flush();
    }, this.options.linger);
  }

  private async flush(): Promise<void> {
    const batch = this.take();
    if (batch.length > 0) {
      this.sending = this.sendBatch(batch);
      await this.sending;
      this.sending = undefined;
    }
    if (this.queue.length > 0) {
      // These appends waited for the request in flight, at least `linger` already.
      void this.flush();
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Takes the queued appends that fit in one request, dropping those whose deadline passed. */
  private take(): Entry<M>[] {
    this.queue = this.queue.filter((e) => !e.done);
    let count = 0;
    let bytes = 0;
    for (const next of this.queue) {
      if (count > 0 && bytes + next.bytes > this.options.maxBatchBytes) break;
      count++;
      bytes += next.bytes;
    }
    const batch = this.queue.splice(0, count);
    return batch;
  }

  private async sendBatch(batch: Entry<M>[]): Promise<void> {
    const byTopic = new Map<string, M[]>();
    for (const e of batch) {
      const list = byTopic.get(e.topic);
      if (list) list.push(...e.messages);
      else byTopic.set(e.topic, [...e.messages]);
    }
    this.stats.requests++;
    this.stats.records += batch.reduce((n, e) => n + e.messages.length, 0);
    try {
      await this.options.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      for (const e of batch) this.settle(e);
    } catch (err) {
      for (const e of batch) this.settle(e, err);
    }
  }

  private settle(entry: Entry<M>, err?: unknown): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.timer);
    if (err === undefined) entry.resolve();
    else entry.reject(err);
  }
}
