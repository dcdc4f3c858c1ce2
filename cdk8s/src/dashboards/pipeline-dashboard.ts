import type { DashboardSpec } from './dashboard.js';

const q = (quantile: number, metric: string, by = 'le') => `histogram_quantile(${quantile}, sum by (${by}) (rate(${metric}_bucket[5m])))`;

/** A message's way: api, Kafka, worker, Cassandra, Redis. */
export const pipelineDashboard: DashboardSpec = {
  uid: 'chat4all-pipeline',
  title: 'Chat4All / Message pipeline',
  description: 'api request rate and latency, Kafka consumer lag, worker and store latency, dead letters, end-to-end latency.',
  panels: [
    { title: 'api requests per second', unit: 'reqps', queries: [{ expr: 'sum by (route, status) (rate(http_requests_total[1m]))', legend: '{{route}} {{status}}' }] },
    {
      title: 'api latency',
      unit: 's',
      queries: [
        { expr: q(0.5, 'http_request_duration_seconds'), legend: 'p50' },
        { expr: q(0.99, 'http_request_duration_seconds'), legend: 'p99' },
      ],
    },
    { title: 'Messages accepted per second', unit: 'ops', queries: [{ expr: 'sum(rate(messages_accepted_total[1m]))', legend: 'accepted' }] },
    { title: 'Kafka consumer lag (router-worker)', unit: 'short', queries: [{ expr: 'sum by (topic) (kafka_consumer_lag)', legend: '{{topic}}' }] },
    { title: 'Worker records per second', unit: 'ops', queries: [{ expr: 'sum by (topic, outcome) (rate(worker_records_total[1m]))', legend: '{{topic}} {{outcome}}' }] },
    {
      title: 'Store latency (worker record: Cassandra write and fan-out)',
      unit: 's',
      queries: [
        { expr: q(0.5, 'worker_record_duration_seconds'), legend: 'p50' },
        { expr: q(0.99, 'worker_record_duration_seconds'), legend: 'p99' },
      ],
    },
    { title: 'Dead letters (5m)', unit: 'short', queries: [{ expr: 'sum by (topic, code) (increase(worker_dead_letter_total[5m]))', legend: '{{topic}} {{code}}' }] },
    {
      title: 'End-to-end latency',
      unit: 's',
      queries: [
        { expr: q(0.99, 'message_accept_to_store_seconds'), legend: 'accepted to stored p99' },
        { expr: q(0.99, 'notification_delivery_latency_seconds'), legend: 'stored to pushed p99' },
      ],
    },
  ],
};
