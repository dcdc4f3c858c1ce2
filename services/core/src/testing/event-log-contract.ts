import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { randomId } from '../domain/ids.js';
import type { EventLog, LogRecord } from '../ports/event-log.js';
import { sleep, waitFor } from './wait.js';

export type EventLogFactory = () => Promise<EventLog>;

const rec = (key: string, n: number) => ({ key, value: Buffer.from(JSON.stringify({ n })) });
const num = (r: LogRecord) => (JSON.parse(r.value.toString()) as { n: number }).n;

/** The EventLog contract, run against every adapter. Each test uses topics and groups of its own. */
export function describeEventLog(name: string, make: EventLogFactory): void {
  describe(`EventLog contract: ${name}`, () => {
    const logs: EventLog[] = [];
    const open = async () => {
      const l = await make();
      logs.push(l);
      return l;
    };
    after(async () => {
      await Promise.all(logs.map((l) => l.close().catch(() => {})));
    });

    it('delivers every appended record, keeping the order of each key', async () => {
      const log = await open();
      const topic = `t-${randomId()}`;
      await log.ensureTopics([topic]);
      const seen: LogRecord[] = [];
      const c = await log.consume({ group: `g-${randomId()}`, topics: [topic], handler: async (b) => void seen.push(...b) });
      for (let i = 0; i < 30; i++) await log.append(topic, [rec(`k${i % 3}`, i)]);
      await waitFor(() => seen.length >= 30, '30 records');
      for (const k of ['k0', 'k1', 'k2']) {
        const ns = seen.filter((r) => r.key === k).map(num);
        assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `order of ${k}`);
      }
      assert.equal(new Set(seen.map(num)).size, 30);
      assert.equal(seen[0]!.topic, topic);
      await c.stop();
    });

    it('redelivers a batch whose handler failed, and never skips it', async () => {
      const log = await open();
      const topic = `t-${randomId()}`;
      await log.ensureTopics([topic]);
      let failures = 0;
      const done: number[] = [];
      const c = await log.consume({
        group: `g-${randomId()}`,
        topics: [topic],
        retryDelayMs: 10,
        handler: async (b) => {
          if (b.some((r) => num(r) === 1) && failures < 3) {
            failures++;
            throw new Error('transient');
          }
          for (const r of b) done.push(num(r));
        },
      });
      await log.append(topic, [rec('same', 0), rec('same', 1), rec('same', 2)]);
      await waitFor(() => done.includes(2), 'record 2 after retries', 20_000);
      assert.equal(failures, 3);
      assert.ok(done.includes(1), 'the failing record is delivered in the end');
      assert.ok(done.indexOf(1) < done.lastIndexOf(2), 'order kept across retries');
      await c.stop();
    });

    it('resumes a group after its last commit; another group reads everything', async () => {
      const log = await open();
      const topic = `t-${randomId()}`;
      const group = `g-${randomId()}`;
      await log.ensureTopics([topic]);
      const first: number[] = [];
      const c1 = await log.consume({ group, topics: [topic], handler: async (b) => void first.push(...b.map(num)) });
      await log.append(topic, [rec('a', 1), rec('a', 2)]);
      await waitFor(() => first.length === 2, 'first two');
      await c1.stop();
      await log.append(topic, [rec('a', 3)]);
      const second: number[] = [];
      const c2 = await log.consume({ group, topics: [topic], handler: async (b) => void second.push(...b.map(num)) });
      await waitFor(() => second.includes(3), 'record 3 after resume', 30_000);
      await sleep(200);
      assert.deepEqual(second, [3], 'committed records are not delivered again');
      const other: number[] = [];
      const c3 = await log.consume({ group: `g-${randomId()}`, topics: [topic], handler: async (b) => void other.push(...b.map(num)) });
      await waitFor(() => other.length === 3, 'all three in a new group', 30_000);
      await Promise.all([c2.stop(), c3.stop()]);
    });

    it('reports the lag of its partitions, down to zero once it caught up', async () => {
      const log = await open();
      const topic = `t-${randomId()}`;
      await log.ensureTopics([topic]);
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => (release = r));
      const seen: number[] = [];
      const c = await log.consume({
        group: `g-${randomId()}`,
        topics: [topic],
        handler: async (b) => {
          await gate;
          seen.push(...b.map(num));
        },
      });
      await log.append(topic, Array.from({ length: 20 }, (_, i) => rec('one-key', i)));
      await waitFor(() => c.lag().reduce((n, l) => n + l.lag, 0) > 0, 'a lag while the handler waits', 30_000);
      release();
      await waitFor(() => seen.length === 20, 'all twenty', 30_000);
      await waitFor(() => c.lag().every((l) => l.lag === 0) && c.lag().some((l) => l.topic === topic), 'no lag', 30_000);
      await c.stop();
    });

    it('reports its health as up while connected', async () => {
      const log = await open();
      assert.equal(log.health().status, 'up');
      assert.equal(typeof log.backendName, 'string');
    });
  });
}
