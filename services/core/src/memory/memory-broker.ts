import { encodeEventBody, eventPayload } from '@chat4all/contract';
import type { BackendHealth } from '../domain/health.js';
import type { Broker, BrokerListener, EphemeralDelivery, EventDelivery, HistoryResult, HistoryRetention } from '../ports/broker.js';

interface UserHistory {
  events: { id: string; payload: string }[];
  lastMs: number;
  lastSeq: number;
  expiresAt: number;
}

/**
 * The channels and histories that in-memory brokers share: one hub per process stands for one
 * Redis, and each gateway of the process has a broker of its own on it.
 */
export class MemoryBrokerHub {
  readonly subscribers = new Map<string, Set<MemoryBroker>>();
  readonly histories = new Map<string, UserHistory>();
  readonly retention: HistoryRetention;
  /** Published payloads per user channel that reached at least one subscriber: for tests. */
  delivered = 0;

  constructor(retention: Partial<HistoryRetention> = {}, readonly now: () => number = Date.now) {
    this.retention = { maxEvents: retention.maxEvents ?? 1000, ttlMs: retention.ttlMs ?? 86_400_000 };
  }

  history(userId: string): UserHistory | undefined {
    const h = this.histories.get(userId);
    if (h && h.expiresAt <= this.now()) {
      this.histories.delete(userId);
      return undefined;
    }
    return h;
  }

  append(userId: string, bodyJson: string): string {
    const now = this.now();
    let h = this.history(userId);
    if (!h) {
      h = { events: [], lastMs: 0, lastSeq: 0, expiresAt: 0 };
      this.histories.set(userId, h);
    }
    if (now > h.lastMs) {
      h.lastMs = now;
      h.lastSeq = 0;
    } else {
      h.lastSeq += 1;
    }
    const id = `${h.lastMs}-${h.lastSeq}`;
    const payload = eventPayload(id, bodyJson);
    h.events.push({ id, payload });
    if (h.events.length > this.retention.maxEvents) h.events.splice(0, h.events.length - this.retention.maxEvents);
    h.expiresAt = now + this.retention.ttlMs;
    this.send(userId, payload);
    return id;
  }

  send(userId: string, payload: string): void {
    const subs = this.subscribers.get(userId);
    if (!subs || subs.size === 0) return;
    this.delivered += 1;
    for (const b of subs) b.deliver(userId, payload);
  }
}

/** A broker on a MemoryBrokerHub. Live delivery happens on a microtask after publish. */
export class MemoryBroker implements Broker {
  readonly backendName = 'memory';
  private listener: BrokerListener = () => {};
  private readonly subscribed = new Set<string>();
  private closed = false;

  constructor(readonly hub: MemoryBrokerHub = new MemoryBrokerHub()) {}

  health(): BackendHealth {
    return this.closed ? { status: 'down', detail: 'closed' } : { status: 'up' };
  }

  async publish(deliveries: EventDelivery[]): Promise<string[]> {
    return deliveries.map((d) => this.hub.append(d.userId, encodeEventBody(d.body)));
  }

  async publishEphemeral(deliveries: EphemeralDelivery[]): Promise<void> {
    for (const d of deliveries) this.hub.send(d.userId, JSON.stringify(d.frame));
  }

  setListener(listener: BrokerListener): void {
    this.listener = listener;
  }

  async subscribe(userIds: string[]): Promise<void> {
    for (const u of userIds) {
      if (this.subscribed.has(u)) continue;
      this.subscribed.add(u);
      let set = this.hub.subscribers.get(u);
      if (!set) this.hub.subscribers.set(u, (set = new Set()));
      set.add(this);
    }
  }

  async unsubscribe(userIds: string[]): Promise<void> {
    for (const u of userIds) {
      if (!this.subscribed.delete(u)) continue;
      const set = this.hub.subscribers.get(u);
      set?.delete(this);
      if (set?.size === 0) this.hub.subscribers.delete(u);
    }
  }

  async latestEventId(userId: string): Promise<string | undefined> {
    return this.hub.history(userId)?.events.at(-1)?.id;
  }

  async history(userId: string, since: string, limit: number): Promise<HistoryResult> {
    const h = this.hub.history(userId);
    const at = h ? h.events.findIndex((e) => e.id === since) : -1;
    if (!h || at < 0) return { events: [], recovered: false };
    return { events: h.events.slice(at + 1, at + 1 + limit).map((e) => e.payload), recovered: true };
  }

  /** @internal called by the hub */
  deliver(userId: string, payload: string): void {
    queueMicrotask(() => {
      if (!this.closed && this.subscribed.has(userId)) this.listener(userId, payload);
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe([...this.subscribed]);
    this.closed = true;
  }
}
