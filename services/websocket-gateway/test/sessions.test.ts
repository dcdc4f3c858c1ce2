import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UuidV7Generator, unavailable } from '@chat4all/core';
import { MemoryBroker, MemoryBrokerHub } from '@chat4all/core/memory';
import { gatewayRoles } from './helpers.js';

const ids = new UuidV7Generator();

/** Lets the work that promises and microtasks started run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('sessions', () => {
  it('brings a socket live: registered, subscribed, online, then connected', async () => {
    const r = gatewayRoles();
    const user = ids.next();
    const ws = await r.open(user);
    assert.equal(ws.frames()[0]!.type, 'connected');
    assert.equal(ws.frames()[0]!.user_id, user);
    assert.equal(ws.frames()[0]!.recovered, undefined, 'no since, nothing to recover');
    assert.equal(r.connections.countOf(user), 1);
    assert.deepEqual([...(await r.presence.online([user]))], [user]);
    assert.ok([...r.connections].every((c) => c.state === 'live'));
    assert.match(await r.registry.metrics(), /^websocket_connects_total 1$/m);
  });

  it('undoes it all when the last socket of a user closes, and only then', async () => {
    const r = gatewayRoles();
    const user = ids.next();
    const [a, b] = [await r.open(user), await r.open(user)];
    a.peerClosed(1000);
    await settle();
    assert.equal(r.connections.countOf(user), 1);
    assert.equal((await r.presence.online([user])).has(user), true, 'still online on the other device');
    r.sessions.onBrokerMessage(user, JSON.stringify({ type: 'typing', conversation_id: ids.next(), user_id: ids.next() }));
    assert.equal(a.frames().filter((f) => f.type === 'typing').length, 0, 'nothing to a closed socket');
    assert.equal(b.frames().filter((f) => f.type === 'typing').length, 1);
    b.peerClosed(1001);
    await settle();
    assert.equal(r.connections.size, 0);
    assert.equal((await r.presence.online([user])).has(user), false);
    assert.equal(r.hub.subscribers.has(user), false, 'unsubscribed');
    assert.match(await r.registry.metrics(), /^websocket_disconnects_total\{code="1001"\} 1$/m);
  });

  it('closes a connection that sends past its frame budget with 4029', async () => {
    const r = gatewayRoles();
    const ws = await r.open(ids.next());
    for (let i = 0; i < 25; i++) ws.receive({ type: 'ping' });
    await settle();
    assert.deepEqual(ws.closes, [4029]);
    assert.equal(ws.frames().filter((f) => f.type === 'pong').length, 20, 'the burst is answered');
    assert.match(await r.registry.metrics(), /^connection_errors_total\{reason="rate_limited"\} 1$/m);
  });

  it('closes with 1011 a socket whose user cannot be subscribed, so its client retries', async () => {
    const broker = new MemoryBroker(new MemoryBrokerHub());
    broker.subscribe = async () => {
      throw unavailable('redis_unavailable', 'down');
    };
    const r = gatewayRoles({ broker });
    const ws = await r.open(ids.next());
    assert.deepEqual(ws.closes, [1011]);
    assert.equal(ws.frames().length, 0, 'never told connected');
    assert.match(await r.registry.metrics(), /^connection_errors_total\{reason="backend_unavailable"\} 1$/m);
  });

  it('drains: closes every connection with the given code and waits until they are gone', async () => {
    const r = gatewayRoles();
    const sockets = [await r.open(ids.next()), await r.open(ids.next())];
    const drained = r.sessions.closeAll(1012, 'draining', 0);
    assert.deepEqual(sockets.map((s) => s.closes), [[1012], [1012]]);
    for (const s of sockets) s.peerClosed(1012);
    await drained;
    assert.equal(r.connections.size, 0);
  });
});
