import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomId } from '../domain/ids.js';
import type { ConversationChanges } from '../ports/conversation-changes.js';
import { sleep, waitFor } from './wait.js';

/** Makes a feed; feeds made by one factory share one server (as the processes share one Redis). */
export type ConversationChangesFactory = () => Promise<ConversationChanges>;

/** The ConversationChanges contract, run against every adapter. Each test uses ids of its own. */
export function describeConversationChanges(name: string, make: ConversationChangesFactory): void {
  describe(`ConversationChanges contract: ${name}`, () => {
    const feeds: ConversationChanges[] = [];
    const open = async () => {
      const feed = await make();
      feeds.push(feed);
      const heard: string[] = [];
      let missed = 0;
      await feed.listen({ changed: (id) => heard.push(id), missed: () => missed++ });
      return { feed, heard, missed: () => missed };
    };
    after(async () => {
      await Promise.all(feeds.map((f) => f.close().catch(() => {})));
    });

    it('tells every listening instance of a change, the publishing one included', async () => {
      const [a, b, c] = [await open(), await open(), await open()];
      const id = randomId();
      await b.feed.publish(id);
      for (const [name, x] of [['a', a], ['b', b], ['c', c]] as const) {
        await waitFor(() => x.heard.includes(id), `instance ${name} hears the change`);
      }
      assert.equal(a.feed.health().status, 'up');
    });

    it('keeps the order of one publisher and says nothing after close', async () => {
      const [a, b] = [await open(), await open()];
      const ids = Array.from({ length: 20 }, () => randomId());
      for (const id of ids) await a.feed.publish(id);
      await waitFor(() => ids.every((id) => b.heard.includes(id)), 'twenty changes');
      assert.deepEqual(b.heard.filter((id) => ids.includes(id)), ids);
      await b.feed.close();
      const late = randomId();
      await a.feed.publish(late);
      await waitFor(() => a.heard.includes(late), 'the open instance hears it');
      await sleep(50);
      assert.ok(!b.heard.includes(late), 'a closed instance hears nothing');
    });
  });
}
