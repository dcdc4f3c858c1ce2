import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UuidV7Generator } from '../domain/ids.js';
import type { Attachment } from '../domain/model.js';
import type { AttachmentStore } from '../ports/attachment-store.js';

const ids = new UuidV7Generator();
const iso = (ms: number) => new Date(ms).toISOString();

function attachment(expiresInMs: number, at = Date.now()): Attachment {
  return {
    attachment_id: ids.next(),
    conversation_id: ids.next(),
    uploader_id: ids.next(),
    filename: 'report 2026 – final.pdf',
    content_type: 'application/pdf',
    size: 2 * 1024 * 1024 * 1024,
    sha256: 'ab'.repeat(32),
    state: 'pending',
    created_at: iso(at),
    expires_at: iso(at + expiresInMs),
  };
}

/** The AttachmentStore contract. */
export function describeAttachmentStore(name: string, make: () => Promise<AttachmentStore>): void {
  describe(`AttachmentStore contract: ${name}`, () => {
    it('creates once by id and reads it back whole', async () => {
      const s = await make();
      const a = attachment(60_000);
      await s.create(a);
      await s.create({ ...a, filename: 'other' });
      assert.deepEqual(await s.get(a.attachment_id), a);
      assert.equal(await s.get(ids.next()), undefined);
    });

    it('marks ready once: ready_at keeps its first time', async () => {
      const s = await make();
      const a = attachment(60_000);
      await s.create(a);
      const t = Date.now();
      assert.deepEqual(await s.markReady(a.attachment_id, iso(t)), { ...a, state: 'ready', ready_at: iso(t) });
      await s.markReady(a.attachment_id, iso(t + 5000));
      assert.equal((await s.get(a.attachment_id))?.ready_at, iso(t));
      assert.equal(await s.markReady(ids.next(), iso(t)), undefined);
    });

    it('lists the expired attachments never sent, oldest expiry first, and forgets removed and sent ones', async () => {
      const s = await make();
      const now = Date.now();
      const old = attachment(-120_000, now);
      const older = attachment(-240_000, now);
      const sent = attachment(-60_000, now);
      const live = attachment(3_600_000, now);
      for (const a of [old, older, sent, live]) await s.create(a);
      await s.markSent(sent, iso(now - 90_000));
      await s.markSent(sent, iso(now));
      assert.equal((await s.get(sent.attachment_id))?.sent_at, iso(now - 90_000), 'sent_at keeps its first time');
      const mine = new Set([old, older, sent, live].map((a) => a.attachment_id));
      const expired = (await s.expired(iso(now), 1000)).filter((a) => mine.has(a.attachment_id));
      assert.deepEqual(expired.map((a) => a.attachment_id), [older.attachment_id, old.attachment_id]);
      await s.remove(older);
      await s.remove(older);
      assert.equal(await s.get(older.attachment_id), undefined);
      const after = (await s.expired(iso(now), 1000)).filter((a) => mine.has(a.attachment_id));
      assert.deepEqual(after.map((a) => a.attachment_id), [old.attachment_id]);
      assert.ok((await s.expired(iso(now), 1)).length <= 1, 'at most limit');
    });
  });
}
