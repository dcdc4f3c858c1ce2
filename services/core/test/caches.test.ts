import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Conversation, type ConversationChanges, UuidV7Generator, unavailable } from '../src/index.js';
import { MemoryConversationChanges, MemoryConversationChangesHub, MemoryConversationStore, MemoryUserStore } from '../src/memory/index.js';
import { CachingConversationStore, CachingUserStore } from '../src/runtime/index.js';
import { describeConversationChanges } from '../src/testing/index.js';

const changesHub = new MemoryConversationChangesHub();
describeConversationChanges('memory', async () => new MemoryConversationChanges(changesHub));

const ids = new UuidV7Generator();
const down = () => Promise.reject(unavailable('store_down', 'the store is down'));

function group(members: string[]): Conversation {
  const now = new Date().toISOString();
  return { conversation_id: ids.next(), type: 'group', name: 'g', members, admins: [members[0]!], created_by: members[0]!, created_at: now, last_activity_at: now };
}

/** Two replicas' caches over one store and one change feed, on a clock the test moves. */
async function replicas() {
  const clock = { t: 1_000_000 };
  const store = new MemoryConversationStore();
  const hub = new MemoryConversationChangesHub();
  const make = () => new CachingConversationStore(store, { changes: new MemoryConversationChanges(hub), now: () => clock.t });
  const [a, b] = [make(), make()];
  await Promise.all([a.listen(), b.listen()]);
  return { clock, store, a, b };
}

describe('CachingConversationStore', () => {
  it('drops a conversation on every replica as soon as one of them changes its members', async () => {
    const { store, a, b } = await replicas();
    const [alice, bob] = [ids.next(), ids.next()];
    const c = group([alice, bob]);
    await store.create(c);
    assert.deepEqual((await b.get(c.conversation_id))!.members, [alice, bob]);
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (id) => (reads++, get(id));
    await a.removeMember(c.conversation_id, bob);
    assert.deepEqual((await b.get(c.conversation_id))!.members, [alice], 'the other replica reads it again at once');
    assert.equal(reads, 1);
    await b.get(c.conversation_id);
    assert.equal(reads, 1, 'then remembers it again');
  });

  it('serves a remembered conversation while the store is down, but never one that changed', async () => {
    const { clock, store, a, b } = await replicas();
    const [alice, bob, carol] = [ids.next(), ids.next(), ids.next()];
    const [c1, c2] = [group([alice, bob]), group([alice, carol])];
    await store.create(c1);
    await store.create(c2);
    await b.get(c1.conversation_id);
    await b.get(c2.conversation_id);
    await a.removeMember(c2.conversation_id, carol);
    const get = store.get;
    store.get = down;
    clock.t += 60_000;
    assert.deepEqual((await b.get(c1.conversation_id))!.members, [alice, bob], 'unchanged: served stale');
    await assert.rejects(b.get(c2.conversation_id), { kind: 'unavailable' }, 'changed: not served from memory');
    clock.t += 900_000;
    await assert.rejects(b.get(c1.conversation_id), { kind: 'unavailable' }, 'too old');
    store.get = get;
  });

  it('reads the store every time while the change feed is down, and forgets everything when changes were missed', async () => {
    const store = new MemoryConversationStore();
    let up = true;
    const feed: ConversationChanges & { missed?: () => void } = Object.assign(new MemoryConversationChanges(), {
      health: () => (up ? { status: 'up' as const } : { status: 'down' as const, detail: 'reconnecting' }),
    });
    const cache = new CachingConversationStore(store, { changes: feed });
    await cache.listen();
    const c = group([ids.next(), ids.next()]);
    await store.create(c);
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (id) => (reads++, get(id));
    await cache.get(c.conversation_id);
    await cache.get(c.conversation_id);
    assert.equal(reads, 1);
    up = false;
    await store.removeMember(c.conversation_id, c.members[1]!); // made where this cache cannot hear it
    assert.deepEqual((await cache.get(c.conversation_id))!.members, [c.members[0]]);
    assert.equal(reads, 2);
    store.get = down;
    assert.deepEqual((await cache.get(c.conversation_id))!.members, [c.members[0]], 'still served from memory when the store is down too');
    store.get = (id) => (reads++, get(id));
    up = true;
    cache.missed();
    await cache.get(c.conversation_id);
    assert.equal(reads, 3, 'missed changes: read again');
  });

  it('does not bring back what a read in flight saw before a change', async () => {
    const { store, a, b } = await replicas();
    const [alice, bob] = [ids.next(), ids.next()];
    const c = group([alice, bob]);
    await store.create(c);
    const get = store.get.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    store.get = async (id) => {
      const before = await get(id);
      await gate;
      return before;
    };
    const slow = b.get(c.conversation_id);
    store.get = get;
    await a.removeMember(c.conversation_id, bob);
    release();
    assert.deepEqual((await slow)!.members, [alice, bob], 'the read that started before the change answers what it read');
    assert.deepEqual((await b.get(c.conversation_id))!.members, [alice], 'but it is not remembered');
  });

  it('announces a change again when the feed could not take it', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const store = new MemoryConversationStore();
    const hub = new MemoryConversationChangesHub();
    const feed = new MemoryConversationChanges(hub);
    const other = new MemoryConversationChanges(hub);
    const heard: string[] = [];
    await other.listen({ changed: (id) => heard.push(id), missed: () => {} });
    const publish = feed.publish.bind(feed);
    let failing = true;
    feed.publish = (id) => (failing ? down() : publish(id));
    const cache = new CachingConversationStore(store, { changes: feed });
    const c = group([ids.next(), ids.next()]);
    await store.create(c);
    await cache.removeMember(c.conversation_id, c.members[1]!);
    assert.deepEqual(heard, []);
    failing = false;
    t.mock.timers.tick(1000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(heard, [c.conversation_id]);
    cache.close();
  });
});

describe('CachingUserStore', () => {
  it('authenticates known users while the store is down, and never makes up one it does not know', async () => {
    const inner = new MemoryUserStore();
    const users = new CachingUserStore(inner);
    const known = { user_id: ids.next(), username: `u${Date.now()}`, display_name: 'U', created_at: new Date().toISOString(), password_hash: 'x' };
    await inner.create(known);
    assert.equal((await users.getById(known.user_id))?.username, known.username);
    assert.equal(await users.getById(ids.next()), undefined);
    inner.getById = down;
    assert.equal((await users.getById(known.user_id))?.username, known.username);
    await assert.rejects(users.getById(ids.next()), { kind: 'unavailable' });
  });
});
