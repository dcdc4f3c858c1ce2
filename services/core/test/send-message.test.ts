import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientMessageClaim, type SendAttempt, type SendDecisionDeps, UuidV7Generator, decideSend, invalid, notFound, sendRefusal, unavailable } from '../src/index.js';
import { MemoryMessageStore } from '../src/memory/index.js';

const ids = new UuidV7Generator();

function world() {
  const [alice, bob, mallory] = [ids.next(), ids.next(), ids.next()];
  const [conv, other] = [ids.next(), ids.next()];
  const conversations = new Map<string, string[]>([
    [conv, [alice, bob]],
    [other, [alice]],
  ]);
  const messages = new MemoryMessageStore();
  const claims: string[] = [];
  const claim = messages.claimClientMessageId.bind(messages);
  messages.claimClientMessageId = (sender, cmid, candidate) => (claims.push(cmid), claim(sender, cmid, candidate));
  const deps: SendDecisionDeps = { members: async (id) => conversations.get(id), messages };
  const attempt = (over: Partial<SendAttempt> = {}): SendAttempt => {
    const conversationId = over.conversation_id ?? conv;
    const candidate: ClientMessageClaim = { message_id: ids.next(), conversation_id: conversationId, created_at: new Date().toISOString() };
    return { sender_id: alice, conversation_id: conversationId, candidate, ...over };
  };
  return { alice, bob, mallory, conv, other, messages, claims, deps, attempt };
}

describe('sendRefusal', () => {
  it('lets members send, and nobody to a conversation that does not exist', () => {
    assert.equal(sendRefusal(['a', 'b'], 'a'), undefined);
    assert.equal(sendRefusal(['a', 'b'], 'c'), 'not_member');
    assert.equal(sendRefusal(undefined, 'a'), 'no_conversation');
  });
});

describe('decideSend', () => {
  it('accepts a member\'s send without a client_message_id, claiming nothing', async () => {
    const w = world();
    const a = w.attempt();
    const d = await decideSend(w.deps, a);
    assert.equal(d.verdict, 'accept');
    assert.deepEqual(d.claim, a.candidate);
    assert.deepEqual(d.members, [w.alice, w.bob]);
    assert.deepEqual(w.claims, []);
  });

  it('refuses a non-member and an unknown conversation, claiming nothing and running no further check', async () => {
    const w = world();
    let checked = 0;
    const beforeClaim = async () => void checked++;
    await assert.rejects(decideSend(w.deps, w.attempt({ sender_id: w.mallory, client_message_id: 'k' }), { beforeClaim }), { kind: 'invalid', code: 'sender_not_member' });
    await assert.rejects(decideSend(w.deps, w.attempt({ conversation_id: ids.next(), client_message_id: 'k' }), { beforeClaim }), { kind: 'not_found', code: 'conversation_not_found' });
    assert.equal(checked, 0);
    assert.deepEqual(w.claims, []);
  });

  it('throws the caller\'s refusal when given', async () => {
    const w = world();
    const refuse = (why: string) => notFound('hidden', why);
    await assert.rejects(decideSend(w.deps, w.attempt({ sender_id: w.mallory }), { refuse }), { code: 'hidden', message: 'not_member' });
  });

  it('runs the caller\'s checks after membership and before the claim: their failure claims nothing', async () => {
    const w = world();
    const order: string[] = [];
    const deps: SendDecisionDeps = { members: async (id) => (order.push('members'), w.deps.members(id)), messages: w.deps.messages };
    await assert.rejects(
      decideSend(deps, w.attempt({ client_message_id: 'k' }), { beforeClaim: async () => (order.push('check'), Promise.reject(invalid('bad_attachment', 'no'))) }),
      { code: 'bad_attachment' },
    );
    assert.deepEqual(order, ['members', 'check']);
    assert.deepEqual(w.claims, []);
    const d = await decideSend(deps, w.attempt({ client_message_id: 'k' }), { beforeClaim: async (members) => void order.push(`check ${members.length}`) });
    assert.equal(d.verdict, 'accept');
    assert.deepEqual(w.claims, ['k']);
  });

  it('tells the first send of a client_message_id from its repeat and from its reuse in another conversation', async () => {
    const w = world();
    const first = w.attempt({ client_message_id: 'k' });
    const d1 = await decideSend(w.deps, first);
    assert.equal(d1.verdict, 'accept');
    assert.equal(d1.claimed, true);
    const again = await decideSend(w.deps, { ...first }, {});
    assert.equal(again.verdict, 'accept', 'the same message (the worker checking the api\'s claim) is still accepted');
    const retry = await decideSend(w.deps, w.attempt({ client_message_id: 'k' }));
    assert.equal(retry.verdict, 'repeat');
    assert.deepEqual(retry.claim, first.candidate, 'the first message answers');
    const elsewhere = await decideSend(w.deps, w.attempt({ conversation_id: w.other, client_message_id: 'k' }));
    assert.equal(elsewhere.verdict, 'reused');
    const bobs = await decideSend(w.deps, w.attempt({ sender_id: w.bob, client_message_id: 'k' }));
    assert.equal(bobs.verdict, 'accept', 'client_message_ids are per sender');
  });

  it('defers the claim while the store is unavailable only when asked to', async () => {
    const w = world();
    w.messages.claimClientMessageId = () => Promise.reject(unavailable('store_down', 'down'));
    const a = w.attempt({ client_message_id: 'k' });
    const d = await decideSend(w.deps, a, { deferClaimWhenUnavailable: true });
    assert.deepEqual([d.verdict, d.claimed, d.claim], ['accept', false, a.candidate]);
    await assert.rejects(decideSend(w.deps, a), { kind: 'unavailable' });
  });

  it('passes on a membership read that fails', async () => {
    const w = world();
    const deps: SendDecisionDeps = { members: () => Promise.reject(unavailable('store_down', 'down')), messages: w.messages };
    await assert.rejects(decideSend(deps, w.attempt({ client_message_id: 'k' })), { kind: 'unavailable' });
    assert.deepEqual(w.claims, []);
  });
});
