/**
 * The only metrics the dashboards may query that a running chat4all-server on in-memory
 * adapters does not export. The dashboards test reads every other metric from the /metrics of
 * real running roles, and fails when one of these starts being exported (then delete it here).
 */
export const PENDING_METRICS: Readonly<Record<string, string>> = {
  kafka_consumer_lag: 'Exported by the worker when it runs on Kafka ({topic, partition}): the in-memory event log has no lag.',
  chat4all_operator_desired_replicas: 'Exported by the Chat4All operator (operator/), a separate program: replicas it wants per Chat4All ({namespace, name}).',
  chat4all_operator_current_replicas: 'Exported by the operator: replicas the gateway Deployment has ({namespace, name}).',
  chat4all_operator_scale_decisions_total: 'Exported by the operator: scale decisions ({direction: up|down}).',
  chat4all_operator_reconcile_duration_seconds: 'Exported by the operator: reconcile duration histogram.',
  chat4all_operator_reconcile_errors_total: 'Exported by the operator: failed reconciles.',
};
