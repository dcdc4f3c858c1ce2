import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toKubeResources } from '../common/resources.js';
import { check, checkHost, checkImage, checkInt, checkName } from '../common/validate.js';
import { PodDisruptionBudget } from '../common/workload.js';
import { POD_IDENTITY_ENV, containerSecurity, dataClaim, envOf, script, statefulPodSpec } from '../common/kube.js';
import { imageOf } from '../images.js';

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;

export interface RedisSentinelProps {
  /** Name of the StatefulSet; the headless Service is `<name>-headless`. @default 'chat4all-redis' */
  readonly name?: string;
  /** Redis and Sentinel (images/redis: Debian's packages). @default REDIS_IMAGE of images/catalog.env */
  readonly image?: string;
  /** Redis pods (one master, the rest replicas), each with a Sentinel beside it. Odd, at least 3. @default 3 */
  readonly replicas?: number;
  /** The Sentinel master group name clients ask for (`REDIS_SENTINEL_NAME`). @default 'mymaster' */
  readonly masterName?: string;
  /** Sentinels that must agree the master is down. @default a majority of replicas */
  readonly quorum?: number;
  /** Silence after which a Sentinel deems the master down, ms. @default 5000 */
  readonly downAfterMilliseconds?: number;
  /** @default 60000 */
  readonly failoverTimeoutMilliseconds?: number;
  /** How long a stopping master waits for its failover to finish, seconds. @default 20 */
  readonly failoverWaitSeconds?: number;
  /** Size of each pod's data volume (append-only file), GiB. @default 1 */
  readonly storageGi?: number;
  /** StorageClass of the data volumes. @default the cluster's default class */
  readonly storageClassName?: string;
  /** @default 100m-500m CPU, 128-256 MiB */
  readonly resources?: ResourceSpec;
  /** @default 50m-200m CPU, 32-64 MiB */
  readonly sentinelResources?: ResourceSpec;
}

/**
 * Redis with Sentinel: a StatefulSet whose pods each run a Redis server and a Sentinel. Pod 0 is
 * the first master; a pod that (re)starts asks the Sentinels for the current master and joins as
 * its replica. Pods announce their stable DNS names (`<pod>.<name>-headless.<ns>.svc`), so
 * Sentinel keeps working across IP changes. A master that is stopped (rollout, drain) hands over
 * first: its preStop asks a Sentinel for a failover and waits until it is demoted.
 */
export class RedisSentinel extends Construct {
  readonly name: string;
  readonly headlessServiceName: string;
  readonly masterName: string;
  readonly replicas: number;
  readonly statefulSet: kplus.k8s.KubeStatefulSet;

