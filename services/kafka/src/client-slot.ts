import { unavailable } from '@chat4all/core';
import { describeKafkaError, withTimeout } from './kafka-errors.js';

/** What a kafkajs producer and admin have in common. */
export interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Holds one connected kafkajs client and replaces it when it fails: `get()` connects a new one on
 * first use or after `discard()`, with a bounded wait; callers share one connection attempt. A
 * failed client is thrown away rather than repaired, so every reconnection starts clean (for the
 * idempotent producer: a new producer id, no stale sequence numbers).
 */
export class ClientSlot<T extends Connectable> {
  private current: { client: T; ready: Promise<T> } | undefined;
  /** The connection attempt of each client made, so a discarded client is disconnected only after it. */
  private readonly attempts = new WeakMap<T, Promise<void>>();
  private closed = false;
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly name: string,
    private readonly create: () => T,
    private readonly connectTimeoutMs: number,
  ) {}

  /** The connected client; rejects with `unavailable` when it cannot connect within the timeout. */
  get(): Promise<T> {
    if (this.closed) return Promise.reject(unavailable('event_log_closed', 'the event log is closed'));
    if (this.current) return this.current.ready;
    const client = this.create();
    const attempt = client.connect();
    this.attempts.set(client, attempt.catch(() => {}));
    const timedOut = () => new Error(`connecting timed out after ${this.connectTimeoutMs} ms`);
    const ready = withTimeout(attempt, this.connectTimeoutMs, timedOut).then(
      () => {
        if (this.current?.client !== client) throw unavailable('kafka_unavailable', `the Kafka ${this.name} was dropped while connecting`);
        return client;
      },
      (err: unknown) => {
        this.discard(client);
        throw unavailable('kafka_unavailable', `cannot connect the Kafka ${this.name}: ${describeKafkaError(err)}`, err);
      },
    );
    this.current = { client, ready };
    return ready;
  }

  /** The client when one is connected or connecting. */
  peek(): T | undefined {
    return this.current?.client;
  }

  /** Drops `client` (when it is still the current one) and disconnects it in the background. */
  discard(client: T): void {
    if (this.current?.client === client) this.current = undefined;
    const attempt = this.attempts.get(client) ?? Promise.resolve();
    const p: Promise<void> = attempt
      .then(() => client.disconnect())
      .catch(() => {})
      .finally(() => this.closing.delete(p));
    this.closing.add(p);
  }

  /** Disconnects the current client and waits for every disconnection under way. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.current;
    if (c) this.discard(c.client);
    await Promise.all([...this.closing]);
  }
}
