import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UuidV7Generator } from '@chat4all/core';
import { Registry } from 'prom-client';
import { ConnectionRegistry } from '../src/connection-registry.js';
import { GatewayMetrics } from '../src/metrics.js';
import { connection, connectionEnv } from './helpers.js';

const ids = new UuidV7Generator();

/** A broker whose subscribes and unsubscribes wait until the test settles them, in the order they were asked. */
class ManualBroker {
  readonly calls: { op: 'subscribe' | 'unsubscribe'; userIds: string[]; settle: (err?: Error) => void }[] = [];
  subscribe(userIds: string[]): Promise<void> {
    return this.call('subscribe', userIds);
  }
  unsubscribe(userIds: string[]): Promise<void> {
    return this.call('unsubscribe', userIds);
  }
  private call(op: 'subscribe' | 'unsubscribe', userIds: string[]): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ op, userIds, settle: (err) => (err ? reject(err) : resolve()) }));
  }
  ops(): string[] {
    return this.calls.map((c) => c.op);
  }
}

/** Lets pending promise callbacks run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function rig() {
  const broker = new ManualBroker();
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);
  const connections = new ConnectionRegistry({ broker, metrics });
  const { env } = connectionEnv();
  const device = (userId: string) => connection(env, userId).conn;
  return { broker, registry, connections, device };
}

describe('connection registry', () => {
  it('subscribes a user once however many devices connect at once, and they all wait on it', async () => {
    const { broker, connections, device, registry } = rig();
    const user = ids.next();
    const devices = Array.from({ length: 5 }, () => device(user));
    let ready = 0;
    const adds = devices.map((d) => connections.add(d).then(() => ready++));
    assert.equal(connections.countOf(user), 5, 'counted at once, before the subscribe');
    assert.deepEqual(broker.ops(), ['subscribe'], 'one subscribe in flight');
    await flush();
    assert.equal(ready, 0, 'nobody goes on before the user is subscribed');
    broker.calls[0]!.settle();
    await Promise.all(adds);
    assert.equal(ready, 5);
    assert.match(await registry.metrics(), /^websocket_connections_active 5$/m);
    assert.match(await registry.metrics(), /^websocket_subscribed_users 1$/m);
  });

  it('unsubscribes when the last device leaves, not before', async () => {
    const { broker, connections, device } = rig();
    const user = ids.next();
    const [a, b] = [device(user), device(user)];
    const added = Promise.all([connections.add(a), connections.add(b)]);
    broker.calls[0]!.settle();
    await added;
    await connections.remove(a);
    assert.deepEqual(broker.ops(), ['subscribe']);
    const removed = connections.remove(b);
    await flush();
    assert.deepEqual(broker.ops(), ['subscribe', 'unsubscribe']);
    broker.calls[1]!.settle();
    await removed;
    assert.equal(connections.size, 0);
    assert.equal(connections.userCount, 0);
    await connections.remove(b);
    assert.equal(broker.calls.length, 2, 'removing twice does nothing');
  });

  it('subscribes a device connecting while its user is being unsubscribed again, after the unsubscribe', async () => {
    const { broker, connections, device } = rig();
    const user = ids.next();
    const first = device(user);
    const added = connections.add(first);
    broker.calls[0]!.settle();
    await added;
    const removed = connections.remove(first);
    await flush();
    assert.deepEqual(broker.ops(), ['subscribe', 'unsubscribe']);
    // A device of the user connects before the unsubscribe is done.
    let ready = false;
    const again = connections.add(device(user)).then(() => (ready = true));
    await flush();
    assert.deepEqual(broker.ops(), ['subscribe', 'unsubscribe'], 'it waits for the unsubscribe, which would otherwise undo its subscribe');
    broker.calls[1]!.settle();
    await removed;
    await flush();
    assert.deepEqual(broker.ops(), ['subscribe', 'unsubscribe', 'subscribe']);
    assert.equal(ready, false);
    broker.calls[2]!.settle();
    await again;
    assert.equal(connections.countOf(user), 1);
  });

  it('unsubscribes a user whose last device left during the subscribe only once the subscribe is done', async () => {
    const { broker, connections, device } = rig();
    const user = ids.next();
    const d = device(user);
    const added = connections.add(d);
    const removed = connections.remove(d);
    await flush();
    assert.deepEqual(broker.ops(), ['subscribe'], 'the unsubscribe waits, else the subscribe could land after it');
    broker.calls[0]!.settle();
    await added;
    await flush();
    assert.deepEqual(broker.ops(), ['subscribe', 'unsubscribe']);
    broker.calls[1]!.settle();
    await removed;
  });

  it('rejects the devices waiting on a failed subscribe, and the next connect tries again', async () => {
    const { broker, connections, device } = rig();
    const user = ids.next();
    const [a, b] = [device(user), device(user)];
    const adds = [connections.add(a), connections.add(b)].map((p) => p.then(() => 'ok', (err: Error) => err.message));
    broker.calls[0]!.settle(new Error('redis down'));
    assert.deepEqual(await Promise.all(adds), ['redis down', 'redis down']);
    assert.equal(connections.countOf(user), 2, 'they stay registered until they are removed (closed)');
    const c = connections.add(device(user));
    assert.deepEqual(broker.ops(), ['subscribe', 'subscribe'], 'a new subscribe');
    broker.calls[1]!.settle();
    await c;
  });

  it('lists every connection, user by user', async () => {
    const { broker, connections, device } = rig();
    const users = [ids.next(), ids.next()];
    const all = [device(users[0]!), device(users[0]!), device(users[1]!)];
    const adds = all.map((d) => connections.add(d));
    for (const call of broker.calls) call.settle();
    await Promise.all(adds);
    assert.equal(connections.size, 3);
    assert.deepEqual(new Set(connections), new Set(all));
    assert.equal(connections.connectionsOf(users[0]!)?.size, 2);
  });
});
