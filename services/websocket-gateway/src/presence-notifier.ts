import type { PresenceFrame } from '@chat4all/contract';
import { type Broker, type ConversationStore, type EphemeralDelivery, type Presence } from '@chat4all/core';
import { ReadThroughCache } from '@chat4all/core/runtime';
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
  /**
   * Changes falling due within this window are handled together: one presence read, one publish.
   * @default 100
   */
  batchMs?: number;
  /** A user's contacts are remembered this long (as long as the conversation cache trusts an entry). @default 30_000 */
  contactsTtlMs?: number;
  /** Users whose contacts are remembered at most; beyond it the oldest are forgotten. @default 20_000 */
  maxContacts?: number;
}

interface UserState {
  /** When this gateway last told a change of the user. */
  at: number;
  /** Waiting in a batch. */
  due: boolean;
}

/** Contacts' reads in flight at most while a batch is handled. */
const CONTACT_READS = 32;
/** Presence frames per publish at most. */
const FRAMES_PER_PUBLISH = 5000;
/**
 * How long the status last told of a user is remembered (shared by the gateways); past it an
 * unchanged status is told again, which is harmless.
 */
const TOLD_TTL_MS = 86_400_000;

/**
 * Tells a user's contacts (the members of their conversations) when the user comes online or goes
 * offline. Changes are coalesced: at most one event per user per interval, and when the interval
 * ends the event carries the state the user is in then, so a flapping connection yields at most
 * one event per interval and none when it ends where it started.
 *
 * Off the connect path: a change only marks the user due. Users falling due in the same `batchMs`
 * window are handled together, on one timer: one presence read for all of them, their contacts
 * from a bounded cache (read from the store, a few at a time, when missing or older than
 * `contactsTtlMs`), and one publish of all the frames. A connect storm thus costs a few Redis
 * round trips per window rather than a timer, a presence read, a conversation listing and a
 * publish per user.
 */
export class PresenceNotifier {
  private readonly users = new Map<string, UserState>();
  /** Users due, by the end of the batch window they fall in; each window has one timer. */
  private readonly batches = new Map<number, { users: string[]; timer: NodeJS.Timeout }>();
  private readonly contacts: ReadThroughCache<string[]>;
  private readonly intervalMs: number;
  private readonly batchMs: number;

  constructor(private readonly o: PresenceNotifierOptions) {
    this.intervalMs = o.intervalMs ?? 5000;
    this.batchMs = Math.max(1, o.batchMs ?? 100);
    const ttlMs = o.contactsTtlMs ?? 30_000;
    this.contacts = new ReadThroughCache({ ttlMs, maxStaleMs: ttlMs, maxEntries: o.maxContacts ?? 20_000, now: o.now });
  }

  /** The user may have come online or gone offline. */
  changed(userId: string): void {
    let s = this.users.get(userId);
    if (!s) this.users.set(userId, (s = { at: -Infinity, due: false }));
    if (s.due) return;
    s.due = true;
    const now = this.o.now();
    const window = Math.ceil(Math.max(now, s.at + this.intervalMs) / this.batchMs) * this.batchMs;
    const batch = this.batches.get(window);
    if (batch) return void batch.users.push(userId);
    const timer = setTimeout(() => {
      this.batches.delete(window);
      void this.flush(users);
    }, window - now);
    timer.unref();
    const users = [userId];
    this.batches.set(window, { users, timer });
  }

  private async flush(userIds: string[]): Promise<void> {
    for (const u of userIds) this.users.get(u)!.due = false;
    try {
      const online = await this.o.presence.online(userIds);
      // What the contacts were told last is shared by the gateways: a user who went offline through
      // another gateway and came back through this one must be told online again.
      const current = userIds.filter((u) => this.users.has(u)).map((userId) => ({ userId, status: online.has(userId) ? ('online' as const) : ('offline' as const) }));
      const changed = await this.o.presence.announce(current, TOLD_TTL_MS);
      const at = this.o.now();
      for (const { userId } of changed) {
        const s = this.users.get(userId);
        if (s) s.at = at;
      }
      const deliveries: EphemeralDelivery[] = [];
      for (let i = 0; i < changed.length; i += CONTACT_READS) {
        await Promise.all(
          changed.slice(i, i + CONTACT_READS).map(async ({ userId, status }) => {
            const frame: PresenceFrame = { type: 'presence', user_id: userId, status, at: new Date(at).toISOString() };
            try {
              for (const c of await this.contactsOf(userId)) deliveries.push({ userId: c, frame });
            } catch (err) {
              this.o.logger.warn({ err, user_id: userId }, 'presence event not published');
            }
          }),
        );
      }
      for (let i = 0; i < deliveries.length; i += FRAMES_PER_PUBLISH) await this.o.broker.publishEphemeral(deliveries.slice(i, i + FRAMES_PER_PUBLISH));
    } catch (err) {
      this.o.logger.warn({ err, users: userIds.length }, 'presence events not published');
    }
  }

  /** The other members of the user's conversations, remembered for contactsTtlMs. */
  private async contactsOf(userId: string): Promise<string[]> {
    const ids = await this.contacts.get(userId, async () => {
      const convs = await this.o.conversations.listForUser(userId, this.o.maxConversations ?? 500);
      const set = new Set(convs.flatMap((c) => c.members));
      set.delete(userId);
      return [...set];
    });
    return ids ?? [];
  }

  /** Forgets users whose last event is older than the interval (bounds memory; the contacts' cache is bounded by maxContacts). */
  sweep(): void {
    const old = this.o.now() - this.intervalMs;
    for (const [u, s] of this.users) if (!s.due && s.at < old) this.users.delete(u);
  }

  close(): void {
    for (const b of this.batches.values()) clearTimeout(b.timer);
    this.batches.clear();
    this.users.clear();
    this.contacts.clear();
  }
}
