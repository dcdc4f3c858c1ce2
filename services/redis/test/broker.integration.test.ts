import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { encodeEventBody, eventPayload, type NewMessageBody } from '@chat4all/contract';
import { UuidV7Generator, randomId } from '@chat4all/core';
import { describeBroker, sleep, waitFor } from '@chat4all/core/testing';
import type { Redis } from 'ioredis';
import { RedisBroker } from '../src/index.js';
import type { RedisOptions } from '../src/index.js';
import { inspector, logger, sentinelOptions, singleOptions } from './helpers.js';

async function openBroker(redis: RedisOptions, retention?: { maxEvents?: number; ttlMs?: number }): Promise<RedisBroker> {
  const broker = new RedisBroker({ redis, logger, ...(retention ? { retention } : {}) });
  await broker.connect();
  return broker;
}

describeBroker('redis (REDIS_URL)', () => openBroker(singleOptions()));
describeBroker('redis (REDIS_SENTINELS)', () => openBroker(sentinelOptions()));

const ids = new UuidV7Generator();
const body = (content: string): NewMessageBody => ({
  type: 'new_message',
  message_id: ids.next(),
  conversation_id: ids.next(),
  sender_id: ids.next(),
  content,
  created_at: new Date().toISOString(),
});

describe('RedisBroker on a real Redis', () => {
  const open: { close(): Promise<void> }[] = [];
  const clients: Redis[] = [];
  const broker = async (redis: RedisOptions = singleOptions(), retention?: { maxEvents?: number; ttlMs?: number }) => {
    const b = await openBroker(redis, retention);
    open.push(b);
    const got: { userId: string; payload: string }[] = [];
    const resubscribed = { count: 0 };
    b.setListener(
      (userId, payload) => got.push({ userId, payload }),
      () => resubscribed.count++,
    );
    return { b, got, resubscribed };
  };
  const raw = () => {
    const c = inspector();
    clients.push(c);
    return c;
  };
  after(async () => {
    await Promise.all(open.map((b) => b.close()));
    for (const c of clients) c.disconnect();
  });

  it('builds the payload in Lua exactly as eventPayload() does', async () => {
    const prefix = `t-${randomId()}:`;
    const { b, got } = await broker(singleOptions({ keyPrefix: prefix }));
    const user = `u-${randomId()}`;
    await b.subscribe([user]);
    const tricky = body('quotes " and \\ backslash, {"event_id":"fake"}, ünïcødé, emoji 🎉, new\nline, \u0000 nul');
    const bodyJson = encodeEventBody(tricky);
    const [id] = await b.publish([{ userId: user, body: tricky }]);
    await waitFor(() => got.length === 1, 'the live payload');
    assert.equal(got[0]!.payload, eventPayload(id!, bodyJson));
    assert.deepEqual(JSON.parse(got[0]!.payload), { event_id: id, ...tricky });
    const stored = await raw().xrange(`${prefix}events:${user}`, '-', '+');
    assert.deepEqual(stored, [[id, ['d', bodyJson]]], 'the stream keeps the body under field d');
    const [id2] = await b.publish([{ userId: user, body: body('next') }]);
    await waitFor(() => got.length === 2, 'the second live payload');
    const h = await b.history(user, id!, 10);
    assert.deepEqual(h, { events: [got[1]!.payload], recovered: true }, 'history equals the live payload');
    assert.equal(JSON.parse(h.events[0]!).event_id, id2);
  });

  it('sends 500 users subscribed in one call, or in 500 calls of one tick, as one SUBSCRIBE', async () => {
    const prefix = `t-${randomId()}:`;
    const { b } = await broker(singleOptions({ keyPrefix: prefix }));
    const monitor = await raw().monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(prefix))) commands.push(args);
    });
    try {
      const first = Array.from({ length: 500 }, () => `u-${randomId()}`);
      await b.subscribe(first);
      const second = Array.from({ length: 500 }, () => `u-${randomId()}`);
      await Promise.all(second.map((u) => b.subscribe([u])));
      await b.subscribe(first.slice(0, 10)); // idempotent: nothing to send
      await waitFor(() => commands.length >= 2, 'the SUBSCRIBE commands on MONITOR');
      await sleep(200);
      const names = commands.map((c) => c[0]!.toLowerCase());
      assert.deepEqual(names, ['subscribe', 'subscribe'], `commands seen: ${names.join(',')}`);
      assert.equal(commands[0]!.length - 1, 500);
      assert.equal(commands[1]!.length - 1, 500);
      const counts = (await raw().call('PUBSUB', 'NUMSUB', `${prefix}notifications:${first[0]}`, `${prefix}notifications:${second[499]}`)) as (string | number)[];
      assert.deepEqual(counts.map(String), [`${prefix}notifications:${first[0]}`, '1', `${prefix}notifications:${second[499]}`, '1']);
    } finally {
      monitor.disconnect();
    }
  });

  it('applies subscribe and unsubscribe of one tick in call order', async () => {
    const prefix = `t-${randomId()}:`;
    const { b } = await broker(singleOptions({ keyPrefix: prefix }));
    const [x, y] = [`u-${randomId()}`, `u-${randomId()}`];
    await b.subscribe([y]);
    await Promise.all([b.subscribe([x]), b.unsubscribe([x]), b.unsubscribe([y]), b.subscribe([y])]);
    const counts = (await raw().call('PUBSUB', 'NUMSUB', `${prefix}notifications:${x}`, `${prefix}notifications:${y}`)) as (string | number)[];
    assert.deepEqual([counts[1], counts[3]].map(Number), [0, 1], 'x ends unsubscribed, y subscribed');
  });

  it('reaches only the broker subscribed to the user', async () => {
    const prefix = `t-${randomId()}:`;
    const a = await broker(singleOptions({ keyPrefix: prefix }));
    const other = await broker(singleOptions({ keyPrefix: prefix }));
    const [ua, uo] = [`u-${randomId()}`, `u-${randomId()}`];
    await a.b.subscribe([ua]);
    await other.b.subscribe([uo]);
    const receivers = await raw().publish(`${prefix}notifications:${ua}`, '{"type":"probe"}');
    assert.equal(receivers, 1, 'PUBLISH reaches one connection');
    await a.b.publish([{ userId: ua, body: body('for a') }]);
    await waitFor(() => a.got.length === 2, 'both payloads at a');
    await sleep(100);
    assert.equal(other.got.length, 0);
  });

  it('fans out 256 deliveries in one pipelined round trip', async () => {
    const { b } = await broker();
    const users = Array.from({ length: 256 }, () => `u-${randomId()}`);
    await b.publish([{ userId: users[0]!, body: body('warm-up') }]); // loads the script on the connection
    const started = performance.now();
    const published = await b.publish(users.map((u) => ({ userId: u, body: body('fan-out') })));
    const ms = performance.now() - started;
    assert.equal(published.length, 256);
    console.log(`# publish of 256 deliveries: ${ms.toFixed(1)} ms`);
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('keeps at least maxEvents per user, trims older ones, and expires the history', async () => {
    const prefix = `t-${randomId()}:`;
    const { b } = await broker(singleOptions({ keyPrefix: prefix }), { maxEvents: 5, ttlMs: 60_000 });
    const user = `u-${randomId()}`;
    const published = await b.publish(Array.from({ length: 300 }, (_, i) => ({ userId: user, body: body(String(i)) })));
    const key = `${prefix}events:${user}`;
    const len = await raw().xlen(key);
    assert.ok(len >= 5 && len < 300, `XLEN ${len}`);
    const ttl = await raw().pttl(key);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`);
    assert.equal((await b.history(user, published[0]!, 10)).recovered, false, 'the first event was trimmed');
    const recent = await b.history(user, published[294]!, 10);
    assert.equal(recent.recovered, true);
    assert.equal(recent.events.length, 5);
  });

  it('restores its subscriptions when the subscriber connection is killed, then says so', async () => {
    const { b, got, resubscribed } = await broker();
    const users = Array.from({ length: 37 }, () => `u-${randomId()}`);
    await b.subscribe(users);
    const inspect = raw();
    const list = (await inspect.client('LIST')) as string;
    const mine = list.split('\n').filter((l) => l.includes('name=chat4all-broker-sub') && / sub=37 /.test(l));
    assert.equal(mine.length, 1, 'exactly one subscriber connection holds our 37 channels');
    const id = / id=(\d+) /.exec(` ${mine[0]}`)![1]!;
    await inspect.client('KILL', 'ID', id);
    const killed = performance.now();
    await waitFor(
      async () => {
        await b.publish([{ userId: users[36]!, body: body('after kill') }]);
        await sleep(50);
        return got.length > 0;
      },
      'a delivery after the reconnection',
      10_000,
      100,
    );
    console.log(`# delivery again ${(performance.now() - killed).toFixed(0)} ms after CLIENT KILL of the subscriber`);
    assert.equal(b.health().status, 'up');
    assert.equal(resubscribed.count, 1, 'onResubscribed ran once');
  });

  it('says it resubscribed only once history can be read again, while its command connection is still reconnecting', async () => {
    const b = await openBroker(singleOptions());
    open.push(b);
    const reads: string[] = [];
    const user = `u-${randomId()}`;
    b.setListener(
      () => {},
      // What the broker's owner would find when it reads history at once (this test keeps killing
      // command connections for a while, so a read a moment later may fail again).
      () => reads.push(b.health().status === 'up' ? 'ok' : `not readable: ${b.health().detail}`),
    );
    await b.subscribe([user]);
    const inspect = raw();
    const idsOf = async (name: string) =>
      ((await inspect.client('LIST')) as string).split('\n').filter((l) => l.includes(`name=${name} `)).map((l) => / id=(\d+) /.exec(` ${l}`)![1]!);
    // Every broker's connections go (which one is this broker's is not told apart); the command
    // connections are kept down for a second, longer than a subscriber takes to come back.
    const until = Date.now() + 1000;
    for (const id of await idsOf('chat4all-broker-sub')) await inspect.client('KILL', 'ID', id).catch(() => undefined);
    while (Date.now() < until) {
      for (const id of await idsOf('chat4all-broker')) await inspect.client('KILL', 'ID', id).catch(() => undefined);
      await sleep(5);
    }
    await waitFor(() => reads.length > 0, 'onResubscribed', 15_000);
    assert.deepEqual(reads, ['ok'], 'history was readable when the broker said it had resubscribed');
  });
});
