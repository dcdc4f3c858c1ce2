import { type Notification, isEvent } from '@chat4all/contract';
import { compareEventIds } from '@chat4all/core';
import { type RateLimit, TokenBucket } from '@chat4all/core/runtime';
import type { WebSocket } from 'ws';
import type { GatewayMetrics } from './metrics.js';

/** Close codes of the wire contract. */
export const CLOSE = {
  normal: 1000,
  auth: 1008,
  tooBig: 1009,
  draining: 1012,
  tokenExpired: 4001,
  slowConsumer: 4008,
  rateLimited: 4029,
} as const;

/**
 * A payload on its way to connections: decoded once by the contract (`ev`, typed) and, when it goes
 * to more than one connection, its bytes encoded once (a Buffer every socket writes as it is, as a
 * text frame). `data` is the payload as published, `ev` what it says.
 */
export interface Outgoing {
  data: string | Buffer;
  ev: Notification;
}

/**
 * Where a connection is in its life. Only the connection moves itself from one to the next:
 *
 *   authenticated ──► catching-up ──► live ──► draining ──► closed
 *                          ▲           │
 *                          └───────────┘  (the broker lost its subscription: catch up again)
 *
 * Any state but closed may go to draining (a close was asked: the handshake is under way, nothing
 * more is sent) or straight to closed (the socket closed, or was terminated).
 */
export type ConnectionState = 'authenticated' | 'catching-up' | 'live' | 'draining' | 'closed';

/** What every connection of a gateway shares: one object for all, so each connection holds a single reference. */
export interface ConnectionEnv {
  metrics: GatewayMetrics;
  /** Bytes a socket may have waiting to be written; past them the connection is closed with 4008. */
  maxBufferedBytes: number;
  /** Live payloads a connection holds while it catches up; past them it is closed with 1012. */
  maxHeld: number;
  /** A new_message from someone else was written to `userId`'s socket: it is delivered. */
  delivered(messageId: string, conversationId: string, userId: string): void;
  now(): number;
}

/** A peer that never answers the close handshake must not hold its socket longer than this. */
const CLOSE_TIMEOUT_MS = 5000;
/** ws.send options for a payload encoded once: its Buffer goes out as a text frame. */
const TEXT = { binary: false } as const;

/**
 * One client connection: its state, what it holds while it catches up, and every write to its
 * socket (so backpressure is decided in one place). Other modules ask it to change; they never
 * set its fields. Kept small: a gateway holds many thousands of them.
 */
export class Connection {
  private current: ConnectionState = 'authenticated';
  /** Whether the peer was heard from since the last ping. */
  private answered = true;
  /** Live payloads waiting for the catch-up to end; null when not catching up. */
  private held: Outgoing[] | null = null;
  /** The last event written, to catch up from if the broker misses some. */
  private last: string | undefined;
  /** Made on the first client frame: idle connections carry no limiter. */
  private frames: TokenBucket | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly id: string,
    readonly userId: string,
    /** Token expiry, Unix ms. */
    readonly expiresAt: number,
    private readonly env: ConnectionEnv,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** False once a close was asked or the socket closed: nothing more is written. */
  get isOpen(): boolean {
    return this.current !== 'draining' && this.current !== 'closed';
  }

  /** The id of the last event written to the socket. */
  get lastEventId(): string | undefined {
    return this.last;
  }

  /** Live payloads held by a catch-up in progress. */
  get heldCount(): number {
    return this.held?.length ?? 0;
  }

  /** Whether the peer answered (or sent anything) since the last ping. */
  get responsive(): boolean {
    return this.answered;
  }

  /** The peer is alive: it answered a ping or sent a frame. */
  heard(): void {
    this.answered = true;
  }

  /** Pings the peer, which has until the next ping to be heard from. */
  ping(): void {
    this.answered = false;
    this.ws.ping();
  }

  /** Spends one frame of this connection's budget; false when it is spent. */
  spendFrame(limit: RateLimit, now: () => number): boolean {
    this.frames ??= new TokenBucket(limit, now);
    return this.frames.take();
  }

