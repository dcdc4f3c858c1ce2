import { LRUCache } from 'lru-cache';
import { shellAdvice, type Advice } from './advice.js';
import type { ApiClient } from './api-client.js';
import type { BackoffOptions } from './backoff.js';
import { readMissedMessages } from './catch-up.js';
import { ConnectionStatus } from './connection-status.js';
import type { Directory } from './directory.js';
import { NotificationClient, type ConnectionEvent } from './notifications.js';
import { formatNotification, formatTime, messageSummary, type Output } from './output.js';
import type { NewMessageFrame, NotificationFrame } from './frames.js';

/** In text mode, how often "X is typing" may be shown for one person in one conversation. */
const TYPING_LINE_EVERY_MS = 10_000;

export interface LiveFeedOptions {
  websocketUrl: string;
  token: string;
  /** Resume after this event id. */
  since?: string;
  api: ApiClient;
  directory: Directory;
  output: Output;
  isTokenExpired: () => boolean;
  /** Called once when the feed stops for good; `reason` tells why (the feed prints nothing about it). */
  onStopped?: (reason: 'closed' | 'auth' | 'token_expired', message: string) => void;
  backoff?: BackoffOptions;
  /** Where to point people for what the feed could not show. @default shellAdvice */
  advice?: Pick<Advice, 'history'>;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Live notifications on an Output: the gateway client's events turned into lines, in order (names
 * are looked up between events, so events wait in a queue), plus the HTTP catch-up after a gap.
 *
 * With --json, stdout gets one JSON object per notification (the server's frame as is; a message
 * read over HTTP after a gap has the shape of a `new_message` frame with `"catch_up": true` and no
 * event_id); connection status lines go to stderr either way.
 */
export class LiveFeed {
  private readonly client: NotificationClient;
  private queue: Promise<void> = Promise.resolve();
  private readonly status: ConnectionStatus;
  private readonly now: () => number;
  private readonly advice: Pick<Advice, 'history'>;
  private readonly ownPending = new Map<string, number>();
  /** Messages this program is marking read, whose READ echo is not shown (the latest thousand). */
  private readonly ownReads = new LRUCache<string, true>({ max: 1_000 });
  /** When each person's typing in each conversation was last shown (the latest thousand). */
  private readonly typingShown = new LRUCache<string, number>({ max: 1_000 });

