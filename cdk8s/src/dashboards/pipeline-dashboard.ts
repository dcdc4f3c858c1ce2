import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chat4allDashboard, percentiles, promql, timeseries } from './dashboard.js';
import { histogramQuantile } from './promql.js';

/** A message's way: api, Kafka, worker, Cassandra, Redis; and its attachments' bytes through the api. */
export const pipelineDashboard: Dashboard = chat4allDashboard({
  uid: 'chat4all-pipeline',
  title: 'Chat4All / Message pipeline',
  description: 'api request rate and latency, Kafka consumer lag, worker and store latency, dead letters, end-to-end latency, attachments\u2019 bytes and transfer times.',
  panels: [
    timeseries('api requests per second', 'reqps', promql('sum by (route, status) (rate(http_requests_total[1m]))', '{{route}} {{status}}')),
    timeseries('api latency', 's', ...percentiles('http_request_duration_seconds')),
    timeseries('Messages accepted per second', 'ops', promql('sum(rate(messages_accepted_total[1m]))', 'accepted')),
    timeseries('Kafka consumer lag (router-worker)', 'short', promql('sum by (topic) (kafka_consumer_lag)', '{{topic}}')),
    timeseries('Worker records per second', 'ops', promql('sum by (topic, outcome) (rate(worker_records_total[1m]))', '{{topic}} {{outcome}}')),
    timeseries('Store latency (worker record: Cassandra write and fan-out)', 's', ...percentiles('worker_record_duration_seconds')),
    timeseries('Dead letters (5m)', 'short', promql('sum by (topic, code) (increase(worker_dead_letter_total[5m]))', '{{topic}} {{code}}')),
    timeseries(
      'End-to-end latency',
      's',
      promql(histogramQuantile(0.99, 'message_accept_to_store_seconds'), 'accepted to stored p99'),
      promql(histogramQuantile(0.99, 'notification_delivery_latency_seconds'), 'stored to pushed p99'),
    ),
    timeseries('Attachment bytes per second (in: uploads, out: downloads)', 'Bps', promql('sum by (direction) (rate(attachment_bytes_total[1m]))', '{{direction}}')),
    timeseries('Attachment transfer time (first byte to last)', 's', ...percentiles('attachment_transfer_duration_seconds', ['direction', 'result'])),
  ],
});
