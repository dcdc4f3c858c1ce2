import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomId } from '@chat4all/core';
import { describeConversationChanges, waitFor } from '@chat4all/core/testing';
import type { Redis } from 'ioredis';
import { RedisConversationChanges, type RedisOptions } from '../src/index.js';
import { inspector, logger, sentinelOptions, singleOptions } from './helpers.js';

const open = (redis: RedisOptions) => Promise.resolve(new RedisConversationChanges({ redis, logger }));
describeConversationChanges('redis (REDIS_URL)', () => open(singleOptions()));
describeConversationChanges('redis (REDIS_SENTINELS)', () => open(sentinelOptions()));

describe('RedisConversationChanges on a real Redis', () => {
  const feeds: RedisConversationChanges[] = [];
  const clients: Redis[] = [];
  after(async () => {
    await Promise.all(feeds.map((f) => f.close()));
    for (const c of clients) c.disconnect();
  });

  it('tells its listener it missed changes when its connection comes back, and hears them again', async () => {
    const prefix = `t-${randomId()}:`;
    const [listening, publishing] = [new RedisConversationChanges({ redis: singleOptions({ keyPrefix: prefix }), logger }), new RedisConversationChanges({ redis: singleOptions({ keyPrefix: prefix }), logger })];
    feeds.push(listening, publishing);
    const heard: string[] = [];
    let missed = 0;
    await listening.listen({ changed: (id) => heard.push(id), missed: () => missed++ });
    const missedAtStart = missed;
    const inspect = inspector();
    clients.push(inspect);
    const list = (await inspect.client('LIST')) as string;
    // The feeds of this file are the only ones on this server now: kill every listening connection.
    const ids = list.split('\n').filter((l) => l.includes('name=chat4all-changes-sub')).map((l) => / id=(\d+) /.exec(` ${l}`)![1]!);
    assert.ok(ids.length >= 1, 'a listening connection');
    for (const id of ids) await inspect.client('KILL', 'ID', id).catch(() => undefined);
    await waitFor(() => missed > missedAtStart && listening.health().status === 'up', 'told of missed changes after the reconnection', 10_000);
    const id = randomId();
    await publishing.publish(id);
    await waitFor(() => heard.includes(id), 'a change after the reconnection');
  });
});
