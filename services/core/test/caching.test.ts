import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Conversation, type UserRecord, UuidV7Generator, invalid, unavailable } from '../src/index.js';
import { MemoryConversationStore, MemoryUserStore } from '../src/memory/index.js';
import { BoundedSet, CachingConversationStore, CachingUserStore, ReadThroughCache, boundedMap } from '../src/runtime/index.js';

const ids = new UuidV7Generator();
const down = () => Promise.reject(unavailable('store_down', 'the store is down'));

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** A loader that counts its calls and answers from `values`. */
function loader(values: Map<string, string>) {
  const l = { calls: 0, load: (key: string) => async () => (l.calls++, values.get(key)) };
  return l;
}

function group(members: string[]): Conversation {
  const now = new Date().toISOString();
  return { conversation_id: ids.next(), type: 'group', name: 'g', members, admins: [members[0]!], created_by: members[0]!, created_at: now, last_activity_at: now };
}

function user(): UserRecord {
  const id = ids.next();
  return { user_id: id, username: `u-${id}`, display_name: 'U', created_at: new Date().toISOString(), password_hash: 'x' };
}

describe('boundedMap and BoundedSet', () => {
  it('keep at most their bound, the least recently used going first', () => {
    const m = boundedMap<string, number>({ max: 2 });
    m.set('a', 1);
    m.set('b', 2);
    assert.equal(m.get('a'), 1, 'a use of a');
    m.set('c', 3);
    assert.deepEqual([m.has('a'), m.has('b'), m.has('c')], [true, false, true]);
    assert.equal(m.size, 2);

    const s = new BoundedSet<string>({ max: 2 });
    assert.equal(s.add('x'), true);
    assert.equal(s.add('x'), false);
    s.add('y');
    assert.equal(s.touch('x'), true, 'touch counts as a use');
    assert.equal(s.touch('nope'), false);
    s.add('z');
    assert.deepEqual([s.has('x'), s.has('y'), s.has('z')], [true, false, true]);
    assert.equal(s.size, 2);
  });

  it('forget entries after their time to live, on the injected clock', () => {
    const c = clock(0);
    const m = boundedMap<string, string>({ max: 10, ttlMs: 1000, now: c.now });
    const s = new BoundedSet<string>({ max: 10, ttlMs: 1000, now: c.now });
    m.set('k', 'v');
    s.add('k');
    c.t += 1000;
    assert.equal(m.get('k'), 'v');
    assert.equal(s.has('k'), true);
    c.t += 1;
    assert.equal(m.get('k'), undefined);
    assert.equal(s.has('k'), false);
  });

  it('refuse a bound that is not a positive integer', () => {
    assert.throws(() => boundedMap({ max: 0 }), RangeError);
    assert.throws(() => new BoundedSet({ max: 1.5 }), RangeError);
  });
});

describe('ReadThroughCache', () => {
  const make = (c = clock(), maxEntries = 100) => ({ c, cache: new ReadThroughCache<string>({ ttlMs: 1000, maxStaleMs: 10_000, maxEntries, now: c.now }) });

  it('answers a fresh entry without a read, and reads a miss once', async () => {
    const { cache } = make();
    const l = loader(new Map([['a', 'A']]));
    assert.equal(await cache.get('a', l.load('a')), 'A');
    assert.equal(await cache.get('a', l.load('a')), 'A');
    assert.equal(l.calls, 1, 'the second get is a hit');
    assert.equal(await cache.get('a', l.load('a'), false), 'A');
    assert.equal(l.calls, 2, 'not trusting fresh entries reads');
  });

  it('never remembers absence', async () => {
    const { cache } = make();
    const l = loader(new Map());
    assert.equal(await cache.get('x', l.load('x')), undefined);
    assert.equal(await cache.get('x', l.load('x')), undefined);
    assert.equal(l.calls, 2);
  });

  it('reads again once an entry is older than ttlMs', async () => {
    const { c, cache } = make();
    const values = new Map([['a', 'A1']]);
    const l = loader(values);
    await cache.get('a', l.load('a'));
    values.set('a', 'A2');
    c.t += 999;
    assert.equal(await cache.get('a', l.load('a')), 'A1', 'still fresh');
    c.t += 1;
    assert.equal(await cache.get('a', l.load('a')), 'A2', 'expired: read again');
    assert.equal(l.calls, 2);
  });

  it('serves an entry younger than maxStaleMs while the store is unavailable, and only then', async () => {
    const { c, cache } = make();
    await cache.get('a', async () => 'A');
    c.t += 5000;
    assert.equal(await cache.get('a', down), 'A', 'stale but served');
    await assert.rejects(cache.get('a', () => Promise.reject(invalid('bad', 'bad'))), { code: 'bad' }, 'other errors are not hidden');
    c.t += 5000;
    await assert.rejects(cache.get('a', down), { kind: 'unavailable' }, 'too old');
  });

  it('keeps at most maxEntries, the least recently read going first', async () => {
    const { cache } = make(clock(), 2);
    const l = loader(new Map([['a', 'A'], ['b', 'B'], ['c', 'C']]));
    await cache.get('a', l.load('a'));
    await cache.get('b', l.load('b'));
    await cache.get('a', l.load('a'));
    await cache.get('c', l.load('c'));
    assert.equal(cache.size, 2);
    assert.equal(l.calls, 3);
    await cache.get('a', l.load('a'));
    assert.equal(l.calls, 3, 'a was read recently: kept');
    await cache.get('b', l.load('b'));
    assert.equal(l.calls, 4, 'b was the least recently read: forgotten');
  });

  it('does not remember what a read in flight during a delete saw', async () => {
    const { cache } = make();
    let release!: (v: string) => void;
    const slow = cache.get('a', () => new Promise<string>((r) => (release = r)));
    cache.delete('a');
    release('old');
    assert.equal(await slow, 'old');
    assert.equal(await cache.get('a', async () => 'new'), 'new');
  });
});

