// Stops and kills the real Redis servers (scripts/services.sh), so it restores them before and after:
// every node running and the master back on REDIS_URL's port, for the tests that come next.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NewMessageBody } from '@chat4all/contract';
import { UuidV7Generator, isChat4AllError, randomId } from '@chat4all/core';
import { sleep, waitFor } from '@chat4all/core/testing';
import { RedisBroker, RedisPresence, type RedisOptions } from '../src/index.js';
import { logger, restoreRedis, sentinelMasterPort, sentinelOptions, services, singleOptions } from './helpers.js';

const ids = new UuidV7Generator();
const body = (content: string): NewMessageBody => ({
  type: 'new_message',
  message_id: ids.next(),
  conversation_id: ids.next(),
  sender_id: ids.next(),
  content,
  created_at: new Date().toISOString(),
});

async function open(redis: RedisOptions) {
  const broker = new RedisBroker({ redis, logger });
  const presence = new RedisPresence({ redis, logger });
  await Promise.all([broker.connect(), presence.start()]);
  const got: string[] = [];
  const resubscribed = { count: 0 };
  broker.setListener(
    (_userId, payload) => got.push(JSON.parse(payload).content as string),
    () => resubscribed.count++,
  );
  return { broker, presence, got, resubscribed };
}

const secondsSince = (t: number) => ((Date.now() - t) / 1000).toFixed(1);

describe('Redis outages', { timeout: 240_000 }, () => {
  const closers: (() => Promise<void>)[] = [];
  before(restoreRedis, { timeout: 120_000 });
  after(
    async () => {
      await Promise.all(closers.map((c) => c()));
      await restoreRedis();
    },
    { timeout: 120_000 },
  );

  it('goes down while Redis is stopped, fails fast, and comes back by itself', async () => {
    const { broker, presence, got, resubscribed } = await open(singleOptions());
    closers.push(() => broker.close(), () => presence.close());
    const user = `u-${randomId()}`;
    await broker.subscribe([user]);
    assert.deepEqual(broker.health(), { status: 'up' });

    await services('stop', 'redis');
    const stopped = Date.now();
    await waitFor(() => broker.health().status === 'down' && presence.health().status === 'down', 'health down', 5_000);
    console.log(`# health down ${secondsSince(stopped)} s after the stop: ${broker.health().detail}`);
    const t = Date.now();
    await assert.rejects(broker.publish([{ userId: user, body: body('lost') }]), (err) => isChat4AllError(err, 'unavailable'));
    await assert.rejects(presence.online([user]), (err) => isChat4AllError(err, 'unavailable'));
    assert.ok(Date.now() - t < 500, 'operations fail fast while Redis is down');
    await sleep(3_000); // several reconnection attempts fail meanwhile

    await services('start', 'redis');
    const started = Date.now();
    await waitFor(() => broker.health().status === 'up' && presence.health().status === 'up', 'health up again', 15_000);
    console.log(`# health up ${secondsSince(started)} s after the start returned`);
    await waitFor(() => resubscribed.count === 1, 'subscriptions restored');
    await broker.publish([{ userId: user, body: body('back') }]);
    await waitFor(() => got.includes('back'), 'a delivery on the restored subscription');
    assert.deepEqual(await presence.connect({ userId: user, connectionId: 'c' }, 10_000), { wasOnline: false });
  });

  it('follows a Sentinel failover: publishes and deliveries resume on the new master', async () => {
    const { broker, presence, got } = await open(sentinelOptions());
    closers.push(() => broker.close(), () => presence.close());
    const user = `u-${randomId()}`;
    await broker.subscribe([user]);
    await broker.publish([{ userId: user, body: body('before') }]);
    await waitFor(() => got.includes('before'), 'a delivery before the failover');
    const oldMaster = await sentinelMasterPort();

    await services('kill', 'redis-master');
    const killed = Date.now();
    let firstPublish: string | undefined;
    let lastId: string | undefined;
    let n = 0;
    await waitFor(
      async () => {
        try {
          [lastId] = await broker.publish([{ userId: user, body: body(`after-${n++}`) }]);
          firstPublish ??= secondsSince(killed);
        } catch (err) {
          assert.ok(isChat4AllError(err, 'unavailable'), `publish failed with ${String(err)}`);
        }
        return got.some((c) => c.startsWith('after-'));
      },
      'a delivery through the new master',
      15_000,
      100,
    );
    console.log(`# failover: first publish ${firstPublish} s, first delivery ${secondsSince(killed)} s after the kill`);
    assert.notEqual(await sentinelMasterPort(), oldMaster, 'the Sentinels promoted the replica');
    assert.deepEqual(broker.health(), { status: 'up' });
    const [next] = await broker.publish([{ userId: user, body: body('later') }]);
    assert.deepEqual((await broker.history(user, lastId!, 10)).events.length, 1, 'history continues on the new master');
    assert.ok(next);
    await waitFor(() => presence.health().status === 'up', 'presence on the new master', 15_000);
    console.log(`# failover: presence up ${secondsSince(killed)} s after the kill`);
    assert.deepEqual(await presence.connect({ userId: user, connectionId: 'c' }, 10_000), { wasOnline: false });
    assert.deepEqual([...(await presence.online([user]))], [user]);
  });
});
