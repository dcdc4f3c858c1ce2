/** @chat4all/operator: the pieces of chat4all-operator, for its tests and for the manifests' tests. */
export * from './chat4all.js';
export * from './decision.js';
export * from './status.js';
export { type OperatorConfig, ConfigError, loadConfig } from './config.js';
export { OperatorMetrics, type ScaleDirection } from './operator-metrics.js';
export { type HealthServer, type HealthServerOptions, startHealthServer } from './health-server.js';
export { CONNECTIONS_METRIC, HttpMetricsReader, type MetricsReader, parseConnections } from './metrics-reader.js';
export { type Cluster, type GatewayDeployment, type GatewayPod } from './cluster.js';
export { CacheNotSyncedError, type ClusterCache, KubeCluster } from './kube-cluster.js';
export { Chat4AllController, EventReason, type ReconcileResult, splitKey } from './controller.js';
export { type EventRecorder, type EventSubject, KubeEventRecorder } from './events.js';
export { DeadlineError, LeaderElector, type LeaseClient, kubeLeaseClient } from './leader-election.js';
export { GoneError, ResourceWatch, type ResourceWatchOptions } from './resource-watch.js';
export { type LabelSelector, matchesSelector, selectorString } from './selectors.js';
export { WorkQueue } from './work-queue.js';
export { COMPONENT, Operator, type OperatorOptions } from './operator.js';
