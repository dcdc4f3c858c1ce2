import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedRateLimiter, TokenBucket } from '../src/runtime/index.js';

describe('rate limits', () => {
  it('allows a burst, then the sustained rate', () => {
    let t = 0;
    const b = new TokenBucket({ perSecond: 2, burst: 3 }, () => t);
    assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
    assert.equal(b.retryAfterMs(), 500);
    t += 500;
    assert.equal(b.take(), true);
    assert.equal(b.take(), false);
    t += 10_000;
    assert.ok(b.idle());
  });

  it('keeps one bucket per key', () => {
    let t = 0;
    const l = new KeyedRateLimiter({ perSecond: 1, burst: 1 }, () => t);
    assert.equal(l.take('a'), 0);
    assert.equal(l.take('b'), 0);
    assert.equal(l.take('a'), 1000);
    t += 1000;
    assert.equal(l.take('a'), 0);
  });
});
