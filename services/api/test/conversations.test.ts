import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MAX_MEMBERS } from '@chat4all/contract';
import { directConversationId, isUuid } from '@chat4all/core';
import { createGroup, errorOf, harness, signUp, uniqueName, type ConversationBody, type Harness, type SignedUp } from './harness.js';

const UNKNOWN_ID = '01890000-0000-7000-8000-000000000001';

describe('direct conversations', () => {
  let h: Harness;
  let a: SignedUp;
  let b: SignedUp;
  beforeEach(async () => {
    h = await harness();
    a = await signUp(h);
    b = await signUp(h);
  });
  afterEach(() => h.close());

  const open = (who: SignedUp, payload: object) => h.inject({ method: 'POST', url: '/v1/conversations', headers: who.headers, payload });

  it('creates one per pair: 201 first, then 200 with the same one from either side', async () => {
    const first = await open(a, { type: 'direct', members: [b.user.username] });
    assert.equal(first.statusCode, 201);
    const c = first.json<ConversationBody>();
    assert.equal(c.conversation_id, directConversationId(a.user.user_id, b.user.user_id));
    assert.equal(c.type, 'direct');
    assert.equal(c.name, null);
    assert.deepEqual(
      c.members,
      [a, b].map((u) => ({ user_id: u.user.user_id, username: u.user.username, display_name: u.user.display_name, online: false })),
    );
    assert.deepEqual(c.admins.sort(), [a.user.user_id, b.user.user_id].sort());
    assert.equal(c.last_activity_at, c.created_at);
    const again = await open(b, { type: 'direct', members: [a.user.user_id] });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), c);
  });

  it('shows who is online', async () => {
    await h.presence.connect({ userId: b.user.user_id, connectionId: 'c1' }, 60_000);
    const c = (await open(a, { type: 'direct', members: [b.user.username] })).json<ConversationBody>();
    assert.deepEqual(
      c.members.map((m) => m.online),
      [false, true],
    );
  });

  it('refuses yourself, several members, none, and a name with 400', async () => {
    for (const [payload, code] of [
      [{ type: 'direct', members: [a.user.username] }, 'invalid_members'],
      [{ type: 'direct', members: [a.user.user_id] }, 'invalid_members'],
      [{ type: 'direct', members: [b.user.username, uniqueName()] }, 'validation_failed'],
      [{ type: 'direct', members: [] }, 'validation_failed'],
      [{ type: 'direct', name: 'x', members: [b.user.username] }, 'validation_failed'],
      [{ type: 'channel', members: [b.user.username] }, 'validation_failed'],
      [{ type: 'direct', members: b.user.username }, 'validation_failed'],
      [{ type: 'direct', members: [b.user.username], topic: 'x' }, 'validation_failed'],
    ] as const) {
      const res = await open(a, payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(errorOf(res).code, code, JSON.stringify(payload));
    }
    assert.deepEqual(await h.conversations.listForUser(a.user.user_id, 10), []);
  });

  it('answers 404 user_not_found for an unknown user', async () => {
    const res = await open(a, { type: 'direct', members: ['nobody_here'] });
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'user_not_found');
  });

  it('cannot be left or joined: 409 direct_conversation', async () => {
    const c = (await open(a, { type: 'direct', members: [b.user.username] })).json<ConversationBody>();
    const carol = await signUp(h);
    const add = await h.inject({ method: 'POST', url: `/v1/conversations/${c.conversation_id}/members`, headers: a.headers, payload: { user: carol.user.username } });
    assert.equal(add.statusCode, 409);
    assert.equal(errorOf(add).code, 'direct_conversation');
    const leave = await h.inject({ method: 'DELETE', url: `/v1/conversations/${c.conversation_id}/members/${a.user.user_id}`, headers: a.headers });
    assert.equal(leave.statusCode, 409);
    assert.equal(errorOf(leave).code, 'direct_conversation');
  });
});

