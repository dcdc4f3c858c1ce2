import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { isChat4AllError } from '@chat4all/core';
import { waitFor } from '@chat4all/core/testing';
import { pino } from 'pino';
import { RedisBroker, RedisPresence, parseRedisOptions } from '../src/index.js';
import { MAX_RECONNECT_DELAY_MS, reconnectDelay } from '../src/redis-connection.js';

const logger = pino({ level: 'silent' });

describe('parseRedisOptions', () => {
  it('is undefined without REDIS_URL and REDIS_SENTINELS', () => {
    assert.equal(parseRedisOptions({}), undefined);
    assert.equal(parseRedisOptions({ REDIS_URL: '', REDIS_SENTINELS: ' ', REDIS_PASSWORD: 'x' }), undefined);
  });

  it('reads a single server and a password', () => {
    assert.deepEqual(parseRedisOptions({ REDIS_URL: 'redis://127.0.0.1:16379' }), { url: 'redis://127.0.0.1:16379' });
    assert.deepEqual(parseRedisOptions({ REDIS_URL: 'rediss://cache:6380/2', REDIS_PASSWORD: 's3cret' }), {
      url: 'rediss://cache:6380/2',
      password: 's3cret',
    });
  });

  it('prefers Sentinel, with the master name defaulting to mymaster', () => {
    assert.deepEqual(parseRedisOptions({ REDIS_URL: 'redis://x:1', REDIS_SENTINELS: '127.0.0.1:26391, sentinel-2:26392,[::1]:26393' }), {
      sentinels: [
        { host: '127.0.0.1', port: 26391 },
        { host: 'sentinel-2', port: 26392 },
        { host: '::1', port: 26393 },
      ],
      sentinelName: 'mymaster',
    });
    assert.equal(parseRedisOptions({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'chat' })?.sentinelName, 'chat');
  });

  it('names the variable when a value is bad', () => {
    assert.throws(() => parseRedisOptions({ REDIS_URL: 'not a url' }), /REDIS_URL/);
    assert.throws(() => parseRedisOptions({ REDIS_URL: 'http://host:6379' }), /REDIS_URL/);
    assert.throws(() => parseRedisOptions({ REDIS_SENTINELS: 'host' }), /REDIS_SENTINELS/);
    assert.throws(() => parseRedisOptions({ REDIS_SENTINELS: 'a:1,,b:2' }), /REDIS_SENTINELS/);
    assert.throws(() => parseRedisOptions({ REDIS_SENTINELS: 'a:70000' }), /REDIS_SENTINELS/);
    assert.throws(() => parseRedisOptions({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: ' ' }), /REDIS_SENTINEL_NAME/);
  });
});

describe('reconnection', () => {
  it('backs off exponentially up to a cap', () => {
    assert.ok(reconnectDelay(1) < 200);
    assert.ok(reconnectDelay(3) >= 400);
    for (const n of [10, 50, 1000]) assert.ok(reconnectDelay(n) < MAX_RECONNECT_DELAY_MS + 100);
  });
});

describe('Lua scripts', () => {
  it('scripts.generated.ts matches src/lua/*.lua', async () => {
    const script = fileURLToPath(new URL('../scripts/generate-lua.mjs', import.meta.url));
    await promisify(execFile)(process.execPath, [script, '--check']);
  });
});

describe('without a Redis server', () => {
  // Port 1 on loopback: nothing listens, connections are refused at once.
  const redis = { url: 'redis://127.0.0.1:1' };

  it('the broker constructs, reports down, and fails fast with unavailable', async () => {
    const broker = new RedisBroker({ redis, logger });
    try {
      assert.equal(broker.health().status, 'down', 'down while connecting');
      // Both connections have been refused once: each reason carries its error.
      const health = await waitFor(() => {
        const h = broker.health();
        return /^commands [^;]+: [^;]+; subscriber [^;]+: /.test(h.detail ?? '') ? h : undefined;
      }, 'both connections refused');
      assert.equal(health.status, 'down');
      const started = Date.now();
      await assert.rejects(broker.publish([{ userId: 'u', body: { type: 'typing' } as never }]), (err) => isChat4AllError(err, 'unavailable'));
      await assert.rejects(broker.history('u', '1-0', 10), (err) => isChat4AllError(err, 'unavailable'));
      await assert.rejects(broker.subscribe(['u']), (err) => isChat4AllError(err, 'unavailable'));
      await broker.unsubscribe(['u']); // never fails: nothing is subscribed on a dead connection
      assert.ok(Date.now() - started < 1000, 'no waiting for a dead server');
    } finally {
      await broker.close();
    }
    assert.deepEqual(broker.health(), { status: 'down', detail: 'closed' });
  });

  it('presence constructs, reports down, and fails fast with unavailable', async () => {
    const presence = new RedisPresence({ redis, logger });
    try {
      assert.equal(presence.health().status, 'down');
      await assert.rejects(presence.connect({ userId: 'u', connectionId: 'c' }, 1000), (err) => isChat4AllError(err, 'unavailable'));
      await assert.rejects(presence.online(['u']), (err) => isChat4AllError(err, 'unavailable'));
    } finally {
      await presence.close();
    }
  });
});
