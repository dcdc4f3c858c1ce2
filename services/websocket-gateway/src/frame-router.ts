import { type ClientFrame, type ErrorFrame, decodeClientFrame } from '@chat4all/contract';
import { type Broker, type ConversationStore, type EventLog, type MessageStore, isChat4AllError, markRead } from '@chat4all/core';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import type { GatewayMetrics } from './metrics.js';

export interface FrameRouterOptions {
  broker: Pick<Broker, 'publishEphemeral'>;
  /** Read only: membership for typing and read frames. */
  conversations: ConversationStore;
  messages: MessageStore;
  /** Where READ receipts go. */
  eventLog: EventLog;
  metrics: Pick<GatewayMetrics, 'clientFrames'>;
  logger: Logger;
  now: () => number;
  /** Typing is relayed at most once per sender and conversation this often. @default 3000 */
  typingIntervalMs?: number;
  /** (sender, conversation) pairs remembered for that; the least recent are forgotten first. @default 100_000 */
  maxTypingPairs?: number;
}

type Handlers = { [T in ClientFrame['type']]: (conn: Connection, frame: Extract<ClientFrame, { type: T }>) => void | Promise<void> };

/**
 * Decodes each frame a client sends and hands it to the handler of its type. A frame that is not
 * JSON text, not a known type or not valid for its type is answered with an `error` frame and
 * changes nothing; so is a handler's refusal (a Chat4AllError, by its code). The connection stays
 * open either way.
 */
export class FrameRouter {
  /** When each (sender, conversation) last relayed typing. */
  private readonly typingSent: LRUCache<string, number>;
  private readonly handlers: Handlers = {
    ping: (conn) => void conn.sendFrame({ type: 'pong' }),
    typing: (conn, frame) => this.typing(conn, frame.conversation_id),
    read: async (conn, frame) => void (await markRead(this.o, conn.userId, frame.message_id, this.o.now())),
    auth: (conn) => this.sendError(conn, 'already_authenticated', 'this connection is authenticated'),
  };

  constructor(private readonly o: FrameRouterOptions) {
    this.typingSent = new LRUCache({ max: o.maxTypingPairs ?? 100_000 });
  }

  /** Handles one client frame; resolves once its handler is done (it never rejects). */
  async route(conn: Connection, data: string, isBinary = false): Promise<void> {
    if (isBinary) return this.sendError(conn, 'binary_frame', 'frames are JSON text');
    const decoded = decodeClientFrame(data);
    if (!decoded.ok) {
      this.o.metrics.clientFrames.inc({ type: 'invalid' });
      return this.sendError(conn, decoded.error.code, decoded.error.message);
    }
    const frame = decoded.value;
    this.o.metrics.clientFrames.inc({ type: frame.type });
    try {
      await (this.handlers[frame.type] as (conn: Connection, frame: ClientFrame) => void | Promise<void>)(conn, frame);
    } catch (err) {
      if (isChat4AllError(err)) return this.sendError(conn, err.code, err.message);
      this.o.logger.error({ err }, 'client frame failed');
      this.sendError(conn, 'internal', 'the frame could not be handled');
    }
  }

  sendError(conn: Connection, code: string, message: string): void {
    const frame: ErrorFrame = { type: 'error', code, message };
    conn.sendFrame(frame);
  }

  /** Relays typing to the other members, at most once per sender and conversation every typingIntervalMs. */
  private async typing(conn: Connection, conversationId: string): Promise<void> {
    const key = `${conn.userId}:${conversationId}`;
    const now = this.o.now();
    const last = this.typingSent.get(key);
    if (last !== undefined && now - last < (this.o.typingIntervalMs ?? 3000)) return;
    // Claim the slot before any await, so frames racing in together relay once.
    this.typingSent.set(key, now);
    const conv = await this.o.conversations.get(conversationId);
    if (!conv?.members.includes(conn.userId)) {
      this.typingSent.delete(key);
      return this.sendError(conn, 'conversation_not_found', 'no such conversation');
    }
    const frame = { type: 'typing' as const, conversation_id: conversationId, user_id: conn.userId };
    await this.o.broker.publishEphemeral(conv.members.filter((m) => m !== conn.userId).map((userId) => ({ userId, frame })));
  }
}
