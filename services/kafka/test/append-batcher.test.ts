import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isChat4AllError } from '@chat4all/core';
import { AppendBatcher, type TopicBatch } from '../src/append-batcher.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function recorder(delayMs = 5, fail?: (b: TopicBatch<number>[]) => Error | undefined) {
  const requests: TopicBatch<number>[][] = [];
  const send = async (batches: TopicBatch<number>[]) => {
    requests.push(batches);
    await sleep(delayMs);
    const err = fail?.(batches);
    if (err) throw err;
  };
  return { requests, send };
}

describe('AppendBatcher', () => {
  it('gathers concurrent appends into few requests, keeping the order of each topic', async () => {
    const { requests, send } = recorder();
    const b = new AppendBatcher<number>({ linger: 2, timeoutMs: 1000, maxBatchBytes: 1 << 20, send });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => b.append(i % 2 ? 'odd' : 'even', [i], 10)));
    assert.ok(requests.length <= 3, `${requests.length} requests`);
    const odd = requests.flatMap((r) => r.filter((t) => t.topic === 'odd').flatMap((t) => t.messages));
    assert.equal(odd.length, 500);
    assert.deepEqual(odd, [...odd].sort((x, y) => x - y));
    assert.deepEqual(b.stats, { requests: requests.length, records: 1000 });
  });

  it('queues appends behind the request in flight and sends them together next', async () => {
    const { requests, send } = recorder(30);
    const b = new AppendBatcher<number>({ linger: 0, timeoutMs: 1000, maxBatchBytes: 1 << 20, send });
    const first = b.append('t', [0], 1);
    await sleep(5);
    await Promise.all([first, ...Array.from({ length: 50 }, (_, i) => b.append('t', [i + 1], 1))]);
    assert.equal(requests.length, 2);
    assert.equal(requests[1]![0]!.messages.length, 50);
  });

  it('bounds the bytes of a request, but sends an oversized append alone', async () => {
    const { requests, send } = recorder(1);
    const b = new AppendBatcher<number>({ linger: 1, timeoutMs: 1000, maxBatchBytes: 100, send });
    await Promise.all([b.append('t', [1], 60), b.append('t', [2], 60), b.append('t', [3], 500)]);
    assert.deepEqual(
      requests.map((r) => r[0]!.messages),
      [[1], [2], [3]],
    );
  });

  it('rejects every append of a failed request with its error', async () => {
    const { send } = recorder(1, () => new Error('broker down'));
    const b = new AppendBatcher<number>({ linger: 1, timeoutMs: 1000, maxBatchBytes: 1 << 20, send });
    const results = await Promise.allSettled([b.append('t', [1], 1), b.append('t', [2], 1)]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
      ['broker down', 'broker down'],
    );
  });

  it('rejects with unavailable when the deadline passes, and drops the append if not sent yet', async () => {
    const { requests, send } = recorder(200);
    const b = new AppendBatcher<number>({ linger: 0, timeoutMs: 50, maxBatchBytes: 1 << 20, send });
    const first = b.append('t', [1], 1);
    await sleep(5);
    const queued = b.append('t', [2], 1);
    for (const p of [first, queued]) {
      await assert.rejects(p, (err) => isChat4AllError(err, 'unavailable') && err.code === 'kafka_timeout');
    }
    await b.drain();
    assert.equal(requests.length, 1, 'the expired queued append was not sent');
  });

  it('drain() sends what is queued at once', async () => {
    const { requests, send } = recorder(1);
    const b = new AppendBatcher<number>({ linger: 10_000, timeoutMs: 20_000, maxBatchBytes: 1 << 20, send });
    const p = b.append('t', [1], 1);
    await b.drain();
    await p;
    assert.equal(requests.length, 1);
  });
});
