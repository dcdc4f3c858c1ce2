import type { Backend } from '../domain/health.js';

/** Hears the changes of a ConversationChanges feed. Must not throw. */
export interface ConversationChangeListener {
  /** The conversation's members or admins changed: forget what is remembered of it. */
  changed(conversationId: string): void;
  /**
   * Changes may have been missed (the feed lost its connection and has it back): forget
   * everything remembered of every conversation.
   */
  missed(): void;
}

/**
 * Tells every process (api replicas, gateways) that a conversation's membership changed, so that
 * what they remember of it is dropped at once, not when it would have expired. Delivery is at
 * most once, like pub/sub; a listener that may have missed changes is told so (`missed`), and
 * while `health()` is down it must assume that it is missing them.
 */
export interface ConversationChanges extends Backend {
  /**
   * Sends the change to every listening instance, this one included. Resolves once the feed has
   * taken it (listeners connected then hear it); rejects `unavailable` when it cannot now.
   */
  publish(conversationId: string): Promise<void>;
  /**
   * Sets the one listener of this instance and starts listening. Resolves once changes published
   * after it are heard; rejects `unavailable` when the feed is down, and listens (calling
   * `missed`) as soon as it is back.
   */
  listen(listener: ConversationChangeListener): Promise<void>;
  close(): Promise<void>;
}
