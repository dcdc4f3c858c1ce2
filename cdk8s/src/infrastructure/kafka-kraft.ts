import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toKubeResources } from '../common/resources.js';
import { check, checkHost, checkImage, checkInt, checkName } from '../common/validate.js';
import { PodDisruptionBudget } from '../common/workload.js';
import { POD_IDENTITY_ENV, containerSecurity, dataClaim, envOf, scratchVolume, script, statefulPodSpec } from '../common/kube.js';
import { imageOf } from '../images.js';

export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;

/** The default KRaft cluster id: a Kafka UUID is 16 bytes in base64url, and these are 16 bytes. */
export const DEFAULT_KAFKA_CLUSTER_ID = Buffer.from('chat4all-kafka-1').toString('base64url');

export interface KafkaKraftProps {
  /** Name of the StatefulSet; its Services are `<name>` (bootstrap) and `<name>-headless`. @default 'chat4all-kafka' */
  readonly name?: string;
  /** Kafka (images/kafka: `kafka-run` renders its configuration from KAFKA_* variables). @default KAFKA_IMAGE of images/catalog.env */
  readonly image?: string;
  /** Nodes, each a broker and a controller (a quorum of voters). Odd, at least 3. @default 3 */
  readonly replicas?: number;
  /** Replicas of every topic, internal ones included. @default 3 */
  readonly replicationFactor?: number;
  /** In-sync replicas a write with acks=all needs. @default 2 */
  readonly minInSyncReplicas?: number;
  /** Partitions of auto-created topics. @default 12 */
  readonly defaultPartitions?: number;
  /** The KRaft cluster id (22 base64url characters: 16 bytes). @default DEFAULT_KAFKA_CLUSTER_ID */
  readonly clusterId?: string;
  /** JVM heap, MiB. @default 512 */
  readonly heapMiB?: number;
  /** Size of each node's log volume, GiB. @default 10 */
  readonly storageGi?: number;
  /** StorageClass of the log volumes. @default the cluster's default class */
  readonly storageClassName?: string;
  /** @default 250m-1000m CPU, 768-1024 MiB */
  readonly resources?: ResourceSpec;
}

/**
 * Kafka in KRaft mode, no ZooKeeper: a StatefulSet of combined broker+controller nodes whose
 * ordinals are their node ids and whose controllers form the static voter set. Topics are
 * replicated `replicationFactor` times and writes need `minInSyncReplicas` (3 and 2: one node can
 * be down, a rollout for instance, with no loss and no stop). Pods start in parallel, since the
 * quorum needs a majority of voters before any of them is ready.
 */
export class KafkaKraft extends Construct {
  readonly name: string;
  readonly headlessServiceName: string;
  readonly replicas: number;
  readonly replicationFactor: number;
  readonly statefulSet: kplus.k8s.KubeStatefulSet;

