import type { DashboardSpec } from './dashboard.js';

/** The Chat4All operator: what it wants, what runs, what it decided. */
export const operatorDashboard: DashboardSpec = {
  uid: 'chat4all-operator',
  title: 'Chat4All / Operator',
  description: 'Gateway autoscaling by the Chat4All operator: desired and current replicas, scale decisions, reconcile health.',
  panels: [
    {
      title: 'Gateway replicas: desired and current',
      unit: 'short',
      queries: [
        { expr: 'max by (name) (chat4all_operator_desired_replicas)', legend: 'desired {{name}}' },
        { expr: 'max by (name) (chat4all_operator_current_replicas)', legend: 'current {{name}}' },
      ],
    },
    { title: 'Scale decisions (5m)', unit: 'short', queries: [{ expr: 'sum by (direction) (increase(chat4all_operator_scale_decisions_total[5m]))', legend: '{{direction}}' }] },
    { title: 'Connections the decisions are based on', unit: 'short', queries: [{ expr: 'sum(websocket_connections_active)', legend: 'connections' }] },
    {
      title: 'Reconcile duration and errors',
      unit: 's',
      queries: [
        { expr: 'histogram_quantile(0.99, sum by (le) (rate(chat4all_operator_reconcile_duration_seconds_bucket[5m])))', legend: 'p99' },
        { expr: 'sum(rate(chat4all_operator_reconcile_errors_total[5m]))', legend: 'errors/s' },
      ],
    },
  ],
};
