import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from './backoff.js';
import { RecentSet } from './recent-set.js';
import { decodeServerFrame, type ClientFrame, type ConnectedFrame, type ServerFrame } from '@chat4all/contract';
import type { NotificationFrame } from './frames.js';

/** What the client reports, in order, through `onEvent`. */
export type ConnectionEvent =
  /** A `connected` frame arrived; `reconnected` is false only for the first one. */
  | { type: 'connected'; frame: ConnectedFrame; reconnected: boolean; since: string | undefined }
  /** A notification, deduplicated: each message, each receipt step and each event id at most once. */
  | { type: 'notification'; frame: NotificationFrame }
  /**
   * Events may have been missed and the gateway cannot replay them (`recovered: false`, or there was
   * no event id to resume from). Read what arrived after `sinceTime` (server time) over HTTP.
   */
  | { type: 'gap'; sinceTime: string | undefined; since: string | undefined; reason: 'not_recovered' | 'no_event_id' }
  /** The connection is down; the next attempt starts in `retryInMs`. */
  | { type: 'reconnecting'; reason: string; closeCode: number | undefined; retryInMs: number; attempt: number }
  /** An `error` frame from the gateway. */
  | { type: 'server_error'; code: string; message: string }
  /** The client gave up for good (or was closed); it does not reconnect after this. */
  | { type: 'stopped'; reason: 'closed' | 'auth' | 'token_expired'; message: string };

export interface NotificationClientOptions {
  /** The gateway, e.g. ws://localhost:8085; `/notifications` is added when the URL has no path. */
  url: string;
  /** The access token (JWT), sent as `?token=` as in the original system. */
  token: string;
  /** Resume after this event id on the first connection. */
  since?: string;
  onEvent: (event: ConnectionEvent) => void;
  backoff?: BackoffOptions;
  /** Checked before each reconnect: an expired token stops the client instead of looping on 1008. */
  isTokenExpired?: () => boolean;
  /** A protocol ping this often; no answer by the next one closes the connection. @default 15000 */
  heartbeatMs?: number;
  /** Bound on the WebSocket handshake. @default 10000 */
  handshakeTimeoutMs?: number;
  /** A connection that stays up this long resets the backoff. @default 5000 */
  stableAfterMs?: number;
  /** How many message ids and event ids to remember for deduplication. @default 10000 */
  dedupeCapacity?: number;
}

/** Close codes of the wire contract. */
export const CloseCode = {
  normal: 1000,
  policy: 1008,
  tooBig: 1009,
  draining: 1012,
  tokenExpired: 4001,
  slowConsumer: 4008,
  rateLimited: 4029,
} as const;

/** After 4029 the next attempt waits at least this long. */
const RATE_LIMITED_FLOOR_MS = 5_000;

/** `ws://host:8085` -> `ws://host:8085/notifications?token=...&since=...`; a URL with a path keeps it. */
export function notificationsUrl(base: string, token: string, since?: string): string {
  const url = new URL(base);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/notifications';
  url.searchParams.set('token', token);
  if (since) url.searchParams.set('since', since);
  else url.searchParams.delete('since');
  return url.href;
}

/**
 * The gateway client: one WebSocket at a time, reconnected with exponential backoff and full jitter,
 * resumed with `since=<last event_id>`, every notification delivered to `onEvent` once.
 *
 * Close codes: 1008 (auth) and 4001 (token expired) stop it; 1012 (draining) reconnects at once,
 * with a little jitter; 4029 (rate limited) waits at least 5 s; anything else backs off.
 */
export class NotificationClient {
  private readonly backoff: Backoff;
  private readonly seen: RecentSet;
  private socket: WebSocket | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private connects = 0;
  private everConnected = false;
  private lastEvent: string | undefined;
  private lastServerTime: string | undefined;
  private alive = true;

  constructor(private readonly options: NotificationClientOptions) {
    this.backoff = new Backoff(options.backoff);
    this.seen = new RecentSet(options.dedupeCapacity ?? 10_000);
    this.lastEvent = options.since;
  }

  /** The id of the last event received: what a new connection resumes from. */
  get lastEventId(): string | undefined {
    return this.lastEvent;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (this.stopped || this.socket) return;
    this.connect();
  }

  /**
   * Claims a message shown by other means (a catch-up read over HTTP): true when it was not seen
   * yet, and from then on the same message arriving as a notification is dropped.
   */
  claim(messageId: string): boolean {
    return this.seen.add(`m:${messageId}`);
  }

