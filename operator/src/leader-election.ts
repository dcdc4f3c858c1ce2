/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * - every retry period each candidate reads the Lease; it takes it when it is free (no holder)
 *   or expired, and the leader renews it. Writes carry the read resourceVersion, so two
 *   candidates can never both win (the second gets 409 Conflict);
 * - "expired" is judged by this replica's own clock: the holder's record must not have changed
 *   for a whole lease duration since this replica last saw it change (no trust in other clocks);
 * - a leader that has not renewed for the renew deadline (2/3 of the lease duration) stops acting
 *   before anyone else may take over, at the lease duration. Each renew's API calls are aborted at
 *   that deadline, and the leader steps down then even if a call never returns;
 * - intervals are measured on a monotonic clock: setting the wall clock neither expires a Lease
 *   early nor keeps a leader that stopped renewing; the wall clock only fills renewTime;
 * - on a clean stop the leader releases the Lease (no holder), so a standby takes over at once.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Clock, MonotonicClock } from './decision.js';
import { abortOptions, statusOf } from './kube-cluster.js';
import type { Logger } from './logger.js';

/** The Lease's API calls; each takes a signal that aborts it (the renew deadline passed, or a stop). */
export interface LeaseClient {
  /** The Lease, or undefined when there is none. */
  get(signal: AbortSignal): Promise<V1Lease | undefined>;
  /** Creates it; false when someone else created it first. */
  create(lease: V1Lease, signal: AbortSignal): Promise<boolean>;
  /** Replaces it (optimistic: `lease.metadata.resourceVersion`); false on a conflict. */
  replace(lease: V1Lease, signal: AbortSignal): Promise<boolean>;
}

