import type { Backend } from '../health.js';

export interface PresenceConnection {
  userId: string;
  connectionId: string;
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
  close(): Promise<void>;
}
