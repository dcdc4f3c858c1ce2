import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { UuidV7Generator, unavailable } from '@chat4all/core';
import { MemoryBroker, MemoryBrokerHub } from '@chat4all/core/memory';
import { INVALID_SINCE } from '../src/catch-up.js';
import { type FakeSocket, gatewayRoles } from './helpers.js';

const ids = new UuidV7Generator();

/** A memory broker whose history reads can be held at a gate, or made to fail a number of times. */
class GatedBroker extends MemoryBroker {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  failures = 0;
  reads = 0;
  holdHistory(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  releaseHistory(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  override async history(userId: string, since: string, limit: number) {
    this.reads++;
    if (this.gate) await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw unavailable('redis_unavailable', 'history cannot be read now');
    }
    return super.history(userId, since, limit);
  }
}

/** Lets the work that promises and microtasks started run to its end (setImmediate is not mocked). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Runs the timers due within `ms`, then what they started. */
async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

function rig(options: { maxHeld?: number } = {}) {
  const broker = new GatedBroker(new MemoryBrokerHub());
  const roles = gatewayRoles({ broker, ...options });
  const publisher = new MemoryBroker(broker.hub);
  /** Publishes a new message with `content` to `userId`; resolves its event id. */
  const publish = async (userId: string, content: string) => {
    const [id] = await publisher.publish([{ userId, body: { type: 'new_message', message_id: ids.next(), conversation_id: ids.next(), sender_id: ids.next(), content, created_at: new Date().toISOString() } }]);
    return id!;
  };
  return { ...roles, broker, publish };
}

const contents = (ws: FakeSocket) => ws.frames().filter((f) => f.type === 'new_message').map((f) => f.content);

describe('catch-up on connect', () => {
  it('replays what the client missed, then the live events that came meanwhile, once each and in order', async () => {
    const r = rig();
    const user = ids.next();
    const seen = [];
    for (const c of ['m1', 'm2', 'm3', 'm4']) seen.push(await r.publish(user, c));
    r.broker.holdHistory();
    const opening = r.open(user, seen[1]);
    await settle();
    // Published while the history read is under way: live, and in the history the read returns.
    await r.publish(user, 'm5');
    await settle();
    const ws = [...r.connections][0]!.ws as unknown as FakeSocket;
    assert.equal(ws.sent.length, 0, 'held until the replay is written');
    r.broker.releaseHistory();
    await opening;
    assert.deepEqual(ws.frames()[0], { ...ws.frames()[0], type: 'connected', recovered: true });
    await r.publish(user, 'm6');
    await settle();
    assert.deepEqual(contents(ws), ['m3', 'm4', 'm5', 'm6']);
  });

  it('tells a client whose since is no event id that it was not recovered, and replays nothing', async () => {
    const r = rig();
    const user = ids.next();
    await r.publish(user, 'old');
    const ws = await r.open(user, INVALID_SINCE);
    assert.equal(ws.frames()[0]!.recovered, false);
    assert.deepEqual(contents(ws), []);
  });

  it('closes with 1012 when the live events held during the replay overflow; the client reconnects and loses nothing', async () => {
    const r = rig({ maxHeld: 3 });
    const user = ids.next();
    const since = await r.publish(user, 'seen');
    r.broker.holdHistory();
    const opening = r.open(user, since);
    await settle();
    for (let i = 1; i <= 5; i++) await r.publish(user, `live${i}`);
    await settle();
    const ws = [...r.connections][0]!.ws as unknown as FakeSocket;
    assert.deepEqual(ws.closes, [1012]);
    r.broker.releaseHistory();
    await opening;
    assert.equal(ws.sent.length, 0, 'nothing written to a closing connection');
    ws.peerClosed(1012);
    await settle();
    assert.equal(r.connections.countOf(user), 0);
    // The client reconnects from the last event it got.
    const again = await r.open(user, since);
    assert.equal(again.frames()[0]!.recovered, true);
    assert.deepEqual(contents(again), ['live1', 'live2', 'live3', 'live4', 'live5']);
  });
});

describe('catch-up after the broker lost its subscriptions', () => {
  afterEach(() => mock.timers.reset());

  /** Connects `n` users, each with one live event received; then the broker misses one event of each. */
  async function afterAFailover(r: ReturnType<typeof rig>, n: number) {
    const users = Array.from({ length: n }, () => ids.next());
    const sockets: FakeSocket[] = [];
    for (const u of users) {
      const ws = await r.open(u);
      await r.publish(u, 'before');
      await settle();
      sockets.push(ws);
    }
    await r.broker.unsubscribe(users);
    for (const u of users) await r.publish(u, 'missed');
    await r.broker.subscribe(users);
    return { users, sockets };
  }

  it('retries failing history reads with backoff, keeping the connections open, then replays in order', async () => {
    const r = rig();
    const { users, sockets } = await afterAFailover(r, 2);
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    r.broker.failures = 3;
    const resuming = r.catchUp.resume(r.connections);
    for (const u of users) await r.publish(u, 'after');
    await settle();
    assert.equal(r.broker.reads, 2, 'one failed read each');
    assert.ok(sockets.every((ws) => contents(ws).length === 1), 'live events held meanwhile');
    await advance(99);
    assert.equal(r.broker.reads, 2, 'not before the backoff');
    await advance(1);
    assert.equal(r.broker.reads, 4);
    await advance(200);
    await resuming;
    for (const ws of sockets) {
      assert.deepEqual(contents(ws), ['before', 'missed', 'after']);
      assert.deepEqual(ws.closes, []);
    }
    assert.ok([...r.connections].every((c) => c.state === 'live'));
  });

  it('closes with 1012 the connections it could not catch up in time, so their clients reconnect', async () => {
    const r = rig();
    const { sockets } = await afterAFailover(r, 2);
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    r.broker.failures = Infinity;
    let done = false;
    const resuming = r.catchUp.resume(r.connections).then(() => (done = true));
    for (let t = 0; t < 60 && !done; t++) await advance(2000);
    await resuming;
    for (const ws of sockets) assert.deepEqual(ws.closes, [1012]);
  });
});
