import type { Chat4AllProps } from './app.js';

/** `small`: the same topology (three Kafka, Cassandra and Redis pods, replication 3), smaller. */
const SMALL: Chat4AllProps = {
  infrastructure: {
    kafka: { heapMiB: 384, resources: { cpuMillis: { request: 100, limit: 1000 }, memoryMiB: { request: 512, limit: 768 } } },
    cassandra: { heapMiB: 512, resources: { cpuMillis: { request: 200, limit: 2000 }, memoryMiB: { request: 1024, limit: 1280 } } },
  },
  platform: {
    apiAutoscaling: { minReplicas: 1, maxReplicas: 4 },
    workerReplicas: 1,
    resources: {
      api: { cpuMillis: { request: 50, limit: 1000 }, memoryMiB: { request: 128, limit: 512 } },
      worker: { cpuMillis: { request: 50, limit: 1000 }, memoryMiB: { request: 128, limit: 512 } },
      gateway: { cpuMillis: { request: 50, limit: 1000 }, memoryMiB: { request: 128, limit: 768 } },
    },
  },
  operator: { gatewayScaling: { minReplicas: 1, maxReplicas: 4, targetConnectionsPerPod: 100 } },
};

/**
 * Named sets of props. `default` is production-shaped (and what the Helm chart renders with its
 * default values); `small` keeps the same topology (three Kafka, Cassandra and Redis pods,
 * replication 3) with smaller heaps and requests, so the platform fits a laptop's kind cluster;
 * `kind` is `small` as `make deploy` runs it on the kind cluster of kind-config.yaml: Cassandra
 * nodes that join without the production ring delay, two gateways at least, and no Grafana (its
 * image is the one image `make images` cannot build; Prometheus still runs every dashboard query).
 */
export const PROFILES: Readonly<Record<string, Chat4AllProps>> = {
  default: {},
  small: SMALL,
  kind: {
    ...SMALL,
    infrastructure: {
      ...SMALL.infrastructure,
      cassandra: { ...SMALL.infrastructure?.cassandra, extraJvmOptions: '-Dcassandra.ring_delay_ms=5000 -Dcassandra.skip_wait_for_gossip_to_settle=0' },
    },
    observability: { ...SMALL.observability, grafana: { enabled: false } },
    // Two gateways at least: a client's devices may be on different pods, as in production.
    operator: { ...SMALL.operator, gatewayScaling: { ...SMALL.operator?.gatewayScaling, minReplicas: 2 } },
  },
};

/** The props of a named profile; throws naming the known ones. */
export function profile(name: string): Chat4AllProps {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown profile ${JSON.stringify(name)}: expected one of ${Object.keys(PROFILES).join(', ')}`);
  return p;
}
