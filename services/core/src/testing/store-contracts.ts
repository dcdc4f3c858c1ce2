import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isChat4AllError } from '../domain/errors.js';
import { UuidV7Generator, directConversationId, randomId } from '../domain/ids.js';
import type { Conversation, Message, UserRecord } from '../domain/model.js';
import type { ConversationStore } from '../ports/conversation-store.js';
import type { MessageStore } from '../ports/message-store.js';
import type { UserStore } from '../ports/user-store.js';

const ids = new UuidV7Generator();
const iso = (ms: number) => new Date(ms).toISOString();

function user(): UserRecord {
  const name = `u_${randomId().toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 32);
  return { user_id: ids.next(), username: name, display_name: name, created_at: iso(Date.now()), password_hash: 'scrypt$x' };
}

/** The UserStore contract. */
export function describeUserStore(name: string, make: () => Promise<UserStore>): void {
  describe(`UserStore contract: ${name}`, () => {
    it('creates and reads users by id and by username', async () => {
      const s = await make();
      const u = user();
      await s.create(u);
      assert.deepEqual(await s.getById(u.user_id), u);
      assert.deepEqual(await s.getByUsername(u.username), u);
      assert.equal(await s.getById(ids.next()), undefined);
      assert.equal(await s.getByUsername(`${u.username}x`.slice(0, 32) + 'q'), undefined);
      const v = user();
      await s.create(v);
      const many = await s.getManyById([u.user_id, v.user_id, ids.next()]);
      assert.deepEqual(new Set(many.map((m) => m.user_id)), new Set([u.user_id, v.user_id]));
    });

    it('lets exactly one of concurrent creates with one username win', async () => {
      const s = await make();
      const u = user();
      const tries = Array.from({ length: 5 }, () => ({ ...u, user_id: ids.next() }));
      const results = await Promise.allSettled(tries.map((t) => s.create(t)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isChat4AllError(r.reason, 'conflict') && r.reason.code === 'username_taken');
      const stored = await s.getByUsername(u.username);
      const winner = tries[results.findIndex((r) => r.status === 'fulfilled')]!;
      assert.equal(stored?.user_id, winner.user_id);
      const losers = await s.getManyById(tries.filter((t) => t !== winner).map((t) => t.user_id));
      assert.equal(losers.length, 0, 'losers leave nothing behind');
    });
  });
}

function conversation(members: string[], type: 'direct' | 'group' = 'group', at = Date.now()): Conversation {
  const id = type === 'direct' ? directConversationId(members[0]!, members[1]!) : ids.next();
  return { conversation_id: id, type, name: type === 'group' ? 'friends' : null, members, admins: type === 'group' ? [members[0]!] : [...members], created_by: members[0]!, created_at: iso(at), last_activity_at: iso(at) };
}

/** The ConversationStore contract. */
export function describeConversationStore(name: string, make: () => Promise<ConversationStore>): void {
  describe(`ConversationStore contract: ${name}`, () => {
    it('creates once: a repeat of the id returns the stored one unchanged', async () => {
      const s = await make();
      const [a, b] = [ids.next(), ids.next()];
      const c = conversation([a, b], 'direct');
      assert.deepEqual(await s.create(c), { conversation: c, created: true });
      const again = await s.create({ ...c, created_at: iso(Date.now() + 5000) });
      assert.deepEqual(again, { conversation: c, created: false });
      assert.deepEqual(await s.get(c.conversation_id), c);
      assert.equal(await s.get(ids.next()), undefined);
      assert.deepEqual(await s.members(c.conversation_id), [a, b]);
      assert.equal(await s.members(ids.next()), undefined);
    });

    it('adds and removes members idempotently and hands admin on', async () => {
      const s = await make();
      const [a, b, c] = [ids.next(), ids.next(), ids.next()];
      const conv = conversation([a, b]);
      await s.create(conv);
      let got = await s.addMember(conv.conversation_id, c);
      assert.deepEqual(got?.members, [a, b, c]);
      got = await s.addMember(conv.conversation_id, c);
      assert.deepEqual(got?.members, [a, b, c], 'idempotent add');
      got = await s.removeMember(conv.conversation_id, a);
      assert.deepEqual(got?.members, [b, c]);
      assert.deepEqual(got?.admins, [b], 'the earliest remaining member becomes admin');
      got = await s.removeMember(conv.conversation_id, a);
      assert.deepEqual(got?.members, [b, c], 'idempotent remove');
      assert.deepEqual(await s.members(conv.conversation_id), [b, c], 'members reads the stored ones');
      assert.equal(await s.addMember(ids.next(), a), undefined);
      assert.equal((await s.listForUser(a, 10)).length, 0, 'a removed member no longer lists it');
      assert.equal((await s.listForUser(c, 10))[0]?.conversation_id, conv.conversation_id);
    });

    it('lists a user\'s conversations by newest activity first', async () => {
      const s = await make();
      const me = ids.next();
      const t0 = Date.now() - 60_000;
      const c1 = conversation([me, ids.next()], 'group', t0);
      const c2 = conversation([me, ids.next()], 'group', t0 + 1000);
      const c3 = conversation([me, ids.next()], 'direct', t0 + 2000);
      for (const c of [c1, c2, c3]) await s.create(c);
      await s.touch(c1.conversation_id, iso(t0 + 5000));
      await s.touch(c1.conversation_id, iso(t0 + 3000)); // never moves back
      const list = await s.listForUser(me, 10);
      assert.deepEqual(list.map((c) => c.conversation_id), [c1.conversation_id, c3.conversation_id, c2.conversation_id]);
      assert.equal(list[0]!.last_activity_at, iso(t0 + 5000));
      assert.equal((await s.listForUser(me, 2)).length, 2);
    });
  });
}

function message(conversationId: string, sender: string, content = 'hi'): Message {
  const id = ids.next();
  return { message_id: id, conversation_id: conversationId, sender_id: sender, content, created_at: iso(Date.now()), status: 'SENT', sent_at: iso(Date.now()) };
}

/** The MessageStore contract. */
export function describeMessageStore(name: string, make: () => Promise<MessageStore>): void {
  describe(`MessageStore contract: ${name}`, () => {
    it('keeps the attachments a message carries', async () => {
      const s = await make();
      const m: Message = {
        ...message(ids.next(), ids.next(), ''),
        attachments: [{ attachment_id: ids.next(), filename: 'a.bin', content_type: 'application/octet-stream', size: 52_428_800, sha256: 'cd'.repeat(32) }],
      };
      await s.insert(m);
      assert.deepEqual(await s.get(m.message_id), m);
      assert.deepEqual((await s.history(m.conversation_id, { limit: 10 })).messages, [m]);
    });

    it('inserts once: a redelivered message changes nothing', async () => {
      const s = await make();
      const m = message(ids.next(), ids.next());
      assert.deepEqual(await s.insert(m), { inserted: true });
      assert.deepEqual(await s.insert({ ...m, content: 'changed' }), { inserted: false });
      assert.deepEqual(await s.get(m.message_id), m);
      const page = await s.history(m.conversation_id, { limit: 10 });
      assert.deepEqual(page, { messages: [m], has_more: false });
    });

    it('pages history backwards, oldest first within a page', async () => {
      const s = await make();
      const conv = ids.next();
      const sender = ids.next();
      const all: Message[] = [];
      for (let i = 0; i < 25; i++) all.push(message(conv, sender, `m${i}`));
      for (const m of [...all].reverse()) await s.insert(m); // arrival order must not matter
      const p1 = await s.history(conv, { limit: 10 });
      assert.deepEqual(p1.messages.map((m) => m.content), all.slice(15).map((m) => m.content));
      assert.equal(p1.has_more, true);
      const p2 = await s.history(conv, { limit: 10, before: p1.messages[0]!.message_id });
      assert.deepEqual(p2.messages.map((m) => m.content), all.slice(5, 15).map((m) => m.content));
      const p3 = await s.history(conv, { limit: 10, before: p2.messages[0]!.message_id });
      assert.deepEqual(p3.messages.map((m) => m.content), all.slice(0, 5).map((m) => m.content));
      assert.equal(p3.has_more, false);
      assert.deepEqual(await s.history(ids.next(), { limit: 10 }), { messages: [], has_more: false });
    });

    it('records receipts monotonically and advances the aggregate status', async () => {
      const s = await make();
      const m = message(ids.next(), ids.next());
      await s.insert(m);
      const [bob, carol] = [ids.next(), ids.next()];
      const t1 = iso(Date.now() + 1000);
      const t2 = iso(Date.now() + 2000);
      let r = await s.recordReceipt(m.message_id, bob, 'DELIVERED', t1);
      assert.deepEqual(r, { changed: true, receipt: { message_id: m.message_id, user_id: bob, delivered_at: t1 } });
      r = await s.recordReceipt(m.message_id, bob, 'DELIVERED', t2);
      assert.equal(r.changed, false, 'a repeat changes nothing');
      assert.equal(r.receipt.delivered_at, t1);
      assert.equal((await s.get(m.message_id))?.status, 'DELIVERED');
      r = await s.recordReceipt(m.message_id, carol, 'READ', t2);
      assert.deepEqual(r.receipt, { message_id: m.message_id, user_id: carol, delivered_at: t2, read_at: t2 }, 'READ implies DELIVERED');
      const got = await s.get(m.message_id);
      assert.equal(got?.status, 'READ');
      assert.equal(got?.delivered_at, t1);
      assert.equal(got?.read_at, t2);
      r = await s.recordReceipt(m.message_id, carol, 'DELIVERED', iso(Date.now() + 3000));
      assert.equal(r.changed, false, 'no step back');
      assert.equal((await s.get(m.message_id))?.status, 'READ');
      assert.deepEqual(await s.getReceipt(m.message_id, carol), { message_id: m.message_id, user_id: carol, delivered_at: t2, read_at: t2 });
      await assert.rejects(s.recordReceipt(ids.next(), bob, 'READ', t1), (e) => isChat4AllError(e, 'not_found'));
    });

    it('binds a client_message_id to its first claim, atomically', async () => {
      const s = await make();
      const sender = ids.next();
      const cmid = `c-${randomId()}`;
      const claims = Array.from({ length: 4 }, () => ({ message_id: ids.next(), conversation_id: ids.next(), created_at: iso(Date.now()) }));
      const results = await Promise.all(claims.map((c) => s.claimClientMessageId(sender, cmid, c)));
      assert.equal(new Set(results.map((r) => r.message_id)).size, 1, 'all agree on one winner');
      assert.ok(claims.some((c) => c.message_id === results[0]!.message_id));
      const other = await s.claimClientMessageId(ids.next(), cmid, claims[1]!);
      assert.deepEqual(other, claims[1], 'keys are per sender');
    });
  });
}
