import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { sleep, waitFor } from '@chat4all/core/testing';
import { type Embedded, type EmbeddedOptions, startEmbedded } from '../src/index.js';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { Device, signUp, upgradeStatus } from './clients.js';

const platforms: Embedded[] = [];
const devices: Device[] = [];
async function platform(options: EmbeddedOptions = {}): Promise<Embedded> {
  const p = await startEmbedded(options);
  platforms.push(p);
  return p;
}
async function connect(url: string, token: string, query = ''): Promise<Device> {
  const d = await Device.connect(url, token, query);
  devices.push(d);
  return d;
}
after(async () => {
  await Promise.all(devices.map((d) => d.close().catch(() => {})));
  await Promise.all(platforms.map((p) => p.close()));
});

async function direct(from: Awaited<ReturnType<typeof signUp>>, to: Awaited<ReturnType<typeof signUp>>): Promise<string> {
  const r = await from.http.call('POST', '/v1/conversations', { type: 'direct', members: [to.username] });
  return r.body.conversation_id;
}

describe('catch-up after a reconnect', () => {
  it('replays exactly the 50 missed messages of three conversations, in order, once, then live ones', async () => {
    const p = await platform();
    const alice = await signUp(p.apiUrl, 'alice');
    const senders = [await signUp(p.apiUrl, 'bob'), await signUp(p.apiUrl, 'carol'), await signUp(p.apiUrl, 'dave')];
    const convs = await Promise.all(senders.map((s) => direct(s, alice)));
    const a = await connect(p.websocketUrl, alice.token);
    const warm = await senders[0]!.http.call('POST', '/v1/messages', { conversation_id: convs[0], content: 'warm-up' });
    await a.next((f) => f.message_id === warm.body.message_id, 'warm-up');
    const since = a.lastEventId()!;
    await a.close();
    const sent = new Map<string, string[]>(convs.map((c) => [c, []]));
    for (let i = 0; i < 50; i++) {
      const k = i % 3;
      const r = await senders[k]!.http.call('POST', '/v1/messages', { conversation_id: convs[k], content: `m${i}` });
      sent.get(convs[k]!)!.push(r.body.message_id);
    }
    const stored = async () => (await Promise.all(convs.map(async (c) => (await alice.http.call('GET', `/v1/conversations/${c}/messages`)).body.messages.length))).reduce((a, b) => a + b, 0);
    await waitFor(async () => (await stored()) === 51, 'the 50 messages stored, beside the warm-up');
    const back = await connect(p.websocketUrl, alice.token, `&since=${since}`);
    assert.equal(back.frames[0]!.recovered, true);
    const live = await senders[1]!.http.call('POST', '/v1/messages', { conversation_id: convs[1], content: 'live' });
    await back.next((f) => f.message_id === live.body.message_id, 'live message');
    const got = back.of('new_message');
    assert.equal(got.length, 51);
    assert.equal(got[50]!.message_id, live.body.message_id, 'live after the replay');
    for (const [c, ids] of sent) assert.deepEqual(got.slice(0, 50).filter((f) => f.conversation_id === c).map((f) => f.message_id), ids, `order in ${c}`);
    assert.equal(new Set(got.map((f) => f.message_id)).size, 51, 'no duplicates');
  });

  it('loses nothing and repeats nothing while messages keep arriving during the reconnect', async () => {
    const p = await platform();
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    const conv = await direct(bob, alice);
    const sent: string[] = [];
    let sending = true;
    let first: Device | undefined = await connect(p.websocketUrl, alice.token);
    const sender = (async () => {
      for (let i = 0; sending && i < 400; i++) {
        const r = await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: `n${i}` });
        sent.push(r.body.message_id);
        await sleep(2);
      }
    })();
    const seen: string[] = [];
    let since: string | undefined;
    for (let round = 0; round < 4; round++) {
      const d: Device = first ?? (await connect(p.websocketUrl, alice.token, `&since=${since}`));
      if (!first) assert.equal(d.frames[0]!.recovered, true);
      first = undefined;
      await sleep(60);
      await d.close();
      seen.push(...d.of('new_message').map((f) => f.message_id));
      since = d.lastEventId() ?? since;
    }
    sending = false;
    await sender;
    const last = await connect(p.websocketUrl, alice.token, `&since=${since}`);
    const missing = () => sent.filter((id) => !seen.includes(id) && !last.of('new_message').some((f) => f.message_id === id));
    await waitFor(() => missing().length === 0, 'every sent message seen').catch((err: Error) => {
      throw new Error(`${err.message}: ${missing().length} of ${sent.length} missing; seen ${seen.length}; recovered=${last.frames[0]!.recovered}`);
    });
    seen.push(...last.of('new_message').map((f) => f.message_id));
    assert.ok(sent.length > 10);
    assert.deepEqual(seen, sent, 'every message once, in order, across four reconnects');
  });
});

