import { MemoryBroker, MemoryBrokerHub, MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore, TokenService } from '@chat4all/core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DeliveryReceipts } from '../src/delivery-receipts.js';
import { Dispatcher } from '../src/dispatcher.js';
import { GatewayMetrics } from '../src/metrics.js';
import { PresenceNotifier } from '../src/presence-notifier.js';

export const silentLogger = pino({ level: 'silent' });

/** In-memory backends for a gateway (or a dispatcher) under test; `hub` is what publishers share. */
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
interface Sent {
  data: unknown;
  binary: boolean;
}

/** Stands in for a ws socket: records each send with ws's own rule for the frame's opcode. */
export function fakeSocket(bufferedAmount = 0) {
  const sent: Sent[] = [];
  const closes: number[] = [];
  const counts = { pings: 0, terminated: 0 };
  const ws = {
    bufferedAmount,
    send(data: unknown, options?: { binary?: boolean } | (() => void), cb?: (err?: Error) => void) {
      const opts = typeof options === 'object' ? options : {};
      sent.push({ data, binary: opts.binary ?? typeof data !== 'string' });
      (typeof options === 'function' ? options : cb)?.();
    },
    close(code: number) {
      closes.push(code);
    },
    terminate() {
      counts.terminated++;
    },
    ping() {
      counts.pings++;
    },
  };
  return { ws, sent, closes, counts };
}

/** A dispatcher on memory backends, its metrics in `registry`. */
export function dispatcher() {
  const b = memoryBackends();
  const { broker, presence, eventLog, conversations } = b;
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);
  const now = () => Date.now();
  const d = new Dispatcher({
    ...b,
    metrics,
    receipts: new DeliveryReceipts({ eventLog, logger: silentLogger, now }),
    presenceNotifier: new PresenceNotifier({ presence, conversations, broker, logger: silentLogger, now }),
    now,
    presenceTtlMs: 60_000,
    maxBufferedBytes: 1000,
  });
  return { d, registry };
}
