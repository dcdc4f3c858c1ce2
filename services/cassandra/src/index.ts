export { CassandraStores } from './cassandra-stores.js';
export { parseCassandraOptions } from './options.js';
export type { CassandraConsistency, CassandraEnv, CassandraOptions, CassandraReplication, CassandraSerialConsistency } from './options.js';
export { CassandraSession } from './cassandra-session.js';
export { CassandraUserStore } from './cassandra-user-store.js';
export { CassandraConversationStore } from './cassandra-conversation-store.js';
export { CassandraMessageStore } from './cassandra-message-store.js';
export { CassandraAttachmentStore } from './cassandra-attachment-store.js';
