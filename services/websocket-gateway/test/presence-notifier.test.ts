import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { PresenceFrame } from '@chat4all/contract';
import { type EphemeralDelivery, UuidV7Generator } from '@chat4all/core';
import { PresenceNotifier } from '../src/presence-notifier.js';
import { memoryBackends, silentLogger } from './helpers.js';

const ids = new UuidV7Generator();

/** A notifier on memory backends that counts the reads and publishes it makes. */
function rig(options: { intervalMs?: number; contactsTtlMs?: number } = {}) {
  const b = memoryBackends();
  const onlineCalls: string[][] = [];
  const listed: string[] = [];
  const published: EphemeralDelivery[][] = [];
  const online = b.presence.online.bind(b.presence);
  b.presence.online = (users: string[]) => (onlineCalls.push(users), online(users));
  const list = b.conversations.listForUser.bind(b.conversations);
  b.conversations.listForUser = (userId: string, limit: number) => (listed.push(userId), list(userId, limit));
  b.broker.publishEphemeral = async (d: EphemeralDelivery[]) => void published.push(d);
  const notifier = new PresenceNotifier({ ...b, logger: silentLogger, now: () => Date.now(), intervalMs: options.intervalMs ?? 5000, batchMs: 100, ...(options.contactsTtlMs ? { contactsTtlMs: options.contactsTtlMs } : {}) });
  /** A direct conversation between `a` and `b`. */
  const pair = (a: string, c: string) =>
    b.conversations.create({ conversation_id: ids.next(), type: 'direct', name: null, members: [a, c], admins: [a, c], created_by: a, created_at: new Date().toISOString(), last_activity_at: new Date().toISOString() });
  const connect = (userId: string) => b.presence.connect({ userId, connectionId: `${userId}-c` }, 600_000);
  const disconnect = (userId: string) => b.presence.disconnect({ userId, connectionId: `${userId}-c` });
  const frames = () => published.flat().map((d) => ({ to: d.userId, ...(d.frame as PresenceFrame) }));
  return { notifier, onlineCalls, listed, published, pair, connect, disconnect, frames };
}

/** Runs the timers due within `ms` and lets the work they started finish. */
async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('presence notifier', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_001 }));
  afterEach(() => mock.timers.reset());

  it('handles the users changing in one window together: one presence read, one publish', async () => {
    const r = rig();
    const contact = ids.next();
    const users = Array.from({ length: 50 }, () => ids.next());
    for (const u of users) {
      await r.pair(u, contact);
      await r.connect(u);
      r.notifier.changed(u);
    }
    await advance(98);
    assert.equal(r.published.length, 0, 'nothing before the window ends');
    await advance(1);
    assert.equal(r.onlineCalls.length, 1, 'one presence read');
    assert.equal(r.onlineCalls[0]!.length, 50);
    assert.equal(r.published.length, 1, 'one publish');
    assert.deepEqual(new Set(r.frames().map((f) => f.user_id)), new Set(users));
    assert.ok(r.frames().every((f) => f.to === contact && f.status === 'online'));
    r.notifier.close();
  });

  it('publishes at most one event per user per interval, with the state at its end, and remembers contacts', async () => {
    const r = rig({ intervalMs: 5000, contactsTtlMs: 30_000 });
    const alice = ids.next();
    const bob = ids.next();
    await r.pair(alice, bob);
    await r.connect(alice);
    r.notifier.changed(alice);
    await advance(100);
    assert.deepEqual(r.frames().map((f) => [f.to, f.status]), [[bob, 'online']]);
    // Flaps within the interval: no event until it ends, then the state it ended in.
    await r.disconnect(alice);
    r.notifier.changed(alice);
    await r.connect(alice);
    r.notifier.changed(alice);
    await r.disconnect(alice);
    r.notifier.changed(alice);
    await advance(4800);
    assert.equal(r.frames().length, 1, 'still one event within the interval');
    await advance(300);
    assert.deepEqual(r.frames().map((f) => f.status), ['online', 'offline']);
    assert.deepEqual(r.listed, [alice], 'contacts read once, then remembered');
    // Ends where it started: no event.
    await advance(6000);
    await r.connect(alice);
    r.notifier.changed(alice);
    await r.disconnect(alice);
    await advance(100);
    assert.equal(r.frames().length, 2);
    // Past the contacts' time they are read again.
    await advance(30_000);
    r.notifier.sweep();
    await r.connect(alice);
    r.notifier.changed(alice);
    await advance(100);
    assert.deepEqual(r.frames().map((f) => f.status), ['online', 'offline', 'online']);
    assert.deepEqual(r.listed, [alice, alice]);
    r.notifier.close();
  });
});
