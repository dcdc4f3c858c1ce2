import { EventEmitter } from 'node:events';
import { type Broker, randomId } from '@chat4all/core';
import { type TokenClaims, TokenService } from '@chat4all/core/auth';
import { MemoryBroker, MemoryBrokerHub, MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore } from '@chat4all/core/memory';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import { CatchUp } from '../src/catch-up.js';
import { Connection, type ConnectionEnv } from '../src/connection.js';
import { ConnectionRegistry } from '../src/connection-registry.js';
import { FrameRouter } from '../src/frame-router.js';
import { Heartbeat } from '../src/heartbeat.js';
import { GatewayMetrics } from '../src/metrics.js';
import { PresenceNotifier } from '../src/presence-notifier.js';
import { Sessions } from '../src/sessions.js';

export const silentLogger = pino({ level: 'silent' });

/** In-memory backends for a gateway (or its roles) under test; `hub` is what publishers share. */
export function memoryBackends(hub = new MemoryBrokerHub()) {
  return {
    hub,
    tokens: new TokenService({ secret: 'a-test-secret-that-is-at-least-32-bytes' }),
    users: new MemoryUserStore(),
    broker: new MemoryBroker(hub),
    presence: new MemoryPresence(),
    eventLog: new MemoryEventLog(),
    conversations: new MemoryConversationStore(),
    messages: new MemoryMessageStore(),
    logger: silentLogger,
  };
}

/** What a socket was asked to send: the data as given and whether as a binary frame. */
export interface Sent {
  data: unknown;
  binary: boolean;
}

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * Stands in for a ws socket: an EventEmitter with ws's send, close, ping, terminate and readyState.
 * Each send is recorded with ws's own rule for the frame's opcode. `close` only starts the
 * handshake and `peerClosed` ends it; `terminate` ends it at once. Both then emit `close` as ws
 * does, `terminate`'s on a microtask since ws emits it asynchronously.
 */
export class FakeSocket extends EventEmitter {
  readyState = OPEN;
  readonly sent: Sent[] = [];
  readonly closes: number[] = [];
  readonly counts = { pings: 0, terminated: 0 };
  /** Answers each ping with a pong, as a live client's WebSocket library does. */
  answersPings = false;

  constructor(public bufferedAmount = 0) {
    super();
  }

  send(data: unknown, options?: { binary?: boolean } | ((err?: Error) => void), cb?: (err?: Error) => void): void {
    const opts = typeof options === 'object' ? options : {};
    this.sent.push({ data, binary: opts.binary ?? typeof data !== 'string' });
    (typeof options === 'function' ? options : cb)?.();
  }

  close(code: number): void {
    this.closes.push(code);
    if (this.readyState === OPEN) this.readyState = CLOSING;
  }

  terminate(): void {
    this.counts.terminated++;
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    queueMicrotask(() => this.emit('close', 1006, Buffer.alloc(0)));
  }

  ping(): void {
    this.counts.pings++;
    if (this.answersPings) queueMicrotask(() => this.emit('pong', Buffer.alloc(0)));
  }

  /** The peer ends the close handshake (or drops the connection) with `code`. */
  peerClosed(code = 1000): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.emit('close', code, Buffer.alloc(0));
  }

  /** The client sends `frame`, as text (JSON unless it is a string already) or as a binary frame. */
  receive(frame: unknown, isBinary = false): void {
    this.emit('message', Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)), isBinary);
  }

  /** The frames sent, parsed. */
  frames(): { type: string; [k: string]: any }[] {
    return this.sent.map((s) => JSON.parse(String(s.data)));
  }

  /** This fake as the code under test sees it. */
  get socket(): WebSocket {
    return this as unknown as WebSocket;
  }
}

/** A fake socket and what it records. */
export function fakeSocket(bufferedAmount = 0) {
  const ws = new FakeSocket(bufferedAmount);
  return { ws, sent: ws.sent, closes: ws.closes, counts: ws.counts };
}

/** What the connections of a test share, their metrics in `registry`; DELIVERED receipts are collected in `delivered` as `message:user`. */
export function connectionEnv(overrides: Partial<ConnectionEnv> = {}) {
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);
  const delivered: string[] = [];
  const env: ConnectionEnv = {
    metrics,
    now: () => Date.now(),
    maxBufferedBytes: 1000,
    maxHeld: 10_000,
    delivered: (messageId, _conversationId, userId) => void delivered.push(`${messageId}:${userId}`),
    ...overrides,
  };
  return { env, registry, metrics, delivered };
}

/** A connection of `userId` on a fake socket, expiring in an hour unless told otherwise. */
export function connection(env: ConnectionEnv, userId = randomId(), options: { bufferedAmount?: number; expiresAt?: number } = {}) {
  const ws = new FakeSocket(options.bufferedAmount);
  const conn = new Connection(ws.socket, randomId(), userId, options.expiresAt ?? Date.now() + 3_600_000, env);
  return { ws, conn };
}

/** The claims of a valid token of `userId`. */
export function claims(userId: string, expiresInSeconds = 3600): TokenClaims {
  const now = Math.floor(Date.now() / 1000);
  return { userId, username: `u-${userId.slice(0, 8)}`, issuedAt: now, expiresAt: now + expiresInSeconds };
}

export interface RolesOptions {
  broker?: Broker;
  maxHeld?: number;
  maxBufferedBytes?: number;
  heartbeatMs?: number;
}

/**
 * The gateway's roles on memory backends, composed as the gateway composes them, without HTTP:
 * `open` hands a fake socket to the sessions as an authenticated upgrade would.
 */
export function gatewayRoles(options: RolesOptions = {}) {
  const b = memoryBackends();
  const broker = options.broker ?? b.broker;
  const { env, registry, metrics, delivered } = connectionEnv({ maxBufferedBytes: options.maxBufferedBytes ?? 1000, maxHeld: options.maxHeld ?? 10_000 });
  const now = env.now;
  const logger = silentLogger;
  const notifier = new PresenceNotifier({ presence: b.presence, conversations: b.conversations, broker, logger, now });
  const connections = new ConnectionRegistry({ broker, metrics });
  const catchUp = new CatchUp({ broker, metrics, logger, now });
  const router = new FrameRouter({ ...b, broker, metrics, logger, now });
  const sessions = new Sessions({
    registry: connections,
    catchUp,
    router,
    presence: b.presence,
    presenceNotifier: notifier,
    presenceTtlMs: 60_000,
    env,
    metrics,
    logger,
    now,
    connectionFrames: { perSecond: 10, burst: 20 },
    userFrames: { perSecond: 20, burst: 40 },
  });
  broker.setListener(
    (userId, payload) => sessions.onBrokerMessage(userId, payload),
    () => void catchUp.resume(connections),
  );
  const heartbeat = new Heartbeat({ connections, presence: b.presence, metrics, logger, now, periodMs: options.heartbeatMs ?? 15_000, afterSweep: () => notifier.sweep() });
  /** Opens a session of `userId` on `ws` (a new fake socket by default); resolves the socket once it is live or refused. */
  const open = async (userId: string, since?: string, ws = new FakeSocket()) => {
    await sessions.open(ws.socket, claims(userId), since);
    return ws;
  };
  return { ...b, broker, env, registry, metrics, delivered, connections, catchUp, router, sessions, heartbeat, notifier, open };
}
