/** @chat4all/core/memory: The adapters of the embedded default: every port in memory (share one of each per process), and the disk blob store. */
export { MemoryAttachmentStore } from './memory-attachment-store.js';
export { MemoryBroker, MemoryBrokerHub } from './memory-broker.js';
export { MemoryConversationChanges, MemoryConversationChangesHub } from './memory-conversation-changes.js';
export { MemoryConversationStore } from './memory-conversation-store.js';
export { MemoryEventLog, type MemoryEventLogOptions } from './memory-event-log.js';
export { MemoryMessageStore } from './memory-message-store.js';
export { MemoryPresence } from './memory-presence.js';
export { MemoryUserStore } from './memory-user-store.js';
export { MemoryBlobStore, type MemoryBlobStoreOptions } from '../blobs/memory-blob-store.js';
export { DiskBlobStore, type DiskBlobStoreOptions } from '../blobs/disk-blob-store.js';