  constructor(scope: Construct, id: string, props: RedisSentinelProps = {}) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-redis');
    this.headlessServiceName = `${this.name}-headless`;
    const image = checkImage(this, 'image', props.image ?? imageOf('REDIS_IMAGE'));
    this.replicas = checkInt(this, 'replicas', props.replicas ?? 3, 3, 9);
    check(this, this.replicas % 2 === 1, 'replicas', `must be odd so that Sentinels can form a majority, got ${this.replicas}`);
    this.masterName = props.masterName ?? 'mymaster';
    check(this, /^[A-Za-z0-9_.-]+$/.test(this.masterName), 'masterName', `must be letters, digits, '.', '_' or '-', got ${JSON.stringify(this.masterName)}`);
    // Unset, the init script takes a majority of REDIS_REPLICAS.
    const quorum = props.quorum === undefined ? undefined : checkInt(this, 'quorum', props.quorum, 1, this.replicas);
    const downAfter = checkInt(this, 'downAfterMilliseconds', props.downAfterMilliseconds ?? 5000, 1000, 600_000);
    const failoverTimeout = checkInt(this, 'failoverTimeoutMilliseconds', props.failoverTimeoutMilliseconds ?? 60_000, 1000, 3_600_000);
    const failoverWait = checkInt(this, 'failoverWaitSeconds', props.failoverWaitSeconds ?? 20, 0, 300);
    const storageGi = checkInt(this, 'storageGi', props.storageGi ?? 1, 1, 65_536);
    if (props.storageClassName !== undefined) checkHost(this, 'storageClassName', props.storageClassName);
    const redisResources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 100, limit: 500 }, memoryMiB: { request: 128, limit: 256 } });
    const sentinelResources = checkResources(this, 'sentinelResources', props.sentinelResources ?? { cpuMillis: { request: 50, limit: 200 }, memoryMiB: { request: 32, limit: 64 } });

    const labels = componentLabels(this.name, 'redis');
    const selector = selectorLabels(this.name);
    const scripts = new kplus.ConfigMap(this, 'Scripts', {
      metadata: { name: `${this.name}-scripts`, labels },
      data: { 'init.sh': script('redis-init.sh'), 'prestop.sh': script('redis-prestop.sh') },
    });

    new kplus.k8s.KubeService(this, 'Headless', {
      metadata: { name: this.headlessServiceName, labels },
      spec: {
        clusterIp: 'None',
        // Pods must find each other by name before they are ready (a replica needs its master).
        publishNotReadyAddresses: true,
        selector,
        ports: [
          { name: 'redis', port: REDIS_PORT, targetPort: kplus.k8s.IntOrString.fromNumber(REDIS_PORT) },
          { name: 'sentinel', port: SENTINEL_PORT, targetPort: kplus.k8s.IntOrString.fromNumber(SENTINEL_PORT) },
        ],
      },
    });

    const scriptEnv = [
      ...POD_IDENTITY_ENV,
      ...envOf({
        REDIS_SET: this.name,
        REDIS_HEADLESS: this.headlessServiceName,
        REDIS_REPLICAS: String(this.replicas),
        MASTER_NAME: this.masterName,
        ...(quorum === undefined ? {} : { SENTINEL_QUORUM: String(quorum) }),
        REDIS_PORT: String(REDIS_PORT),
        SENTINEL_PORT: String(SENTINEL_PORT),
        DOWN_AFTER_MS: String(downAfter),
        FAILOVER_TIMEOUT_MS: String(failoverTimeout),
        FAILOVER_WAIT_SECONDS: String(failoverWait),
      }),
    ];
    const mounts = {
      conf: { name: 'conf', mountPath: '/conf' },
      scripts: { name: 'scripts', mountPath: '/scripts', readOnly: true },
      data: { name: 'data', mountPath: '/data' },
    };
    // Alive: the server answers (PONG, or LOADING while it reads its append-only file).
    const alive = (port: number): kplus.k8s.Probe['exec'] => ({ command: ['sh', '-c', `redis-cli -p ${port} ping | grep -q -e PONG -e LOADING`] });
    // Ready: it answers PONG, and a replica is in sync with its master.
    const redisReady: kplus.k8s.Probe['exec'] = {
      command: ['sh', '-c', `redis-cli -p ${REDIS_PORT} ping | grep -q PONG && { redis-cli -p ${REDIS_PORT} info replication | grep -q -e '^role:master' -e '^master_link_status:up'; }`],
    };
    // A Sentinel is ready once it knows the master.
    const sentinelReady: kplus.k8s.Probe['exec'] = { command: ['sh', '-c', `redis-cli -p ${SENTINEL_PORT} sentinel get-master-addr-by-name "$MASTER_NAME" | grep -q .`] };

    this.statefulSet = new kplus.k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: this.name, labels },
      spec: {
        serviceName: this.headlessServiceName,
        replicas: this.replicas,
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...statefulPodSpec(selector),
            terminationGracePeriodSeconds: failoverWait + 15,
            initContainers: [
              {
                name: 'config',
                image,
                command: ['sh', '/scripts/init.sh'],
                env: scriptEnv,
                volumeMounts: [mounts.conf, mounts.scripts],
                resources: toKubeResources(sentinelResources),
                securityContext: containerSecurity(),
              },
            ],
            containers: [
              {
                name: 'redis',
                image,
                command: ['redis-server', '/conf/redis.conf'],
                ports: [{ name: 'redis', containerPort: REDIS_PORT }],
                env: scriptEnv,
                volumeMounts: [mounts.conf, mounts.scripts, mounts.data],
                resources: toKubeResources(redisResources),
                securityContext: containerSecurity(),
                readinessProbe: { exec: redisReady, periodSeconds: 5, timeoutSeconds: 3 },
                livenessProbe: { exec: alive(REDIS_PORT), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3, initialDelaySeconds: 10 },
                lifecycle: { preStop: { exec: { command: ['sh', '/scripts/prestop.sh'] } } },
              },
              {
                name: 'sentinel',
                image,
                command: ['redis-sentinel', '/conf/sentinel.conf'],
                ports: [{ name: 'sentinel', containerPort: SENTINEL_PORT }],
                env: envOf({ MASTER_NAME: this.masterName }),
                volumeMounts: [mounts.conf],
                resources: toKubeResources(sentinelResources),
                securityContext: containerSecurity(),
                readinessProbe: { exec: sentinelReady, periodSeconds: 5, timeoutSeconds: 3 },
                livenessProbe: { exec: alive(SENTINEL_PORT), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3, initialDelaySeconds: 10 },
              },
            ],
            volumes: [
              { name: 'conf', emptyDir: {} },
              { name: 'scripts', configMap: { name: scripts.name, defaultMode: 0o555 } },
            ],
          },
        },
        volumeClaimTemplates: [dataClaim(storageGi, props.storageClassName)],
      },
    });

    new PodDisruptionBudget(this, 'Pdb', this.name, { selector, labels, maxUnavailable: 1 });
  }

  /** `REDIS_SENTINELS` for clients: every Sentinel, `host:port` by stable pod DNS name. */
  get sentinels(): string[] {
    return Array.from({ length: this.replicas }, (_, i) => `${this.name}-${i}.${this.headlessServiceName}:${SENTINEL_PORT}`);
  }
}
