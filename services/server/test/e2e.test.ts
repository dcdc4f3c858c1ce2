import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@chat4all/core/testing';
import { type Embedded, startEmbedded } from '../src/index.js';
import jwt from 'jsonwebtoken';
import { Device, Http, signUp, upgradeStatus } from './clients.js';

describe('the platform end to end, in one process', () => {
  let p: Embedded;
  const devices: Device[] = [];
  const connect = async (token: string, query = '') => {
    const d = await Device.connect(p.websocketUrl, token, query);
    devices.push(d);
    return d;
  };
  before(async () => {
    p = await startEmbedded();
  });
  after(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await p.close();
  });

  it('delivers a direct message to every device, with receipts back to the sender', async () => {
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    const [a1, a2, b1] = [await connect(alice.token), await connect(alice.token), await connect(bob.token)];
    const opened = await bob.http.call('POST', '/v1/conversations', { type: 'direct', members: [alice.username] });
    assert.equal(opened.status, 201);
    const again = await bob.http.call('POST', '/v1/conversations', { type: 'direct', members: [alice.userId] });
    assert.equal(again.status, 200);
    assert.equal(again.body.conversation_id, opened.body.conversation_id);
    const convId = opened.body.conversation_id as string;

    const send = { conversation_id: convId, content: 'Oi Alice!', client_message_id: 'c-1' };
    const first = await bob.http.call('POST', '/v1/messages', send);
    assert.equal(first.status, 202);
    assert.equal(first.body.status, 'ACCEPTED');
    const retry = await bob.http.call('POST', '/v1/messages', send);
    assert.equal(retry.status, 202);
    assert.deepEqual(retry.body, first.body, 'a retried send answers the first answer');
    const messageId = first.body.message_id as string;

    const started = Date.now();
    for (const d of [a1, a2, b1]) {
      const f = await d.next((x) => x.type === 'new_message' && x.message_id === messageId, 'new_message');
      assert.ok(f.event_id, 'events carry an event_id');
      assert.equal(f.content, 'Oi Alice!');
      assert.equal(f.sender_id, bob.userId);
      assert.equal(f.conversation_id, convId);
    }
    assert.ok(Date.now() - started < 1000, 'pushed well under a second');
    const delivered = await b1.next((x) => x.type === 'message_status' && x.status === 'DELIVERED', 'DELIVERED');
    assert.equal(delivered.user_id, alice.userId);
    assert.equal(delivered.message_id, messageId);

    const read = await alice.http.call('POST', `/v1/messages/${messageId}/read`);
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'READ');
    const readFrame = await b1.next((x) => x.type === 'message_status' && x.status === 'READ', 'READ');
    assert.equal(readFrame.user_id, alice.userId);

    const history = await alice.http.call('GET', `/v1/conversations/${convId}/messages`);
    assert.equal(history.status, 200);
    assert.equal(history.body.messages.length, 1, 'stored once despite the retry');
    const m = history.body.messages[0];
    assert.equal(m.message_id, messageId);
    assert.equal(m.status, 'READ');
    assert.ok(m.sent_at && m.delivered_at && m.read_at);
    // A later message of the same conversation is a barrier: it travels the same partition and the
    // same user channels, so a second copy of the first would have reached every device before it.
    const later = (await bob.http.call('POST', '/v1/messages', { conversation_id: convId, content: 'barrier' })).body.message_id;
    for (const d of [a1, a2, b1]) await d.next((f) => f.type === 'new_message' && f.message_id === later, 'the later message');
    for (const d of [a1, a2, b1]) assert.equal(d.of('new_message').filter((f) => f.message_id === messageId).length, 1, 'once per device');
  });

  it('delivers a group message to every member', async () => {
    const [bob, alice, carol] = [await signUp(p.apiUrl, 'bob'), await signUp(p.apiUrl, 'alice'), await signUp(p.apiUrl, 'carol')];
    const devs = [await connect(bob.token), await connect(alice.token), await connect(carol.token)];
    const g = await bob.http.call('POST', '/v1/conversations', { type: 'group', name: 'friends', members: [alice.username, carol.username] });
    assert.equal(g.status, 201);
    const sent = await bob.http.call('POST', '/v1/messages', { conversation_id: g.body.conversation_id, content: 'hello all' });
    assert.equal(sent.status, 202);
    for (const d of devs) await d.next((f) => f.type === 'new_message' && f.message_id === sent.body.message_id, 'group new_message');
    const statuses = await waitFor(() => {
      const s = devs[0]!.of('message_status').filter((f) => f.status === 'DELIVERED');
      return s.length === 2 ? s : undefined;
    }, 'two DELIVERED receipts');
    assert.deepEqual(new Set(statuses.map((f) => f.user_id)), new Set([alice.userId, carol.userId]));
  });

  it('refuses missing, forged, expired and alg-none tokens on the gateway', async () => {
    const alice = await signUp(p.apiUrl, 'alice');
    const url = `${p.websocketUrl}/notifications`;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: alice.userId, username: alice.username };
    const forged = jwt.sign({ ...claims, iat: now, exp: now + 600 }, 'x'.repeat(40), { algorithm: 'HS256' });
    const expired = jwt.sign({ ...claims, iat: now - 7200, exp: now - 3600 }, p.jwtSecret, { algorithm: 'HS256' });
    const none = jwt.sign({ ...claims, iat: now, exp: now + 600 }, '', { algorithm: 'none' });
    assert.equal(await upgradeStatus(`${url}?token=${forged}`), 401);
    assert.equal(await upgradeStatus(`${url}?token=${expired}`), 401);
    assert.equal(await upgradeStatus(`${url}?token=${none}`), 401);
    assert.equal(await upgradeStatus(`${url}?token=garbage`), 401);
    assert.equal(await upgradeStatus(url, { authorization: `Bearer ${forged}` }), 401);
    assert.equal(await upgradeStatus(url, { authorization: `Bearer ${alice.token}` }), 101);
    assert.equal(await upgradeStatus(`${p.websocketUrl}/elsewhere?token=${alice.token}`), 404);
  });

  it('refuses the same tokens on the api', async () => {
    const alice = await signUp(p.apiUrl, 'alice');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: alice.userId, username: alice.username };
    const cases: [string | undefined, string][] = [
      [undefined, 'missing_token'],
      [jwt.sign({ ...claims, iat: now, exp: now + 600 }, 'y'.repeat(40), { algorithm: 'HS256' }), 'invalid_token'],
      [jwt.sign({ ...claims, iat: now - 7200, exp: now - 3600 }, p.jwtSecret, { algorithm: 'HS256' }), 'token_expired'],
      [jwt.sign({ ...claims, iat: now, exp: now + 600 }, '', { algorithm: 'none' }), 'invalid_token'],
    ];
    for (const [token, code] of cases) {
      const r = await new Http(p.apiUrl, token).call('GET', '/v1/me');
      assert.equal(r.status, 401, code);
      assert.equal(r.body.error.code, code);
    }
  });

  it('authenticates with a first auth frame, keeping the token out of the URL', async () => {
    const alice = await signUp(p.apiUrl, 'alice');
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${p.websocketUrl}/notifications`);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: alice.token }));
    const connected = await waitFor(() => frames.find((f) => f.type === 'connected'), 'connected');
    assert.equal(connected.user_id, alice.userId);
    ws.close();
    const bad = new WebSocket(`${p.websocketUrl}/notifications`);
    const code = await new Promise<number>((resolve) => {
      bad.once('open', () => bad.send(JSON.stringify({ type: 'auth', token: 'nope' })));
      bad.once('close', (c) => resolve(c));
    });
    assert.equal(code, 1008);
  });

  it('replays what a device missed when it reconnects with since, then goes live', async () => {
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    const conv = (await bob.http.call('POST', '/v1/conversations', { type: 'direct', members: [alice.username] })).body.conversation_id;
    const a = await connect(alice.token);
    const m0 = (await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'before' })).body.message_id;
    await a.next((f) => f.message_id === m0, 'first message');
    const since = a.lastEventId()!;
    await a.close();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++) missed.push((await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: `missed ${i}` })).body.message_id);
    await waitFor(async () => (await alice.http.call('GET', `/v1/conversations/${conv}/messages`)).body.messages.length === 6, 'the missed messages stored');
    const back = await connect(alice.token, `&since=${since}`);
    assert.equal(back.frames[0]!.type, 'connected');
    assert.equal(back.frames[0]!.recovered, true);
    const live = (await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'live' })).body.message_id;
    await back.next((f) => f.message_id === live, 'the live message');
    assert.deepEqual(back.of('new_message').map((f) => f.message_id), [...missed, live], 'exactly the missed ones, in order, then live');
    const stale = await connect(alice.token, '&since=1-0');
    assert.equal(stale.frames[0]!.recovered, false);
  });

  it('exports the gateway metrics by their original names', async () => {
    const text = await (await fetch(p.metricsUrl)).text();
    for (const name of ['websocket_connections_active', 'notifications_sent_total', 'connection_errors_total', 'notification_delivery_latency_seconds_bucket', 'pubsub_lag_seconds_bucket']) {
      assert.match(text, new RegExp(`^${name}`, 'm'), name);
    }
    const ready = await fetch(p.metricsUrl.replace('/metrics', '/readyz'));
    assert.equal(ready.status, 200);
  });
});
