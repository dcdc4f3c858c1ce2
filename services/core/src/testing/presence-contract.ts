import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomId } from '../ids.js';
import type { Presence } from '../ports/presence.js';
import { sleep } from './wait.js';

export type PresenceFactory = () => Promise<Presence>;

/** The Presence contract, run against every adapter. */
export function describePresence(name: string, make: PresenceFactory): void {
  describe(`Presence contract: ${name}`, () => {
    const opened: Presence[] = [];
    after(async () => {
      await Promise.all(opened.map((p) => p.close().catch(() => {})));
    });
    const open = async () => {
      const p = await make();
      opened.push(p);
      return p;
    };

    it('is online while any device is connected', async () => {
      const p = await open();
      const userId = `u-${randomId()}`;
      assert.deepEqual(await p.connect({ userId, connectionId: 'a' }, 10_000), { wasOnline: false });
      assert.deepEqual(await p.connect({ userId, connectionId: 'b' }, 10_000), { wasOnline: true });
      assert.deepEqual([...(await p.online([userId, 'nobody']))], [userId]);
      assert.deepEqual(await p.disconnect({ userId, connectionId: 'a' }), { stillOnline: true });
      assert.deepEqual(await p.disconnect({ userId, connectionId: 'b' }), { stillOnline: false });
      assert.deepEqual(await p.disconnect({ userId, connectionId: 'b' }), { stillOnline: false }, 'idempotent');
      assert.equal((await p.online([userId])).size, 0);
    });

    it('expires connections that are not refreshed', async () => {
      const p = await open();
      const userId = `u-${randomId()}`;
      const kept = `u-${randomId()}`;
      await p.connect({ userId, connectionId: 'a' }, 300);
      await p.connect({ userId: kept, connectionId: 'k' }, 300);
      await sleep(150);
      await p.refresh([{ userId: kept, connectionId: 'k' }], 1000);
      await sleep(300);
      assert.deepEqual([...(await p.online([userId, kept]))], [kept]);
    });
  });
}
