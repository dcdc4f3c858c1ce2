import {
  type Broker,
  type ConversationStore,
  type EventLog,
  type MessageStore,
  type Presence,
  type UserStore,
  MemoryBroker,
  MemoryBrokerHub,
  MemoryConversationStore,
  MemoryEventLog,
  MemoryMessageStore,
  MemoryPresence,
  MemoryUserStore,
} from '@chat4all/core';
import type { ServerConfig } from './config.js';

/** The adapters one process runs on. Brokers are made per user (a gateway needs its own listener). */
export interface Backends {
  /** `memory` for the embedded default, else the real technologies in use. */
  readonly kind: string;
  users: UserStore;
  conversations: ConversationStore;
  messages: MessageStore;
  eventLog: EventLog;
  presence: Presence;
  newBroker(): Broker;
  close(): Promise<void>;
}

/** In-memory adapters: the whole platform in one process, state lost on restart. */
export function memoryBackends(config: Pick<ServerConfig, 'historyMaxEvents' | 'historyTtlSeconds'>): Backends {
  const hub = new MemoryBrokerHub({ maxEvents: config.historyMaxEvents, ttlMs: config.historyTtlSeconds * 1000 });
  const eventLog = new MemoryEventLog();
  const brokers: Broker[] = [];
  const presence = new MemoryPresence();
  return {
    kind: 'memory',
    users: new MemoryUserStore(),
    conversations: new MemoryConversationStore(),
    messages: new MemoryMessageStore(),
    eventLog,
    presence,
    newBroker() {
      const b = new MemoryBroker(hub);
      brokers.push(b);
      return b;
    },
    async close() {
      await eventLog.close();
      await Promise.all(brokers.map((b) => b.close()));
      await presence.close();
    },
  };
}