  /**
   * Starts holding live payloads until `finishCatchUp`. From `authenticated` (a new connection) or
   * `live` (the broker lost its subscription); false in any other state, so a connection closing
   * or already catching up is left alone.
   */
  startCatchUp(): boolean {
    if (this.current !== 'authenticated' && this.current !== 'live') return false;
    this.current = 'catching-up';
    this.held = [];
    return true;
  }

  /**
   * Where a catch-up starts from when the connection has received no event yet (the newest event
   * of its user when it connected). Only while catching up, before anything was written.
   */
  startFrom(eventId: string | undefined): void {
    if (this.current === 'catching-up' && this.last === undefined) this.last = eventId;
  }

  /**
   * A payload for this connection's user. Written when live; held while catching up, up to the
   * env's `maxHeld`, beyond which the connection is closed with 1012 (retryable: its client
   * reconnects with the last event id it got and catches up again, so nothing is lost and the
   * gateway's memory stays bounded). Dropped in any other state.
   */
  push(out: Outgoing): void {
    if (this.current === 'live') return this.deliver(out);
    if (this.current !== 'catching-up' || !this.held) return;
    if (this.held.length >= this.env.maxHeld) return this.close(CLOSE.draining, 'missed events; reconnect');
    this.held.push(out);
  }

  /**
   * Ends a catch-up: writes `replay` (the events missed, oldest first), then the held payloads
   * that are not already in it, in the order they came, and goes live. Event ids only increase,
   * so a held event no newer than the last one written is a duplicate and skipped; payloads
   * without an id (typing, presence) are never skipped.
   */
  finishCatchUp(replay: readonly Outgoing[]): void {
    if (this.current !== 'catching-up') return;
    let newest: string | undefined;
    for (const out of replay) {
      if (isEvent(out.ev)) newest = out.ev.event_id;
      this.deliver(out);
    }
    const held = this.held ?? [];
    this.held = null;
    for (const out of held) {
      if (isEvent(out.ev)) {
        if (newest !== undefined && compareEventIds(out.ev.event_id, newest) <= 0) continue;
        newest = out.ev.event_id;
      }
      this.deliver(out);
    }
    // A write above may have closed it (a slow consumer): then it stays closing.
    if (this.current === 'catching-up') this.current = 'live';
  }

  /** Writes an event; once written, a new_message from someone else is reported delivered. */
  private deliver({ data, ev }: Outgoing): void {
    const ack =
      ev.type === 'new_message' && ev.sender_id !== this.userId
        ? (err?: Error | null) => {
            if (!err) this.env.delivered(ev.message_id, ev.conversation_id, this.userId);
          }
        : undefined;
    if (!this.send(data, ev.type, ack)) return;
    if (isEvent(ev)) this.last = ev.event_id;
    if (ev.type === 'new_message') this.env.metrics.deliveryLatency.observe(Math.max(0, this.env.now() - Date.parse(ev.created_at)) / 1000);
  }

  /** Writes a frame the gateway made (connected, error, pong), counted under its type. */
  sendFrame(frame: { type: string }): boolean {
    return this.send(JSON.stringify(frame), frame.type);
  }

  /**
   * Writes one frame, counted as `type`. A peer that does not read (more than maxBufferedBytes
   * waiting to be written) is closed with 4008 instead: its buffer would otherwise grow without
   * bound. `written` is called once the frame is written (with an error if it was not).
   */
  send(payload: string | Buffer, type: string, written?: (err?: Error | null) => void): boolean {
    if (!this.isOpen) return false;
    if (this.ws.bufferedAmount > this.env.maxBufferedBytes) {
      this.env.metrics.connectionErrors.inc({ reason: 'slow_consumer' });
      this.close(CLOSE.slowConsumer, 'slow consumer');
      return false;
    }
    this.ws.send(payload, TEXT, written);
    this.env.metrics.frameSent(type);
    return true;
  }

  /** Starts the close handshake (draining); the socket is terminated if the peer never answers it. */
  close(code: number, reason: string): void {
    if (!this.isOpen) return;
    this.current = 'draining';
    this.held = null;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_TIMEOUT_MS).unref();
  }

  /** Drops the socket without a handshake (a peer that stopped answering). */
  terminate(): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.held = null;
    this.ws.terminate();
  }

  /** The socket closed: the end of the connection's life. */
  socketClosed(): void {
    this.current = 'closed';
    this.held = null;
  }
}
