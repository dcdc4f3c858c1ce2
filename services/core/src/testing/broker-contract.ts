import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { NewMessageBody } from '@chat4all/contract';
import { compareEventIds, isEventId } from '../domain/event-ids.js';
import { UuidV7Generator, randomId } from '../domain/ids.js';
import type { Broker } from '../ports/broker.js';
import { sleep, waitFor } from './wait.js';

/** Makes a broker; brokers made by one factory share one server (as gateways share one Redis). */
export type BrokerFactory = () => Promise<Broker>;

const ids = new UuidV7Generator();
const body = (content: string): NewMessageBody => ({
  type: 'new_message',
  message_id: ids.next(),
  conversation_id: ids.next(),
  sender_id: ids.next(),
  content,
  created_at: new Date().toISOString(),
});

/** The Broker contract, run against every adapter. Each test uses users of its own. */
export function describeBroker(name: string, make: BrokerFactory): void {
  describe(`Broker contract: ${name}`, () => {
    const brokers: Broker[] = [];
    const open = async () => {
      const b = await make();
      brokers.push(b);
      const got: { userId: string; payload: string }[] = [];
      b.setListener((userId, payload) => got.push({ userId, payload }));
      return { b, got };
    };
    after(async () => {
      await Promise.all(brokers.map((b) => b.close().catch(() => {})));
    });

    it('delivers an event with its event_id to a subscribed broker, and history replays it', async () => {
      const { b, got } = await open();
      const user = `u-${randomId()}`;
      await b.subscribe([user]);
      const [id0] = await b.publish([{ userId: user, body: body('zero') }]);
      const [id1, id2] = await b.publish([
        { userId: user, body: body('one') },
        { userId: user, body: body('two') },
      ]);
      assert.ok(isEventId(id0) && isEventId(id1) && isEventId(id2));
      assert.ok(compareEventIds(id0!, id1!) < 0 && compareEventIds(id1!, id2!) < 0, 'ids increase');
      await waitFor(() => got.length === 3, 'three live events');
      const live = got.map((g) => JSON.parse(g.payload) as { event_id: string; content: string });
      assert.deepEqual(live.map((e) => e.event_id), [id0, id1, id2]);
      assert.deepEqual(live.map((e) => e.content), ['zero', 'one', 'two']);
      assert.ok(got[0]!.payload.startsWith('{"event_id":'), 'event_id comes first');
      const h = await b.history(user, id0!, 100);
      assert.equal(h.recovered, true);
      assert.deepEqual(h.events, got.slice(1).map((g) => g.payload), 'history equals the live payloads');
      const tail = await b.history(user, id2!, 100);
      assert.deepEqual(tail, { events: [], recovered: true });
    });

    it('reaches only brokers subscribed to the user, and stops after unsubscribe', async () => {
      const a = await open();
      const other = await open();
      const user = `u-${randomId()}`;
      await a.b.subscribe([user]);
      await a.b.subscribe([user]); // idempotent
      await other.b.subscribe([`u-${randomId()}`]);
      await a.b.publish([{ userId: user, body: body('x') }]);
      await waitFor(() => a.got.length === 1, 'delivery');
      await a.b.unsubscribe([user]);
      await a.b.publish([{ userId: user, body: body('y') }]);
      await sleep(150);
      assert.equal(a.got.length, 1, 'nothing after unsubscribe');
      assert.equal(other.got.length, 0, 'an unrelated broker gets nothing');
    });

    it('subscribes many users in one call', async () => {
      const { b, got } = await open();
      const users = Array.from({ length: 200 }, () => `u-${randomId()}`);
      await b.subscribe(users);
      await b.publish(users.map((u) => ({ userId: u, body: body(u) })));
      await waitFor(() => got.length === 200, '200 deliveries');
      assert.deepEqual(new Set(got.map((g) => g.userId)), new Set(users));
    });

    it('publishes ephemeral frames live but keeps them out of history', async () => {
      const { b, got } = await open();
      const user = `u-${randomId()}`;
      await b.subscribe([user]);
      const [id] = await b.publish([{ userId: user, body: body('kept') }]);
      await b.publishEphemeral([{ userId: user, frame: { type: 'typing', conversation_id: 'c', user_id: 'x' } }]);
      await waitFor(() => got.length === 2, 'two frames');
      assert.deepEqual(JSON.parse(got[1]!.payload), { type: 'typing', conversation_id: 'c', user_id: 'x' });
      assert.deepEqual(await b.history(user, id!, 10), { events: [], recovered: true });
    });

    it('says recovered: false for an id it does not hold', async () => {
      const { b } = await open();
      const user = `u-${randomId()}`;
      assert.equal((await b.history(user, '1-0', 10)).recovered, false, 'unknown user');
      await b.publish([{ userId: user, body: body('a') }]);
      assert.equal((await b.history(user, '1-0', 10)).recovered, false, 'id older than history');
    });

    it('names the newest event of a history', async () => {
      const { b } = await open();
      const user = `u-${randomId()}`;
      assert.equal(await b.latestEventId(user), undefined);
      const got = await b.publish([1, 2, 3].map((i) => ({ userId: user, body: body(String(i)) })));
      assert.equal(await b.latestEventId(user), got[2]);
    });

    it('honours the limit of history', async () => {
      const { b } = await open();
      const user = `u-${randomId()}`;
      const got = await b.publish(Array.from({ length: 5 }, (_, i) => ({ userId: user, body: body(String(i)) })));
      const h = await b.history(user, got[0]!, 2);
      assert.equal(h.events.length, 2);
      assert.equal((JSON.parse(h.events[1]!) as { event_id: string }).event_id, got[2]);
    });
  });
}