  constructor(scope: Construct, id: string, props: KafkaKraftProps = {}) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-kafka');
    this.headlessServiceName = `${this.name}-headless`;
    const image = checkImage(this, 'image', props.image ?? imageOf('KAFKA_IMAGE'));
    this.replicas = checkInt(this, 'replicas', props.replicas ?? 3, 1, 9);
    check(this, this.replicas % 2 === 1, 'replicas', `must be odd: the controllers need a majority, got ${this.replicas}`);
    this.replicationFactor = checkInt(this, 'replicationFactor', props.replicationFactor ?? 3, 1, this.replicas);
    const minIsr = checkInt(this, 'minInSyncReplicas', props.minInSyncReplicas ?? 2, 1, this.replicationFactor);
    check(this, this.replicationFactor === 1 || minIsr < this.replicationFactor, 'minInSyncReplicas', `must be below replicationFactor (${this.replicationFactor}) so one node can be down, got ${minIsr}`);
    const partitions = checkInt(this, 'defaultPartitions', props.defaultPartitions ?? 12, 1, 10_000);
    const clusterId = props.clusterId ?? DEFAULT_KAFKA_CLUSTER_ID;
    check(this, /^[A-Za-z0-9_-]{22}$/.test(clusterId), 'clusterId', `must be 22 base64url characters (a Kafka UUID), got ${JSON.stringify(clusterId)}`);
    const heap = checkInt(this, 'heapMiB', props.heapMiB ?? 512, 128, 65_536);
    const storageGi = checkInt(this, 'storageGi', props.storageGi ?? 10, 1, 65_536);
    if (props.storageClassName !== undefined) checkHost(this, 'storageClassName', props.storageClassName);
    const resources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 250, limit: 1000 }, memoryMiB: { request: 768, limit: 1024 } });
    check(this, heap < resources.memoryMiB.limit, 'heapMiB', `must leave room below the memory limit (${resources.memoryMiB.limit} MiB), got ${heap}`);

    const labels = componentLabels(this.name, 'kafka');
    const selector = selectorLabels(this.name);
    const scripts = new kplus.ConfigMap(this, 'Scripts', { metadata: { name: `${this.name}-scripts`, labels }, data: { 'start.sh': script('kafka-start.sh') } });

    const port = (name: string, n: number): kplus.k8s.ServicePort => ({ name, port: n, targetPort: kplus.k8s.IntOrString.fromNumber(n) });
    new kplus.k8s.KubeService(this, 'Headless', {
      metadata: { name: this.headlessServiceName, labels },
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector, ports: [port('client', KAFKA_PORT), port('controller', KAFKA_CONTROLLER_PORT)] },
    });
    new kplus.k8s.KubeService(this, 'Bootstrap', { metadata: { name: this.name, labels }, spec: { selector, ports: [port('client', KAFKA_PORT)] } });

    const host = (i: number | string) => `${this.name}-${i}.${this.headlessServiceName}.$(POD_NAMESPACE).svc`;
    const voters = Array.from({ length: this.replicas }, (_, i) => `${i}@${host(i)}:${KAFKA_CONTROLLER_PORT}`).join(',');
    const env = envOf({
      CLUSTER_ID: clusterId,
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${KAFKA_PORT},CONTROLLER://:${KAFKA_CONTROLLER_PORT}`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://$(POD_NAME).${this.headlessServiceName}.$(POD_NAMESPACE).svc:${KAFKA_PORT}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: voters,
      KAFKA_LOG_DIRS: '/var/lib/kafka/data/logs',
      KAFKA_NUM_PARTITIONS: String(partitions),
      KAFKA_DEFAULT_REPLICATION_FACTOR: String(this.replicationFactor),
      KAFKA_MIN_INSYNC_REPLICAS: String(minIsr),
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: String(this.replicationFactor),
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: String(this.replicationFactor),
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: String(minIsr),
      KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'false',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '3000',
      KAFKA_HEAP_OPTS: `-Xms${heap}m -Xmx${heap}m`,
    });
    const tcp = (port: number, periodSeconds: number, extra: Partial<kplus.k8s.Probe> = {}): kplus.k8s.Probe => ({ tcpSocket: { port: kplus.k8s.IntOrString.fromNumber(port) }, periodSeconds, timeoutSeconds: 3, ...extra });

    this.statefulSet = new kplus.k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: this.name, labels },
      spec: {
        serviceName: this.headlessServiceName,
        replicas: this.replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...statefulPodSpec(selector),
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'kafka',
                image,
                command: ['sh', '/scripts/start.sh'],
                ports: [
                  { name: 'client', containerPort: KAFKA_PORT },
                  { name: 'controller', containerPort: KAFKA_CONTROLLER_PORT },
                ],
                env: [...POD_IDENTITY_ENV, ...env],
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/kafka/data' },
                  { name: 'scripts', mountPath: '/scripts', readOnly: true },
                  // kafka-run writes server.properties here at each start; the JVM its temporary files.
                  { name: 'conf', mountPath: '/conf' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                resources: toKubeResources(resources),
                securityContext: containerSecurity(),
                // Alive: the controller listens. Ready: the broker serves clients (its listener
                // opens once the broker has caught up with the metadata log).
                startupProbe: tcp(KAFKA_CONTROLLER_PORT, 5, { failureThreshold: 60 }),
                readinessProbe: tcp(KAFKA_PORT, 5),
                livenessProbe: tcp(KAFKA_CONTROLLER_PORT, 10, { failureThreshold: 6 }),
              },
            ],
            volumes: [{ name: 'scripts', configMap: { name: scripts.name, defaultMode: 0o555 } }, scratchVolume('conf', 1), scratchVolume('tmp', 64)],
          },
        },
        volumeClaimTemplates: [dataClaim(storageGi, props.storageClassName)],
      },
    });

    new PodDisruptionBudget(this, 'Pdb', this.name, { selector, labels, maxUnavailable: 1 });
  }

  /** `KAFKA_BROKERS` for clients: every node, `host:port` by stable pod DNS name. */
  get brokers(): string[] {
    return Array.from({ length: this.replicas }, (_, i) => `${this.name}-${i}.${this.headlessServiceName}:${KAFKA_PORT}`);
  }
}