describe('presence', () => {
  it('tells contacts on another gateway when a user comes and goes, and shows it on the conversation', async () => {
    const p = await platform({ gateway: { presenceIntervalMs: 300 } });
    const gw2 = await p.addGateway();
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    const stranger = await signUp(p.apiUrl, 'eve');
    const conv = await direct(bob, alice);
    const b = await connect(gw2.websocketUrl, bob.token);
    const e = await connect(gw2.websocketUrl, stranger.token);
    const a1 = await connect(p.websocketUrl, alice.token);
    await b.next((f) => f.type === 'presence' && f.user_id === alice.userId && f.status === 'online', 'online');
    const view = await bob.http.call('GET', `/v1/conversations/${conv}`);
    assert.equal(view.body.members.find((m: any) => m.user_id === alice.userId).online, true);
    const a2 = await connect(gw2.websocketUrl, alice.token);
    await a1.close();
    await a2.close();
    await b.next((f) => f.type === 'presence' && f.user_id === alice.userId && f.status === 'offline', 'offline');
    const later = await bob.http.call('GET', `/v1/conversations/${conv}`);
    assert.equal(later.body.members.find((m: any) => m.user_id === alice.userId).online, false);
    // Coming back is a barrier: had the first device's close announced "offline" while the second
    // was still connected, bob would have seen offline, offline, online.
    const a3 = await connect(p.websocketUrl, alice.token);
    await b.next((f) => f.type === 'presence' && f.user_id === alice.userId && f.status === 'online' && b.of('presence').filter((g) => g.user_id === alice.userId).length >= 3, 'online again');
    assert.deepEqual(b.of('presence').filter((f) => f.user_id === alice.userId).map((f) => f.status), ['online', 'offline', 'online'], 'still online on another device: no event');
    assert.equal(e.of('presence').length, 0, 'non-contacts hear nothing');
    await a3.close();
  });

  it('does not storm contacts when a connection flaps', async () => {
    const p = await platform({ gateway: { presenceIntervalMs: 1000 } });
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    await direct(bob, alice);
    const b = await connect(p.websocketUrl, bob.token);
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const d = await Device.connect(p.websocketUrl, alice.token);
      await d.close();
    }
    const flapMs = Date.now() - started;
    // The notifier sends at most one change per interval; it ends on the state the flaps left.
    await b.next((f) => f.type === 'presence' && f.user_id === alice.userId && b.of('presence').filter((g) => g.user_id === alice.userId).at(-1)?.status === 'offline', 'offline at the end', 5000);
    const events = b.of('presence').filter((f) => f.user_id === alice.userId);
    assert.ok(events.length <= Math.ceil(flapMs / 1000) + 2, `${events.length} presence events for 10 flaps in ${flapMs} ms`);
    assert.equal(events.at(-1)?.status, 'offline', 'the last event is the state it ended in');
  });
});

