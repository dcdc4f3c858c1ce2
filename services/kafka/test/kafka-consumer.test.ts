import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { LogRecord } from '@chat4all/core';
import { waitFor } from '@chat4all/core/testing';
import type { Consumer as KafkaJsConsumer, ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import pino from 'pino';
import { KafkaGroupConsumer } from '../src/kafka-consumer.js';

const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  HEARTBEAT: 'consumer.heartbeat',
  CRASH: 'consumer.crash',
  DISCONNECT: 'consumer.disconnect',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
};

/** Stands in for a kafkajs consumer: records calls, lets the test emit events and call eachBatch. */
class FakeKafkaConsumer {
  readonly events = EVENTS;
  private readonly listeners = new Map<string, ((e: { payload: unknown }) => void)[]>();
  runConfig: ConsumerRunConfig | undefined;
  subscribed: unknown;
  disconnects = 0;
  seeks: { topic: string; partition: number; offset: string }[] = [];

  constructor(readonly restartOnFailure: (err: Error) => Promise<boolean>) {}
  on(name: string, fn: (e: { payload: unknown }) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
    return () => {};
  }
  emit(name: string, payload: unknown) {
    for (const fn of this.listeners.get(name) ?? []) fn({ payload });
  }
  async connect() {}
  async subscribe(s: unknown) {
    this.subscribed = s;
  }
  async run(config: ConsumerRunConfig) {
    this.runConfig = config;
    this.emit(EVENTS.GROUP_JOIN, {});
  }
  async disconnect() {
    this.disconnects++;
  }
  seek(s: { topic: string; partition: number; offset: string }) {
    this.seeks.push(s);
  }
}

function setup(handler: (b: LogRecord[]) => Promise<void>) {
  const fakes: FakeKafkaConsumer[] = [];
  let stopped = 0;
  const consumer = new KafkaGroupConsumer({
    consume: { group: 'g', topics: ['t'], handler, retryDelayMs: 10, maxRetryDelayMs: 40 },
    createConsumer: (restartOnFailure) => {
      const f = new FakeKafkaConsumer(restartOnFailure);
      fakes.push(f);
      return f as unknown as KafkaJsConsumer;
    },
    logger: pino({ level: 'silent' }),
    maxHandlerBatch: 2,
    partitionsConsumedConcurrently: 1,
    onStopped: () => stopped++,
  });
  return { consumer, fakes, stopped: () => stopped };
}

