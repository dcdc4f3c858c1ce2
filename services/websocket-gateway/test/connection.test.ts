import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { UuidV7Generator } from '@chat4all/core';
import type { Outgoing } from '../src/connection.js';
import { connection, connectionEnv } from './helpers.js';

const ids = new UuidV7Generator();

/** A payload as the broker delivers it: an event with its id first. */
function payload(seq: number, body: Record<string, unknown> = {}): string {
  return JSON.stringify({ event_id: `1700000000000-${seq}`, type: 'message_status', seq, ...body });
}
const out = (data: string): Outgoing => ({ data, ev: JSON.parse(data) });
const seqs = (frames: { [k: string]: unknown }[]) => frames.filter((f) => f.seq !== undefined).map((f) => f.seq);

describe('Connection state machine', () => {
  afterEach(() => mock.timers.reset());

  it('goes authenticated → catching-up → live → draining → closed, refusing other moves', () => {
    const { env } = connectionEnv();
    const { ws, conn } = connection(env);
    assert.equal(conn.state, 'authenticated');
    assert.equal(conn.isOpen, true);
    assert.equal(conn.startCatchUp(), true);
    assert.equal(conn.state, 'catching-up');
    assert.equal(conn.startCatchUp(), false, 'already catching up');
    conn.finishCatchUp([]);
    assert.equal(conn.state, 'live');
    conn.close(1012, 'bye');
    assert.equal(conn.state, 'draining');
    assert.equal(conn.isOpen, false);
    assert.equal(conn.startCatchUp(), false, 'a closing connection does not catch up');
    conn.close(1000, 'again');
    assert.deepEqual(ws.closes, [1012], 'one close handshake');
    conn.socketClosed();
    assert.equal(conn.state, 'closed');
  });

  it('terminates a peer that never answers the close handshake', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const { env } = connectionEnv();
    const { ws, conn } = connection(env);
    conn.close(1012, 'bye');
    mock.timers.tick(4999);
    assert.equal(ws.counts.terminated, 0);
    mock.timers.tick(1);
    assert.equal(ws.counts.terminated, 1);
  });

  it('holds live payloads while catching up, then writes the replay and the held ones once each, in order', () => {
    const { env } = connectionEnv();
    const { ws, conn } = connection(env);
    conn.startCatchUp();
    // Events 3 and 4 arrive live while history (up to 4) is read; 5 and an ephemeral frame follow.
    conn.push(out(payload(3)));
    conn.push(out(payload(4)));
    conn.push(out(JSON.stringify({ type: 'typing', seq: 0 })));
    conn.push(out(payload(5)));
    assert.equal(ws.sent.length, 0, 'nothing written while catching up');
    assert.equal(conn.heldCount, 4);
    conn.finishCatchUp([payload(2), payload(3), payload(4)].map(out));
    assert.deepEqual(seqs(ws.frames()), [2, 3, 4, 0, 5]);
    assert.equal(conn.lastEventId, '1700000000000-5');
    assert.equal(conn.state, 'live');
    conn.push(out(payload(6)));
    assert.deepEqual(seqs(ws.frames()).at(-1), 6, 'live payloads written at once');
  });

  it('closes with 1012 when its held payloads overflow, and holds nothing more', () => {
    const { env } = connectionEnv({ maxHeld: 3 });
    const { ws, conn } = connection(env);
    conn.startCatchUp();
    for (let i = 1; i <= 3; i++) conn.push(out(payload(i)));
    assert.deepEqual(ws.closes, []);
    conn.push(out(payload(4)));
    assert.deepEqual(ws.closes, [1012], 'retryable: the client reconnects and catches up from its last event');
    assert.equal(conn.heldCount, 0, 'the held payloads are let go');
    conn.finishCatchUp([out(payload(1))]);
    assert.equal(ws.sent.length, 0, 'nothing written after the close');
  });

  it('closes a consumer that does not read with 4008 instead of writing more', async () => {
    const { env, registry } = connectionEnv({ maxBufferedBytes: 100 });
    const { ws, conn } = connection(env, ids.next(), { bufferedAmount: 101 });
    assert.equal(conn.sendFrame({ type: 'pong' }), false);
    assert.deepEqual(ws.closes, [4008]);
    assert.equal(ws.sent.length, 0);
    assert.match(await registry.metrics(), /^connection_errors_total\{reason="slow_consumer"\} 1$/m);
  });

  it('reports a new message of someone else delivered once written, and not its own', async () => {
    const { env, registry, delivered } = connectionEnv();
    const me = ids.next();
    const { conn } = connection(env, me);
    conn.startCatchUp();
    conn.finishCatchUp([]);
    const message = (id: string, sender: string) => out(JSON.stringify({ event_id: '1700000000000-1', type: 'new_message', message_id: id, conversation_id: ids.next(), sender_id: sender, created_at: new Date().toISOString() }));
    const theirs = ids.next();
    conn.push(message(theirs, ids.next()));
    conn.push(message(ids.next(), me));
    assert.deepEqual(delivered, [`${theirs}:${me}`]);
    assert.match(await registry.metrics(), /^notifications_sent_total\{type="new_message"\} 2$/m);
    assert.match(await registry.metrics(), /^notification_delivery_latency_seconds_count 2$/m);
  });

  it('is silent after a ping until it is heard from', () => {
    const { env } = connectionEnv();
    const { ws, conn } = connection(env);
    assert.equal(conn.responsive, true);
    conn.ping();
    assert.equal(ws.counts.pings, 1);
    assert.equal(conn.responsive, false);
    conn.heard();
    assert.equal(conn.responsive, true);
    conn.terminate();
    assert.equal(conn.state, 'closed');
    assert.equal(ws.counts.terminated, 1);
  });
});
