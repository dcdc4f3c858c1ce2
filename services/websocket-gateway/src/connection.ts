import type { TokenBucket, peekEvent } from '@chat4all/core';
import type { WebSocket } from 'ws';

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
 * A payload on its way to connections: its event read once and, when it goes to more than one
 * connection, its bytes encoded once (a Buffer every socket writes as it is, as a text frame).
 */
export interface Outgoing {
  data: string | Buffer;
  ev: ReturnType<typeof peekEvent>;
}

/**
 * One client connection. Kept small: a gateway holds many thousands of them. While a connection
 * catches up, live payloads wait in `pending` so none is lost or sent ahead of the replay.
 */
export class Connection {
  alive = true;
  pending: Outgoing[] | null = null;
  closed = false;
  /** The last event delivered, to catch up from if the broker missed some. */
  lastEventId: string | undefined;
  /** Made on the first client frame: idle connections carry no limiter. */
  frames: TokenBucket | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly id: string,
    readonly userId: string,
    /** Token expiry, Unix ms. */
    readonly expiresAt: number,
  ) {}

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 5000).unref();
  }
}
