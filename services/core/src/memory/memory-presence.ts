import type { BackendHealth } from '../health.js';
import type { Presence, PresenceConnection } from '../ports/presence.js';

/** Presence in memory: per user, connection ids with their expiry. Share one per process. */
export class MemoryPresence implements Presence {
  readonly backendName = 'memory';
  private readonly users = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

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

  async close(): Promise<void> {}
}