function payload(offsets: string[], commits: unknown[], resolved: string[]): EachBatchPayload {
  return {
    batch: {
      topic: 't',
      partition: 3,
      messages: offsets.map((offset) => ({ offset, key: Buffer.from('k'), value: Buffer.from(`v${offset}`), headers: { h: Buffer.from('x') }, timestamp: '0', attributes: 0 })),
    },
    resolveOffset: (o: string) => void resolved.push(o),
    commitOffsetsIfNecessary: async (o: unknown) => void commits.push(o),
    heartbeat: async () => {},
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload;
}

/** Lets every pending promise callback run (setImmediate is not mocked). */
const settleCallbacks = () => new Promise<void>((r) => setImmediate(r));

describe('KafkaGroupConsumer', () => {
  afterEach(() => mock.timers.reset());

  it('subscribes from the beginning, with manual commits', async () => {
    const { consumer, fakes } = setup(async () => {});
    await consumer.start();
    assert.deepEqual(fakes[0]!.subscribed, { topics: ['t'], fromBeginning: true });
    assert.equal(fakes[0]!.runConfig!.autoCommit, false);
    assert.equal(fakes[0]!.runConfig!.eachBatchAutoResolve, false);
    assert.equal(consumer.health().status, 'up');
    await consumer.stop();
  });

  it('commits each chunk after its handler resolved; on failure commits nothing and seeks back', async () => {
    const seen: LogRecord[][] = [];
    let fail = true;
    const { consumer, fakes } = setup(async (b) => {
      seen.push(b);
      if (b[0]!.offset === '12' && fail) throw new Error('transient');
    });
    await consumer.start();
    const commits: unknown[] = [];
    const resolved: string[] = [];
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    let returned = false;
    const failing = fakes[0]!.runConfig!.eachBatch!(payload(['10', '11', '12'], commits, resolved)).then(() => (returned = true));
    await settleCallbacks();
    mock.timers.tick(9);
    await settleCallbacks();
    assert.equal(returned, false, 'waits the retry delay (10 ms)');
    mock.timers.tick(1);
    await failing;
    mock.timers.reset();
    assert.deepEqual(resolved, ['11']);
    assert.deepEqual(commits, [{ topics: [{ topic: 't', partitions: [{ partition: 3, offset: '12' }] }] }]);
    assert.deepEqual(fakes[0]!.seeks, [{ topic: 't', partition: 3, offset: '12' }]);
    assert.deepEqual(seen[0]![0], { topic: 't', partition: 3, offset: '10', key: 'k', value: Buffer.from('v10'), headers: { h: 'x' } });
    fail = false;
    await fakes[0]!.runConfig!.eachBatch!(payload(['12'], commits, resolved));
    assert.deepEqual(resolved, ['11', '12']);
    await consumer.stop();
  });

  it('commits in the background, one request at a time with the newest offset of each partition', async () => {
    const { consumer, fakes } = setup(async () => {});
    await consumer.start();
    const sent: unknown[] = [];
    const answers: (() => void)[] = [];
    const slowCommit = (p: EachBatchPayload, running = true): EachBatchPayload => {
      let checks = 0;
      // When stopping, the consumer stops running while the handler runs.
      return {
      ...p,
      isRunning: () => running || checks++ === 0,
      commitOffsetsIfNecessary: (o: unknown) => {
        sent.push(o);
        return new Promise<void>((r) => answers.push(r));
      },
      } as unknown as EachBatchPayload;
    };
    const run = (offsets: string[], partition: number, running = true) => {
      const p = payload(offsets, [], []);
      return fakes[0]!.runConfig!.eachBatch!(slowCommit({ ...p, batch: { ...p.batch, partition } } as EachBatchPayload, running));
    };
    // Neither batch waits for its commit; the second's offsets wait for the first commit's answer.
    await run(['10', '11'], 3);
    await run(['20', '21'], 3);
    await run(['5'], 4);
    assert.deepEqual(sent, [{ topics: [{ topic: 't', partitions: [{ partition: 3, offset: '12' }] }] }]);
    answers.shift()!();
    await waitFor(() => sent.length === 2, 'the next commit');
    assert.deepEqual(sent[1], { topics: [{ topic: 't', partitions: [{ partition: 3, offset: '22' }, { partition: 4, offset: '6' }] }] });
    // Stopping: the batch returns only once its commit was answered.
    let returned = false;
    const last = run(['22'], 3, false).then(() => (returned = true));
    answers.shift()!();
    await waitFor(() => sent.length === 3, 'the last commit');
    assert.equal(returned, false, 'the batch waits for the answer to its commit');
    assert.deepEqual(sent[2], { topics: [{ topic: 't', partitions: [{ partition: 3, offset: '23' }] }] });
    answers.shift()!();
    await last;
    await consumer.stop();
  });

  it('makes a new consumer after a crash kafkajs does not restart, and reports down meanwhile', async () => {
    const { consumer, fakes } = setup(async () => {});
    await consumer.start();
    fakes[0]!.emit(EVENTS.CRASH, { error: new Error('boom'), groupId: 'g', restart: false });
    assert.equal(consumer.health().status, 'down');
    assert.match(consumer.health().detail!, /crashed \(boom\)/);
    assert.equal(consumer.crashes, 1);
    await waitFor(() => fakes.length === 2 && fakes[1]!.runConfig, 'a new consumer', 5000);
    assert.equal(consumer.health().status, 'up');
    assert.ok(fakes[0]!.disconnects >= 1, 'the crashed consumer was disconnected');
    // Events of the old consumer no longer count.
    fakes[0]!.emit(EVENTS.DISCONNECT, {});
    assert.equal(consumer.health().status, 'up');
    await consumer.stop();
  });

  it('tells kafkajs not to restart once stopped', async () => {
    const { consumer, fakes, stopped } = setup(async () => {});
    await consumer.start();
    assert.equal(await fakes[0]!.restartOnFailure(new Error('x')), true);
    await consumer.stop();
    assert.equal(await fakes[0]!.restartOnFailure(new Error('x')), false);
    assert.equal(stopped(), 1);
    assert.equal(fakes[0]!.disconnects, 1);
  });
});
