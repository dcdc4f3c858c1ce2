import type { Backend } from '../domain/health.js';

export interface PresenceConnection {
  userId: string;
  connectionId: string;
}

/** A user's presence as their contacts are told it. */
export interface PresenceChange {
  userId: string;
  status: 'online' | 'offline';
}

/**
 * Who is online. A user is online while at least one of their connections, on any gateway, is
 * registered and not expired. Registrations expire after `ttlMs` unless refreshed, so a gateway
 * that dies without saying so does not leave its users online.
 */
export interface Presence extends Backend {
  /** Registers a connection for `ttlMs`. Resolves whether the user was already online before it. */
  connect(conn: PresenceConnection, ttlMs: number): Promise<{ wasOnline: boolean }>;
  /** Removes a connection (idempotent). Resolves whether the user is still online after it. */
  disconnect(conn: PresenceConnection): Promise<{ stillOnline: boolean }>;
  /** Extends the expiry of registered connections by `ttlMs` from now (one batch, a heartbeat). */
  refresh(conns: PresenceConnection[], ttlMs: number): Promise<void>;
  /** The subset of `userIds` that is online now. */
  online(userIds: string[]): Promise<Set<string>>;
  /**
   * Claims the telling of each change: records its status as the one last told for its user (kept
   * `ttlMs`) and resolves the changes whose status differs from the one told before by any gateway.
   * Those, and only those, are to be told, so a user who went offline through one gateway and came
   * back through another is announced online again, and a change is told once however many
   * gateways see it. Atomic per user.
   */
  announce(changes: PresenceChange[], ttlMs: number): Promise<PresenceChange[]>;
  close(): Promise<void>;
}
