import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomId } from '../domain/ids.js';
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

    it('tells each change once, whichever gateway claims it, and again after the opposite one', async () => {
      const p = await open();
      const [u, v] = [`u-${randomId()}`, `u-${randomId()}`];
      const online = { userId: u, status: 'online' as const };
      const offline = { userId: u, status: 'offline' as const };
      assert.deepEqual(await p.announce([online, { userId: v, status: 'offline' }], 60_000), [online, { userId: v, status: 'offline' }], 'never told: new');
      assert.deepEqual(await p.announce([online], 60_000), [], 'told already');
      assert.deepEqual(await p.announce([offline], 60_000), [offline]);
      assert.deepEqual(await p.announce([online, { userId: v, status: 'offline' }], 60_000), [online], 'online again, v unchanged');
      assert.deepEqual(await p.announce([], 60_000), []);
    });

    it('forgets what it told after the time it was asked to keep it', async () => {
      const p = await open();
      const change = { userId: `u-${randomId()}`, status: 'online' as const };
      assert.equal((await p.announce([change], 200)).length, 1);
      await sleep(400);
      assert.deepEqual(await p.announce([change], 200), [change], 'told again: harmless, and it bounds memory');
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
