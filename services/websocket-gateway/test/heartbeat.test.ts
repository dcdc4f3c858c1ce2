import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { UuidV7Generator } from '@chat4all/core';
import { claims, FakeSocket, fakeSocket, gatewayRoles } from './helpers.js';

const ids = new UuidV7Generator();

/** Lets the promises that timers resolved run on. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('heartbeat sweep', () => {
  // Enabled once the connections are added (the memory backends answer on real timers).
  const mockTime = () => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
  afterEach(() => mock.timers.reset());

  it('pings every connection in slices spread over the given time, and closes the silent ones on the next sweep', async () => {
    const { heartbeat, open, connections } = gatewayRoles();
    const sockets = Array.from({ length: 1000 }, () => fakeSocket());
    for (const { ws } of sockets) await open(ids.next(), undefined, ws);
    const conns = [...connections];
    const pinged = () => sockets.filter((s) => s.counts.pings > 0).length;
    mockTime();
    const sweep = heartbeat.sweep(1000);
    assert.equal(pinged(), 100, 'the first slice at once');
    mock.timers.tick(99);
    await settle();
    assert.equal(pinged(), 100, 'the next slice not before its time');
    mock.timers.tick(1);
    await settle();
    assert.equal(pinged(), 200);
    mock.timers.tick(800);
    await settle();
    assert.equal(pinged(), 1000, 'all pinged within the spread');
    await sweep;
    // Half answer with a pong; the other half stay silent and are closed by the next sweep.
    conns.forEach((c, i) => i % 2 === 0 && c.heard());
    const next = heartbeat.sweep(1000);
    mock.timers.tick(1000);
    await settle();
    await next;
    assert.equal(sockets.filter((s) => s.counts.terminated > 0).length, 500);
    assert.ok(conns.every((c, i) => (c.state === 'closed') === (i % 2 === 1)));
  });

  it('does not wait when the sweep is behind its schedule', async () => {
    const { heartbeat, open } = gatewayRoles();
    const sockets = Array.from({ length: 300 }, () => fakeSocket());
    for (const { ws } of sockets) await open(ids.next(), undefined, ws);
    mockTime();
    // The first wait ends late, past the whole spread (as on a busy machine): the remaining
    // slices follow at once instead of waiting their turns.
    const sweep = heartbeat.sweep(300);
    mock.timers.tick(1000);
    await settle();
    await sweep;
    assert.ok(sockets.every((s) => s.counts.pings === 1));
  });
});

describe('heartbeat liveness', () => {
  afterEach(() => mock.timers.reset());

  /** Runs the timers due within `ms`, then what they started. */
  async function advance(ms: number): Promise<void> {
    mock.timers.tick(ms);
    await settle();
  }

  it('terminates a silent client after the configured time and keeps a responsive one', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.now() });
    const r = gatewayRoles({ heartbeatMs: 1000 });
    const silent = await r.open(ids.next());
    const responsive = await r.open(ids.next());
    responsive.answersPings = true;
    r.heartbeat.start();
    await advance(999);
    assert.equal(silent.counts.pings + responsive.counts.pings, 0, 'no ping before the period');
    await advance(1);
    assert.deepEqual([silent.counts.pings, responsive.counts.pings], [1, 1]);
    await advance(1000);
    assert.equal(silent.counts.terminated, 1, 'silent since the last ping: terminated');
    assert.equal(responsive.counts.terminated, 0);
    assert.equal(r.connections.size, 1, 'the terminated connection is gone');
    assert.match(await r.registry.metrics(), /^connection_errors_total\{reason="heartbeat_timeout"\} 1$/m);
    for (let i = 0; i < 10; i++) await advance(1000);
    assert.equal(responsive.counts.terminated, 0, 'a responsive client stays');
    assert.equal(responsive.counts.pings, 12);
    r.heartbeat.stop();
    await advance(5000);
    assert.equal(responsive.counts.pings, 12, 'no sweep once stopped');
  });

  it('counts any frame from the client as a sign of life', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.now() });
    const r = gatewayRoles({ heartbeatMs: 1000 });
    const chatty = await r.open(ids.next());
    r.heartbeat.start();
    for (let i = 0; i < 5; i++) {
      await advance(1000);
      chatty.receive({ type: 'ping' });
    }
    assert.equal(chatty.counts.terminated, 0);
    r.heartbeat.stop();
  });

  it('closes a connection whose token expired with 4001', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: Date.now() });
    const r = gatewayRoles({ heartbeatMs: 1000 });
    const ws = new FakeSocket();
    ws.answersPings = true;
    await r.sessions.open(ws.socket, claims(ids.next(), 2), undefined);
    r.heartbeat.start();
    await advance(3000);
    assert.deepEqual(ws.closes, [4001]);
    assert.equal(ws.counts.terminated, 0);
    r.heartbeat.stop();
  });
});
