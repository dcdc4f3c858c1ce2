import type { Broker } from '@chat4all/core';
import type { Connection } from './connection.js';
import type { GatewayMetrics } from './metrics.js';

export interface ConnectionRegistryOptions {
  broker: Pick<Broker, 'subscribe' | 'unsubscribe'>;
  metrics: Pick<GatewayMetrics, 'connectionsActive' | 'subscribedUsers'>;
}

/** The connections of one user here, and the subscribe they all wait on. */
interface UserEntry {
  readonly connections: Set<Connection>;
  /** The user's one subscribe: every connect of the user while it is in flight waits on it. */
  subscribed: Promise<void>;
  /** The subscribe failed: the next connect of the user tries again. */
  failed: boolean;
}

const ignore = (): void => {};

/**
 * The connections of this gateway by user, and the broker subscriptions that follow them: a user
 * is subscribed while at least one of their devices is connected here, and only then.
 *
 * One subscribe per user is in flight however many devices connect at once: the first connect
 * starts it, the others wait on the same promise. The last device leaving unsubscribes; the
 * unsubscribe waits for a subscribe still in flight (else the subscribe could land after it and
 * leave the user subscribed with nobody here), and a connect arriving while an unsubscribe is in
 * flight subscribes again only once the unsubscribe is done (else the unsubscribe could land
 * after it and leave a connected user unsubscribed).
 */
export class ConnectionRegistry {
  private readonly users = new Map<string, UserEntry>();
  /** Unsubscribes in flight, by user; they never reject. */
  private readonly leaving = new Map<string, Promise<void>>();
  private count = 0;

  constructor(private readonly o: ConnectionRegistryOptions) {}

  /** Connections registered, subscribed or still waiting for their subscribe. */
  get size(): number {
    return this.count;
  }

  /** Users with at least one connection here. */
  get userCount(): number {
    return this.users.size;
  }

  /** Connections of `userId` here. */
  countOf(userId: string): number {
    return this.users.get(userId)?.connections.size ?? 0;
  }

  /** The connections of `userId` here, if any. Not to be changed: use add and remove. */
  connectionsOf(userId: string): ReadonlySet<Connection> | undefined {
    return this.users.get(userId)?.connections;
  }

  /** Every connection, user by user. Safe to iterate across awaits: connections may come and go meanwhile. */
  *[Symbol.iterator](): Iterator<Connection> {
    for (const entry of this.users.values()) yield* entry.connections;
  }

  /**
   * Registers `conn` at once (it counts towards its user's limit from now on) and resolves once its
   * user is subscribed. Rejects when the subscribe fails; the connection stays registered until
   * `remove`, as every connection does.
   */
  add(conn: Connection): Promise<void> {
    const userId = conn.userId;
    let entry = this.users.get(userId);
    if (!entry) {
      entry = { connections: new Set(), subscribed: Promise.resolve(), failed: false };
      this.users.set(userId, entry);
      this.o.metrics.subscribedUsers.set(this.users.size);
      entry.subscribed = this.subscribe(userId, entry);
    } else if (entry.failed) {
      entry.failed = false;
      entry.subscribed = this.subscribe(userId, entry);
    }
    if (!entry.connections.has(conn)) {
      entry.connections.add(conn);
      this.count++;
      this.o.metrics.connectionsActive.set(this.count);
    }
    return entry.subscribed;
  }

  private async subscribe(userId: string, entry: UserEntry): Promise<void> {
    const leaving = this.leaving.get(userId);
    if (leaving) await leaving;
    try {
      await this.o.broker.subscribe([userId]);
    } catch (err) {
      entry.failed = true;
      throw err;
    }
  }

  /**
   * Unregisters `conn`; when it was its user's last, unsubscribes the user and resolves once that
   * is done (rejecting if it failed). Does nothing for a connection not registered.
   */
  remove(conn: Connection): Promise<void> {
    const userId = conn.userId;
    const entry = this.users.get(userId);
    if (!entry?.connections.delete(conn)) return Promise.resolve();
    this.count--;
    this.o.metrics.connectionsActive.set(this.count);
    if (entry.connections.size > 0) return Promise.resolve();
    this.users.delete(userId);
    this.o.metrics.subscribedUsers.set(this.users.size);
    const unsubscribed = entry.subscribed.then(ignore, ignore).then(() => this.o.broker.unsubscribe([userId]));
    const settled: Promise<void> = unsubscribed.then(ignore, ignore).then(() => {
      if (this.leaving.get(userId) === settled) this.leaving.delete(userId);
    });
    this.leaving.set(userId, settled);
    return unsubscribed;
  }
}
