import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toKubeResources } from '../common/resources.js';
import { check, checkHost, checkImage, checkInt, checkName } from '../common/validate.js';
import { PodDisruptionBudget } from '../common/workload.js';
import { POD_IDENTITY_ENV, containerSecurity, dataClaim, envOf, scratchVolume, statefulPodSpec } from '../common/kube.js';
import { imageOf } from '../images.js';

export const CQL_PORT = 9042;
export const GOSSIP_PORT = 7000;

export interface CassandraClusterProps {
  /** Name of the StatefulSet; its Services are `<name>` (CQL) and `<name>-headless`. @default 'chat4all-cassandra' */
  readonly name?: string;
  /** Cassandra (images/cassandra: `cassandra-run` writes its configuration from CASSANDRA_* variables). @default CASSANDRA_IMAGE of images/catalog.env */
  readonly image?: string;
  /** Nodes. @default 3 */
  readonly replicas?: number;
  /** Nodes new ones contact to join the ring (the first ones). @default 2 (1 when replicas is 1) */
  readonly seeds?: number;
  /** @default 'chat4all' */
  readonly clusterName?: string;
  /** Data center of every node (`CASSANDRA_LOCAL_DC` for clients). @default 'dc1' */
  readonly datacenter?: string;
  /** Replicas of the application keyspace in `datacenter`. @default 3 */
  readonly keyspaceReplication?: number;
  /** JVM heap, MiB (the image's MAX_HEAP_SIZE). @default 1024 */
  readonly heapMiB?: number;
  /** Size of each node's data volume, GiB. @default 10 */
  readonly storageGi?: number;
  /** StorageClass of the data volumes. @default the cluster's default class */
  readonly storageClassName?: string;
  /** @default 500m-2000m CPU, 2048 MiB */
  readonly resources?: ResourceSpec;
  /**
   * JVM options added to the image's (CASSANDRA_EXTRA_JVM_OPTS), separated by spaces, e.g. a
   * shorter `-Dcassandra.ring_delay_ms=5000` so that a test cluster's nodes join faster. @default none
   */
  readonly extraJvmOptions?: string;
}

/**
 * Cassandra: a StatefulSet of nodes in one data center (GossipingPropertyFileSnitch) that join the
 * ring one at a time through the seeds (the first pods). The application keyspace is replicated
 * `keyspaceReplication` times (`CASSANDRA_REPLICATION_FACTOR=<dc>:<n>` for the server, which
 * creates it), read and written at LOCAL_QUORUM. A stopping node flushes first (`nodetool drain`).
 */
export class CassandraCluster extends Construct {
  readonly name: string;
  readonly headlessServiceName: string;
  readonly replicas: number;
  readonly datacenter: string;
  readonly keyspaceReplication: number;
  readonly statefulSet: kplus.k8s.KubeStatefulSet;

