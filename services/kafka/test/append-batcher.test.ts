import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { isChat4AllError } from '@chat4all/core';
import { AppendBatcher, type TopicBatch } from '../src/append-batcher.js';

/**
 * Records every request. By default a request is acknowledged at once (or fails with `fail`'s
 * error); with `hold` it stays in flight until the test calls `answer()`.
 */
function recorder(options: { hold?: boolean; fail?: (b: TopicBatch<number>[]) => Error | undefined } = {}) {
  const requests: TopicBatch<number>[][] = [];
  const inFlight: (() => void)[] = [];
  const send = (batches: TopicBatch<number>[]) => {
    requests.push(batches);
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        const err = options.fail?.(batches);
        if (err) reject(err);
        else resolve();
      };
      if (options.hold) inFlight.push(settle);
      else settle();
    });
  };
  /** Acknowledges the oldest request still in flight. */
  const answer = () => {
    const next = inFlight.shift();
    assert.ok(next, 'a request is in flight');
    next();
  };
  return { requests, send, answer };
}

/** Lets every pending promise callback run (setImmediate is not mocked). */
const settleCallbacks = () => new Promise<void>((r) => setImmediate(r));

const isTimeout = (err: unknown) => isChat4AllError(err, 'unavailable') && err.code === 'kafka_timeout';

describe('AppendBatcher', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
  afterEach(() => mock.timers.reset());

  it('gathers concurrent appends into one request, keeping the order of each topic', async () => {
    const { requests, send } = recorder();
    const b = new AppendBatcher<number>({ linger: 2, timeoutMs: 1000, maxBatchBytes: 1 << 20, send });
    const all = Promise.all(Array.from({ length: 1000 }, (_, i) => b.append(i % 2 ? 'odd' : 'even', [i], 10)));
    mock.timers.tick(1);
    assert.equal(requests.length, 0, 'still lingering');
    mock.timers.tick(1);
    await all;
    assert.equal(requests.length, 1);
    const odd = requests.flatMap((r) => r.filter((t) => t.topic === 'odd').flatMap((t) => t.messages));
    assert.equal(odd.length, 500);
    assert.deepEqual(odd, [...odd].sort((x, y) => x - y));
    assert.deepEqual(b.stats, { requests: 1, records: 1000 });
  });

  it('queues appends behind the request in flight and sends them together next', async () => {
    const { requests, send, answer } = recorder({ hold: true });
    const b = new AppendBatcher<number>({ linger: 0, timeoutMs: 1000, maxBatchBytes: 1 << 20, send });
    const first = b.append('t', [0], 1);
    mock.timers.tick(0);
    assert.equal(requests.length, 1, 'the first append is in flight');
    const rest = Array.from({ length: 50 }, (_, i) => b.append('t', [i + 1], 1));
    mock.timers.tick(0);
    await settleCallbacks();
    assert.equal(requests.length, 1, 'nothing more is sent while a request is in flight');
    answer();
    await first;
    await settleCallbacks();
    assert.equal(requests.length, 2);
    assert.deepEqual(requests[1]![0]!.messages, Array.from({ length: 50 }, (_, i) => i + 1));
    answer();
    await Promise.all(rest);
  });

  it('bounds the bytes of a request, but sends an oversized append alone', async () => {
    const { requests, send } = recorder();
    const b = new AppendBatcher<number>({ linger: 1, timeoutMs: 1000, maxBatchBytes: 100, send });
    const all = Promise.all([b.append('t', [1], 60), b.append('t', [2], 60), b.append('t', [3], 500)]);
    mock.timers.tick(1);
    await all;
    assert.deepEqual(
      requests.map((r) => r[0]!.messages),
      [[1], [2], [3]],
    );
  });

  it('rejects every append of a failed request with its error', async () => {
    const { send } = recorder({ fail: () => new Error('broker down') });
    const b = new AppendBatcher<number>({ linger: 1, timeoutMs: 1000, maxBatchBytes: 1 << 20, send });
    const all = Promise.allSettled([b.append('t', [1], 1), b.append('t', [2], 1)]);
    mock.timers.tick(1);
    const results = await all;
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
      ['broker down', 'broker down'],
    );
  });

  it('rejects with unavailable when the deadline passes, and drops the append if not sent yet', async () => {
    const { requests, send, answer } = recorder({ hold: true });
    const b = new AppendBatcher<number>({ linger: 0, timeoutMs: 50, maxBatchBytes: 1 << 20, send });
    const first = b.append('t', [1], 1);
    const firstRejected = assert.rejects(first, isTimeout);
    mock.timers.tick(5);
    assert.equal(requests.length, 1, 'the first append is in flight');
    let queuedSettled = false;
    const queued = b.append('t', [2], 1);
    const queuedRejected = assert.rejects(queued, isTimeout).finally(() => (queuedSettled = true));
    mock.timers.tick(45);
    await firstRejected;
    await settleCallbacks();
    assert.equal(queuedSettled, false, 'the queued append has 5 ms left');
    mock.timers.tick(5);
    await queuedRejected;
    answer();
    await b.drain();
    assert.equal(requests.length, 1, 'the expired queued append was not sent');
  });

  it('drain() sends what is queued at once', async () => {
    const { requests, send } = recorder();
    const b = new AppendBatcher<number>({ linger: 10_000, timeoutMs: 20_000, maxBatchBytes: 1 << 20, send });
    const p = b.append('t', [1], 1);
    await b.drain();
    await p;
    assert.equal(requests.length, 1);
  });
});