describe('typing', () => {
  it('reaches the other members only, throttled, and never enters history', async () => {
    const p = await platform();
    const [alice, bob, carol, eve] = [await signUp(p.apiUrl, 'alice'), await signUp(p.apiUrl, 'bob'), await signUp(p.apiUrl, 'carol'), await signUp(p.apiUrl, 'eve')];
    const g = await alice.http.call('POST', '/v1/conversations', { type: 'group', name: 'g', members: [bob.username, carol.username] });
    const conv = g.body.conversation_id;
    const [a, b, c, e] = [await connect(p.websocketUrl, alice.token), await connect(p.websocketUrl, bob.token), await connect(p.websocketUrl, carol.token), await connect(p.websocketUrl, eve.token)];
    for (let i = 0; i < 5; i++) a.send({ type: 'typing', conversation_id: conv });
    for (const d of [b, c]) await d.next((f) => f.type === 'typing' && f.user_id === alice.userId && f.conversation_id === conv, 'typing');
    e.send({ type: 'typing', conversation_id: conv });
    await e.next((f) => f.type === 'error' && f.code === 'conversation_not_found', 'a non-member is refused');
    // A barrier: alice types in another conversation with bob. Her frames are handled in order and
    // bob's events travel one channel, so any second event of the five would have come before it.
    const other = await direct(alice, bob);
    a.send({ type: 'typing', conversation_id: other });
    await b.next((f) => f.type === 'typing' && f.conversation_id === other, 'typing in the other conversation');
    assert.equal(b.of('typing').filter((f) => f.conversation_id === conv).length, 1, 'five frames, one event');
    assert.equal(a.of('typing').length, 0, 'not echoed to the typist');
    assert.equal(e.of('typing').length, 0);
    const history = await bob.http.call('GET', `/v1/conversations/${conv}/messages`);
    assert.equal(history.body.messages.length, 0);
  });

  it('marks a message read with the read frame', async () => {
    const p = await platform();
    const alice = await signUp(p.apiUrl, 'alice');
    const bob = await signUp(p.apiUrl, 'bob');
    const conv = await direct(bob, alice);
    const b = await connect(p.websocketUrl, bob.token);
    const a = await connect(p.websocketUrl, alice.token);
    const m = await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'read me' });
    await a.next((f) => f.message_id === m.body.message_id, 'message');
    a.send({ type: 'read', message_id: m.body.message_id });
    await b.next((f) => f.type === 'message_status' && f.status === 'READ', 'READ to the sender');
    await a.next((f) => f.type === 'message_status' && f.status === 'READ', 'READ to the reader\'s devices');
    a.send({ type: 'read', message_id: '00000000-0000-7000-8000-000000000000' });
    await a.next((f) => f.type === 'error' && f.code === 'message_not_found', 'unknown message');
  });
});

describe('protection of the gateway', () => {
  it('closes a client that stops reading with 4008, with memory bounded', async () => {
    const p = await platform({ gateway: { maxBufferedBytes: 256 * 1024 } });
    const alice = await signUp(p.apiUrl, 'alice');
    const slow = await connect(p.websocketUrl, alice.token);
    const socket = (slow.ws as any)._socket as Socket;
    socket.pause();
    const broker = p.backends.newBroker();
    const before = process.memoryUsage();
    const content = 'x'.repeat(10_000);
    for (let i = 0; i < 3000; i++) {
      await broker.publish([{ userId: alice.userId, body: { type: 'new_message', message_id: randomUUID(), conversation_id: randomUUID(), sender_id: randomUUID(), content, created_at: new Date().toISOString() } as any }]);
      if (i % 100 === 0) await sleep(1);
    }
    const metrics = await waitFor(async () => {
      const t = await (await fetch(p.metricsUrl)).text();
      return /connection_errors_total\{reason="slow_consumer"\} [1-9]/.test(t) && t;
    }, 'a slow_consumer close');
    assert.ok(metrics);
    const grown = process.memoryUsage().external + process.memoryUsage().arrayBuffers - before.external - before.arrayBuffers;
    assert.ok(grown < 24 * 1024 * 1024, `buffers grew by ${grown} bytes for 30 MB published`);
    socket.resume();
    await waitFor(() => slow.closeCode, 'the close');
    assert.equal(slow.closeCode, 4008);
    await broker.close();
  });

  it('limits connections per user, frames per connection, and new connections per gateway', async () => {
    const p = await platform({ gateway: { limits: { connectionsPerUser: 2, connectionFrames: { perSecond: 5, burst: 5 }, connects: { perSecond: 1, burst: 8 } } } });
    const alice = await signUp(p.apiUrl, 'alice');
    const url = `${p.websocketUrl}/notifications?token=${alice.token}`;
    const d1 = await connect(p.websocketUrl, alice.token);
    await connect(p.websocketUrl, alice.token);
    assert.equal(await upgradeStatus(url), 429, 'a third connection of one user');
    for (let i = 0; i < 20; i++) d1.send({ type: 'ping' });
    await waitFor(() => d1.closeCode, 'rate-limit close');
    assert.equal(d1.closeCode, 4029);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await upgradeStatus(`${p.websocketUrl}/notifications?token=bad`));
    assert.ok(statuses.includes(503), `a burst of connects is shed: ${statuses.join(',')}`);
  });

  it('closes a connection when its token expires, with 4001', async () => {
    const p = await platform({ heartbeatMs: 200 });
    const alice = await signUp(p.apiUrl, 'alice');
    const now = Math.floor(Date.now() / 1000);
    const short = jwt.sign({ sub: alice.userId, username: alice.username, iat: now, exp: now + 2 }, p.jwtSecret, { algorithm: 'HS256' });
    const d = await connect(p.websocketUrl, short);
    await waitFor(() => d.closeCode, 'expiry close', 6000);
    assert.equal(d.closeCode, 4001);
  });
});

