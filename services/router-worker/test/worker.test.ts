import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MessageRecord, TOPIC_DEAD_LETTER, TOPIC_MESSAGES, TOPIC_RECEIPTS, encodeRecord } from '@chat4all/contract';
import { type Conversation, type LogRecord, UuidV7Generator, unavailable } from '@chat4all/core';
import { MemoryBroker, MemoryConversationStore, MemoryEventLog, MemoryMessageStore } from '@chat4all/core/memory';
import { waitFor } from '@chat4all/core/testing';
import { RouterWorker } from '../src/index.js';
import pino from 'pino';
import { Registry } from 'prom-client';

const ids = new UuidV7Generator();

async function setup() {
  const eventLog = new MemoryEventLog();
  const conversations = new MemoryConversationStore();
  const messages = new MemoryMessageStore();
  const broker = new MemoryBroker();
  const [alice, bob] = [ids.next(), ids.next()];
  const now = new Date().toISOString();
  const conv: Conversation = { conversation_id: ids.next(), type: 'direct', name: null, members: [alice, bob], admins: [alice, bob], created_by: bob, created_at: now, last_activity_at: now };
  await conversations.create(conv);
  const received: { userId: string; payload: any }[] = [];
  broker.setListener((userId, payload) => received.push({ userId, payload: JSON.parse(payload) }));
  await broker.subscribe([alice, bob]);
  const worker = new RouterWorker({ eventLog, conversations, messages, broker, logger: pino({ level: 'silent' }), registry: new Registry(), maxAttempts: 3 });
  await worker.start();
  const dead: LogRecord[] = [];
  const deadConsumer = await eventLog.consume({ group: 'test-dead', topics: [TOPIC_DEAD_LETTER], handler: async (b) => void dead.push(...b) });
  const message = (content: string): MessageRecord => ({ v: 1, message_id: ids.next(), conversation_id: conv.conversation_id, sender_id: bob, content, created_at: new Date().toISOString() });
  const stop = async () => {
    await deadConsumer.stop();
    await worker.stop();
  };
  return { eventLog, conversations, messages, broker, alice, bob, conv, received, dead, message, stop };
}

/** The first record's insert finishes only once the others' did: all are stored when its turn comes. */
function storeFirstLast(t: Awaited<ReturnType<typeof setup>>, recs: MessageRecord[]): void {
  const insert = t.messages.insert.bind(t.messages);
  let othersStored = 0;
  let releaseFirst: () => void = () => {};
  const firstMayFinish = new Promise<void>((r) => (releaseFirst = r));
  t.messages.insert = async (m) => {
    if (m.message_id === recs[0]!.message_id) await firstMayFinish;
    const result = await insert(m);
    if (m.message_id !== recs[0]!.message_id && ++othersStored === recs.length - 1) releaseFirst();
    return result;
  };
}

/** The deliveries of each publish call; a call of more than `refuseOver` fails. */
function countPublishes(t: Awaited<ReturnType<typeof setup>>, refuseOver = Infinity): number[] {
  const publish = t.broker.publish.bind(t.broker);
  const calls: number[] = [];
  t.broker.publish = async (deliveries) => {
    calls.push(deliveries.length);
    if (deliveries.length > refuseOver) throw unavailable('redis_unavailable', 'too much at once');
    return publish(deliveries);
  };
  return calls;
}