  constructor(private readonly options: LiveFeedOptions) {
    this.now = options.now ?? Date.now;
    this.advice = options.advice ?? shellAdvice;
    this.status = new ConnectionStatus(options.directory.me.username, options.websocketUrl, this.now);
    this.client = new NotificationClient({
      url: options.websocketUrl,
      token: options.token,
      ...(options.since ? { since: options.since } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      isTokenExpired: options.isTokenExpired,
      onEvent: (event) => {
        this.queue = this.queue.then(() => this.handle(event)).catch((err: unknown) => this.options.output.warn(`could not show a notification: ${(err as Error).message}`));
      },
    });
  }

  get lastEventId(): string | undefined {
    return this.client.lastEventId;
  }

  start(): void {
    this.options.output.info(`connecting to notifications at ${this.options.websocketUrl}…`);
    this.client.start();
  }

  /**
   * Announces a message this program is about to send: its echo (the gateway sends my messages to
   * all my devices, this one too) is not shown. Call before sending: the echo can beat the answer.
   */
  expectOwn(conversationId: string, content: string): void {
    const now = this.now();
    for (const [key, at] of this.ownPending) if (now - at > 60_000) this.ownPending.delete(key);
    this.ownPending.set(`${conversationId}\n${content}`, now);
  }

  /** Remembers a message I sent, so its receipts can name it. */
  rememberMessage(messageId: string, content: string): void {
    this.options.directory.rememberMessage(messageId, content, this.options.directory.me.user_id);
  }

  /** Announces that this program is marking `messageId` read: the READ echo on my devices is not shown here. */
  expectOwnRead(messageId: string): void {
    this.ownReads.set(messageId, true);
  }

  /** Tells the others in `conversationId` that I am typing (dropped when offline). */
  typing(conversationId: string): void {
    this.client.send({ type: 'typing', conversation_id: conversationId });
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.queue;
  }

  private async handle(event: ConnectionEvent): Promise<void> {
    const { output } = this.options;
    const status = this.status.line(event);
    if (status?.tone === 'warn') output.warn(status.text);
    else if (status) output.info(status.tone === 'ok' ? output.paintErr.paint('green', status.text) : status.text);
    switch (event.type) {
      case 'notification':
        await this.show(event.frame);
        return;
      case 'gap':
        await this.catchUp(event.sinceTime ?? eventIdTime(event.since), event.since, event.reason === 'not_recovered');
        return;
      case 'server_error':
        output.warn(`the gateway reported ${event.code}: ${event.message}`);
        return;
      case 'stopped':
        this.options.onStopped?.(event.reason, event.message);
        return;
      default:
        return;
    }
  }

  private async show(frame: NotificationFrame): Promise<void> {
    const { output, directory } = this.options;
    if (frame.type === 'new_message') {
      directory.rememberMessage(frame.message_id, messageSummary(frame), frame.sender_id);
      if (frame.sender_id === directory.me.user_id && this.ownPending.delete(`${frame.conversation_id}\n${frame.content}`)) return;
    }
    if (frame.type === 'message_status' && frame.user_id === directory.me.user_id && this.ownReads.delete(frame.message_id)) return;
    if (output.json) {
      output.data(frame);
      return;
    }
    if (frame.type === 'typing') {
      // One "is typing" line per person and conversation every few seconds, however often it comes.
      const key = `${frame.user_id}:${frame.conversation_id}`;
      const now = this.now();
      if (now - (this.typingShown.get(key) ?? -Infinity) < TYPING_LINE_EVERY_MS) return;
      this.typingShown.set(key, now);
    }
    output.line(formatNotification(frame, await directory.names(frame), output.paint));
  }

  /** Reads over HTTP what was missed; `loud` says so even when nothing was (the gateway lost events). */
  private async catchUp(sinceTime: string | undefined, since: string | undefined, loud: boolean): Promise<void> {
    const { output } = this.options;
    if (!sinceTime) {
      output.warn(`the gateway could not replay the events after ${since ?? 'the given event id'}: ${this.advice.history()}`);
      return;
    }
    if (loud) output.warn(`the gateway could not replay everything missed; reading messages since ${formatTime(sinceTime)} over HTTP…`);
    try {
      const { messages, truncated } = await readMissedMessages(this.options.api, sinceTime);
      let shown = 0;
      for (const m of messages) {
        if (!this.client.claim(m.message_id)) continue;
        const frame: NewMessageFrame = {
          type: 'new_message',
          message_id: m.message_id,
          conversation_id: m.conversation_id,
          sender_id: m.sender_id,
          content: m.content,
          ...(m.attachments?.length ? { attachments: m.attachments } : {}),
          created_at: m.created_at,
          catch_up: true,
        };
        await this.show(frame);
        shown++;
      }
      if (loud || shown > 0 || truncated) {
        output.info(`caught up over HTTP: ${shown} message${shown === 1 ? '' : 's'} missed while offline${truncated ? ` (older ones skipped: ${this.advice.history()})` : ''}`);
      }
    } catch (err) {
      output.warn(`some messages may have been missed while offline and could not be read (${(err as Error).message}): ${this.advice.history()}`);
    }
  }
}

/**
 * The time an event id was published at, when it has the `<unix ms>-<sequence>` shape the servers
 * use; undefined otherwise. Event ids are opaque by contract: this is only a best-effort starting
 * point for the HTTP catch-up after `listen --since` met `recovered: false`.
 */
export function eventIdTime(eventId: string | undefined): string | undefined {
  const match = eventId ? /^(\d{12,15})-\d{1,15}$/.exec(eventId) : null;
  return match ? new Date(Number(match[1])).toISOString() : undefined;
}