describe('groups', () => {
  let h: Harness;
  let admin: SignedUp;
  let b: SignedUp;
  let c: SignedUp;
  beforeEach(async () => {
    h = await harness();
    [admin, b, c] = await Promise.all([signUp(h), signUp(h), signUp(h)]);
  });
  afterEach(() => h.close());

  const post = (who: SignedUp, url: string, payload: object) => h.inject({ method: 'POST', url, headers: who.headers, payload });
  const del = (who: SignedUp, url: string) => h.inject({ method: 'DELETE', url, headers: who.headers });

  it('creates a group: the creator is member and admin, duplicates removed, names trimmed', async () => {
    const res = await post(admin, '/v1/conversations', {
      type: 'group',
      name: '  Friends  ',
      members: [b.user.username, b.user.user_id, c.user.username, admin.user.username, c.user.username],
    });
    assert.equal(res.statusCode, 201);
    const g = res.json<ConversationBody>();
    assert.ok(isUuid(g.conversation_id) && g.conversation_id[14] === '7', 'a UUIDv7');
    assert.equal(g.type, 'group');
    assert.equal(g.name, 'Friends');
    assert.deepEqual(
      g.members.map((m) => m.user_id),
      [admin.user.user_id, b.user.user_id, c.user.user_id],
    );
    assert.deepEqual(g.admins, [admin.user.user_id]);
    const got = await h.inject({ method: 'GET', url: `/v1/conversations/${g.conversation_id}`, headers: c.headers });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), g);
  });

  it('needs a non-blank name of at most 100 characters', async () => {
    for (const name of [undefined, '', '   ', 'x'.repeat(101)]) {
      const res = await post(admin, '/v1/conversations', { type: 'group', members: [], ...(name === undefined ? {} : { name }) });
      assert.equal(res.statusCode, 400, String(name));
      assert.equal(errorOf(res).code, 'validation_failed');
      assert.equal(errorOf(res).details?.[0]?.field, 'body.name');
    }
  });

  it(`refuses more than ${MAX_MEMBERS} members with 400 too_many_members`, async () => {
    const names = Array.from({ length: MAX_MEMBERS }, (_, i) => `member_${i}`);
    const res = await post(admin, '/v1/conversations', { type: 'group', name: 'big', members: names });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'too_many_members');
  });

  it(`accepts ${MAX_MEMBERS} members in all, the creator included`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < MAX_MEMBERS - 1; i++) {
      const user_id = h.ids.next();
      ids.push(user_id);
      await h.users.create({ user_id, username: uniqueName('m'), display_name: 'm', created_at: new Date().toISOString(), password_hash: 'x' });
    }
    const res = await post(admin, '/v1/conversations', { type: 'group', name: 'full', members: ids });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json<ConversationBody>().members.length, MAX_MEMBERS);
  });

  it('answers 404 user_not_found naming every unknown member', async () => {
    const res = await post(admin, '/v1/conversations', { type: 'group', name: 'g', members: [b.user.username, 'ghost_one', 'ghost_two'] });
    assert.equal(res.statusCode, 404);
    const err = errorOf(res);
    assert.equal(err.code, 'user_not_found');
    assert.deepEqual(
      err.details?.map((d) => d.message),
      ['no user "ghost_one"', 'no user "ghost_two"'],
    );
    assert.deepEqual(await h.conversations.listForUser(admin.user.user_id, 10), []);
  });

  it('lists the caller’s conversations newest activity first, up to limit', async () => {
    const g1 = await createGroup(h, admin, [b], 'one');
    const g2 = await createGroup(h, admin, [c], 'two');
    const g3 = await createGroup(h, admin, [b, c], 'three');
    await h.conversations.touch(g1.conversation_id, new Date(Date.now() + 60_000).toISOString());
    const res = await h.inject({ method: 'GET', url: '/v1/conversations', headers: admin.headers });
    assert.equal(res.statusCode, 200);
    const ids = res.json<{ conversations: ConversationBody[] }>().conversations.map((x) => x.conversation_id);
    assert.equal(ids[0], g1.conversation_id);
    assert.deepEqual(new Set(ids), new Set([g1, g2, g3].map((g) => g.conversation_id)));
    const limited = await h.inject({ method: 'GET', url: '/v1/conversations?limit=1', headers: admin.headers });
    assert.deepEqual(
      limited.json<{ conversations: ConversationBody[] }>().conversations.map((x) => x.conversation_id),
      [g1.conversation_id],
    );
    const forB = await h.inject({ method: 'GET', url: '/v1/conversations', headers: b.headers });
    assert.equal(forB.json<{ conversations: unknown[] }>().conversations.length, 2);
    for (const bad of ['0', '501', 'x', '1.5']) {
      const r = await h.inject({ method: 'GET', url: `/v1/conversations?limit=${bad}`, headers: admin.headers });
      assert.equal(r.statusCode, 400, bad);
      assert.equal(errorOf(r).code, 'validation_failed');
    }
  });

  it('hides a conversation from non-members: 404 identical to an unknown id, also for non-UUIDs', async () => {
    const g = await createGroup(h, admin, [b]);
    const answer = async (id: string) => {
      const res = await h.inject({ method: 'GET', url: `/v1/conversations/${id}`, headers: c.headers });
      return [res.statusCode, res.body];
    };
    const hidden = await answer(g.conversation_id);
    assert.deepEqual(hidden, [404, JSON.stringify({ error: { code: 'conversation_not_found', message: 'the conversation does not exist' } })]);
    assert.deepEqual(await answer(UNKNOWN_ID), hidden);
    assert.deepEqual(await answer('not-a-uuid'), hidden);
    assert.deepEqual(await answer(g.conversation_id.toUpperCase()), hidden);
    const add = await post(c, `/v1/conversations/${g.conversation_id}/members`, { user: c.user.username });
    assert.equal(add.statusCode, 404);
    assert.equal(add.body, hidden[1]);
    const remove = await del(c, `/v1/conversations/${g.conversation_id}/members/${b.user.user_id}`);
    assert.equal(remove.statusCode, 404);
    assert.equal(remove.body, hidden[1]);
  });

  it('lets admins add members; others get 403 not_admin', async () => {
    const g = await createGroup(h, admin, [b]);
    const url = `/v1/conversations/${g.conversation_id}/members`;
    const refused = await post(b, url, { user: c.user.username });
    assert.equal(refused.statusCode, 403);
    assert.equal(errorOf(refused).code, 'not_admin');
    const added = await post(admin, url, { user: c.user.user_id });
    assert.equal(added.statusCode, 200);
    assert.deepEqual(
      added.json<ConversationBody>().members.map((m) => m.user_id),
      [admin.user.user_id, b.user.user_id, c.user.user_id],
    );
    const again = await post(admin, url, { user: c.user.username });
    assert.equal(again.statusCode, 200, 'adding a member again changes nothing');
    assert.equal(again.json<ConversationBody>().members.length, 3);
    const unknown = await post(admin, url, { user: 'nobody_at_all' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorOf(unknown).code, 'user_not_found');
    const bad = await post(admin, url, { user: c.user.username, role: 'admin' });
    assert.equal(bad.statusCode, 400);
    assert.equal(errorOf(bad).code, 'validation_failed');
  });

  it(`refuses to grow a full group with 409 conversation_full`, async () => {
    const g = await createGroup(h, admin, [b]);
    for (let i = 0; i < MAX_MEMBERS - 2; i++) await h.conversations.addMember(g.conversation_id, `01890000-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const res = await post(admin, `/v1/conversations/${g.conversation_id}/members`, { user: c.user.username });
    assert.equal(res.statusCode, 409);
    assert.equal(errorOf(res).code, 'conversation_full');
  });

  it('lets admins remove anyone and members remove themselves', async () => {
    const g = await createGroup(h, admin, [b, c]);
    const url = (u: SignedUp) => `/v1/conversations/${g.conversation_id}/members/${u.user.user_id}`;
    const refused = await del(b, url(c));
    assert.equal(refused.statusCode, 403);
    assert.equal(errorOf(refused).code, 'not_admin');
    const removed = await del(admin, url(c));
    assert.equal(removed.statusCode, 200);
    assert.deepEqual(
      removed.json<ConversationBody>().members.map((m) => m.user_id),
      [admin.user.user_id, b.user.user_id],
    );
    const gone = await del(admin, url(c));
    assert.equal(gone.statusCode, 404);
    assert.equal(errorOf(gone).code, 'member_not_found');
    const notUuid = await del(admin, `/v1/conversations/${g.conversation_id}/members/nope`);
    assert.equal(notUuid.statusCode, 404);
    assert.equal(errorOf(notUuid).code, 'member_not_found');
    const left = await del(b, url(b));
    assert.equal(left.statusCode, 200);
    assert.deepEqual(
      left.json<ConversationBody>().members.map((m) => m.user_id),
      [admin.user.user_id],
    );
    const after = await h.inject({ method: 'GET', url: `/v1/conversations/${g.conversation_id}`, headers: b.headers });
    assert.equal(after.statusCode, 404, 'a member that left no longer sees the conversation');
  });

  it('passes the admin role on when the last admin leaves', async () => {
    const g = await createGroup(h, admin, [b, c]);
    const res = await del(admin, `/v1/conversations/${g.conversation_id}/members/${admin.user.user_id}`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json<ConversationBody>().admins, [b.user.user_id]);
  });
});