describe('router worker', () => {
  it('stores a message once and fans it out to every member, even when the record is redelivered', async () => {
    const t = await setup();
    const rec = t.message('hello');
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord(rec) }]);
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord(rec) }]);
    await waitFor(() => t.received.length === 4, 'two fan-outs of two members');
    const page = await t.messages.history(rec.conversation_id, { limit: 10 });
    assert.equal(page.messages.length, 1);
    assert.equal(page.messages[0]!.status, 'SENT');
    assert.deepEqual(new Set(t.received.map((r) => r.userId)), new Set([t.alice, t.bob]));
    assert.equal(t.received[0]!.payload.type, 'new_message');
    assert.equal((await t.conversations.get(rec.conversation_id))!.last_activity_at, rec.created_at);
    await t.stop();
  });

  it('stores one message for two records of one send (a claim deferred by the api)', async () => {
    const t = await setup();
    const a = { ...t.message('once'), client_message_id: 'k-1' };
    const b = { ...t.message('once'), client_message_id: 'k-1' };
    await t.eventLog.append(TOPIC_MESSAGES, [a, b].map((r) => ({ key: r.conversation_id, value: encodeRecord(r) })));
    const next = t.message('next');
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: next.conversation_id, value: encodeRecord(next) }]);
    await waitFor(async () => (await t.messages.get(next.message_id)) !== undefined, 'the next message');
    const page = await t.messages.history(t.conv.conversation_id, { limit: 10 });
    assert.deepEqual(page.messages.map((m) => m.message_id), [a.message_id, next.message_id]);
    assert.equal(t.received.filter((r) => r.payload.message_id === b.message_id).length, 0, 'the second record is not fanned out');
    await t.stop();
  });

  it('refuses a record whose sender is not a member (stale or not the api\'s): dead-lettered, nothing stored or claimed', async () => {
    const t = await setup();
    const stranger = ids.next();
    const rec = { ...t.message('forged'), sender_id: stranger, client_message_id: 'k-forged' };
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord(rec) }]);
    await waitFor(() => t.dead.length === 1, 'a dead letter');
    assert.equal(t.dead[0]!.headers['x-error-code'], 'sender_not_member');
    assert.equal(await t.messages.get(rec.message_id), undefined);
    const candidate = { message_id: ids.next(), conversation_id: rec.conversation_id, created_at: new Date().toISOString() };
    assert.deepEqual(await t.messages.claimClientMessageId(stranger, 'k-forged', candidate), candidate, 'the client_message_id was not claimed');
    assert.equal(t.received.length, 0);
    await t.stop();
  });

  it('carries receipts to the sender once, and READ to the reader\'s devices too', async () => {
    const t = await setup();
    const rec = t.message('hello');
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord(rec) }]);
    await waitFor(() => t.received.length === 2, 'fan-out');
    const at = Date.now();
    const receipt = (status: 'DELIVERED' | 'READ', ms: number) => ({ key: rec.conversation_id, value: encodeRecord({ v: 1, message_id: rec.message_id, conversation_id: rec.conversation_id, user_id: t.alice, status, at: new Date(at + ms).toISOString() }) });
    // The second DELIVERED comes from another device, later.
    await t.eventLog.append(TOPIC_RECEIPTS, [receipt('DELIVERED', 0), receipt('DELIVERED', 5), receipt('READ', 10)]);
    await waitFor(() => t.received.filter((r) => r.payload.status === 'READ').length === 2, 'READ to sender and reader');
    const statuses = t.received.filter((r) => r.payload.type === 'message_status');
    assert.deepEqual(statuses.map((r) => [r.userId === t.bob ? 'bob' : 'alice', r.payload.status]), [['bob', 'DELIVERED'], ['bob', 'READ'], ['alice', 'READ']]);
    assert.equal((await t.messages.get(rec.message_id))!.status, 'READ');
    await t.stop();
  });

  it('puts a poison record on the dead-letter topic with its reason and keeps going', async () => {
    const t = await setup();
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: t.conv.conversation_id, value: Buffer.from('{not json') }]);
    const good = t.message('after the poison');
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: t.conv.conversation_id, value: encodeRecord(good) }]);
    await waitFor(() => t.dead.length === 1, 'a dead letter');
    assert.equal(t.dead[0]!.headers['x-error-code'], 'record_not_json');
    assert.equal(t.dead[0]!.headers['x-original-topic'], TOPIC_MESSAGES);
    assert.equal(t.dead[0]!.value.toString(), '{not json');
    await waitFor(async () => (await t.messages.get(good.message_id)) !== undefined, 'the next record is stored');
    await t.stop();
  });

  it('waits out a store outage without dead-lettering, then catches up', async () => {
    const t = await setup();
    let down = true;
    const recs = [t.message('one'), t.message('two'), t.message('three')];
    let firstTries = 0;
    const insert = t.messages.insert.bind(t.messages);
    t.messages.insert = async (m) => {
      if (m.message_id === recs[0]!.message_id) firstTries++;
      if (down) throw unavailable('store_down', 'store is down');
      return insert(m);
    };
    // A dead letter is appended before the record is tried again, so once the first record was
    // tried more often than maxAttempts (3) allows, any dead letter of the outage has been appended.
    const deadLetters: string[] = [];
    const append = t.eventLog.append.bind(t.eventLog);
    t.eventLog.append = async (topic, records) => {
      if (topic === TOPIC_DEAD_LETTER) deadLetters.push(...records.map((r) => String(r.headers?.['x-error-code'])));
      return append(topic, records);
    };
    await t.eventLog.append(TOPIC_MESSAGES, recs.map((r) => ({ key: r.conversation_id, value: encodeRecord(r) })));
    await waitFor(() => firstTries > 3, 'a fourth try of the first record', 15_000);
    assert.deepEqual(deadLetters, [], 'an outage is not poison');
    down = false;
    await waitFor(async () => (await t.messages.history(t.conv.conversation_id, { limit: 10 })).messages.length === 3, 'all three stored', 15_000);
    const page = await t.messages.history(t.conv.conversation_id, { limit: 10 });
    assert.deepEqual(page.messages.map((m) => m.content), ['one', 'two', 'three']);
    await t.stop();
  });

  it('dead-letters a record that keeps failing for another reason after its attempts', async () => {
    const t = await setup();
    const orphan: MessageRecord = { ...t.message('no conversation'), conversation_id: ids.next() };
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: orphan.conversation_id, value: encodeRecord(orphan) }]);
    await waitFor(() => t.dead.length === 1, 'dead letter after attempts', 15_000);
    assert.equal(t.dead[0]!.headers['x-error-code'], 'conversation_not_found');
    assert.equal(t.dead[0]!.headers['x-attempts'], '3');
    await t.stop();
  });

  it('stores a conversation\'s records concurrently but publishes them in record order, through a failure', async () => {
    const t = await setup();
    const insert = t.messages.insert.bind(t.messages);
    let inFlight = 0;
    let most = 0;
    let failOnce = 'content 17';
    t.messages.insert = async (m) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        // Later records often finish first: the publish order must not follow the store order.
        await new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 20)));
        if (m.content === failOnce) {
          failOnce = '';
          throw new Error('a transient failure');
        }
        return await insert(m);
      } finally {
        inFlight--;
      }
    };
    const recs = Array.from({ length: 40 }, (_, i) => t.message(`content ${i}`));
    await t.eventLog.append(TOPIC_MESSAGES, recs.map((r) => ({ key: r.conversation_id, value: encodeRecord(r) })));
    const toAlice = () => t.received.filter((r) => r.userId === t.alice).map((r) => r.payload.content as string);
    await waitFor(() => new Set(toAlice()).size === 40, 'all 40 published', 15_000);
    const firsts = [...new Set(toAlice())];
    assert.deepEqual(firsts, recs.map((r) => r.content), 'first publications in record order');
    // After the failure the batch is redone from its start: what came before may be published again, in order.
    const all = toAlice();
    for (let i = 1; i < all.length; i++) if (all[i] !== all[i - 1]) assert.ok(recs.findIndex((r) => r.content === all[i]) === recs.findIndex((r) => r.content === all[i - 1]) + 1 || all[i] === 'content 0', `order at ${i}: ${all[i - 1]} then ${all[i]}`);
    assert.ok(most > 1, `stores overlapped (at most ${most} at once)`);
    assert.equal((await t.messages.history(t.conv.conversation_id, { limit: 50 })).messages.length, 40);
    assert.equal(t.dead.length, 0);
    await t.stop();
  });

  it('publishes the records stored by their turn together, in one publish and in record order', async () => {
    const t = await setup();
    const recs = Array.from({ length: 10 }, (_, i) => t.message(`m${i}`));
    storeFirstLast(t, recs);
    const calls = countPublishes(t);
    await t.eventLog.append(TOPIC_MESSAGES, recs.map((r) => ({ key: r.conversation_id, value: encodeRecord(r) })));
    await waitFor(() => t.received.length === 20, 'every message to both members');
    assert.deepEqual(calls, [20], 'one publish for the ten records');
    assert.deepEqual(t.received.filter((r) => r.userId === t.alice).map((r) => r.payload.content), recs.map((r) => r.content));
    await t.stop();
  });

  it('publishes a run one record at a time when publishing it together fails', async () => {
    const t = await setup();
    const recs = Array.from({ length: 5 }, (_, i) => t.message(`r${i}`));
    storeFirstLast(t, recs);
    const calls = countPublishes(t, 2);
    await t.eventLog.append(TOPIC_MESSAGES, recs.map((r) => ({ key: r.conversation_id, value: encodeRecord(r) })));
    await waitFor(() => t.received.length === 10, 'every message to both members');
    assert.deepEqual(t.received.filter((r) => r.userId === t.alice).map((r) => r.payload.content), recs.map((r) => r.content));
    assert.equal(calls[0], 10, `the run was published together first (${calls.join()})`);
    assert.equal(t.dead.length, 0);
    await t.stop();
  });

  it('publishes a receipt\'s first status again when its publish failed and the record comes back', async () => {
    const t = await setup();
    const rec = t.message('hello');
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord(rec) }]);
    await waitFor(() => t.received.length === 2, 'fan-out');
    const publish = t.broker.publish.bind(t.broker);
    let failures = 0;
    t.broker.publish = async (deliveries) => {
      if (deliveries.some((d) => d.body.type === 'message_status') && failures < 2) {
        failures++;
        throw unavailable('redis_unavailable', 'a failover');
      }
      return publish(deliveries);
    };
    for (const status of ['DELIVERED', 'READ'] as const) {
      const at = new Date().toISOString();
      await t.eventLog.append(TOPIC_RECEIPTS, [{ key: rec.conversation_id, value: encodeRecord({ v: 1, message_id: rec.message_id, conversation_id: rec.conversation_id, user_id: t.alice, status, at }) }]);
      await waitFor(() => t.received.some((r) => r.userId === t.bob && r.payload.status === status), `${status} reaches the sender after the failed publish`, 15_000);
      assert.equal(t.received.filter((r) => r.userId === t.bob && r.payload.status === status)[0]!.payload.at, at);
    }
    assert.equal(failures, 2);
    assert.equal(t.dead.length, 0);
    await t.stop();
  });

  it('tells only current members of a receipt: a sender who left hears nothing of it', async () => {
    const t = await setup();
    const carol = ids.next();
    const now = new Date().toISOString();
    const group: Conversation = { conversation_id: ids.next(), type: 'group', name: 'g', members: [t.bob, t.alice, carol], admins: [t.bob], created_by: t.bob, created_at: now, last_activity_at: now };
    await t.conversations.create(group);
    await t.broker.subscribe([carol]);
    const rec: MessageRecord = { ...t.message('in the group'), conversation_id: group.conversation_id };
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord(rec) }]);
    await waitFor(() => t.received.filter((r) => r.payload.message_id === rec.message_id).length === 3, 'fan-out to three');
    await t.conversations.removeMember(group.conversation_id, t.bob);
    const read = { v: 1 as const, message_id: rec.message_id, conversation_id: rec.conversation_id, user_id: carol, status: 'READ' as const, at: new Date().toISOString() };
    await t.eventLog.append(TOPIC_RECEIPTS, [{ key: rec.conversation_id, value: encodeRecord(read) }]);
    await waitFor(() => t.received.some((r) => r.userId === carol && r.payload.status === 'READ'), 'READ to the reader\'s devices');
    const next = t.message('a marker after the receipt');
    await t.eventLog.append(TOPIC_MESSAGES, [{ key: rec.conversation_id, value: encodeRecord({ ...next, conversation_id: group.conversation_id, sender_id: carol }) }]);
    await waitFor(() => t.received.some((r) => r.payload.message_id === next.message_id), 'the marker');
    assert.deepEqual(t.received.filter((r) => r.userId === t.bob && r.payload.type === 'message_status'), [], 'bob left: no status of the group');
    assert.equal((await t.messages.getReceipt(rec.message_id, carol))!.read_at, read.at);
    await t.stop();
  });
});
