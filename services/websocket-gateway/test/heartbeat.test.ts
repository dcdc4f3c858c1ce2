import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { UuidV7Generator } from '@chat4all/core';
import type WebSocket from 'ws';
import { Connection } from '../src/connection.js';
import { dispatcher, fakeSocket } from './helpers.js';

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
    const { d } = dispatcher();
    const sockets = Array.from({ length: 1000 }, () => fakeSocket());
    const conns = sockets.map(({ ws }) => new Connection(ws as unknown as WebSocket, ids.next(), ids.next(), Date.now() + 3_600_000));
    for (const c of conns) await d.add(c, undefined);
    const pinged = () => sockets.filter((s) => s.counts.pings > 0).length;
    mockTime();
    const sweep = d.heartbeat(60_000, 1000);
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
    conns.forEach((c, i) => (c.alive = i % 2 === 0));
    const next = d.heartbeat(60_000, 1000);
    mock.timers.tick(1000);
    await settle();
    await next;
    assert.equal(sockets.filter((s) => s.counts.terminated > 0).length, 500);
    assert.ok(conns.every((c, i) => c.closed === (i % 2 === 1)));
  });

  it('does not wait when the sweep is behind its schedule', async () => {
    const { d } = dispatcher();
    const sockets = Array.from({ length: 300 }, () => fakeSocket());
    for (const { ws } of sockets) await d.add(new Connection(ws as unknown as WebSocket, ids.next(), ids.next(), Date.now() + 3_600_000), undefined);
    mockTime();
    // The first wait ends late, past the whole spread (as on a busy machine): the remaining
    // slices follow at once instead of waiting their turns.
    const sweep = d.heartbeat(60_000, 300);
    mock.timers.tick(1000);
    await settle();
    await sweep;
    assert.ok(sockets.every((s) => s.counts.pings === 1));
  });
});
