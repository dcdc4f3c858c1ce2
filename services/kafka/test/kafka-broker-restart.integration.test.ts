import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { isChat4AllError, randomId } from '@chat4all/core';
import { sleep, waitFor } from '@chat4all/core/testing';
import { openLog } from './helpers.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** `scripts/services.sh stop|start kafka` (start keeps the data, unlike up). */
async function kafka(verb: 'stop' | 'start'): Promise<number> {
  const started = Date.now();
  await run('scripts/services.sh', [verb, 'kafka'], { cwd: repo, timeout: 100_000 });
  return Date.now() - started;
}

describe('KafkaEventLog across a broker restart', () => {
  it('loses no acknowledged append; appends during the outage reject with unavailable; health goes down and up', { timeout: 120_000 }, async () => {
    const log = await openLog({ healthCheckIntervalMs: 500, appendTimeoutMs: 4000, connectTimeoutMs: 4000 });
    const topic = `t-${randomId()}`;
    await log.ensureTopics([topic]);

    const consumed = new Map<string, number>();
    const consumer = await log.consume({
      group: `g-${randomId()}`,
      topics: [topic],
      handler: async (batch) => batch.forEach((r) => consumed.set(r.value.toString(), (consumed.get(r.value.toString()) ?? 0) + 1)),
    });

    const health: { at: number; status: string; detail?: string }[] = [];
    const details: { at: number; status: string; detail?: string }[] = [];
    const sampler = setInterval(() => {
      const h = log.health();
      if (health.at(-1)?.status !== h.status) health.push({ at: Date.now(), ...h });
      if (process.env.TRACE_HEALTH && details.at(-1)?.detail !== h.detail) details.push({ at: Date.now(), ...h });
    }, 50);

    const acked = new Set<string>();
    let unavailableErrors = 0;
    const otherErrors: unknown[] = [];
    let writing = true;
    const writer = async (w: number) => {
      for (let n = 0; writing; n++) {
        const id = `${w}-${n}`;
        // The test's retry loop: an append that rejected may or may not be stored; send it again.
        while (writing) {
          try {
            await log.append(topic, [{ key: `k${n % 8}`, value: Buffer.from(id) }]);
            acked.add(id);
            break;
          } catch (err) {
            if (isChat4AllError(err, 'unavailable')) unavailableErrors++;
            else otherErrors.push(err);
            await sleep(200);
          }
        }
        await sleep(5);
      }
    };
    const writers = [0, 1, 2].map(writer);

    let restarted = false;
    try {
      await waitFor(() => consumed.size >= 100, '100 records consumed before the restart', 20_000);
      const stopMs = await kafka('stop');
      const ackedAtStop = acked.size;
      await waitFor(() => unavailableErrors > 0, 'an append rejected with unavailable', 30_000);
      await waitFor(() => log.health().status === 'down', 'health down', 10_000);
      const downDetail = log.health().detail;
      const startMs = await kafka('start');
      restarted = true;
      const ackedAtStart = acked.size;
      await waitFor(() => log.health().status === 'up', 'health up again', 40_000);
      await waitFor(() => acked.size >= ackedAtStart + 300, '300 more appends after the restart', 40_000);
      writing = false;
      await Promise.all(writers);
      await waitFor(() => [...acked].every((id) => consumed.has(id)), 'every acknowledged append consumed', 40_000);

      const lost = [...acked].filter((id) => !consumed.has(id));
      const duplicates = [...consumed.values()].filter((n) => n > 1).length;
      const stats = log.stats();
      console.log(
        `restart: stop ${stopMs} ms, start ${startMs} ms; ${acked.size} acked (${ackedAtStop} before the stop), ${consumed.size} consumed, ` +
          `${duplicates} delivered more than once, ${unavailableErrors} unavailable rejections, ${stats.consumerCrashes} consumer crashes; ` +
          `health: ${health.map((h) => `${h.status}${h.detail ? ` (${h.detail})` : ''} at +${h.at - health[0]!.at} ms`).join(' -> ')}; down detail: ${downDetail}`,
      );
      if (process.env.TRACE_HEALTH) for (const d of details) console.log(`+${d.at - details[0]!.at} ms ${d.status} ${d.detail ?? ''}`);
      assert.deepEqual(lost, []);
      assert.deepEqual(otherErrors, []);
      assert.ok(unavailableErrors > 0);
      assert.ok(health.some((h) => h.status === 'down') && health.at(-1)!.status === 'up', 'health went down, then up');
      assert.equal(consumer === undefined, false);
    } finally {
      writing = false;
      clearInterval(sampler);
      if (!restarted) await kafka('start').catch(() => {});
      await Promise.all(writers);
      await consumer.stop();
      await log.close();
    }
  });
});
