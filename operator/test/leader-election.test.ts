import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import { systemClock } from '../src/decision.js';
import { LeaderElector, type LeaseClient } from '../src/leader-election.js';
import { createLogger } from '../src/logger.js';
import { sleep, waitFor } from './support/wait.js';

/** One Lease in memory with the API server's optimistic concurrency (resourceVersion). */
class MemoryLease {
  lease: V1Lease | undefined;
  private rv = 0;

  /** A client of this Lease; while `cut()` is true, every call fails as over a broken network. */
  client(cut: () => boolean = () => false): LeaseClient {
    const check = () => {
      if (cut()) throw new Error('connect ECONNREFUSED');
    };
    const copy = (l: V1Lease | undefined) => (l ? (JSON.parse(JSON.stringify(l)) as V1Lease) : undefined);
    return {
      get: async () => (check(), copy(this.lease)),
      create: async (lease) => {
        check();
        if (this.lease) return false;
        this.lease = { ...copy(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
        return true;
      },
      replace: async (lease) => {
        check();
        if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) return false;
        this.lease = { ...copy(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
        return true;
      },
    };
  }
}

const logger = createLogger({ logLevel: 'fatal', logFormat: 'json' });

function elector(lease: LeaseClient, identity: string, log: string[]): LeaderElector {
  return new LeaderElector({
    lease,
    name: 'chat4all-operator',
    identity,
    leaseDurationMs: 600,
    retryPeriodMs: 50,
    clock: systemClock,
    logger,
    onStartedLeading: () => void log.push(`${identity} leads`),
    onStoppedLeading: () => void log.push(`${identity} stops`),
  });
}

/** Samples both electors until `ms` pass; fails if both ever lead at once. */
async function neverBoth(a: LeaderElector, b: LeaderElector, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.ok(!(a.isLeader && b.isLeader), 'two leaders at once');
    await sleep(5);
  }
}

describe('leader election on a Lease', () => {
  it('elects exactly one of two candidates, and the other takes over at once when it stops cleanly', async () => {
    const lease = new MemoryLease();
    const log: string[] = [];
    const a = elector(lease.client(), 'a', log);
    const b = elector(lease.client(), 'b', log);
    a.start();
    b.start();
    await waitFor(() => a.isLeader || b.isLeader, 'a leader');
    await neverBoth(a, b, 500);
    const [leader, standby] = a.isLeader ? [a, b] : [b, a];
    assert.equal(log.length, 1);
    const stopped = Date.now();
    await leader.stop();
    assert.equal(lease.lease?.spec?.holderIdentity, '', 'released');
    await waitFor(() => standby.isLeader, 'the standby leads', 2000, 5);
    assert.ok(Date.now() - stopped < 300, `took ${Date.now() - stopped} ms after a release`);
    assert.equal(lease.lease?.spec?.leaseTransitions, 1);
    await standby.stop();
  });

  it('a leader cut off steps down within the renew deadline, before the other takes over at the lease duration', async () => {
    const lease = new MemoryLease();
    const log: string[] = [];
    let partitioned = false;
    const a = elector(lease.client(() => partitioned), 'a', log);
    a.start();
    await waitFor(() => a.isLeader, 'a leads');
    const b = elector(lease.client(), 'b', log);
    b.start();
    await neverBoth(a, b, 300);
    partitioned = true;
    const cut = Date.now();
    let takeover = 0;
    const bLeads = waitFor(() => b.isLeader, 'b leads', 2000, 5).then(() => void (takeover = Date.now() - cut));
    await Promise.all([waitFor(() => !a.isLeader, 'a steps down', 2000, 5), neverBoth(a, b, 1200), bLeads]);
    assert.ok(takeover >= 450 && takeover < 1200, `b took over ${takeover} ms after the cut (lease 600 ms)`);
    assert.deepEqual(log, ['a leads', 'a stops', 'b leads'], 'a stopped before b started');
    partitioned = false;
    await Promise.all([a.stop(), b.stop()]);
  });
});
