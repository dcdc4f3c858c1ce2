import type { AttachmentStore, ConversationStore, MessageStore, UserStore } from '@chat4all/core';
import { CassandraAttachmentStore } from './cassandra-attachment-store.js';
import { CassandraConversationStore } from './cassandra-conversation-store.js';
import { CassandraMessageStore } from './cassandra-message-store.js';
import { CassandraSession } from './cassandra-session.js';
import { CassandraUserStore } from './cassandra-user-store.js';
import type { CassandraOptions } from './options.js';

/**
 * The Cassandra stores over one shared session (one connection pool). Construction does no
 * I/O and never fails on an unreachable cluster: see `connect()`. Each store is also a Backend
 * (`backendName` 'cassandra') reporting the session's health.
 */
export class CassandraStores {
  readonly users: UserStore;
  readonly conversations: ConversationStore;
  readonly messages: MessageStore;
  readonly attachments: AttachmentStore;
  private readonly session: CassandraSession;

  constructor(options: CassandraOptions) {
    this.session = new CassandraSession(options);
    this.users = new CassandraUserStore(this.session);
    this.conversations = new CassandraConversationStore(this.session);
    this.messages = new CassandraMessageStore(this.session);
    this.attachments = new CassandraAttachmentStore(this.session);
  }

  /**
   * Connects, creates the keyspace when missing and applies the pending migrations; resolves once
   * the stores are usable. One bounded attempt: on failure it rejects (`unavailable` when the
   * cluster cannot be reached) and keeps retrying in the background, so a caller may ignore the
   * rejection; until then operations reject `unavailable` and health is down.
   */
  connect(): Promise<void> {
    return this.session.connect();
  }

  /** Stops background retries and closes every connection. */
  close(): Promise<void> {
    return this.session.close();
  }
}
