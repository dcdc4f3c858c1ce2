import type { EphemeralFrame, EventBody } from '@chat4all/contract';
import type { Backend } from '../domain/health.js';

export interface EventDelivery {
  userId: string;
  body: EventBody;
}

export interface EphemeralDelivery {
  userId: string;
  frame: EphemeralFrame;
}

export interface HistoryResult {
  /** Event payloads after `since`, oldest first (each with its event_id). */
  events: string[];
  /**
   * True when `since` is still in the retained history, so `events` is everything the user
   * missed; false when it is not (trimmed, expired or lost in a failover): the client must
   * re-read history over HTTP. `events` may then be empty.
   */
  recovered: boolean;
}

export interface HistoryRetention {
  /** Events kept per user. @default 1000 */
  maxEvents: number;
  /** How long a user's history lives after its last event. @default 86_400_000 (24 h) */
  ttlMs: number;
}

/** Receives every payload published to a user this broker is subscribed to. Must not throw. */
export type BrokerListener = (userId: string, payload: string) => void;

/**
 * Per-user notification channels (`notifications:{user_id}`) with a retained, ordered history for
 * catch-up. Live delivery is at most once (pub/sub is fire-and-forget); history fills the gaps.
 */
export interface Broker extends Backend {
  /**
   * For each delivery: appends the event to the user's history, assigning an `event_id`, and
   * publishes the payload (`eventPayload(event_id, body)`) to the user's channel. The append and
   * the publish are one atomic step per user, so live order and history order agree and event
   * ids of one user only increase. Resolves the event ids, in delivery order.
   */
  publish(deliveries: EventDelivery[]): Promise<string[]>;
  /** Publishes frames to users' channels without keeping them in history (typing, presence). */
  publishEphemeral(deliveries: EphemeralDelivery[]): Promise<void>;
  /**
   * Sets the one listener of this broker instance (the gateway's dispatcher). `onResubscribed`
   * is called after the adapter lost its connection and restored every subscription, once history
   * can be read again (or after a bounded wait): payloads published in between may have been
   * missed, and the listener should catch up from history, retrying reads that still fail.
   */
  setListener(listener: BrokerListener, onResubscribed?: () => void): void;
  /**
   * Subscribes this instance to the users' channels. Once it resolves, every later publish to
   * those users reaches the listener. Idempotent; calls close together are sent as one batch.
   * Subscriptions survive reconnections of the underlying client.
   */
  subscribe(userIds: string[]): Promise<void>;
  /** Unsubscribes (idempotent, batched). Publishes after it resolves no longer reach the listener. */
  unsubscribe(userIds: string[]): Promise<void>;
  /**
   * The id of the user's newest retained event, or undefined when the history is empty. A
   * connection that starts without `since` remembers it, so it can catch up from there if the
   * broker later loses its subscription.
   */
  latestEventId(userId: string): Promise<string | undefined>;
  /** The user's events after `since`, oldest first, at most `limit` (then `recovered` reflects only what was returned). */
  history(userId: string, since: string, limit: number): Promise<HistoryResult>;
  close(): Promise<void>;
}
