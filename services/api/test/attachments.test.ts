import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { TOPIC_MESSAGES, decodeMessageRecord, orThrow } from '@chat4all/contract';
import { MemoryAttachmentStore, MemoryBlobStore } from '@chat4all/core/memory';
import { appended, createGroup, errorOf, harness, signUp, storeMessage, type Harness, type SignedUp } from './harness.js';

interface AttachmentBody {
  attachment_id: string;
  conversation_id: string;
  uploader_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  state: 'pending' | 'ready';
  expires_at: string;
  upload_url?: string;
  sent_at?: string;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('attachments', () => {
  let h: Harness;
  let a: SignedUp;
  let b: SignedUp;
  let outsider: SignedUp;
  let conversationId: string;
  let otherConversationId: string;
  let clock: number;
  let blobs: MemoryBlobStore;
  let records: MemoryAttachmentStore;
  const file = randomBytes(100_000);

  beforeEach(async () => {
    clock = Date.now();
    blobs = new MemoryBlobStore();
    records = new MemoryAttachmentStore();
    h = await harness({ now: () => clock, blobs, attachments: records, attachmentLimits: { maxBytes: 1_000_000, linkTtlSeconds: 60, unsentTtlSeconds: 600 }, attachmentSweepMs: 0 });
    [a, b, outsider] = await Promise.all([signUp(h), signUp(h), signUp(h)]);
    conversationId = (await createGroup(h, a, [b])).conversation_id;
    otherConversationId = (await createGroup(h, a, [outsider])).conversation_id;
  });
  afterEach(() => h.close());

  const announce = (who: SignedUp, payload: object) => h.inject({ method: 'POST', url: '/v1/attachments', headers: who.headers, payload });
  const upload = (who: SignedUp, id: string, body: Buffer) =>
    h.inject({ method: 'PUT', url: `/v1/attachments/${id}/content`, headers: { ...who.headers, 'content-type': 'application/octet-stream' }, payload: body });
  const describeFile = (conversation = conversationId, bytes = file) => ({ conversation_id: conversation, filename: 'report.pdf', content_type: 'application/pdf', size: bytes.length, sha256: sha(bytes) });
  async function ready(who = a, conversation = conversationId, bytes = file): Promise<AttachmentBody> {
    const created = await announce(who, describeFile(conversation, bytes));
    assert.equal(created.statusCode, 201, created.body);
    const put = await upload(who, created.json<AttachmentBody>().attachment_id, bytes);
    assert.equal(put.statusCode, 200, put.body);
    return put.json<AttachmentBody>();
  }
  const linkOf = async (who: SignedUp, id: string) => h.inject({ method: 'GET', url: `/v1/attachments/${id}/link`, headers: who.headers });
  const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

  it('announces a file: 201 pending, with where to upload it; a path keeps its last segment', async () => {
    const res = await announce(a, { ...describeFile(), filename: '../../etc/report.pdf' });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json<AttachmentBody>();
    assert.equal(body.state, 'pending');
    assert.equal(body.filename, 'report.pdf');
    assert.equal(body.uploader_id, a.user.user_id);
    assert.equal(body.upload_url, `/v1/attachments/${body.attachment_id}/content`);
    assert.equal(Date.parse(body.expires_at), clock + 600_000);
  });

  it('refuses a file over the bound with 413, a non-member with 404, malformed fields with 400, and records nothing', async () => {
    const tooBig = await announce(a, { ...describeFile(), size: 1_000_001 });
    assert.equal(tooBig.statusCode, 413);
    assert.equal(errorOf(tooBig).code, 'attachment_too_large');
    const stranger = await announce(outsider, describeFile());
    assert.equal(stranger.statusCode, 404);
    assert.equal(errorOf(stranger).code, 'conversation_not_found');
    for (const bad of [{ sha256: 'ABC' }, { size: -1 }, { filename: '' }, { filename: 'a\nb' }, { content_type: 'not a type' }, { extra: 1 }]) {
      const res = await announce(a, { ...describeFile(), ...bad });
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
    }
    assert.equal((await announce(a, { ...describeFile(), filename: '/' })).statusCode, 400);
    assert.deepEqual(await records.expired(new Date(clock + 10 ** 9).toISOString(), 10), []);
  });

  it('stores checked bytes: ready once they match; other uploaders 404, a second upload 409', async () => {
    const created = (await announce(a, describeFile())).json<AttachmentBody>();
    assert.equal((await upload(b, created.attachment_id, file)).statusCode, 404);
    const put = await upload(a, created.attachment_id, file);
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<AttachmentBody>().state, 'ready');
    assert.equal(put.json<AttachmentBody>().upload_url, undefined);
    const again = await upload(a, created.attachment_id, file);
    assert.equal(again.statusCode, 409);
    assert.equal(errorOf(again).code, 'attachment_already_uploaded');
    const stored = await blobs.get(created.attachment_id);
    assert.equal(stored?.size, file.length);
  });

  it('refuses bytes that are not the announced ones and keeps nothing; the attachment stays pending', async () => {
    const created = (await announce(a, describeFile())).json<AttachmentBody>();
    const other = Buffer.from(file);
    other[0] = other[0]! ^ 1;
    const cases: [Buffer, number, string][] = [
      [other, 400, 'blob_checksum_mismatch'],
      [file.subarray(1), 400, 'blob_size_mismatch'],
      [Buffer.concat([file, Buffer.from('x')]), 413, 'attachment_too_large'],
    ];
    for (const [body, status, code] of cases) {
      const res = await upload(a, created.attachment_id, body);
      assert.equal(res.statusCode, status, res.body);
      assert.equal(errorOf(res).code, code);
      assert.equal(await blobs.get(created.attachment_id), undefined);
      assert.equal((await records.get(created.attachment_id))?.state, 'pending');
    }
    assert.equal((await upload(a, created.attachment_id, file)).statusCode, 200);
  });

  it('sends ready attachments with a message (content may be empty): the record carries their metadata', async () => {
    const att = await ready();
    const res = await h.inject({ method: 'POST', url: '/v1/messages', headers: a.headers, payload: { conversation_id: conversationId, content: '', attachments: [att.attachment_id] } });
    assert.equal(res.statusCode, 202, res.body);
    const [record] = appended(h.eventLog, TOPIC_MESSAGES).map((r) => orThrow(decodeMessageRecord(r.value)));
    assert.deepEqual(record?.attachments, [{ attachment_id: att.attachment_id, filename: 'report.pdf', content_type: 'application/pdf', size: file.length, sha256: sha(file) }]);
    assert.ok((await records.get(att.attachment_id))?.sent_at);
  });

  it('refuses to send what is not the sender\'s ready upload into this conversation, and appends nothing', async () => {
    const pending = (await announce(a, describeFile())).json<AttachmentBody>();
    const elsewhere = await ready(a, otherConversationId);
    const bs = await ready(b);
    const mine = await ready();
    const cases: [string[], number, string][] = [
      [[pending.attachment_id], 409, 'attachment_not_ready'],
      [[elsewhere.attachment_id], 400, 'attachment_not_sendable'],
      [[bs.attachment_id], 404, 'attachment_not_found'],
      [[randomUuid()], 404, 'attachment_not_found'],
      [[mine.attachment_id, mine.attachment_id], 400, 'validation_failed'],
    ];
    for (const [attachments, status, code] of cases) {
      const res = await h.inject({ method: 'POST', url: '/v1/messages', headers: a.headers, payload: { conversation_id: conversationId, content: 'x', attachments } });
      assert.equal(res.statusCode, status, res.body);
      assert.equal(errorOf(res).code, code);
    }
    const empty = await h.inject({ method: 'POST', url: '/v1/messages', headers: a.headers, payload: { conversation_id: conversationId, content: '' } });
    assert.equal(empty.statusCode, 400);
    assert.equal(appended(h.eventLog, TOPIC_MESSAGES).length, 0);
  });

  it('gives members a link that downloads the same bytes without a token, as a download', async () => {
    const att = await ready();
    const link = await linkOf(b, att.attachment_id);
    assert.equal(link.statusCode, 200, link.body);
    const { url, expires_at } = link.json<{ url: string; expires_at: string }>();
    assert.match(url, /^http:\/\/localhost(:\d+)?\/v1\/attachments\//);
    assert.equal(Date.parse(expires_at), Math.floor(clock / 1000) * 1000 + 60_000);
    const got = await h.inject({ method: 'GET', url: pathOf(url) });
    assert.equal(got.statusCode, 200);
    assert.equal(sha(got.rawPayload), sha(file));
    assert.equal(got.headers['content-length'], String(file.length));
    assert.equal(got.headers['content-type'], 'application/pdf');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.match(String(got.headers['content-disposition']), /^attachment; filename="report.pdf"/);
    const metrics = await h.registry.getSingleMetricAsString('attachment_bytes_total');
    assert.match(metrics, new RegExp(`direction="in"} ${file.length}`));
    assert.match(metrics, new RegExp(`direction="out"} ${file.length}`));
  });

  it('answers 404 to a non-member, and a pending attachment to all but its uploader', async () => {
    const att = await ready();
    assert.equal((await linkOf(outsider, att.attachment_id)).statusCode, 404);
    assert.equal((await h.inject({ method: 'GET', url: `/v1/attachments/${att.attachment_id}`, headers: outsider.headers })).statusCode, 404);
    assert.equal((await h.inject({ method: 'GET', url: `/v1/attachments/${att.attachment_id}`, headers: b.headers })).statusCode, 200);
    const pending = (await announce(a, describeFile())).json<AttachmentBody>();
    assert.equal((await h.inject({ method: 'GET', url: `/v1/attachments/${pending.attachment_id}`, headers: b.headers })).statusCode, 404);
    assert.equal((await h.inject({ method: 'GET', url: `/v1/attachments/${pending.attachment_id}`, headers: a.headers })).statusCode, 200);
    assert.equal((await linkOf(a, pending.attachment_id)).statusCode, 409);
  });

  it('refuses a link once expired (403 link_expired) and a forged one (403 link_invalid)', async () => {
    const att = await ready();
    const path = pathOf((await linkOf(b, att.attachment_id)).json<{ url: string }>().url);
    const forged = path.replace(/signature=[^&]+/, 'signature=AAAA');
    const later = path.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`);
    assert.equal(errorOf(await h.inject({ method: 'GET', url: forged })).code, 'link_invalid');
    assert.equal(errorOf(await h.inject({ method: 'GET', url: later })).code, 'link_invalid');
    clock += 61_000;
    const expired = await h.inject({ method: 'GET', url: path });
    assert.equal(expired.statusCode, 403);
    assert.equal(errorOf(expired).code, 'link_expired');
  });

  it('shows a stored message with its attachments to members only', async () => {
    const m = await storeMessage(h, conversationId, a.user.user_id, 'hi');
    const mine = await h.inject({ method: 'GET', url: `/v1/messages/${m.message_id}`, headers: b.headers });
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json<{ content: string }>().content, 'hi');
    assert.equal((await h.inject({ method: 'GET', url: `/v1/messages/${m.message_id}`, headers: outsider.headers })).statusCode, 404);
  });
});

describe('attachment sweep', () => {
  afterEach(() => mock.timers.reset());

  it('removes attachments never sent once their time is out, bytes and record, and keeps sent ones', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    let clock = Date.now();
    const blobs = new MemoryBlobStore();
    const records = new MemoryAttachmentStore();
    const h = await harness({ now: () => clock, blobs, attachments: records, attachmentLimits: { unsentTtlSeconds: 60 }, attachmentSweepMs: 1000 });
    try {
      const a = await signUp(h);
      const conversationId = (await createGroup(h, a, [])).conversation_id;
      const bytes = Buffer.from('hello');
      const make = async () => {
        const created = (await h.inject({ method: 'POST', url: '/v1/attachments', headers: a.headers, payload: { conversation_id: conversationId, filename: 'h.txt', size: 5, sha256: sha(bytes) } })).json<AttachmentBody>();
        await h.inject({ method: 'PUT', url: `/v1/attachments/${created.attachment_id}/content`, headers: a.headers, payload: bytes });
        return created.attachment_id;
      };
      const [unsent, sent] = [await make(), await make()];
      const send = await h.inject({ method: 'POST', url: '/v1/messages', headers: a.headers, payload: { conversation_id: conversationId, content: '', attachments: [sent] } });
      assert.equal(send.statusCode, 202, send.body);
      clock += 61_000;
      mock.timers.tick(1000);
      for (let i = 0; i < 50 && (await records.get(unsent)); i++) await tick();
      assert.equal(await records.get(unsent), undefined);
      assert.equal(await blobs.get(unsent), undefined);
      assert.ok(await records.get(sent));
      assert.ok(await blobs.get(sent));
    } finally {
      await h.close();
    }
  });
});

function randomUuid(): string {
  return '0190a0b0-0000-7000-8000-' + randomBytes(6).toString('hex');
}