  /** Sends a client frame when connected; false when it could not. */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Closes the connection for good; resolves once the socket is closed (at most ~1 s). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stop('closed', 'closed');
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(CloseCode.normal, 'client closing');
    });
  }

  private connect(): void {
    const since = this.lastEvent;
    const socket = new WebSocket(notificationsUrl(this.options.url, this.options.token, since), {
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
    });
    this.socket = socket;
    this.connects++;
    let failure: string | undefined;
    let refusedStatus: number | undefined;
    let heartbeat: NodeJS.Timeout | undefined;

    socket.on('unexpected-response', (_request, response) => {
      refusedStatus = response.statusCode;
      failure = `the gateway refused the connection (HTTP ${response.statusCode})`;
      response.resume();
      socket.terminate();
    });
    socket.on('error', (err) => {
      failure ??= describeSocketError(err);
    });
    socket.on('open', () => {
      this.alive = true;
      heartbeat = setInterval(() => {
        if (!this.alive) {
          failure = 'the gateway stopped answering';
          socket.terminate();
          return;
        }
        this.alive = false;
        socket.ping();
      }, this.options.heartbeatMs ?? 15_000);
    });
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      this.alive = true;
      if (isBinary) return;
      // A frame that is not the contract's (malformed, or of a type this client does not know) is skipped.
      const frame = decodeServerFrame(data.toString());
      if (frame.ok) this.onFrame(frame.value, since);
    });
    socket.on('close', (code, reasonBuffer) => {
      clearInterval(heartbeat);
      if (this.socket === socket) this.socket = undefined;
      if (this.stopped) return;
      const reason = reasonBuffer.toString();
      this.onClose(code === 1006 || code === 1005 ? undefined : code, failure ?? closeReason(code, reason), refusedStatus);
    });
  }

  private onFrame(frame: ServerFrame, since: string | undefined): void {
    switch (frame.type) {
      case 'connected':
        this.onConnected(frame, since);
        return;
      case 'new_message':
      case 'message_status':
        if (this.isDuplicate(frame)) return;
        this.noteServerTime(frame.type === 'new_message' ? frame.created_at : frame.at);
        this.emit({ type: 'notification', frame });
        if (frame.event_id) this.lastEvent = frame.event_id;
        return;
      case 'typing':
      case 'presence':
        this.emit({ type: 'notification', frame });
        return;
      case 'error':
        this.emit({ type: 'server_error', code: frame.code, message: frame.message });
        return;
      case 'pong':
        return;
    }
  }

  private onConnected(frame: ConnectedFrame, since: string | undefined): void {
    const reconnected = this.everConnected;
    const previousServerTime = this.lastServerTime;
    this.everConnected = true;
    this.noteServerTime(frame.server_time);
    this.schedule(() => this.backoff.reset(), this.options.stableAfterMs ?? 5_000);
    this.emit({ type: 'connected', frame, reconnected, since });
    if (since && frame.recovered === false) {
      this.emit({ type: 'gap', sinceTime: reconnected ? previousServerTime : undefined, since, reason: 'not_recovered' });
    } else if (!since && reconnected) {
      // Nothing to resume from: whatever arrived while we were away can only be read over HTTP.
      this.emit({ type: 'gap', sinceTime: previousServerTime, since: undefined, reason: 'no_event_id' });
    }
  }

  private isDuplicate(frame: NotificationFrame & { event_id?: string }): boolean {
    if (frame.event_id && !this.seen.add(`e:${frame.event_id}`)) return true;
    const key = frame.type === 'new_message' ? `m:${frame.message_id}` : frame.type === 'message_status' ? `s:${frame.message_id}:${frame.user_id}:${frame.status}` : undefined;
    return key !== undefined && !this.seen.add(key);
  }

  private onClose(code: number | undefined, reason: string, refusedStatus: number | undefined): void {
    if (code === CloseCode.policy || refusedStatus === 401 || refusedStatus === 403) {
      const expired = this.options.isTokenExpired?.() ?? false;
      this.stop(expired ? 'token_expired' : 'auth', expired ? 'your session has expired' : `the gateway refused your session (${reason})`);
      return;
    }
    if (code === CloseCode.tokenExpired || this.options.isTokenExpired?.()) {
      this.stop('token_expired', 'your session has expired');
      return;
    }
    let delay: number;
    if (code === CloseCode.draining) delay = this.backoff.immediate();
    else if (code === CloseCode.rateLimited) delay = Math.max(RATE_LIMITED_FLOOR_MS, this.backoff.next());
    else delay = this.backoff.next();
    this.emit({ type: 'reconnecting', reason, closeCode: code, retryInMs: delay, attempt: this.backoff.attempt });
    this.clearTimers();
    this.schedule(() => {
      if (!this.stopped && !this.socket) this.connect();
    }, delay);
  }

  private noteServerTime(time: string | undefined): void {
    if (!time || Number.isNaN(Date.parse(time))) return;
    if (!this.lastServerTime || Date.parse(time) > Date.parse(this.lastServerTime)) this.lastServerTime = time;
  }

  private stop(reason: 'closed' | 'auth' | 'token_expired', message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    if (reason !== 'closed') this.socket?.terminate();
    this.emit({ type: 'stopped', reason, message });
  }

  private emit(event: ConnectionEvent): void {
    try {
      this.options.onEvent(event);
    } catch {
      // A listener's failure must not take the connection down.
    }
  }

  private schedule(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function closeReason(code: number, reason: string): string {
  const known: Record<number, string> = {
    [CloseCode.normal]: 'the gateway closed the connection',
    1001: 'the gateway is going away',
    [CloseCode.tooBig]: 'a frame was too big',
    1011: 'the gateway hit an internal error',
    [CloseCode.draining]: 'the gateway is draining',
    [CloseCode.slowConsumer]: 'the connection fell behind (slow consumer)',
    [CloseCode.rateLimited]: 'rate limited by the gateway',
  };
  const text = known[code] ?? (code === 1006 || code === 1005 ? 'the connection was lost' : `closed with code ${code}`);
  return reason ? `${text}: ${reason}` : text;
}

function describeSocketError(err: Error & { code?: string }): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'unknown host';
  if (err.code === 'ECONNRESET') return 'the connection was reset';
  if (/handshake/i.test(err.message)) return 'the handshake timed out';
  return err.message || 'the connection failed';
}
