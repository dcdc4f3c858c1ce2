import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chat4allDashboard, promql, timeseries } from './dashboard.js';
import { histogramQuantile } from './promql.js';

/** The Chat4All operator: what it wants, what runs, what it decided. */
export const operatorDashboard: Dashboard = chat4allDashboard({
  uid: 'chat4all-operator',
  title: 'Chat4All / Operator',
  description: 'Gateway autoscaling by the Chat4All operator: desired and current replicas, scale decisions, reconcile health.',
  panels: [
    timeseries(
      'Gateway replicas: desired and current',
      'short',
      promql('max by (name) (chat4all_operator_desired_replicas)', 'desired {{name}}'),
      promql('max by (name) (chat4all_operator_current_replicas)', 'current {{name}}'),
    ),
    timeseries('Scale decisions (5m)', 'short', promql('sum by (direction) (increase(chat4all_operator_scale_decisions_total[5m]))', '{{direction}}')),
    timeseries('Connections the decisions are based on', 'short', promql('sum(websocket_connections_active)', 'connections')),
    timeseries(
      'Reconcile duration and errors',
      's',
      promql(histogramQuantile(0.99, 'chat4all_operator_reconcile_duration_seconds'), 'p99'),
      promql('sum(rate(chat4all_operator_reconcile_errors_total[5m]))', 'errors/s'),
    ),
  ],
});
