import { LRUCache } from 'lru-cache';
import type { BackendHealth } from '../domain/health.js';
import type { Presence, PresenceChange, PresenceConnection } from '../ports/presence.js';

/** Users whose last told status is remembered at most; a forgotten one is told again (harmless). */
const ANNOUNCED_MAX = 100_000;

/** Presence in memory: per user, connection ids with their expiry. Share one per process. */
export class MemoryPresence implements Presence {
  readonly backendName = 'memory';
  private readonly users = new Map<string, Map<string, number>>();
  private readonly announced: LRUCache<string, { status: PresenceChange['status']; until: number }>;

  constructor(private readonly now: () => number = Date.now) {
    this.announced = new LRUCache({ max: ANNOUNCED_MAX });
  }

  health(): BackendHealth {
    return { status: 'up' };
  }

  private live(userId: string): Map<string, number> | undefined {
    const conns = this.users.get(userId);
    if (!conns) return undefined;
    const now = this.now();
    for (const [id, exp] of conns) if (exp <= now) conns.delete(id);
    if (conns.size === 0) {
      this.users.delete(userId);
      return undefined;
    }
    return conns;
  }

  async connect(conn: PresenceConnection, ttlMs: number): Promise<{ wasOnline: boolean }> {
    const before = this.live(conn.userId);
    const wasOnline = before !== undefined;
    const conns = before ?? new Map<string, number>();
    conns.set(conn.connectionId, this.now() + ttlMs);
    this.users.set(conn.userId, conns);
    return { wasOnline };
  }

  async disconnect(conn: PresenceConnection): Promise<{ stillOnline: boolean }> {
    this.live(conn.userId)?.delete(conn.connectionId);
    return { stillOnline: this.live(conn.userId) !== undefined };
  }

  async refresh(conns: PresenceConnection[], ttlMs: number): Promise<void> {
    const exp = this.now() + ttlMs;
    for (const c of conns) {
      const m = this.live(c.userId);
      if (m?.has(c.connectionId)) m.set(c.connectionId, exp);
    }
  }

  async online(userIds: string[]): Promise<Set<string>> {
    return new Set(userIds.filter((u) => this.live(u) !== undefined));
  }

  async announce(changes: PresenceChange[], ttlMs: number): Promise<PresenceChange[]> {
    const now = this.now();
    const told: PresenceChange[] = [];
    for (const c of changes) {
      const before = this.announced.get(c.userId);
      this.announced.set(c.userId, { status: c.status, until: now + ttlMs });
      if (before === undefined || before.until <= now || before.status !== c.status) told.push(c);
    }
    return told;
  }

  async close(): Promise<void> {}
}