/** A LeaseClient for the Lease `namespace/name` on a real API server; the signal aborts the HTTP request. */
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
    get: async (signal) => {
      try {
        return await api.readNamespacedLease({ namespace, name }, abortOptions(signal));
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    create: (lease, signal) => conflictIsFalse(api.createNamespacedLease({ namespace, body: lease }, abortOptions(signal))),
    replace: (lease, signal) => conflictIsFalse(api.replaceNamespacedLease({ namespace, name, body: lease }, abortOptions(signal))),
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
  /** `now` for the times written in the Lease, `monotonic` for every interval. */
  clock: Clock & MonotonicClock;
  logger: Logger;
  /** Called when this replica becomes the leader. */
  onStartedLeading: () => void;
  /** Called when it stops being the leader (lost, or stopped). May return a promise to wait for. */
  onStoppedLeading: () => void | Promise<void>;
}

/** A call did not finish in time: its signal was aborted. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** Of one attempt: the Lease is ours, someone else's (or a conflict), an error, or no answer in time. */
type Outcome = 'held' | 'refused' | 'failed' | 'timeout';

export class LeaderElector {
  private leader = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Monotonic time at the start of the last successful acquire or renew. */
  private lastRenew = 0;
  private observedRecord = '';
  /** Monotonic time at which observedRecord was first seen. */
  private observedAt = 0;
  private reachable = false;
  /** Set when a read showed another holder while this replica thought it led. */
  private lostTo: string | undefined;
  /** The attempt in flight, aborted by stop(). */
  private inFlight: AbortController | undefined;
  /** An attempt took the Lease as stop() began: it is released all the same. */
  private tookWhileStopping = false;
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

  /** Stops campaigning (aborting a call in flight); a leader stops acting, then releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.inFlight?.abort(new Error('stopping'));
    this.wake?.();
    await this.loop;
    const held = this.leader || this.tookWhileStopping;
    if (this.leader) await this.stepDown('stopping');
    if (held) {
      await this.bounded(this.renewDeadlineMs, (signal) => this.release(signal)).catch((err: unknown) => this.o.logger.warn({ err: errorMessage(err) }, 'could not release the Lease'));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.leader) await this.renew();
      else await this.tryAcquire();
      if (this.stopped) break;
      // A leader that failed to renew tries again, but wakes at its deadline at the latest.
      const pause = this.leader ? Math.min(this.retryPeriodMs, Math.max(0, this.deadline() - this.o.clock.monotonic())) : this.retryPeriodMs * (1 + Math.random() * 0.2);
      await this.sleep(pause);
    }
  }

  private deadline(): number {
    return this.lastRenew + this.renewDeadlineMs;
  }

  private async tryAcquire(): Promise<void> {
    const outcome = await this.attempt(Math.max(this.retryPeriodMs, this.renewDeadlineMs / 2));
    if (outcome !== 'held' || this.leader) return;
    if (this.stopped) {
      this.tookWhileStopping = true;
      return;
    }
    this.leader = true;
    this.o.logger.info({ lease: this.o.name, identity: this.o.identity }, 'became the leader');
    this.o.onStartedLeading();
  }

  /** One renew, its calls aborted at the renew deadline; steps down if the deadline passed without one. */
  private async renew(): Promise<void> {
    const outcome = await this.attempt(this.deadline() - this.o.clock.monotonic());
    if (outcome === 'held' || this.stopped) return;
    if (this.lostTo !== undefined) await this.stepDown(`the Lease is held by ${this.lostTo}`);
    // A timeout here is the deadline itself (the attempt's budget ends there).
    else if (outcome === 'timeout' || this.o.clock.monotonic() >= this.deadline()) await this.stepDown('could not renew the Lease within the renew deadline');
  }

  /** One read-and-write of the Lease, bounded by `budgetMs`. */
  private async attempt(budgetMs: number): Promise<Outcome> {
    const started = this.o.clock.monotonic();
    try {
      if (budgetMs <= 0) throw new DeadlineError('no time left before the renew deadline');
      const held = await this.bounded(budgetMs, (signal) => this.tryAcquireOrRenew(signal, started));
      this.reachable = true;
      if (!held) return 'refused';
      this.lastRenew = started;
      return 'held';
    } catch (err) {
      this.reachable = false;
      if (!this.stopped) this.o.logger.warn({ err: errorMessage(err) }, 'leader election: the Lease could not be read or written');
      return err instanceof DeadlineError ? 'timeout' : 'failed';
    }
  }

  /**
   * Runs `call` with a signal aborted after `ms` (or by stop()), and settles then even if `call`
   * ignores the signal: its late result is dropped.
   */
  private bounded<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    this.inFlight = abort;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abort.signal.reason);
      abort.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => abort.abort(new DeadlineError(`no answer within ${Math.round(ms)} ms`)), ms);
      call(abort.signal)
        .then(resolve, reject)
        .finally(() => {
          clearTimeout(timer);
          abort.signal.removeEventListener('abort', onAbort);
          if (this.inFlight === abort) this.inFlight = undefined;
        });
    });
  }

  private async stepDown(why: string): Promise<void> {
    this.leader = false;
    this.lostTo = undefined;
    this.o.logger.warn({ lease: this.o.name, identity: this.o.identity, why }, 'stopped leading');
    await this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(signal: AbortSignal, mono: number): Promise<boolean> {
    const micro = new V1MicroTime(this.o.clock.now());
    const durationSeconds = Math.max(1, Math.round(this.o.leaseDurationMs / 1000));
    const lease = await this.o.lease.get(signal);
    // A client that ignores the signal may answer after the deadline: write nothing then.
    signal.throwIfAborted();
    if (lease === undefined) {
      const created = await this.o.lease.create(
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: durationSeconds, acquireTime: micro, renewTime: micro, leaseTransitions: 0 },
        },
        signal,
      );
      if (created) this.observe(`${this.o.identity}|${micro.toISOString()}`, mono);
      return created;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${String(spec.renewTime ?? '')}|${spec.leaseTransitions ?? 0}`;
    this.observe(record, mono);
    const expired = mono >= this.observedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
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
    const ok = await this.o.lease.replace(next, signal);
    if (ok) this.observe(`${this.o.identity}|${micro.toISOString()}|${next.spec!.leaseTransitions}`, mono);
    return ok;
  }

  private observe(record: string, mono: number): void {
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = mono;
    }
  }

  /** Gives the Lease up: no holder, so another candidate takes it on its next try. */
  private async release(signal: AbortSignal): Promise<void> {
    const lease = await this.o.lease.get(signal);
    if (!lease || lease.spec?.holderIdentity !== this.o.identity) return;
    const micro = new V1MicroTime(this.o.clock.now());
    await this.o.lease.replace({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: micro } }, signal);
    this.o.logger.info({ lease: this.o.name }, 'released the Lease');
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

const errorMessage = (err: unknown) => (err as Error)?.message ?? String(err);
