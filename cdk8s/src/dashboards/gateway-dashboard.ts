import type { DashboardSpec } from './dashboard.js';

const q = (quantile: number, metric: string) => `histogram_quantile(${quantile}, sum by (le) (rate(${metric}_bucket[5m])))`;

/** The WebSocket gateways: connections, churn, notifications, latency and errors. */
export const gatewayDashboard: DashboardSpec = {
  uid: 'chat4all-gateway',
  title: 'Chat4All / Gateway',
  description: 'WebSocket gateways: connections per pod, connects and disconnects, notifications sent, delivery latency and errors.',
  panels: [
    { title: 'Connections per pod', unit: 'short', queries: [{ expr: 'sum by (pod) (websocket_connections_active)', legend: '{{pod}}' }] },
    {
      title: 'Connects and disconnects per second',
      unit: 'ops',
      queries: [
        { expr: 'sum(rate(websocket_connects_total[1m]))', legend: 'connects' },
        { expr: 'sum by (code) (rate(websocket_disconnects_total[1m]))', legend: 'disconnects {{code}}' },
      ],
    },
    { title: 'Notifications sent per second', unit: 'ops', queries: [{ expr: 'sum by (type) (rate(notifications_sent_total[1m]))', legend: '{{type}}' }] },
    {
      title: 'Delivery latency (stored to pushed)',
      unit: 's',
      queries: [
        { expr: q(0.5, 'notification_delivery_latency_seconds'), legend: 'p50' },
        { expr: q(0.99, 'notification_delivery_latency_seconds'), legend: 'p99' },
      ],
    },
    { title: 'Connection errors per second', unit: 'ops', queries: [{ expr: 'sum by (reason) (rate(connection_errors_total[5m]))', legend: '{{reason}}' }] },
    {
      title: 'Redis pub/sub lag',
      unit: 's',
      queries: [
        { expr: q(0.5, 'pubsub_lag_seconds'), legend: 'p50' },
        { expr: q(0.99, 'pubsub_lag_seconds'), legend: 'p99' },
      ],
    },
    { title: 'Subscribed users', type: 'stat', width: 8, queries: [{ expr: 'sum(websocket_subscribed_users)' }] },
    { title: 'Connections', type: 'stat', width: 8, queries: [{ expr: 'sum(websocket_connections_active)' }] },
    { title: 'Catch-up events replayed (5m)', type: 'stat', width: 8, queries: [{ expr: 'sum(increase(catchup_events_replayed_total[5m]))' }] },
  ],
};