describe('CachingUserStore', () => {
  it('hits, misses and expires on its clock', async () => {
    const c = clock();
    const inner = new MemoryUserStore();
    let reads = 0;
    const getById = inner.getById.bind(inner);
    inner.getById = (id) => (reads++, getById(id));
    const users = new CachingUserStore(inner, { ttlMs: 1000, now: c.now });
    const u = user();
    await inner.create(u);
    assert.equal((await users.getById(u.user_id))?.username, u.username);
    assert.equal((await users.getById(u.user_id))?.username, u.username);
    assert.equal(reads, 1, 'hit');
    c.t += 1000;
    await users.getById(u.user_id);
    assert.equal(reads, 2, 'expired: read again');
    assert.equal(await users.getById(ids.next()), undefined);
    assert.equal(reads, 3, 'miss');
  });

  it('remembers a user it created, and no more users than its bound', async () => {
    const inner = new MemoryUserStore();
    let reads = 0;
    const getById = inner.getById.bind(inner);
    inner.getById = (id) => (reads++, getById(id));
    const users = new CachingUserStore(inner, { maxEntries: 2 });
    const [a, b, c] = [user(), user(), user()];
    for (const u of [a, b, c]) await users.create(u);
    await users.getById(c.user_id);
    await users.getById(b.user_id);
    assert.equal(reads, 0, 'created through the cache: remembered');
    await users.getById(a.user_id);
    assert.equal(reads, 1, 'the first created fell out of the bound');
  });
});

describe('CachingConversationStore', () => {
  /** A cache over a store whose reads are counted. */
  function counted(options: ConstructorParameters<typeof CachingConversationStore>[1] = {}) {
    const store = new MemoryConversationStore();
    const r = { reads: 0 };
    const get = store.get.bind(store);
    store.get = (id) => (r.reads++, get(id));
    return { store, r, cache: new CachingConversationStore(store, options) };
  }

  it('hits, misses and expires on its clock', async () => {
    const c = clock();
    const { store, r, cache } = counted({ ttlMs: 1000, now: c.now });
    const conv = group([ids.next(), ids.next()]);
    await store.create(conv);
    await cache.get(conv.conversation_id);
    await cache.get(conv.conversation_id);
    assert.equal(r.reads, 1, 'hit');
    c.t += 1000;
    await cache.get(conv.conversation_id);
    assert.equal(r.reads, 2, 'expired: read again');
    assert.equal(await cache.get(ids.next()), undefined);
    assert.equal(r.reads, 3, 'miss');
  });

  it('keeps no more conversations than its bound', async () => {
    const { store, r, cache } = counted({ maxEntries: 2 });
    const convs = [group([ids.next()]), group([ids.next()]), group([ids.next()])];
    for (const conv of convs) await store.create(conv);
    for (const conv of convs) await cache.get(conv.conversation_id);
    assert.equal(r.reads, 3);
    await cache.get(convs[2]!.conversation_id);
    await cache.get(convs[1]!.conversation_id);
    assert.equal(r.reads, 3, 'the two most recent are kept');
    await cache.get(convs[0]!.conversation_id);
    assert.equal(r.reads, 4, 'the oldest was forgotten');
  });

  it('answers a membership change made through it at once, without a read', async () => {
    const { store, r, cache } = counted();
    const [alice, bob, carol] = [ids.next(), ids.next(), ids.next()];
    const conv = group([alice, bob]);
    await store.create(conv);
    await cache.get(conv.conversation_id);
    await cache.addMember(conv.conversation_id, carol);
    assert.deepEqual((await cache.get(conv.conversation_id))!.members, [alice, bob, carol]);
    await cache.removeMember(conv.conversation_id, bob);
    assert.deepEqual((await cache.get(conv.conversation_id))!.members, [alice, carol]);
    assert.equal(r.reads, 1);
    cache.changed(conv.conversation_id);
    await cache.get(conv.conversation_id);
    assert.equal(r.reads, 2, 'a change heard from elsewhere drops the entry');
    cache.close();
  });
});
