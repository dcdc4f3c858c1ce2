import type { Backend } from '../domain/health.js';
import type { Attachment } from '../domain/model.js';

/** Attachments' records (never their bytes: those are in a BlobStore under the attachment id). */
export interface AttachmentStore extends Backend {
  /** Stores a new attachment. Idempotent by id: a repeat changes nothing. */
  create(attachment: Attachment): Promise<void>;
  get(attachmentId: string): Promise<Attachment | undefined>;
  /**
   * Records that the bytes are stored and checked: state `ready`, `ready_at` set the first time.
   * Idempotent; resolves the attachment as it now is, undefined when there is none.
   */
  markReady(attachmentId: string, at: string): Promise<Attachment | undefined>;
  /**
   * Records that the attachment went out with a message, so it is kept past `expires_at` and no
   * longer listed by `expired`. Idempotent; `sent_at` keeps its first value.
   */
  markSent(attachment: Attachment, at: string): Promise<void>;
  /** Up to `limit` attachments never sent whose `expires_at` is before `before`, oldest expiry first. */
  expired(before: string, limit: number): Promise<Attachment[]>;
  /** Removes the record (after its bytes). Idempotent. */
  remove(attachment: Attachment): Promise<void>;
}
