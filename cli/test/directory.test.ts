import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiClient } from '../src/api-client.js';
import { Directory, resolveConversation } from '../src/directory.js';
import { CliError, isCliError } from '../src/errors.js';
import type { Conversation } from '@chat4all/contract';

const me = { user_id: 'u1', username: 'ana' };
const member = (n: number, username: string) => ({ user_id: `u${n}`, username, display_name: username, online: false });
const conv = (id: string, type: 'direct' | 'group', members: ReturnType<typeof member>[], name: string | null = null): Conversation => ({
  conversation_id: id,
  type,
  name,
  members: [member(1, 'ana'), ...members],
  admins: ['u1'],
  created_at: 't',
  last_activity_at: 't',
});
const list = [conv('d-bob', 'direct', [member(2, 'bob')]), conv('g-team', 'group', [member(2, 'bob'), member(3, 'cid')], 'team'), conv('g-x1', 'group', [], 'dup'), conv('g-x2', 'group', [], 'dup'), conv('g-cid', 'group', [], 'cid'), conv('d-cid', 'direct', [member(3, 'cid')])];

/** Just the calls resolveConversation and Directory make. */
function fakeApi(opened: string[] = []) {
  let listed = 0;
  const api = {
    conversations: async () => {
      listed++;
      return list;
    },
    conversation: async (id: string) => {
      throw new CliError('not_found', `no ${id}`, { httpStatus: 404 });
    },
    openDirect: async (username: string) => {
      if (username === 'ghost') throw new CliError('user_not_found', 'no such user', { httpStatus: 404 });
      opened.push(username);
      return conv(`d-${username}`, 'direct', [member(9, username)]);
    },
  };
  return { api: api as unknown as ApiClient, listed: () => listed };
}

describe('resolveConversation', () => {
  it('accepts an id, a username for the direct conversation, or a unique group name', async () => {
    const { api } = fakeApi();
    assert.equal((await resolveConversation(api, me, 'g-team')).conversation_id, 'g-team');
    assert.equal((await resolveConversation(api, me, 'bob')).conversation_id, 'd-bob');
    assert.equal((await resolveConversation(api, me, '@bob')).conversation_id, 'd-bob');
    assert.equal((await resolveConversation(api, me, 'team')).conversation_id, 'g-team');
    assert.equal((await resolveConversation(api, me, '#team')).conversation_id, 'g-team');
  });

  it('refuses an ambiguous name, and lets @ and # settle it', async () => {
    const { api } = fakeApi();
    await assert.rejects(resolveConversation(api, me, 'dup'), (err) => isCliError(err, 'ambiguous_conversation') && /g-x1, g-x2/.test(err.message));
    await assert.rejects(resolveConversation(api, me, 'cid'), (err) => isCliError(err, 'ambiguous_conversation') && /@cid/.test(err.message));
    assert.equal((await resolveConversation(api, me, '@cid')).conversation_id, 'd-cid');
    assert.equal((await resolveConversation(api, me, '#cid')).conversation_id, 'g-cid');
  });

  it('opens a direct conversation with a new user only when asked to', async () => {
    const opened: string[] = [];
    const { api } = fakeApi(opened);
    await assert.rejects(resolveConversation(api, me, 'dan'), (err) => isCliError(err, 'conversation_not_found'));
    assert.equal((await resolveConversation(api, me, 'dan', { openDirect: true })).conversation_id, 'd-dan');
    assert.deepEqual(opened, ['dan']);
    await assert.rejects(resolveConversation(api, me, 'ghost', { openDirect: true }), (err) => isCliError(err, 'conversation_not_found'));
  });
});

describe('Directory', () => {
  it('names the sender and the group of a notification, refreshing on a new id, and on a repeated miss at most every 2 s', async () => {
    let clock = 0;
    const { api, listed } = fakeApi();
    const directory = new Directory(api, me, 2_000, () => clock);
    const frame = { type: 'new_message', message_id: 'm', conversation_id: 'g-team', sender_id: 'u3', content: 'x', created_at: 't' } as const;
    assert.deepEqual(await directory.names(frame), { user: 'cid', isMe: false, group: 'team' });
    assert.deepEqual(await directory.names({ ...frame, conversation_id: 'd-bob', sender_id: 'u2' }), { user: 'bob', isMe: false });
    assert.equal(listed(), 1);
    await directory.names({ ...frame, conversation_id: 'unknown', sender_id: 'u2' });
    assert.equal(listed(), 2, 'a conversation never seen: refreshed at once');
    await directory.names({ ...frame, conversation_id: 'unknown', sender_id: 'u2' });
    assert.equal(listed(), 2, 'the same miss again within 2 s: not refreshed');
    clock = 5_000;
    assert.deepEqual(await directory.names({ ...frame, conversation_id: 'unknown', sender_id: 'u2' }), { user: 'bob', isMe: false, group: 'unknown' });
    assert.equal(listed(), 3);
  });

  it('names the message a receipt is about when it saw it', async () => {
    const { api } = fakeApi();
    const directory = new Directory(api, me);
    directory.rememberMessage('m1', 'hello there');
    const names = await directory.names({ type: 'message_status', message_id: 'm1', conversation_id: 'd-bob', user_id: 'u2', status: 'READ', at: 't' });
    assert.deepEqual(names, { user: 'bob', isMe: false, about: 'hello there' });
  });
});
