import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ScaleDirection = 'up' | 'down';

/**
 * The operator's own metrics, on a registry of its own. The names are queried by the Grafana
 * dashboard "Chat4All / Operator" (cdk8s/src/dashboards/operator-dashboard.ts): keep them.
 */
export class OperatorMetrics {
  readonly registry: Registry;
  /** Replicas the operator wants per Chat4All. */
  readonly desiredReplicas: Gauge<'namespace' | 'name'>;
  /** Gateway pods that run (not terminating) per Chat4All. */
  readonly currentReplicas: Gauge<'namespace' | 'name'>;
  /** Scale changes carried out, by direction. */
  readonly scaleDecisions: Counter<'direction'>;
  readonly reconcileDuration: Histogram;
  readonly reconcileErrors: Counter;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.desiredReplicas = new Gauge({ name: 'chat4all_operator_desired_replicas', help: 'Gateway replicas the operator decided on, per Chat4All', labelNames: ['namespace', 'name'], registers });
    this.currentReplicas = new Gauge({ name: 'chat4all_operator_current_replicas', help: 'Gateway pods running (not terminating), per Chat4All', labelNames: ['namespace', 'name'], registers });
    this.scaleDecisions = new Counter({ name: 'chat4all_operator_scale_decisions_total', help: 'Gateway scale changes carried out, by direction (up, down)', labelNames: ['direction'], registers });
    this.reconcileDuration = new Histogram({ name: 'chat4all_operator_reconcile_duration_seconds', help: 'Duration of one reconcile of a Chat4All', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.reconcileErrors = new Counter({ name: 'chat4all_operator_reconcile_errors_total', help: 'Reconciles that failed (and were retried with backoff)', registers });
  }

  /** Forgets the per-resource series of a Chat4All that is gone. */
  forget(namespace: string, name: string): void {
    this.desiredReplicas.remove({ namespace, name });
    this.currentReplicas.remove({ namespace, name });
  }
}
