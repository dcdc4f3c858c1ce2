/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * - every retry period each candidate reads the Lease; it takes it when it is free (no holder)
 *   or expired, and the leader renews it. Writes carry the read resourceVersion, so two
 *   candidates can never both win (the second gets 409 Conflict);
 * - "expired" is judged by this replica's own clock: the holder's record must not have changed
 *   for a whole lease duration since this replica last saw it change (no trust in other clocks);
 * - a leader that has not renewed for the renew deadline (2/3 of the lease duration) stops acting
 *   before anyone else may take over, at the lease duration;
 * - on a clean stop the leader releases the Lease (no holder), so a standby takes over at once.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Clock } from './decision.js';
import { statusOf } from './kube-cluster.js';
import type { Logger } from './logger.js';

export interface LeaseClient {
  /** The Lease, or undefined when there is none. */
  get(): Promise<V1Lease | undefined>;
  /** Creates it; false when someone else created it first. */
  create(lease: V1Lease): Promise<boolean>;
  /** Replaces it (optimistic: `lease.metadata.resourceVersion`); false on a conflict. */
  replace(lease: V1Lease): Promise<boolean>;
}

/** A LeaseClient for the Lease `namespace/name` on a real API server. */
export function kubeLeaseClient(kubeConfig: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const conflictIsFalse = async (p: Promise<unknown>) => {
    try {
      await p;
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  };
  return {
    get: async () => {
      try {
        return await api.readNamespacedLease({ namespace, name });
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    create: (lease) => conflictIsFalse(api.createNamespacedLease({ namespace, body: lease })),
    replace: (lease) => conflictIsFalse(api.replaceNamespacedLease({ namespace, name, body: lease })),
  };
}

export interface LeaderElectorOptions {
  lease: LeaseClient;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** @default 2/3 of the lease duration */
  renewDeadlineMs?: number;
  /** @default lease duration / 7.5 (2 s for 15 s), at least 200 ms */
  retryPeriodMs?: number;
  clock: Clock;
  logger: Logger;
  /** Called when this replica becomes the leader. */
  onStartedLeading: () => void;
  /** Called when it stops being the leader (lost, or stopped). May return a promise to wait for. */
  onStoppedLeading: () => void | Promise<void>;
}

export class LeaderElector {
  private leader = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastRenew = 0;
  private observedRecord = '';
  private observedAt = 0;
  private reachable = false;
  /** Set when a read showed another holder while this replica thought it led. */
  private lostTo: string | undefined;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(private readonly o: LeaderElectorOptions) {
    this.renewDeadlineMs = o.renewDeadlineMs ?? Math.round((o.leaseDurationMs * 2) / 3);
    this.retryPeriodMs = o.retryPeriodMs ?? Math.max(200, Math.round(o.leaseDurationMs / 7.5));
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Whether the last attempt reached the API server. */
  get apiReachable(): boolean {
    return this.reachable;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader stops acting, then releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leader) {
      await this.stepDown('stopping');
      await this.release().catch((err: unknown) => this.o.logger.warn({ err }, 'could not release the Lease'));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const attemptStart = this.o.clock.now();
      let held = false;
      try {
        held = await this.withTimeout(this.tryAcquireOrRenew(), Math.max(this.retryPeriodMs, this.renewDeadlineMs / 2));
        this.reachable = true;
      } catch (err) {
        this.reachable = false;
        this.o.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'leader election: the Lease could not be read or written');
      }
      if (this.stopped) break;
      if (held) {
        this.lastRenew = attemptStart;
        if (!this.leader) {
          this.leader = true;
          this.o.logger.info({ lease: this.o.name, identity: this.o.identity }, 'became the leader');
          this.o.onStartedLeading();
        }
      } else if (this.leader && (this.o.clock.now() - this.lastRenew > this.renewDeadlineMs || this.lostTo !== undefined)) {
        await this.stepDown(this.lostTo !== undefined ? `the Lease is held by ${this.lostTo}` : 'could not renew the Lease within the renew deadline');
      }
      await this.sleep(this.leader ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 0.2));
    }
  }

  private async stepDown(why: string): Promise<void> {
    this.leader = false;
    this.lostTo = undefined;
    this.o.logger.warn({ lease: this.o.name, identity: this.o.identity, why }, 'stopped leading');
    await this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.o.clock.now();
    const micro = new V1MicroTime(now);
    const durationSeconds = Math.max(1, Math.round(this.o.leaseDurationMs / 1000));
    const lease = await this.o.lease.get();
    if (lease === undefined) {
      const created = await this.o.lease.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.name },
        spec: { holderIdentity: this.o.identity, leaseDurationSeconds: durationSeconds, acquireTime: micro, renewTime: micro, leaseTransitions: 0 },
      });
      if (created) this.observe(`${this.o.identity}|${micro.toISOString()}`, now);
      return created;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${String(spec.renewTime ?? '')}|${spec.leaseTransitions ?? 0}`;
    this.observe(record, now);
    const expired = now >= this.observedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== '' && holder !== this.o.identity && !expired) {
      if (this.leader) this.lostTo = holder;
      return false;
    }
    const mine = holder === this.o.identity;
    const next: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.o.identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine ? spec.acquireTime : micro,
        renewTime: micro,
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    const ok = await this.o.lease.replace(next);
    if (ok) this.observe(`${this.o.identity}|${micro.toISOString()}|${next.spec!.leaseTransitions}`, now);
    return ok;
  }

  private observe(record: string, now: number): void {
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now;
    }
  }

  /** Gives the Lease up: no holder, so another candidate takes it on its next try. */
  private async release(): Promise<void> {
    const lease = await this.o.lease.get();
    if (!lease || lease.spec?.holderIdentity !== this.o.identity) return;
    const micro = new V1MicroTime(this.o.clock.now());
    await this.o.lease.replace({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: micro } });
    this.o.logger.info({ lease: this.o.name }, 'released the Lease');
  }

  private withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
