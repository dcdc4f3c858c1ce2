import type { BackendHealth } from '../domain/health.js';
import type { Attachment } from '../domain/model.js';
import type { AttachmentStore } from '../ports/attachment-store.js';

/** Attachments' records in memory. */
export class MemoryAttachmentStore implements AttachmentStore {
  readonly backendName = 'memory';
  private readonly byId = new Map<string, Attachment>();

  health(): BackendHealth {
    return { status: 'up' };
  }

  async create(attachment: Attachment): Promise<void> {
    if (!this.byId.has(attachment.attachment_id)) this.byId.set(attachment.attachment_id, { ...attachment });
  }

  async get(attachmentId: string): Promise<Attachment | undefined> {
    const a = this.byId.get(attachmentId);
    return a && { ...a };
  }

  async markReady(attachmentId: string, at: string): Promise<Attachment | undefined> {
    const a = this.byId.get(attachmentId);
    if (!a) return undefined;
    a.state = 'ready';
    a.ready_at ??= at;
    return { ...a };
  }

  async markSent(attachment: Attachment, at: string): Promise<void> {
    const a = this.byId.get(attachment.attachment_id);
    if (a) a.sent_at ??= at;
  }

  async expired(before: string, limit: number): Promise<Attachment[]> {
    const cut = Date.parse(before);
    return [...this.byId.values()]
      .filter((a) => a.sent_at === undefined && Date.parse(a.expires_at) < cut)
      .sort((x, y) => Date.parse(x.expires_at) - Date.parse(y.expires_at))
      .slice(0, limit)
      .map((a) => ({ ...a }));
  }

  async remove(attachment: Attachment): Promise<void> {
    this.byId.delete(attachment.attachment_id);
  }
}
