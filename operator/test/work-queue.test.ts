import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from '../src/work-queue.js';

/** Runs every pending promise continuation (setImmediate is not mocked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    assert.equal(q.length, 2);
    assert.deepEqual([await q.get(), await q.get()], ['ns/a', 'ns/b']);
  });

  it('never hands a key being processed to a second worker, and re-queues it on done if it was added meanwhile', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    const key = await q.get();
    q.add('ns/a');
    assert.equal(q.length, 0, 'held back while processing');
    q.done(key!);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'ns/a');
  });

  it('delays with addAfter (the earliest time wins) and backs off per key until forget', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40 });
    q.addAfter('ns/a', 200);
    q.addAfter('ns/a', 20);
    let got: string | undefined;
    void q.get().then((k) => (got = k));
    t.mock.timers.tick(19);
    await settle();
    assert.equal(got, undefined, 'not before 20 ms');
    t.mock.timers.tick(1);
    await settle();
    assert.equal(got, 'ns/a', 'at 20 ms, not 200');
    q.done('ns/a');
    t.mock.timers.tick(200);
    assert.equal(q.length, 0, 'the later time was dropped');
    assert.deepEqual([q.addRateLimited('ns/b'), q.addRateLimited('ns/b'), q.addRateLimited('ns/b'), q.addRateLimited('ns/b')], [10, 20, 40, 40]);
    q.forget('ns/b');
    assert.equal(q.addRateLimited('ns/b'), 10);
  });

  it('wakes a waiting worker, and ends it on shutDown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    await settle();
    q.add('ns/a');
    assert.equal(await waiting, 'ns/a');
    const next = q.get();
    q.shutDown();
    assert.equal(await next, undefined);
  });
});
