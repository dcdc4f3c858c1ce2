import type { Broker, ConversationStore, Presence, PresenceFrame } from '@chat4all/core';
import type { Logger } from 'pino';

export interface PresenceNotifierOptions {
  presence: Presence;
  conversations: ConversationStore;
  broker: Broker;
  logger: Logger;
  now: () => number;
  /** At most one presence event per user every this long. @default 5000 */
  intervalMs?: number;
  /** Conversations read to find a user's contacts. @default 500 */
  maxConversations?: number;
}

interface UserState {
  published?: PresenceFrame['status'];
  at: number;
  timer?: NodeJS.Timeout;
}

/**
 * Tells a user's contacts (the members of their conversations) when the user comes online or goes
 * offline. Changes are coalesced: at most one event per user per interval, and when the interval
 * ends the event carries the state the user is in then, so a flapping connection yields at most
 * one event per interval and none when it ends where it started.
 */
export class PresenceNotifier {
  private readonly users = new Map<string, UserState>();
  private readonly intervalMs: number;

  constructor(private readonly o: PresenceNotifierOptions) {
    this.intervalMs = o.intervalMs ?? 5000;
  }

  /** The user may have come online or gone offline. */
  changed(userId: string): void {
    let s = this.users.get(userId);
    if (!s) this.users.set(userId, (s = { at: -Infinity }));
    if (s.timer) return;
    const wait = s.at + this.intervalMs - this.o.now();
    const state = s;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.flush(userId, state);
    }, Math.max(0, wait));
    state.timer.unref();
  }

  private async flush(userId: string, s: UserState): Promise<void> {
    try {
      const online = await this.o.presence.online([userId]);
      const status: PresenceFrame['status'] = online.has(userId) ? 'online' : 'offline';
      if (status === s.published) return;
      s.published = status;
      s.at = this.o.now();
      const convs = await this.o.conversations.listForUser(userId, this.o.maxConversations ?? 500);
      const contacts = new Set(convs.flatMap((c) => c.members));
      contacts.delete(userId);
      const frame: PresenceFrame = { type: 'presence', user_id: userId, status, at: new Date(s.at).toISOString() };
      await this.o.broker.publishEphemeral([...contacts].map((c) => ({ userId: c, frame })));
    } catch (err) {
      this.o.logger.warn({ err, user_id: userId }, 'presence event not published');
    }
  }

  /** Forgets users whose last event is older than the interval (bounds memory). */
  sweep(): void {
    const old = this.o.now() - this.intervalMs;
    for (const [u, s] of this.users) if (!s.timer && s.at < old) this.users.delete(u);
  }

  close(): void {
    for (const s of this.users.values()) clearTimeout(s.timer);
    this.users.clear();
  }
}
