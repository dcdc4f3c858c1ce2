import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TOPIC_MESSAGES, TOPIC_RECEIPTS, decodeMessageRecord, decodeReceiptRecord, orThrow } from '@chat4all/contract';
import { MAX_CONTENT_BYTES } from '@chat4all/contract';
import { isUuid, unavailable, type AppendRecord } from '@chat4all/core';
import { appended, createGroup, errorOf, harness, signUp, storeMessage, type Harness, type SignedUp } from './harness.js';

interface Accepted {
  message_id: string;
  conversation_id: string;
  status: string;
  created_at: string;
}

describe('POST /v1/messages', () => {
  let h: Harness;
  let a: SignedUp;
  let b: SignedUp;
  let outsider: SignedUp;
  let conversationId: string;
  beforeEach(async () => {
    h = await harness();
    [a, b, outsider] = await Promise.all([signUp(h), signUp(h), signUp(h)]);
    conversationId = (await createGroup(h, a, [b])).conversation_id;
  });
  afterEach(() => h.close());

  const send = (who: SignedUp, payload: object) => h.inject({ method: 'POST', url: '/v1/messages', headers: who.headers, payload });
  const records = () => appended(h.eventLog, TOPIC_MESSAGES);

  it('accepts a message: 202, a time-ordered id, one record keyed by the conversation', async () => {
    const before = Date.now();
    const res = await send(a, { conversation_id: conversationId, content: 'hello 👋' });
    assert.equal(res.statusCode, 202);
    const body = res.json<Accepted>();
    assert.equal(body.status, 'ACCEPTED');
    assert.equal(body.conversation_id, conversationId);
    assert.ok(isUuid(body.message_id) && body.message_id[14] === '7');
    assert.ok(Date.parse(body.created_at) >= before - 5);
    const [rec, ...rest] = records();
    assert.equal(rest.length, 0);
    assert.equal(rec!.key, conversationId);
    assert.deepEqual(orThrow(decodeMessageRecord(rec!.value)), {
      v: 1,
      message_id: body.message_id,
      conversation_id: conversationId,
      sender_id: a.user.user_id,
      content: 'hello 👋',
      created_at: body.created_at,
    });
    const second = (await send(b, { conversation_id: conversationId, content: 'hi' })).json<Accepted>();
    assert.ok(second.message_id > body.message_id, 'ids increase');
  });

  it(`accepts exactly ${MAX_CONTENT_BYTES} bytes of multi-byte text`, async () => {
    const exact = '€'.repeat(3412) + 'éé'; // 3 and 2 bytes each: 10,236 + 4 bytes, 3,414 characters
    assert.equal(Buffer.byteLength(exact), MAX_CONTENT_BYTES);
    const res = await send(a, { conversation_id: conversationId, content: exact });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(orThrow(decodeMessageRecord(records()[0]!.value)).content, exact);
  });

  it(`refuses ${MAX_CONTENT_BYTES + 1} bytes with 413 content_too_large and appends nothing`, async () => {
    const oneOver = '€'.repeat(3413) + 'é'; // 10,239 + 2 bytes, only 3,414 characters
    assert.equal(Buffer.byteLength(oneOver), MAX_CONTENT_BYTES + 1);
    for (const content of ['x'.repeat(MAX_CONTENT_BYTES + 1), oneOver]) {
      const res = await send(a, { conversation_id: conversationId, content });
      assert.equal(res.statusCode, 413);
      assert.equal(errorOf(res).code, 'content_too_large');
    }
    assert.equal(records().length, 0);
  });

  it('refuses bad bodies with 400 and appends nothing', async () => {
    const cases: [object | string, string][] = [
      [{ conversation_id: conversationId, content: '' }, 'content_empty'],
      [{ conversation_id: conversationId, content: 42 }, 'validation_failed'],
      [{ conversation_id: conversationId, content: ['hi'] }, 'validation_failed'],
      [{ conversation_id: conversationId }, 'validation_failed'],
      [{ content: 'hi' }, 'validation_failed'],
      [{ conversation_id: 'not-a-uuid', content: 'hi' }, 'validation_failed'],
      [{ conversation_id: conversationId, content: 'hi', priority: 'high' }, 'validation_failed'],
      [{ conversation_id: conversationId, content: 'hi', client_message_id: '' }, 'validation_failed'],
      [{ conversation_id: conversationId, content: 'hi', client_message_id: 'has space' }, 'validation_failed'],
      [{ conversation_id: conversationId, content: 'hi', client_message_id: 'x'.repeat(129) }, 'validation_failed'],
      [{ conversation_id: conversationId, content: 'hi', client_message_id: 7 }, 'validation_failed'],
      ['{"conversation_id": "' + conversationId + '", "content": "hi"', 'malformed_json'],
    ];
    for (const [payload, code] of cases) {
      const res = await h.inject({ method: 'POST', url: '/v1/messages', headers: { ...a.headers, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(errorOf(res).code, code, JSON.stringify(payload));
    }
    assert.equal(records().length, 0);
    assert.equal((await h.messages.history(conversationId, { limit: 10 })).messages.length, 0);
  });

  it('refuses non-members and unknown conversations alike with 404 conversation_not_found', async () => {
    const hidden = await send(outsider, { conversation_id: conversationId, content: 'let me in' });
    const unknown = await send(outsider, { conversation_id: '01890000-0000-7000-8000-000000000002', content: 'let me in' });
    assert.equal(hidden.statusCode, 404);
    assert.equal(errorOf(hidden).code, 'conversation_not_found');
    assert.equal(hidden.body, unknown.body);
    assert.equal(records().length, 0);
  });

  it('claims no client_message_id for a refused send: a later good send with it is a first send', async () => {
    const outsiders = await send(outsider, { conversation_id: conversationId, content: 'x', client_message_id: 'k-refused' });
    assert.equal(outsiders.statusCode, 404);
    const badAttachment = await send(a, { conversation_id: conversationId, content: 'x', client_message_id: 'k-refused', attachments: ['01890000-0000-7000-8000-000000000009'] });
    assert.equal(badAttachment.statusCode, 404);
    assert.equal(errorOf(badAttachment).code, 'attachment_not_found');
    assert.equal(records().length, 0);
    const good = await send(a, { conversation_id: conversationId, content: 'y', client_message_id: 'k-refused' });
    assert.equal(good.statusCode, 202);
    const again = await send(a, { conversation_id: conversationId, content: 'y', client_message_id: 'k-refused' });
    assert.deepEqual(again.json(), good.json());
    const theOutsiders = await h.messages.claimClientMessageId(outsider.user.user_id, 'k-refused', { message_id: 'probe', conversation_id: conversationId, created_at: 't' });
    assert.equal(theOutsiders.message_id, 'probe', 'the outsider claimed nothing');
  });

  it('answers a retry with the same client_message_id with the first answer', async () => {
    const payload = { conversation_id: conversationId, content: 'once', client_message_id: 'device-1:42' };
    const first = await send(a, payload);
    const retry = await send(a, payload);
    assert.equal(first.statusCode, 202);
    assert.equal(retry.statusCode, 202);
    assert.deepEqual(retry.json(), first.json());
    // Not yet stored: the retry appends the same record again (the first append may have failed).
    assert.equal(records().length, 2);
    assert.deepEqual(orThrow(decodeMessageRecord(records()[1]!.value)), orThrow(decodeMessageRecord(records()[0]!.value)));
    assert.equal(orThrow(decodeMessageRecord(records()[0]!.value)).client_message_id, 'device-1:42');
  });

  it('appends nothing on a retry when the first message is already stored', async () => {
    const payload = { conversation_id: conversationId, content: 'stored', client_message_id: 'm-1' };
    const first = (await send(a, payload)).json<Accepted>();
    const rec = orThrow(decodeMessageRecord(records()[0]!.value));
    await h.messages.insert({ ...rec, status: 'SENT', sent_at: new Date().toISOString() });
    const retry = await send(a, payload);
    assert.equal(retry.statusCode, 202);
    assert.deepEqual(retry.json(), first);
    assert.equal(records().length, 1, 'one record in all');
    const otherContent = await send(a, { ...payload, content: 'something else' });
    assert.equal(otherContent.statusCode, 409);
    assert.equal(errorOf(otherContent).code, 'client_message_id_reused');
  });

  it('scopes client_message_id per sender and refuses its reuse in another conversation', async () => {
    const other = (await createGroup(h, a, [b], 'other')).conversation_id;
    const mine = await send(a, { conversation_id: conversationId, content: 'x', client_message_id: 'k' });
    const theirs = await send(b, { conversation_id: conversationId, content: 'x', client_message_id: 'k' });
    assert.notEqual(mine.json<Accepted>().message_id, theirs.json<Accepted>().message_id);
    const reused = await send(a, { conversation_id: other, content: 'x', client_message_id: 'k' });
    assert.equal(reused.statusCode, 409);
    assert.equal(errorOf(reused).code, 'client_message_id_reused');
    assert.equal(records().length, 2);
  });

  it('answers 503 unavailable with Retry-After when the event log refuses', async () => {
    const failing = Object.assign(Object.create(h.eventLog) as typeof h.eventLog, {
      append: async (_topic: string, _records: AppendRecord[]) => {
        throw unavailable('kafka_down', 'no brokers', new Error('ECONNREFUSED'));
      },
    });
    const h2 = await harness({ eventLog: failing });
    try {
      const x = await signUp(h2);
      const y = await signUp(h2);
      const g = await createGroup(h2, x, [y]);
      const res = await h2.inject({ method: 'POST', url: '/v1/messages', headers: x.headers, payload: { conversation_id: g.conversation_id, content: 'hi' } });
      assert.equal(res.statusCode, 503);
      assert.equal(errorOf(res).code, 'unavailable');
      assert.equal(res.headers['retry-after'], '1');
      assert.ok(!res.body.includes('ECONNREFUSED'), 'no internals');
      const metrics = await h2.registry.getSingleMetricAsString('messages_accepted_total');
      assert.match(metrics, /messages_accepted_total 0/);
    } finally {
      await h2.close();
    }
  });

  it('counts accepted messages, not retries', async () => {
    await send(a, { conversation_id: conversationId, content: '1', client_message_id: 'c' });
    await send(a, { conversation_id: conversationId, content: '1', client_message_id: 'c' });
    await send(a, { conversation_id: conversationId, content: '2' });
    assert.match(await h.registry.getSingleMetricAsString('messages_accepted_total'), /messages_accepted_total 2/);
  });
});

describe('GET /v1/conversations/{id}/messages', () => {
  let h: Harness;
  let a: SignedUp;
  let b: SignedUp;
  let conversationId: string;
  beforeEach(async () => {
    h = await harness();
    [a, b] = await Promise.all([signUp(h), signUp(h)]);
    conversationId = (await createGroup(h, a, [b])).conversation_id;
  });
  afterEach(() => h.close());

  const page = (who: SignedUp, query = '') => h.inject({ method: 'GET', url: `/v1/conversations/${conversationId}/messages${query}`, headers: who.headers });

  it('pages backwards through 120 messages with before/next_before, each page oldest first', async () => {
    const stored = [];
    for (let i = 0; i < 120; i++) stored.push(await storeMessage(h, conversationId, i % 2 ? a.user.user_id : b.user.user_id, `m${i}`));
    const seen: string[] = [];
    let query = '';
    let pages = 0;
    for (;;) {
      const res = await page(a, query);
      assert.equal(res.statusCode, 200);
      const body = res.json<{ messages: { message_id: string; content: string }[]; next_before?: string }>();
      pages++;
      const ids = body.messages.map((m) => m.message_id);
      assert.deepEqual(ids, [...ids].sort(), 'oldest first');
      seen.unshift(...body.messages.map((m) => m.content));
      if (!body.next_before) break;
      assert.equal(body.next_before, ids[0]);
      query = `?before=${body.next_before}`;
    }
    assert.equal(pages, 3, '50 + 50 + 20');
    assert.deepEqual(
      seen,
      stored.map((m) => m.content),
    );
    const small = (await page(b, '?limit=7')).json<{ messages: { content: string }[]; next_before?: string }>();
    assert.deepEqual(
      small.messages.map((m) => m.content),
      stored.slice(-7).map((m) => m.content),
    );
    assert.ok(small.next_before);
  });

  it('returns every wire field of a message and no next_before on the oldest page', async () => {
    const m = await storeMessage(h, conversationId, a.user.user_id, 'hi');
    await h.messages.recordReceipt(m.message_id, b.user.user_id, 'READ', new Date().toISOString());
    const body = (await page(b)).json<{ messages: Record<string, unknown>[]; next_before?: string }>();
    assert.equal(body.next_before, undefined);
    assert.deepEqual(Object.keys(body.messages[0]!).sort(), [
      'content',
      'conversation_id',
      'created_at',
      'delivered_at',
      'message_id',
      'read_at',
      'sender_id',
      'sent_at',
      'status',
    ]);
    assert.equal(body.messages[0]!.status, 'READ');
  });

  it('refuses bad limits and a before that is not a UUID with 400', async () => {
    for (const q of ['?limit=0', '?limit=201', '?limit=ten', '?before=abc', '?before=', '?since=x']) {
      const res = await page(a, q);
      assert.equal(res.statusCode, 400, q);
      assert.equal(errorOf(res).code, 'validation_failed');
    }
    assert.equal((await page(a, '?limit=200')).statusCode, 200);
  });

  it('hides history from non-members with 404 conversation_not_found', async () => {
    await storeMessage(h, conversationId, a.user.user_id, 'secret');
    const outsider = await signUp(h);
    const res = await page(outsider);
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'conversation_not_found');
    assert.ok(!res.body.includes('secret'));
  });
});

describe('POST /v1/messages/{id}/read', () => {
  let h: Harness;
  let a: SignedUp;
  let b: SignedUp;
  let conversationId: string;
  beforeEach(async () => {
    h = await harness();
    [a, b] = await Promise.all([signUp(h), signUp(h)]);
    conversationId = (await createGroup(h, a, [b])).conversation_id;
  });
  afterEach(() => h.close());

  const read = (who: SignedUp, id: string) => h.inject({ method: 'POST', url: `/v1/messages/${id}/read`, headers: who.headers });

  it('appends a READ receipt and answers read_at', async () => {
    const m = await storeMessage(h, conversationId, a.user.user_id, 'read me');
    const res = await read(b, m.message_id);
    assert.equal(res.statusCode, 200);
    const body = res.json<{ message_id: string; status: string; read_at: string }>();
    assert.equal(body.message_id, m.message_id);
    assert.equal(body.status, 'READ');
    const [rec, ...rest] = appended(h.eventLog, TOPIC_RECEIPTS);
    assert.equal(rest.length, 0);
    assert.equal(rec!.key, conversationId);
    assert.deepEqual(orThrow(decodeReceiptRecord(rec!.value)), { v: 1, message_id: m.message_id, conversation_id: conversationId, user_id: b.user.user_id, status: 'READ', at: body.read_at });
  });

  it('is idempotent once the receipt is stored: the first read_at, nothing appended', async () => {
    const m = await storeMessage(h, conversationId, a.user.user_id, 'read me');
    const first = '2030-01-01T00:00:00.000Z';
    await h.messages.recordReceipt(m.message_id, b.user.user_id, 'READ', first);
    const res = await read(b, m.message_id);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { message_id: m.message_id, status: 'READ', read_at: first });
    assert.equal(appended(h.eventLog, TOPIC_RECEIPTS).length, 0);
  });

  it('refuses the sender with 409 own_message', async () => {
    const m = await storeMessage(h, conversationId, a.user.user_id, 'mine');
    const res = await read(a, m.message_id);
    assert.equal(res.statusCode, 409);
    assert.equal(errorOf(res).code, 'own_message');
    assert.equal(appended(h.eventLog, TOPIC_RECEIPTS).length, 0);
  });

  it('answers 404 message_not_found for unknown ids, non-UUIDs and non-members alike', async () => {
    const m = await storeMessage(h, conversationId, a.user.user_id, 'private');
    const outsider = await signUp(h);
    const answers = await Promise.all([read(outsider, m.message_id), read(b, '01890000-0000-7000-8000-000000000003'), read(b, 'nope')]);
    for (const res of answers) {
      assert.equal(res.statusCode, 404);
      assert.equal(errorOf(res).code, 'message_not_found');
      assert.equal(res.body, answers[0]!.body);
    }
    assert.equal(appended(h.eventLog, TOPIC_RECEIPTS).length, 0);
  });
});
