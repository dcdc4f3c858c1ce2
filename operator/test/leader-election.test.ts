/**
 * Leader election on mocked timers: time only moves when a test ticks it, so every timing below
 * is exact, whatever the machine's speed. The electors' monotonic clock is the mocked Date.now();
 * their wall clock is that plus an offset a test can jump.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaseClient, kubeLeaseClient } from '../src/leader-election.js';
import { createLogger } from '../src/logger.js';

// Whole seconds: the Lease records its duration in seconds.
const LEASE_MS = 3000;
const RENEW_DEADLINE_MS = 2000; // 2/3 of the lease
const RETRY_MS = 100;
const STEP_MS = 5;

type Mode = 'ok' | 'cut' | 'hang' | 'hang-deaf';

/** One Lease in memory with the API server's optimistic concurrency (resourceVersion). */
class MemoryLease {
  lease: V1Lease | undefined;
  /** Times (mocked) of the successful writes, per holder. */
  readonly writes: { holder: string; at: number }[] = [];
  /** Calls whose signal fired while they hung. */
  aborted = 0;
  private rv = 0;

  /**
   * A client of this Lease. `mode()` says how each call goes: answered; refused as over a broken
   * network; hung until its signal fires; or hung for good, deaf to the signal.
   */
  client(mode: () => Mode = () => 'ok'): LeaseClient {
    const call = <T>(signal: AbortSignal, answer: () => T): Promise<T> => {
      const m = mode();
      if (m === 'cut') return Promise.reject(new Error('connect ECONNREFUSED'));
      if (m === 'hang-deaf') return new Promise<T>(() => {});
      if (m === 'hang') {
        return new Promise<T>((_, reject) =>
          signal.addEventListener('abort', () => {
            this.aborted++;
            reject(signal.reason);
          }),
        );
      }
      return Promise.resolve().then(answer);
    };
    const copy = (l: V1Lease | undefined) => (l ? (JSON.parse(JSON.stringify(l)) as V1Lease) : undefined);
    const store = (lease: V1Lease) => {
      this.lease = { ...copy(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
      this.writes.push({ holder: lease.spec?.holderIdentity ?? '', at: Date.now() });
      return true;
    };
    return {
      get: (signal) => call(signal, () => copy(this.lease)),
      create: (lease, signal) => call(signal, () => (this.lease ? false : store(lease))),
      replace: (lease, signal) => call(signal, () => (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion ? false : store(lease))),
    };
  }

  lastWriteBy(holder: string): number {
    return this.writes.filter((w) => w.holder === holder).at(-1)!.at;
  }
}

const logger = createLogger({ logLevel: 'fatal', logFormat: 'json' });
/** What happened, when (mocked ms). */
type Log = { what: string; at: number }[];
let wallOffset = 0;
const clock = { now: () => Date.now() + wallOffset, monotonic: () => Date.now() };

function elector(lease: LeaseClient, identity: string, log: Log): LeaderElector {
  return new LeaderElector({
    lease,
    name: 'chat4all-operator',
    identity,
    leaseDurationMs: LEASE_MS,
    retryPeriodMs: RETRY_MS,
    clock,
    logger,
    onStartedLeading: () => void log.push({ what: `${identity} leads`, at: Date.now() }),
    onStoppedLeading: () => void log.push({ what: `${identity} stops`, at: Date.now() }),
  });
}

/** Runs every pending promise continuation (setImmediate is not mocked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves mocked time on by `ms`, a step at a time, letting the electors run and `check` look after each step. */
async function advance(ms: number, check: () => void = () => {}): Promise<void> {
  for (let t = 0; t < ms; t += STEP_MS) {
    mock.timers.tick(Math.min(STEP_MS, ms - t));
    await settle();
    check();
  }
}

/** Advances until `cond` holds (at most `ms`); returns the mocked time then. */
async function until(cond: () => boolean, what: string, ms: number, check: () => void = () => {}): Promise<number> {
  for (let t = 0; t <= ms; t += STEP_MS) {
    if (cond()) return Date.now();
    await advance(STEP_MS, check);
  }
  throw new Error(`${what}: not within ${ms} ms (mocked)`);
}

const neverBoth = (a: LeaderElector, b: LeaderElector) => () => assert.ok(!(a.isLeader && b.isLeader), `two leaders at once at t=${Date.now()}`);

describe('leader election on a Lease', () => {
  beforeEach(() => {
    wallOffset = 0;
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  });
  afterEach(() => mock.timers.reset());

  it('elects exactly one of two candidates, and the other takes over at its next try after a clean stop', async () => {
    const lease = new MemoryLease();
    const log: Log = [];
    const a = elector(lease.client(), 'a', log);
    const b = elector(lease.client(), 'b', log);
    a.start();
    b.start();
    await settle();
    assert.ok(a.isLeader || b.isLeader, 'a leader at the first try');
    await advance(5000, neverBoth(a, b));
    const [leader, standby] = a.isLeader ? [a, b] : [b, a];
    assert.equal(log.length, 1);
    const stopped = Date.now();
    await leader.stop();
    assert.equal(lease.lease?.spec?.holderIdentity, '', 'released');
    const took = (await until(() => standby.isLeader, 'the standby leads', 1000)) - stopped;
    assert.ok(took <= RETRY_MS * 1.2 + STEP_MS, `took ${took} ms after the release`);
    assert.equal(lease.lease?.spec?.leaseTransitions, 1);
    await standby.stop();
  });

  it('a leader cut off stops at the renew deadline, before the other takes over at the lease duration', async () => {
    const lease = new MemoryLease();
    const log: Log = [];
    let mode: Mode = 'ok';
    const a = elector(lease.client(() => mode), 'a', log);
    a.start();
    await settle();
    assert.ok(a.isLeader);
    const b = elector(lease.client(), 'b', log);
    b.start();
    await advance(1000, neverBoth(a, b));
    mode = 'cut';
    const renewed = lease.lastWriteBy('a');
    await until(() => b.isLeader, 'b leads', 5000, neverBoth(a, b));
    assert.deepEqual(
      log.map((l) => l.what),
      ['a leads', 'a stops', 'b leads'],
      'a stopped before b started',
    );
    const [, stops, leads] = log.map((l) => l.at - renewed);
    assert.ok(stops! >= RENEW_DEADLINE_MS && stops! <= RENEW_DEADLINE_MS + STEP_MS, `a stopped ${stops} ms after its last renew`);
    assert.ok(leads! >= LEASE_MS && leads! <= LEASE_MS + 2 * RETRY_MS * 1.2 + STEP_MS, `b took over ${leads} ms after a's last renew`);
    mode = 'ok';
    await Promise.all([a.stop(), b.stop()]);
  });

  for (const mode of ['hang', 'hang-deaf'] as const) {
    it(`a renew that hangs${mode === 'hang-deaf' ? ' (deaf to its signal)' : ''} is abandoned at the renew deadline, and the leader stops then`, async () => {
      const lease = new MemoryLease();
      const log: Log = [];
      let current: Mode = 'ok';
      const a = elector(lease.client(() => current), 'a', log);
      a.start();
      await advance(1000);
      assert.ok(a.isLeader);
      current = mode;
      const deadline = lease.lastWriteBy('a') + RENEW_DEADLINE_MS;
      await advance(deadline - Date.now() - STEP_MS);
      assert.ok(a.isLeader, 'still the leader just before the deadline');
      const stoppedAt = await until(() => !a.isLeader, 'a stops', 100);
      assert.ok(stoppedAt >= deadline && stoppedAt <= deadline + STEP_MS, `stopped at ${stoppedAt - deadline} ms past the deadline`);
      assert.deepEqual(
        log.map((l) => l.what),
        ['a leads', 'a stops'],
      );
      if (mode === 'hang') assert.equal(lease.aborted, 1, 'the hung call was aborted');
      current = 'ok';
      await a.stop();
    });
  }

  it('stop() aborts a call in flight instead of waiting for it', async () => {
    const lease = new MemoryLease();
    let current: Mode = 'hang';
    const a = elector(lease.client(() => current), 'a', []);
    a.start();
    await settle();
    current = 'ok';
    await a.stop();
    assert.equal(lease.aborted, 1);
    assert.equal(a.isLeader, false);
  });

  it('a wall clock set forward does not expire the Lease early', async () => {
    const lease = new MemoryLease();
    const log: Log = [];
    let mode: Mode = 'ok';
    const a = elector(lease.client(() => mode), 'a', log);
    const b = elector(lease.client(), 'b', log);
    a.start();
    await settle();
    b.start();
    await advance(1000, neverBoth(a, b));
    mode = 'cut';
    const renewed = lease.lastWriteBy('a');
    // b reads the last record a wrote, then the wall clock jumps.
    await advance(RETRY_MS * 1.2 + STEP_MS, neverBoth(a, b));
    wallOffset += 3_600_000;
    const leads = (await until(() => b.isLeader, 'b leads', 5000, neverBoth(a, b))) - renewed;
    assert.ok(leads >= LEASE_MS, `b took over ${leads} ms after a's last renew, an hour later by the wall clock`);
    mode = 'ok';
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a wall clock set back neither keeps a leader that cannot renew nor extends its Lease', async () => {
    const lease = new MemoryLease();
    const log: Log = [];
    let mode: Mode = 'ok';
    const a = elector(lease.client(() => mode), 'a', log);
    const b = elector(lease.client(), 'b', log);
    a.start();
    await settle();
    b.start();
    await advance(1000, neverBoth(a, b));
    mode = 'cut';
    wallOffset -= 3_600_000;
    const renewed = lease.lastWriteBy('a');
    await until(() => b.isLeader, 'b leads', 5000, neverBoth(a, b));
    const [, stops, leads] = log.map((l) => l.at - renewed);
    assert.ok(stops! >= RENEW_DEADLINE_MS && stops! <= RENEW_DEADLINE_MS + STEP_MS, `a stopped ${stops} ms after its last renew`);
    assert.ok(leads! >= LEASE_MS && leads! <= LEASE_MS + 2 * RETRY_MS * 1.2 + STEP_MS, `b took over ${leads} ms after a's last renew`);
    mode = 'ok';
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('the Lease client of a real API server', () => {
  it('aborts a request that gets no answer when its signal fires', async () => {
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    const server = createServer(() => received()); // reads the request, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const kubeConfig = new KubeConfig();
    const port = (server.address() as AddressInfo).port;
    kubeConfig.loadFromOptions({ clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }], currentContext: 'fake' });
    try {
      const abort = new AbortController();
      const get = kubeLeaseClient(kubeConfig, 'ns', 'chat4all-operator').get(abort.signal);
      await arrived;
      abort.abort(new Error('renew deadline'));
      await assert.rejects(get, /abort/i);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
