import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { type EphemeralDelivery, UuidV7Generator } from '@chat4all/core';
import { FrameRouter } from '../src/frame-router.js';
import { connection, connectionEnv, memoryBackends, silentLogger } from './helpers.js';

const ids = new UuidV7Generator();

/** A router on memory backends, with what it publishes and appends recorded, and a live connection of `me`. */
function rig(options: { maxTypingPairs?: number } = {}) {
  const b = memoryBackends();
  const published: EphemeralDelivery[][] = [];
  b.broker.publishEphemeral = async (d: EphemeralDelivery[]) => void published.push(d);
  const appended: unknown[] = [];
  const append = b.eventLog.append.bind(b.eventLog);
  b.eventLog.append = (topic, records) => (appended.push(records), append(topic, records));
  const { env, registry, metrics } = connectionEnv();
  const router = new FrameRouter({ ...b, metrics, logger: silentLogger, now: () => Date.now(), ...options });
  const me = ids.next();
  const { ws, conn } = connection(env, me);
  conn.startCatchUp();
  conn.finishCatchUp([]);
  const conversation = async (members: string[]) => {
    const id = ids.next();
    const at = new Date().toISOString();
    await b.conversations.create({ conversation_id: id, type: 'group', name: 'g', members, admins: [members[0]!], created_by: members[0]!, created_at: at, last_activity_at: at });
    return id;
  };
  const route = (frame: unknown, isBinary = false) => router.route(conn, typeof frame === 'string' ? frame : JSON.stringify(frame), isBinary);
  return { ...b, router, registry, me, ws, conn, published, appended, conversation, route };
}

describe('frame router', () => {
  afterEach(() => mock.timers.reset());

  it('answers ping with pong', async () => {
    const r = rig();
    await r.route({ type: 'ping' });
    assert.deepEqual(r.ws.frames(), [{ type: 'pong' }]);
    assert.match(await r.registry.metrics(), /^websocket_client_frames_total\{type="ping"\} 1$/m);
  });

  it('answers malformed, unknown, invalid and binary frames with an error frame, changing nothing', async () => {
    const r = rig();
    await r.route('{not json');
    await r.route({ type: 'shout', text: 'hi' });
    await r.route({ type: 'read' });
    await r.route({ type: 'typing', conversation_id: 'not-a-uuid' });
    await r.route([1, 2]);
    await r.route({ type: 'ping' }, true);
    assert.deepEqual(
      r.ws.frames().map((f) => [f.type, f.code]),
      [
        ['error', 'malformed_json'],
        ['error', 'unknown_frame'],
        ['error', 'invalid_frame'],
        ['error', 'invalid_frame'],
        ['error', 'invalid_frame'],
        ['error', 'binary_frame'],
      ],
    );
    assert.ok(r.ws.frames().every((f) => typeof f.message === 'string' && f.message.length > 0), 'each says what is wrong');
    assert.deepEqual(r.published, []);
    assert.deepEqual(r.appended, []);
    assert.equal(r.conn.state, 'live', 'the connection stays open');
    assert.match(await r.registry.metrics(), /^websocket_client_frames_total\{type="invalid"\} 5$/m);
  });

  it('relays typing to the other members at most once per conversation every 3 s', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const r = rig();
    const other = ids.next();
    const conv = await r.conversation([r.me, other]);
    await Promise.all([r.route({ type: 'typing', conversation_id: conv }), r.route({ type: 'typing', conversation_id: conv })]);
    assert.equal(r.published.length, 1, 'frames racing in together relay once');
    assert.deepEqual(r.published[0], [{ userId: other, frame: { type: 'typing', conversation_id: conv, user_id: r.me } }]);
    mock.timers.tick(2999);
    await r.route({ type: 'typing', conversation_id: conv });
    assert.equal(r.published.length, 1);
    mock.timers.tick(1);
    await r.route({ type: 'typing', conversation_id: conv });
    assert.equal(r.published.length, 2);
  });

  it('remembers a bounded number of typing pairs, forgetting the least recent', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const r = rig({ maxTypingPairs: 2 });
    const convs = [await r.conversation([r.me, ids.next()]), await r.conversation([r.me, ids.next()]), await r.conversation([r.me, ids.next()])];
    for (const c of convs) await r.route({ type: 'typing', conversation_id: c });
    await r.route({ type: 'typing', conversation_id: convs[2] });
    assert.equal(r.published.length, 3, 'a remembered pair is throttled');
    await r.route({ type: 'typing', conversation_id: convs[0] });
    assert.equal(r.published.length, 4, 'a forgotten pair relays again');
  });

  it('refuses typing in a conversation the user is not in, and read of a message it cannot see', async () => {
    const r = rig();
    const conv = await r.conversation([ids.next(), ids.next()]);
    await r.route({ type: 'typing', conversation_id: conv });
    await r.route({ type: 'read', message_id: ids.next() });
    assert.deepEqual(
      r.ws.frames().map((f) => f.code),
      ['conversation_not_found', 'message_not_found'],
    );
    assert.deepEqual(r.published, []);
    assert.deepEqual(r.appended, []);
  });

  it('refuses a second auth and reports a failing handler as internal', async () => {
    const r = rig();
    await r.route({ type: 'auth', token: 'x' });
    r.conversations.get = async () => {
      throw new Error('store down');
    };
    await r.route({ type: 'typing', conversation_id: ids.next() });
    assert.deepEqual(
      r.ws.frames().map((f) => f.code),
      ['already_authenticated', 'internal'],
    );
  });
});
