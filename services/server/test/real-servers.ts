/** The real servers of scripts/services.sh, for the cross-process tests and the fault drill. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ServerProcess, freePort } from './processes.js';

/** Runs scripts/services.sh with `args`; resolves its output. Blocks: it is meant for faults and set-up. */
export const services = (...args: string[]) => execFileSync('scripts/services.sh', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).toString();

/** Puts Redis back as `scripts/services.sh env` describes it: every process up, the master on REDIS_URL's port. */
export function restoreRedis(): void {
  const port = new URL(requireEnv('REDIS_URL')).port;
  const sentinel = requireEnv('REDIS_SENTINELS').split(',')[0]!.split(':')[1]!;
  const script = `
    scripts/services.sh up redis >/dev/null
    for i in $(seq 1 60); do
      master=$(scripts/services.sh redis-cli -p ${sentinel} SENTINEL get-master-addr-by-name mymaster | tail -1)
      [ "$master" = "${port}" ] && exit 0
      scripts/services.sh redis-cli -p ${sentinel} SENTINEL FAILOVER mymaster >/dev/null 2>&1 || true
      sleep 1
    done
    echo "the Redis master did not come back to port ${port}" >&2; exit 1`;
  execFileSync('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run \`scripts/services.sh up\` and \`eval "$(scripts/services.sh env)"\` (make test-integration does both)`);
  return v;
}


/** api, worker and two gateways as separate processes on the real servers. */
export interface Cluster {
  api: ServerProcess;
  worker: ServerProcess;
  gw1: ServerProcess;
  gw2: ServerProcess;
  apiUrl: string;
  /** ws://127.0.0.1:P of each gateway (append /notifications). */
  ws1: string;
  ws2: string;
  /** The environment the processes share (backends, keyspace, secret). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the platform as production runs it, on a fresh Kafka (the topics and the router-worker
 * group are fixed names, and records left by an earlier run, for another keyspace, must not stand
 * in the way) and a keyspace of its own.
 */
export async function startCluster(): Promise<Cluster> {
  services('down', 'kafka');
  services('up', 'kafka');
  const shared = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    CASSANDRA_CONTACT_POINTS: requireEnv('CASSANDRA_CONTACT_POINTS'),
    CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    CASSANDRA_KEYSPACE: `chat4all_it_${randomBytes(4).toString('hex')}`,
    REDIS_SENTINELS: requireEnv('REDIS_SENTINELS'),
    REDIS_SENTINEL_NAME: process.env.REDIS_SENTINEL_NAME ?? 'mymaster',
    S3_ENDPOINT: requireEnv('S3_ENDPOINT'),
    S3_ACCESS_KEY_ID: requireEnv('S3_ACCESS_KEY_ID'),
    S3_SECRET_ACCESS_KEY: requireEnv('S3_SECRET_ACCESS_KEY'),
    HOST: '127.0.0.1',
    KAFKA_PARTITIONS: '4',
    SEND_RATE_LIMIT: '1000',
    ATTACHMENT_MAX_BYTES: String(64 * 1024 * 1024),
    ATTACHMENT_LINK_TTL_SECONDS: '10',
  };
  const [apiPort, apiMetrics, workerMetrics, p1, m1, p2, m2] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  // The api first: it creates the keyspace and the schema the others then find.
  const api = await ServerProcess.start('api', { ...shared, ROLE: 'api', API_PORT: String(apiPort), METRICS_PORT: String(apiMetrics) }, apiUrl);
  const [worker, gw1, gw2] = await Promise.all([
    ServerProcess.start('worker', { ...shared, ROLE: 'worker', METRICS_PORT: String(workerMetrics) }, `http://127.0.0.1:${workerMetrics}`),
    ServerProcess.start('gateway-1', { ...shared, ROLE: 'gateway', WEBSOCKET_PORT: String(p1), METRICS_PORT: String(m1) }, `http://127.0.0.1:${m1}`),
    ServerProcess.start('gateway-2', { ...shared, ROLE: 'gateway', WEBSOCKET_PORT: String(p2), METRICS_PORT: String(m2) }, `http://127.0.0.1:${m2}`),
  ]);
  return {
    api,
    worker,
    gw1,
    gw2,
    apiUrl,
    ws1: `ws://127.0.0.1:${p1}`,
    ws2: `ws://127.0.0.1:${p2}`,
    env: shared,
    stop: async () => void (await Promise.all([api, worker, gw1, gw2].map((p) => p.stop()))),
  };
}
