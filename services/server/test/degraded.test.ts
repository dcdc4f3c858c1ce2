import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { unavailable } from '@chat4all/core';
import { type Embedded, startEmbedded } from '../src/index.js';
import { Device, signUp } from './clients.js';

const platforms: Embedded[] = [];
const devices: Device[] = [];
after(async () => {
  await Promise.all(devices.map((d) => d.close().catch(() => {})));
  await Promise.all(platforms.map((p) => p.close()));
});

describe('a store outage', () => {
  it('keeps accepting and delivering the sends of known members (docs/adr/0004)', async () => {
    const p = await startEmbedded();
    platforms.push(p);
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    const conv = (await bob.http.call('POST', '/v1/conversations', { type: 'direct', members: [alice.username] })).body.conversation_id;
    const a = await Device.connect(p.websocketUrl, alice.token);
    devices.push(a);
    const warm = await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'before' });
    assert.equal(warm.status, 202);
    await a.next((f) => f.message_id === warm.body.message_id, 'before the outage');

    // The user and conversation reads fail as Cassandra's do while it is down.
    const sent: Awaited<ReturnType<typeof bob.http.call>>[] = [];
    const down = () => Promise.reject(unavailable('cassandra_unavailable', 'the store is down'));
    const { users, conversations } = p.backends;
    const [getById, getConversation, getMembers] = [users.getById, conversations.get, conversations.members];
    users.getById = down;
    conversations.get = down;
    conversations.members = down;
    try {
      sent.length = 0;
      for (let i = 0; i < 5; i++) sent.push(await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: `during ${i}` }));
      assert.deepEqual(sent.map((r) => r.status), [202, 202, 202, 202, 202]);
      assert.equal((await alice.http.call('GET', '/v1/me')).status, 200, 'a known user is still authenticated');
      const again = await Device.connect(p.websocketUrl, alice.token, `&since=${a.lastEventId()}`);
      devices.push(again);
      const stranger = await signUp(p.apiUrl, 'carol').catch(() => undefined);
      assert.equal(stranger, undefined, 'registering needs the store');
    } finally {
      users.getById = getById;
      conversations.get = getConversation;
      conversations.members = getMembers;
    }
    // The worker waited for the store; now it catches up.
    const last = devices.at(-1)!;
    for (const r of sent) await last.next((f) => f.message_id === r.body.message_id, 'a message sent during the outage', 15_000);
  });
});
