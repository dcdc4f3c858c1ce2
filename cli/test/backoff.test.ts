import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../src/backoff.js';
import { RecentSet } from '../src/recent-set.js';

describe('Backoff', () => {
  it('doubles its ceiling from 0.5 s up to 30 s', () => {
    const b = new Backoff({ random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => b.next());
    assert.deepEqual(delays, [499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999]);
  });

  it('draws each delay uniformly below the ceiling (full jitter)', () => {
    const b = new Backoff({ random: () => 0 });
    assert.equal(b.next(), 0);
    const half = new Backoff({ random: () => 0.5 });
    half.next();
    assert.equal(half.next(), 500);
    const real = new Backoff();
    for (let i = 0; i < 50; i++) {
      const ceiling = real.ceiling();
      const d = real.next();
      assert.ok(d >= 0 && d < ceiling, `${d} within [0, ${ceiling})`);
    }
  });

  it('starts over after reset, and immediate() stays under the first ceiling without raising it', () => {
    const b = new Backoff({ random: () => 0.999 });
    b.next();
    b.next();
    assert.equal(b.attempt, 2);
    assert.ok(b.immediate() < 500);
    assert.equal(b.attempt, 2);
    b.reset();
    assert.equal(b.attempt, 0);
    assert.ok(b.next() < 500);
  });

  it('rejects nonsense bounds', () => {
    assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), RangeError);
  });
});

describe('RecentSet', () => {
  it('remembers at most its capacity, forgetting the oldest', () => {
    const s = new RecentSet(2);
    assert.equal(s.add('a'), true);
    assert.equal(s.add('a'), false);
    s.add('b');
    s.add('c');
    assert.equal(s.has('a'), false);
    assert.equal(s.has('b') && s.has('c'), true);
    assert.equal(s.size, 2);
  });
});
