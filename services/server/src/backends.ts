import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttachmentStore, type BlobStore, type Broker, type ConversationChanges, type ConversationStore, type EventLog, type MessageStore, type Presence, type UserStore } from '@chat4all/core';
import { DiskBlobStore, MemoryAttachmentStore, MemoryBroker, MemoryBrokerHub, MemoryConversationChanges, MemoryConversationChangesHub, MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore } from '@chat4all/core/memory';
import type { ServerConfig } from './config.js';

/**
 * The adapters one process runs on. Brokers and change feeds are made per user (a gateway needs
 * its own broker listener, every conversation cache its own change listener).
 */
export interface Backends {
  /** `memory` for the embedded default, else the real technologies in use. */
  readonly kind: string;
  users: UserStore;
  conversations: ConversationStore;
  messages: MessageStore;
  eventLog: EventLog;
  presence: Presence;
  /** Attachments' records and bytes (docs/attachments.md). */
  attachments: AttachmentStore;
  blobs: BlobStore;
  newBroker(): Broker;
  newConversationChanges(): ConversationChanges;
  close(): Promise<void>;
}

/**
 * In-memory adapters: the whole platform in one process, state lost on restart. Attachments' bytes
 * go to a directory on disk (ATTACHMENTS_DIR, else a temporary one, made on first use and removed
 * at close, since the records that name them are lost then too).
 */
export function memoryBackends(config: Pick<ServerConfig, 'historyMaxEvents' | 'historyTtlSeconds' | 'attachmentsDir'>): Backends {
  const hub = new MemoryBrokerHub({ maxEvents: config.historyMaxEvents, ttlMs: config.historyTtlSeconds * 1000 });
  const eventLog = new MemoryEventLog();
  const brokers: Broker[] = [];
  const changesHub = new MemoryConversationChangesHub();
  const feeds: ConversationChanges[] = [];
  const presence = new MemoryPresence();
  const temporary = config.attachmentsDir === undefined ? join(tmpdir(), `chat4all-attachments-${process.pid}-${Date.now().toString(36)}`) : undefined;
  const blobs = new DiskBlobStore({ directory: config.attachmentsDir ?? temporary! });
  return {
    kind: 'memory',
    users: new MemoryUserStore(),
    conversations: new MemoryConversationStore(),
    messages: new MemoryMessageStore(),
    eventLog,
    presence,
    attachments: new MemoryAttachmentStore(),
    blobs,
    newBroker() {
      const b = new MemoryBroker(hub);
      brokers.push(b);
      return b;
    },
    newConversationChanges() {
      const f = new MemoryConversationChanges(changesHub);
      feeds.push(f);
      return f;
    },
    async close() {
      await eventLog.close();
      await Promise.all([...brokers, ...feeds].map((b) => b.close()));
      await presence.close();
      await blobs.close();
      if (temporary) await rm(temporary, { recursive: true, force: true });
    },
  };
}
