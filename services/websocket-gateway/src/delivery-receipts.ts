import { type ReceiptRecord, TOPIC_RECEIPTS, encodeRecord } from '@chat4all/contract';
import type { EventLog } from '@chat4all/core';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';

export interface DeliveryReceiptsOptions {
  eventLog: EventLog;
  logger: Logger;
  now: () => number;
  /** Appends are batched over this window. @default 20 */
  flushMs?: number;
  /** Recently sent (message, user) pairs remembered to send one DELIVERED each; the least recent are forgotten first. @default 50_000 */
  rememberPairs?: number;
  /** Receipts waiting at most; beyond it the oldest are dropped (and counted). @default 20_000 */
  maxQueued?: number;
  /**
   * Receipts per append at most; a larger queue goes out in several appends, one after another.
   * Kafka's client groups a request's records per partition in time quadratic in their number, so
   * one append of a backlog of thousands cost more CPU than the deliveries did. @default 500
   */
  maxPerAppend?: number;
}

/**
 * Sends DELIVERED receipts to the event log, batched, once per (message, recipient) per gateway
 * (the worker ignores repeats anyway). Receipts are best effort: when the log is down they wait,
 * bounded, and are retried; the message itself is never at risk.
 */
export class DeliveryReceipts {
  private readonly recent: LRUCache<string, true>;
  private queue: { key: string; value: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  dropped = 0;

  constructor(private readonly options: DeliveryReceiptsOptions) {
    this.recent = new LRUCache({ max: options.rememberPairs ?? 50_000 });
  }

  delivered(messageId: string, conversationId: string, userId: string): void {
    const pair = `${messageId}:${userId}`;
    if (this.recent.has(pair)) return;
    this.recent.set(pair, true);
    const record: ReceiptRecord = { v: 1, message_id: messageId, conversation_id: conversationId, user_id: userId, status: 'DELIVERED', at: new Date(this.options.now()).toISOString() };
    this.queue.push({ key: conversationId, value: encodeRecord(record) });
    const max = this.options.maxQueued ?? 20_000;
    if (this.queue.length > max) {
      this.dropped += this.queue.length - max;
      this.queue.splice(0, this.queue.length - max);
    }
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 20);
  }

  /** Appends what is queued, in appends of at most `maxPerAppend`; on failure keeps the rest and tries again later. */
  async flush(): Promise<void> {
    this.timer = undefined;
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const max = this.options.maxPerAppend ?? 500;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, max);
        try {
          await this.options.eventLog.append(TOPIC_RECEIPTS, batch);
        } catch (err) {
          this.options.logger.warn({ err, receipts: batch.length }, 'delivery receipts not appended; will retry');
          this.queue = batch.concat(this.queue);
          this.timer ??= setTimeout(() => void this.flush(), 1000);
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.queue.length > 0) this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 20);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
