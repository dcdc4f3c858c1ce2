/**
 * The operator: a leader elector and, while this replica leads, the controller (watches that
 * enqueue keys, a work queue, workers running reconcile, and a resync of every key).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from './config.js';
import { Chat4AllController } from './controller.js';
import type { Clock, MonotonicClock } from './decision.js';
import { KubeEventRecorder } from './events.js';
import { KubeCluster } from './kube-cluster.js';
import { LeaderElector, kubeLeaseClient } from './leader-election.js';
import type { Logger } from './logger.js';
import { HttpMetricsReader } from './metrics-reader.js';
import type { OperatorMetrics } from './operator-metrics.js';
import type { ResourceWatchOptions } from './resource-watch.js';
import { ControllerWatches } from './watches.js';
import { WorkQueue } from './work-queue.js';

export const COMPONENT = 'chat4all-operator';

export interface OperatorOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  metrics: OperatorMetrics;
  logger: Logger;
  /** The wall clock for written times, the monotonic one for lease timing. */
  clock: Clock & MonotonicClock;
  watchOptions?: Partial<Pick<ResourceWatchOptions<never>, 'minBackoffMs' | 'maxBackoffMs' | 'watchTimeoutSeconds'>>;
}

/** The controller as it runs while this replica leads. */
class ControllerRun {
  private readonly queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 30_000 });
  private readonly watches: ControllerWatches;
  private readonly controller: Chat4AllController;
  private readonly workers: Promise<void>[] = [];
  private resync: NodeJS.Timeout | undefined;
  private starting: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly o: OperatorOptions) {
    const { config, kubeConfig, logger } = o;
    this.watches = new ControllerWatches({ kubeConfig, namespace: config.namespace, podSelector: config.podSelector, enqueue: (key) => this.queue.add(key), logger, watchOptions: o.watchOptions });
    // A controller per term: its scaling histories are the leader's memory, gone with leadership.
    this.controller = new Chat4AllController({
      cluster: new KubeCluster(kubeConfig, this.watches.cache),
      metricsReader: new HttpMetricsReader(config.metricsTimeoutMs),
      events: new KubeEventRecorder(kubeConfig, { component: COMPONENT, instance: config.identity }, logger.child({ module: 'events' })),
      metrics: o.metrics,
      clock: o.clock,
      logger: logger.child({ module: 'controller' }),
      pollMs: config.pollSeconds * 1000,
    });
  }

  start(): void {
    this.watches.start();
    this.starting = this.startWorkers();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.resync);
    this.queue.shutDown();
    await this.watches.stop();
    await this.starting;
    await Promise.all(this.workers);
  }

  /** Starts the workers once every cache has listed (WaitForCacheSync): keys queued meanwhile wait. */
  private async startWorkers(): Promise<void> {
    const synced = await this.watches.waitForSync();
    if (!synced || this.stopping) return;
    this.o.logger.info('caches synced: starting the workers');
    for (let i = 0; i < this.o.config.workers; i++) this.workers.push(this.work());
    this.resync = setInterval(() => {
      for (const key of this.watches.keys()) this.queue.add(key);
    }, this.o.config.resyncSeconds * 1000);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const end = this.o.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.controller.reconcile(key);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        this.o.metrics.reconcileErrors.inc();
        const retryInMs = this.queue.addRateLimited(key);
        this.o.logger.warn({ chat4all: key, err: (err as Error)?.message ?? String(err), retryInMs }, 'reconcile failed');
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }
}

export class Operator {
  private readonly elector: LeaderElector;
  private run: ControllerRun | undefined;
  /** Leadership changes are applied one after the other. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: OperatorOptions) {
    const { config, kubeConfig, logger } = o;
    this.elector = new LeaderElector({
      lease: kubeLeaseClient(kubeConfig, config.leaseNamespace, config.leaseName),
      name: config.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationSeconds * 1000,
      clock: o.clock,
      logger: logger.child({ module: 'leader-election' }),
      onStartedLeading: () => {
        this.transition = this.transition.then(() => this.startController());
      },
      onStoppedLeading: () => {
        this.transition = this.transition.then(() => this.stopController());
        return this.transition;
      },
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** Ready once the API server has answered the leader election (a standby is ready too). */
  get ready(): boolean {
    return this.elector.apiReachable;
  }

  start(): void {
    this.elector.start();
  }

  /** Stops acting, then gives the Lease up. */
  async stop(): Promise<void> {
    await this.elector.stop();
    await this.transition;
  }

  private startController(): void {
    if (this.run) return;
    this.o.logger.info({ namespace: this.o.config.namespace }, 'leading: starting the controller');
    this.run = new ControllerRun(this.o);
    this.run.start();
  }

  private async stopController(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    if (!run) return;
    await run.stop();
    // Only the leader reports per-resource gauges.
    this.o.metrics.desiredReplicas.reset();
    this.o.metrics.currentReplicas.reset();
    this.o.logger.info('controller stopped');
  }
}
