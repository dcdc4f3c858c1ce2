import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chat4allDashboard, percentiles, promql, stat, timeseries } from './dashboard.js';

/** The WebSocket gateways: connections, churn, notifications, latency and errors. */
export const gatewayDashboard: Dashboard = chat4allDashboard({
  uid: 'chat4all-gateway',
  title: 'Chat4All / Gateway',
  description: 'WebSocket gateways: connections per pod, connects and disconnects, notifications sent, delivery latency and errors.',
  panels: [
    timeseries('Connections per pod', 'short', promql('sum by (pod) (websocket_connections_active)', '{{pod}}')),
    timeseries(
      'Connects and disconnects per second',
      'ops',
      promql('sum(rate(websocket_connects_total[1m]))', 'connects'),
      promql('sum by (code) (rate(websocket_disconnects_total[1m]))', 'disconnects {{code}}'),
    ),
    timeseries('Notifications sent per second', 'ops', promql('sum by (type) (rate(notifications_sent_total[1m]))', '{{type}}')),
    timeseries('Delivery latency (stored to pushed)', 's', ...percentiles('notification_delivery_latency_seconds')),
    timeseries('Connection errors per second', 'ops', promql('sum by (reason) (rate(connection_errors_total[5m]))', '{{reason}}')),
    timeseries('Redis pub/sub lag', 's', ...percentiles('pubsub_lag_seconds')),
    stat('Subscribed users', promql('sum(websocket_subscribed_users)')),
    stat('Connections', promql('sum(websocket_connections_active)')),
    stat('Catch-up events replayed (5m)', promql('sum(increase(catchup_events_replayed_total[5m]))')),
  ],
});