  constructor(scope: Construct, id: string, props: CassandraClusterProps = {}) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-cassandra');
    this.headlessServiceName = `${this.name}-headless`;
    const image = checkImage(this, 'image', props.image ?? imageOf('CASSANDRA_IMAGE'));
    this.replicas = checkInt(this, 'replicas', props.replicas ?? 3, 1, 99);
    const seeds = checkInt(this, 'seeds', props.seeds ?? Math.min(2, this.replicas), 1, this.replicas);
    const clusterName = props.clusterName ?? 'chat4all';
    check(this, /^[A-Za-z0-9_-]{1,48}$/.test(clusterName), 'clusterName', `must be letters, digits, '_' or '-', got ${JSON.stringify(clusterName)}`);
    this.datacenter = props.datacenter ?? 'dc1';
    check(this, /^[A-Za-z0-9_-]{1,48}$/.test(this.datacenter), 'datacenter', `must be letters, digits, '_' or '-', got ${JSON.stringify(this.datacenter)}`);
    this.keyspaceReplication = checkInt(this, 'keyspaceReplication', props.keyspaceReplication ?? 3, 1, this.replicas);
    const heap = checkInt(this, 'heapMiB', props.heapMiB ?? 1024, 256, 65_536);
    const extraJvm = props.extraJvmOptions ?? '';
    // The image's shell splits them into words: no quotes, no expansions.
    check(this, /^[^'"`$\\\n]*$/.test(extraJvm), 'extraJvmOptions', `must be JVM options separated by spaces, without quotes, \`$\` or backslashes, got ${JSON.stringify(extraJvm)}`);
    const storageGi = checkInt(this, 'storageGi', props.storageGi ?? 10, 1, 65_536);
    if (props.storageClassName !== undefined) checkHost(this, 'storageClassName', props.storageClassName);
    const resources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 500, limit: 2000 }, memoryMiB: { request: 2048, limit: 2048 } });
    check(this, heap < resources.memoryMiB.limit, 'heapMiB', `must leave room below the memory limit (${resources.memoryMiB.limit} MiB), got ${heap}`);

    const labels = componentLabels(this.name, 'cassandra');
    const selector = selectorLabels(this.name);
    const port = (name: string, n: number): kplus.k8s.ServicePort => ({ name, port: n, targetPort: kplus.k8s.IntOrString.fromNumber(n) });
    new kplus.k8s.KubeService(this, 'Headless', {
      metadata: { name: this.headlessServiceName, labels },
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector, ports: [port('cql', CQL_PORT), port('gossip', GOSSIP_PORT)] },
    });
    new kplus.k8s.KubeService(this, 'Cql', { metadata: { name: this.name, labels }, spec: { selector, ports: [port('cql', CQL_PORT)] } });

    const seedHosts = Array.from({ length: seeds }, (_, i) => `${this.name}-${i}.${this.headlessServiceName}.$(POD_NAMESPACE).svc`).join(',');
    const tcp = (port: number, periodSeconds: number, extra: Partial<kplus.k8s.Probe> = {}): kplus.k8s.Probe => ({ tcpSocket: { port: kplus.k8s.IntOrString.fromNumber(port) }, periodSeconds, timeoutSeconds: 3, ...extra });

    this.statefulSet = new kplus.k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: this.name, labels },
      spec: {
        serviceName: this.headlessServiceName,
        replicas: this.replicas,
        // Nodes must join the ring one after the other.
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...statefulPodSpec(selector),
            terminationGracePeriodSeconds: 120,
            containers: [
              {
                name: 'cassandra',
                image,
                ports: [
                  { name: 'cql', containerPort: CQL_PORT },
                  { name: 'gossip', containerPort: GOSSIP_PORT },
                ],
                env: [
                  ...POD_IDENTITY_ENV,
                  ...envOf({
                    CASSANDRA_CLUSTER_NAME: clusterName,
                    CASSANDRA_SEEDS: seedHosts,
                    CASSANDRA_DC: this.datacenter,
                    CASSANDRA_RACK: 'rack1',
                    CASSANDRA_ENDPOINT_SNITCH: 'GossipingPropertyFileSnitch',
                    CASSANDRA_NUM_TOKENS: '16',
                    // The young generation is G1's to size: cassandra-env.sh wants HEAP_NEWSIZE only under CMS.
                    MAX_HEAP_SIZE: `${heap}M`,
                    ...(extraJvm ? { CASSANDRA_EXTRA_JVM_OPTS: extraJvm } : {}),
                  }),
                ],
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/cassandra' },
                  // cassandra-run writes cassandra.yaml and its neighbours here at each start.
                  { name: 'conf', mountPath: '/conf' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                resources: toKubeResources(resources),
                securityContext: containerSecurity(),
                // Alive: the node gossips. Ready: it has joined the ring and serves CQL.
                startupProbe: tcp(GOSSIP_PORT, 10, { failureThreshold: 60 }),
                readinessProbe: tcp(CQL_PORT, 10),
                livenessProbe: tcp(GOSSIP_PORT, 20, { failureThreshold: 6 }),
                lifecycle: { preStop: { exec: { command: ['nodetool', 'drain'] } } },
              },
            ],
            volumes: [scratchVolume('conf', 1), scratchVolume('tmp', 128)],
          },
        },
        volumeClaimTemplates: [dataClaim(storageGi, props.storageClassName)],
      },
    });

    new PodDisruptionBudget(this, 'Pdb', this.name, { selector, labels, maxUnavailable: 1 });
  }

  /** `CASSANDRA_CONTACT_POINTS` for clients: every node, `host:port` by stable pod DNS name. */
  get contactPoints(): string[] {
    return Array.from({ length: this.replicas }, (_, i) => `${this.name}-${i}.${this.headlessServiceName}:${CQL_PORT}`);
  }

  /** `CASSANDRA_REPLICATION_FACTOR` for the server: NetworkTopologyStrategy in this data center. */
  get replicationSetting(): string {
    return `${this.datacenter}:${this.keyspaceReplication}`;
  }
}
