import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { addChat4All } from '../src/app.js';
import { CassandraCluster } from '../src/infrastructure/cassandra-cluster.js';
import { KafkaKraft } from '../src/infrastructure/kafka-kraft.js';
import { ObjectStore } from '../src/infrastructure/object-store.js';
import { RedisSentinel } from '../src/infrastructure/redis-sentinel.js';
import { envOf, one, synthOf } from './support/synth.js';

/**
 * Runs the Redis init script as pod 1 of a fresh set (no Sentinel answers: a `redis-cli` that
 * prints nothing), writing into a temporary directory instead of /conf; returns sentinel.conf.
 */
function runRedisInit(script: string, env: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'redis-init-'));
  try {
    writeFileSync(join(dir, 'redis-cli'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const r = spawnSync('sh', ['-c', script.replaceAll('/conf/', `${dir}/`)], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, HOSTNAME: 'chat4all-redis-1', POD_NAMESPACE: 'ns', REDIS_SET: 'chat4all-redis', REDIS_HEADLESS: 'h', MASTER_NAME: 'mymaster', REDIS_PORT: '6379', SENTINEL_PORT: '26379', DOWN_AFTER_MS: '5000', FAILOVER_TIMEOUT_MS: '60000', ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(join(dir, 'sentinel.conf'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('RedisSentinel', () => {
  const objects = synthOf((s) => new RedisSentinel(s, 'Redis'));
  const sts = one(objects, 'StatefulSet', 'chat4all-redis');
  const containers = Object.fromEntries(sts.spec.template.spec.containers.map((c: any) => [c.name, c]));

  it('runs a Redis and a Sentinel in each of three pods behind a headless service with the sentinel port', () => {
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.serviceName, 'chat4all-redis-headless');
    assert.deepEqual(Object.keys(containers).sort(), ['redis', 'sentinel']);
    assert.deepEqual(containers.sentinel.command, ['redis-sentinel', '/conf/sentinel.conf']);
    const headless = one(objects, 'Service', 'chat4all-redis-headless');
    assert.equal(headless.spec.clusterIP, 'None');
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    assert.deepEqual(headless.spec.ports.map((p: any) => [p.name, p.port]), [['redis', 6379], ['sentinel', 26379]]);
  });

  it('configures Sentinel with hostnames and leaves the quorum to the pods unless set', () => {
    const env = envOf(sts.spec.template.spec.initContainers[0]);
    assert.equal(env.SENTINEL_QUORUM, undefined);
    assert.equal(env.MASTER_NAME, 'mymaster');
    const init = one(objects, 'ConfigMap', 'chat4all-redis-scripts').data['init.sh'];
    assert.match(init, /sentinel resolve-hostnames yes/);
    assert.match(init, /replicaof \$master/);
    const set = synthOf((s) => new RedisSentinel(s, 'R', { quorum: 3 }));
    assert.equal(envOf(one(set, 'StatefulSet').spec.template.spec.initContainers[0]).SENTINEL_QUORUM, '3');
  });

  it('runs init.sh to a Sentinel whose quorum is a majority of the pods, or SENTINEL_QUORUM', () => {
    const init = one(objects, 'ConfigMap', 'chat4all-redis-scripts').data['init.sh'];
    assert.match(runRedisInit(init, { REDIS_REPLICAS: '5' }), /^sentinel monitor mymaster chat4all-redis-0\.h\.ns\.svc 6379 3$/m);
    assert.match(runRedisInit(init, { REDIS_REPLICAS: '3' }), /^sentinel monitor mymaster \S+ 6379 2$/m);
    assert.match(runRedisInit(init, { REDIS_REPLICAS: '5', SENTINEL_QUORUM: '4' }), /^sentinel monitor mymaster \S+ 6379 4$/m);
  });

  it('fails over before a stopping master goes away', () => {
    assert.deepEqual(containers.redis.lifecycle.preStop.exec.command, ['sh', '/scripts/prestop.sh']);
    const prestop = one(objects, 'ConfigMap', 'chat4all-redis-scripts').data['prestop.sh'];
    assert.match(prestop, /sentinel failover "\$MASTER_NAME"/);
    assert.ok(sts.spec.template.spec.terminationGracePeriodSeconds > Number(envOf(containers.redis).FAILOVER_WAIT_SECONDS));
  });

  it('lists every Sentinel for clients and keeps data on a volume per pod', () => {
    let redis: RedisSentinel | undefined;
    const out = synthOf((s) => (redis = new RedisSentinel(s, 'R', { storageGi: 2, storageClassName: 'fast' })));
    assert.deepEqual(redis!.sentinels, ['chat4all-redis-0.chat4all-redis-headless:26379', 'chat4all-redis-1.chat4all-redis-headless:26379', 'chat4all-redis-2.chat4all-redis-headless:26379']);
    const claim = one(out, 'StatefulSet').spec.volumeClaimTemplates[0];
    assert.equal(claim.spec.resources.requests.storage, '2Gi');
    assert.equal(claim.spec.storageClassName, 'fast');
  });

  it('runs as the images\u2019 user 10001 on a read-only root filesystem', () => {
    assert.equal(sts.spec.template.spec.securityContext.runAsUser, 10001);
    for (const c of Object.values(containers) as any[]) assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  });

  it('rejects an even or too small number of pods', () => {
    assert.throws(() => synthOf((s) => new RedisSentinel(s, 'R', { replicas: 4 })), /must be odd/);
    assert.throws(() => synthOf((s) => new RedisSentinel(s, 'R', { replicas: 1 })), /replicas must be a whole number between 3/);
  });
});

describe('KafkaKraft', () => {
  let kafka: KafkaKraft | undefined;
  const objects = synthOf((s) => (kafka = new KafkaKraft(s, 'Kafka')));
  const sts = one(objects, 'StatefulSet', 'chat4all-kafka');
  const env = envOf(sts.spec.template.spec.containers[0]);

  it('runs three combined broker+controller nodes in KRaft mode, no ZooKeeper', () => {
    assert.equal(sts.spec.replicas, 3);
    assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.equal(env.KAFKA_CONTROLLER_LISTENER_NAMES, 'CONTROLLER');
    assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS.split(',').length, 3);
    assert.match(env.KAFKA_CONTROLLER_QUORUM_VOTERS, /^0@chat4all-kafka-0\.chat4all-kafka-headless\.\$\(POD_NAMESPACE\)\.svc:9093,1@/);
    assert.equal(env.CLUSTER_ID.length, 22);
    assert.ok(!Object.keys(env).some((k) => k.includes('ZOOKEEPER')));
    // The node id is the pod ordinal (start.sh), so it matches the voter list.
    assert.match(one(objects, 'ConfigMap', 'chat4all-kafka-scripts').data['start.sh'], /KAFKA_NODE_ID="\$\{HOSTNAME##\*-\}"/);
  });

  it('replicates three times and needs two in-sync replicas', () => {
    assert.equal(env.KAFKA_DEFAULT_REPLICATION_FACTOR, '3');
    assert.equal(env.KAFKA_MIN_INSYNC_REPLICAS, '2');
    assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '3');
    assert.equal(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR, '2');
    assert.equal(env.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE, 'false');
  });

  it('starts the nodes in parallel (the quorum needs a majority first) and finds them before they are ready', () => {
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    assert.equal(one(objects, 'Service', 'chat4all-kafka-headless').spec.publishNotReadyAddresses, true);
    assert.deepEqual(kafka!.brokers, ['chat4all-kafka-0.chat4all-kafka-headless:9092', 'chat4all-kafka-1.chat4all-kafka-headless:9092', 'chat4all-kafka-2.chat4all-kafka-headless:9092']);
  });

  it('rejects settings that lose writes or the quorum', () => {
    assert.throws(() => synthOf((s) => new KafkaKraft(s, 'K', { replicas: 2 })), /must be odd/);
    assert.throws(() => synthOf((s) => new KafkaKraft(s, 'K', { minInSyncReplicas: 3 })), /minInSyncReplicas must be below replicationFactor/);
    assert.throws(() => synthOf((s) => new KafkaKraft(s, 'K', { replicationFactor: 5 })), /replicationFactor must be a whole number between 1 and 3/);
    assert.throws(() => synthOf((s) => new KafkaKraft(s, 'K', { clusterId: 'short' })), /clusterId/);
    assert.throws(() => synthOf((s) => new KafkaKraft(s, 'K', { heapMiB: 2048 })), /heapMiB must leave room/);
  });
});

describe('CassandraCluster', () => {
  let cassandra: CassandraCluster | undefined;
  const objects = synthOf((s) => (cassandra = new CassandraCluster(s, 'Cassandra')));
  const sts = one(objects, 'StatefulSet', 'chat4all-cassandra');
  const env = envOf(sts.spec.template.spec.containers[0]);

  it('runs three nodes in one data center that join through two seeds, one at a time', () => {
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
    assert.equal(env.CASSANDRA_SEEDS.split(',').length, 2);
    assert.equal(env.CASSANDRA_DC, 'dc1');
    assert.equal(env.CASSANDRA_ENDPOINT_SNITCH, 'GossipingPropertyFileSnitch');
  });

  it('replicates the keyspace three times in its data center, and drains on stop', () => {
    assert.equal(cassandra!.replicationSetting, 'dc1:3');
    assert.equal(cassandra!.contactPoints.length, 3);
    assert.deepEqual(sts.spec.template.spec.containers[0].lifecycle.preStop.exec.command, ['nodetool', 'drain']);
  });

  it('rejects a replication above the node count', () => {
    assert.throws(() => synthOf((s) => new CassandraCluster(s, 'C', { replicas: 2, keyspaceReplication: 3 })), /keyspaceReplication/);
  });
});

describe('ObjectStore', () => {
  const credentials = { accessKeyId: { name: 'creds', key: 'S3_ACCESS_KEY_ID' }, secretAccessKey: { name: 'creds', key: 'S3_SECRET_ACCESS_KEY' } };
  let store: ObjectStore | undefined;
  const objects = synthOf((s) => (store = new ObjectStore(s, 'Store', { credentials })));
  const sts = one(objects, 'StatefulSet', 'chat4all-objectstore');
  const container = sts.spec.template.spec.containers[0];

  it('runs one versitygw pod on the POSIX backend, its objects and their metadata on one kept volume', () => {
    assert.equal(sts.spec.replicas, 1);
    assert.equal(sts.spec.serviceName, 'chat4all-objectstore-headless');
    assert.deepEqual(container.args.slice(-4), ['posix', '--sidecar', '/data/meta', '/data/objects']);
    const mounts = container.volumeMounts.filter((m: any) => m.name === 'data').map((m: any) => [m.mountPath, m.subPath]);
    assert.deepEqual(mounts, [['/data/objects', 'objects'], ['/data/meta', 'meta']]);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '20Gi');
    assert.equal(one(objects, 'Service', 'chat4all-objectstore-headless').spec.clusterIP, 'None');
    assert.deepEqual(one(objects, 'Service', 'chat4all-objectstore').spec.ports.map((p: any) => p.port), [7070]);
    assert.equal(store!.endpoint, 'http://chat4all-objectstore:7070');
  });

  it('takes its account from the Secret, never from a literal', () => {
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
    assert.deepEqual(Object.keys(env).sort(), ['ROOT_ACCESS_KEY_ID', 'ROOT_SECRET_ACCESS_KEY']);
    assert.deepEqual(env.ROOT_ACCESS_KEY_ID.valueFrom.secretKeyRef, { name: 'creds', key: 'S3_ACCESS_KEY_ID' });
    assert.deepEqual(env.ROOT_SECRET_ACCESS_KEY.valueFrom.secretKeyRef, { name: 'creds', key: 'S3_SECRET_ACCESS_KEY' });
    assert.equal(env.ROOT_SECRET_ACCESS_KEY.value, undefined);
  });

  it('is alive when it accepts connections and ready when its health path answers', () => {
    assert.deepEqual(container.livenessProbe.tcpSocket, { port: 7070 });
    assert.deepEqual(container.readinessProbe.httpGet, { port: 7070, path: '/healthz' });
    assert.deepEqual(container.args.slice(0, 4), ['--port', ':7070', '--health', '/healthz']);
  });

  it('runs as user 10001 on a read-only root, with bounded CPU, memory and ephemeral storage', () => {
    assert.equal(sts.spec.template.spec.securityContext.runAsUser, 10001);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
    assert.deepEqual(Object.keys(container.resources.limits).sort(), ['cpu', 'ephemeral-storage', 'memory']);
    assert.equal(sts.spec.template.spec.automountServiceAccountToken, false);
  });

  it('rejects a bucket name S3 refuses', () => {
    assert.throws(() => synthOf((s) => new ObjectStore(s, 'S', { credentials, bucket: 'Attachments' })), /bucket must be an S3 bucket name/);
    assert.throws(() => synthOf((s) => new ObjectStore(s, 'S', { credentials, bucket: 'a..b' })), /bucket must be an S3 bucket name/);
  });
});

describe('the object store in the app', () => {
  const roleEnv = (role: string) => {
    const charts = addChat4All(Testing.app());
    const deployment = one(Testing.synth(charts.platform), 'Deployment', `chat4all-${role}`);
    return envOf(deployment.spec.template.spec.containers[0]);
  };

  it('points the api, and only the api, at it, with the generated Secret\u2019s keys', () => {
    const api = roleEnv('api');
    assert.equal(api.S3_ENDPOINT, 'http://chat4all-objectstore:7070');
    assert.equal(api.S3_BUCKET, 'chat4all-attachments');
    assert.equal(api.S3_REGION, 'us-east-1');
    assert.deepEqual(JSON.parse(api.S3_SECRET_ACCESS_KEY!), { secretKeyRef: { key: 'S3_SECRET_ACCESS_KEY', name: 'chat4all-objectstore' } });
    for (const role of ['worker', 'gateway']) assert.deepEqual(Object.keys(roleEnv(role)).filter((k) => k.startsWith('S3_')), []);
  });
});
