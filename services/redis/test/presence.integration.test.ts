import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomId } from '@chat4all/core';
import { describePresence, sleep } from '@chat4all/core/testing';
import type { Redis } from 'ioredis';
import { RedisPresence, type RedisOptions } from '../src/index.js';
import { inspector, logger, sentinelOptions, singleOptions } from './helpers.js';

async function openPresence(redis: RedisOptions): Promise<RedisPresence> {
  const presence = new RedisPresence({ redis, logger });
  await presence.start();
  return presence;
}

describePresence('redis (REDIS_URL)', () => openPresence(singleOptions()));
describePresence('redis (REDIS_SENTINELS)', () => openPresence(sentinelOptions()));

describe('RedisPresence on a real Redis', () => {
  const opened: RedisPresence[] = [];
  let raw: Redis | undefined;
  after(async () => {
    await Promise.all(opened.map((p) => p.close()));
    raw?.disconnect();
  });
  const open = async (prefix: string) => {
    const p = await openPresence(singleOptions({ keyPrefix: prefix }));
    opened.push(p);
    return p;
  };

  it('keeps one sorted set per user that expires with its last connection', async () => {
    const prefix = `t-${randomId()}:`;
    const p = await open(prefix);
    const userId = `u-${randomId()}`;
    await p.connect({ userId, connectionId: 'long' }, 60_000);
    await p.connect({ userId, connectionId: 'short' }, 1_000);
    raw = inspector();
    const key = `${prefix}presence:${userId}`;
    assert.deepEqual(await raw.zrange(key, '0', '-1'), ['short', 'long']);
    const ttl = await raw.pttl(key);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `PTTL ${ttl} follows the latest expiry`);
    await p.disconnect({ userId, connectionId: 'long' });
    await p.disconnect({ userId, connectionId: 'short' });
    assert.equal(await raw.exists(key), 0, 'no key once nobody is connected');
  });

  it('does not bring an expired connection back on refresh', async () => {
    const p = await open(`t-${randomId()}:`);
    const userId = `u-${randomId()}`;
    await p.connect({ userId, connectionId: 'a' }, 100);
    await p.connect({ userId, connectionId: 'b' }, 10_000);
    await sleep(150);
    await p.refresh([{ userId, connectionId: 'a' }, { userId, connectionId: 'b' }, { userId, connectionId: 'never' }], 10_000);
    assert.deepEqual(await p.disconnect({ userId, connectionId: 'b' }), { stillOnline: false }, 'a stayed expired');
  });

  it('answers online() for many users in one pipelined call', async () => {
    const p = await open(`t-${randomId()}:`);
    const users = Array.from({ length: 1200 }, () => `u-${randomId()}`);
    const onlineUsers = users.filter((_, i) => i % 3 === 0);
    await Promise.all(onlineUsers.map((userId) => p.connect({ userId, connectionId: 'c' }, 10_000)));
    const started = performance.now();
    const got = await p.online([...users, users[0]!]);
    console.log(`# online() of 1200 users: ${(performance.now() - started).toFixed(1)} ms`);
    assert.deepEqual(got, new Set(onlineUsers));
  });
});
