import { MemoryBroker, MemoryBrokerHub, MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore, TokenService } from '@chat4all/core';
import pino from 'pino';

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
