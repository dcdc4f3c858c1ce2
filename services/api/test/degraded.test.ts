import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOPIC_MESSAGES } from '@chat4all/contract';
import { unavailable } from '@chat4all/core';
import { MemoryConversationStore } from '@chat4all/core/memory';
import { CachingConversationStore } from '@chat4all/core/runtime';
import { appended, createGroup, errorOf, harness, signUp } from './harness.js';

describe('sends under pressure', () => {
  it('limits sends per user with 429 and Retry-After, and appends nothing beyond the limit', async () => {
    const h = await harness({ sendRate: { perSecond: 1, burst: 3 } });
    const [a, b] = [await signUp(h), await signUp(h)];
    const conv = (await createGroup(h, a, [b])).conversation_id;
    const send = (who: typeof a) => h.inject({ method: 'POST', url: '/v1/messages', headers: who.headers, payload: { conversation_id: conv, content: 'hi' } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(a)).statusCode);
    assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
    const limited = await send(a);
    assert.equal(errorOf(limited).code, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await send(b)).statusCode, 202, 'the limit is per user');
    assert.equal(appended(h.eventLog, TOPIC_MESSAGES).length, 4);
    await h.close();
  });

  it('keeps accepting while the stores are unavailable, on cached membership and a deferred claim', async () => {
    const inner = new MemoryConversationStore();
    const conversations = new CachingConversationStore(inner);
    const h = await harness({ conversations });
    const [a, b] = [await signUp(h), await signUp(h)];
    const conv = (await createGroup(h, a, [b])).conversation_id;
    const first = await h.inject({ method: 'POST', url: '/v1/messages', headers: a.headers, payload: { conversation_id: conv, content: 'before' } });
    assert.equal(first.statusCode, 202);
    const down = () => Promise.reject(unavailable('store_down', 'the store is down'));
    inner.get = down;
    h.messages.claimClientMessageId = down;
    const during = await h.inject({ method: 'POST', url: '/v1/messages', headers: a.headers, payload: { conversation_id: conv, content: 'during', client_message_id: 'x-1' } });
    assert.equal(during.statusCode, 202, JSON.stringify(during.json()));
    const records = appended(h.eventLog, TOPIC_MESSAGES);
    assert.equal(records.length, 2);
    assert.equal(JSON.parse(records[1]!.value.toString()).client_message_id, 'x-1', 'the worker gets the key to claim');
    await h.close();
  });
});
