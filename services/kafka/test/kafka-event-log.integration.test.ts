import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type LogRecord, isChat4AllError, randomId } from '@chat4all/core';
import { describeEventLog, sleep, waitFor } from '@chat4all/core/testing';
import type { KafkaEventLog } from '../src/kafka-event-log.js';
import { openLog } from './helpers.js';

describeEventLog('kafka', () => openLog());

describe('KafkaEventLog', () => {
  const logs: KafkaEventLog[] = [];
  const open = async (...args: Parameters<typeof openLog>) => {
    const log = await openLog(...args);
    logs.push(log);
    return log;
  };
  after(async () => {
    await Promise.all(logs.map((l) => l.close()));
  });

  it('gathers 1,000 concurrent appends into far fewer produce requests', async () => {
    const log = await open({ partitions: 12 });
    const topic = `t-${randomId()}`;
    await log.ensureTopics([topic]);
    const before = log.stats().produceRequests;
    const started = performance.now();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(topic, [{ key: `k${i % 50}`, value: Buffer.from(String(i)) }])));
    const ms = performance.now() - started;
    const requests = log.stats().produceRequests - before;
    console.log(`1,000 appends: ${requests} produce requests, ${ms.toFixed(0)} ms`);
    assert.ok(requests <= 20, `${requests} produce requests for 1,000 appends`);
    const seen = new Set<string>();
    const c = await log.consume({ group: `g-${randomId()}`, topics: [topic], handler: async (b) => b.forEach((r) => seen.add(r.value.toString())) });
    await waitFor(() => seen.size === 1000, 'the 1,000 records', 30_000);
    await c.stop();
  });

  it('keeps the records of one append in order and its headers as strings', async () => {
    const log = await open();
    const topic = `t-${randomId()}`;
    await log.ensureTopics([topic]);
    await log.append(topic, Array.from({ length: 20 }, (_, i) => ({ key: 'same', value: Buffer.from(String(i)), headers: { 'content-type': 'application/json', n: String(i) } })));
    const seen: LogRecord[] = [];
    const c = await log.consume({ group: `g-${randomId()}`, topics: [topic], handler: async (b) => void seen.push(...b) });
    await waitFor(() => seen.length === 20, '20 records', 30_000);
    assert.deepEqual(
      seen.map((r) => Number(r.value.toString())),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(seen[3]!.headers, { 'content-type': 'application/json', n: '3' });
    assert.equal(seen[0]!.key, 'same');
    assert.match(seen[0]!.offset, /^\d+$/);
    await c.stop();
  });

  it('ensureTopics is idempotent and creates the configured partitions', async () => {
    const log = await open({ partitions: 3 });
    const topic = `t-${randomId()}`;
    await log.ensureTopics([topic, topic]);
    await log.ensureTopics([topic, `t-${randomId()}`]);
    const partitions = new Set<number>();
    const c = await log.consume({ group: `g-${randomId()}`, topics: [topic], handler: async (b) => b.forEach((r) => partitions.add(r.partition)) });
    await log.append(topic, Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: Buffer.from('x') })));
    await waitFor(() => partitions.size === 3, 'records on all 3 partitions', 30_000);
    await sleep(300);
    assert.deepEqual([...partitions].sort(), [0, 1, 2]);
    await c.stop();
  });

  it('survives a rebalance: members joining and leaving lose no record', async () => {
    const log = await open();
    const other = await open();
    const topic = `t-${randomId()}`;
    const group = `g-${randomId()}`;
    await log.ensureTopics([topic]);
    const seen = new Map<string, number>();
    const handler = async (b: LogRecord[]) => b.forEach((r) => seen.set(r.value.toString(), (seen.get(r.value.toString()) ?? 0) + 1));
    const a = await log.consume({ group, topics: [topic], handler });
    let n = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await log.append(topic, [{ key: `k${n % 16}`, value: Buffer.from(String(n)) }]);
        n++;
        await sleep(5);
      }
    })();
    await sleep(500);
    const b = await other.consume({ group, topics: [topic], handler }); // rebalance: a and b share
    await sleep(1000);
    await a.stop(); // rebalance: b takes everything
    await sleep(500);
    writing = false;
    await writer;
    await waitFor(() => seen.size === n, `all ${n} records`, 30_000);
    const duplicates = [...seen.values()].filter((c) => c > 1).length;
    console.log(`rebalance: ${n} records, ${duplicates} delivered more than once`);
    await b.stop();
  });

  it('rejects appends with unavailable after close, and reports closed', async () => {
    const log = await open();
    await log.close();
    await assert.rejects(log.append('t', [{ key: 'k', value: Buffer.from('x') }]), (err) => isChat4AllError(err, 'unavailable'));
    assert.deepEqual(log.health(), { status: 'down', detail: 'closed' });
  });

  it('does not fail to construct when Kafka is unreachable: connect and append reject with unavailable, health is down', async () => {
    const { KafkaEventLog } = await import('../src/kafka-event-log.js');
    const { testLogger } = await import('./helpers.js');
    // A closed port on loopback: nothing listens there.
    const log = new KafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 'test', logger: testLogger.child({}, { level: 'silent' }), appendTimeoutMs: 3000, connectTimeoutMs: 3000 });
    logs.push(log);
    assert.equal(log.health().status, 'down');
    const started = Date.now();
    await assert.rejects(log.connect(), (err) => isChat4AllError(err, 'unavailable'));
    await assert.rejects(log.append('t', [{ key: 'k', value: Buffer.from('x') }]), (err) => isChat4AllError(err, 'unavailable'));
    await assert.rejects(log.ensureTopics(['t']), (err) => isChat4AllError(err, 'unavailable'));
    assert.ok(Date.now() - started < 15_000);
    const h = log.health();
    assert.equal(h.status, 'down');
    assert.ok(h.detail && h.detail.length < 300, h.detail);
  });
});