describe('access that ends', () => {
  it('refuses a token whose subject is no user, in the URL and in an auth frame', async () => {
    const p = await platform();
    const now = Math.floor(Date.now() / 1000);
    const ghost = jwt.sign({ sub: '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b', username: 'ghost', iat: now, exp: now + 600 }, p.jwtSecret, { algorithm: 'HS256' });
    assert.equal(await upgradeStatus(`${p.websocketUrl}/notifications?token=${ghost}`), 401);
    assert.equal(await upgradeStatus(`${p.websocketUrl}/notifications`, { authorization: `Bearer ${ghost}` }), 401);
    const ws = new WebSocket(`${p.websocketUrl}/notifications`);
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(String(d)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'auth', token: ghost }));
    const [code, reason] = await new Promise<[number, string]>((resolve) => ws.once('close', (c, r) => resolve([c, String(r)])));
    assert.deepEqual([code, reason], [1008, 'invalid_token']);
    assert.deepEqual(frames, [], 'never connected');
  });

  it('takes a removed member out of the group on every gateway at once: typing, read frames and receipts', async () => {
    const p = await platform();
    const gw2 = await p.addGateway();
    const [alice, bob, carol] = [await signUp(p.apiUrl, 'alice'), await signUp(p.apiUrl, 'bob'), await signUp(p.apiUrl, 'carol')];
    const conv = (await alice.http.call('POST', '/v1/conversations', { type: 'group', name: 'g', members: [bob.username, carol.username] })).body.conversation_id;
    const a = await connect(p.websocketUrl, alice.token);
    const b1 = await connect(p.websocketUrl, bob.token);
    const b2 = await connect(gw2.websocketUrl, bob.token);
    const c = await connect(gw2.websocketUrl, carol.token);
    // Each gateway reads the group (and remembers it) before the change.
    const m = await bob.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'before leaving' });
    const fromCarol = await carol.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'for bob to read' });
    for (const d of [b1, b2]) await d.next((f) => f.message_id === fromCarol.body.message_id, 'carol\'s message at bob');
    b1.send({ type: 'typing', conversation_id: conv });
    await c.next((f) => f.type === 'typing' && f.user_id === bob.userId, 'bob typing while a member');

    const removed = await alice.http.call('DELETE', `/v1/conversations/${conv}/members/${bob.userId}`);
    assert.equal(removed.status, 200);
    a.send({ type: 'typing', conversation_id: conv });
    c.send({ type: 'typing', conversation_id: conv });
    b2.send({ type: 'typing', conversation_id: conv });
    await b2.next((f) => f.type === 'error' && f.code === 'conversation_not_found', 'bob may not type to the group any more');
    b2.send({ type: 'read', message_id: fromCarol.body.message_id });
    await b2.next((f) => f.type === 'error' && f.code === 'message_not_found', 'bob may not read the group any more');
    c.send({ type: 'read', message_id: m.body.message_id });
    await a.next((f) => f.type === 'typing' && f.user_id === carol.userId, 'carol typing reaches alice');
    await c.next((f) => f.type === 'message_status' && f.status === 'READ' && f.message_id === m.body.message_id, 'READ at carol\'s devices');
    const marker = await alice.http.call('POST', '/v1/messages', { conversation_id: conv, content: 'after' });
    await c.next((f) => f.message_id === marker.body.message_id, 'a later message');
    for (const d of [b1, b2]) {
      assert.deepEqual(d.of('typing').filter((f) => f.conversation_id === conv && f.user_id !== bob.userId), [], 'no typing of the group after the removal');
      assert.equal(d.of('message_status').filter((f) => f.status === 'READ').length, 0, 'no receipt of the group after the removal');
      assert.equal(d.frames.some((f) => f.message_id === marker.body.message_id), false);
    }
    assert.equal(a.of('typing').filter((f) => f.user_id === bob.userId).length, 1, 'only the typing from before the removal');
  });
});
