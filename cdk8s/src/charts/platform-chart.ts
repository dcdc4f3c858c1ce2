import { Chart, type ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { ResourceSpec } from '../common/resources.js';
import { check, checkInt } from '../common/validate.js';
import { Chat4AllIngress, type Chat4AllIngressProps } from '../platform/chat4all-ingress.js';
import { type SecretKeyRef, type ServerRole, ServerWorkload } from '../platform/server-workload.js';
import type { BackendEndpoints } from './infrastructure-chart.js';

export interface ApiAutoscalingProps {
  /** @default 2 */
  readonly minReplicas?: number;
  /** @default 10 */
  readonly maxReplicas?: number;
  /** Average CPU use, percent of the request, the autoscaler aims at. @default 70 */
  readonly targetCpuUtilization?: number;
}

export interface PlatformChartProps extends ChartProps {
  /** Where Kafka, Cassandra, Redis and the object store are (InfrastructureChart.endpoints). */
  readonly backends: BackendEndpoints;
  /** The Secret key holding JWT_SECRET (SecretsChart.jwt). */
  readonly jwtSecret: SecretKeyRef;
  /** The chat4all-server image, every role. @default 'chat4all-server:dev' */
  readonly image?: string;
  /** @default IfNotPresent */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /** Worker pods; more than the topics' partitions would idle. @default 2 */
  readonly workerReplicas?: number;
  /** The api's HorizontalPodAutoscaler. @default 2 to 10 pods at 70% CPU */
  readonly apiAutoscaling?: ApiAutoscalingProps;
  /** Gateway drain window on SIGTERM, seconds (`DRAIN_SECONDS`). @default 10 */
  readonly gatewayDrainSeconds?: number;
  /** Partitions of the messages and receipts topics (`KAFKA_PARTITIONS`). @default 12 */
  readonly kafkaPartitions?: number;
  /** @default 'info' */
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** CPU and memory per role. @default DEFAULT_SERVER_RESOURCES */
  readonly resources?: Partial<Record<ServerRole, ResourceSpec>>;
  /** Host, TLS and affinity of the ingress. @default Chat4AllIngress defaults */
  readonly ingress?: Omit<Chat4AllIngressProps, 'api' | 'gateway'>;
}

/**
 * chat4all-server's three roles: the api (autoscaled on CPU), the worker, and the gateway, whose
 * replica count belongs to the Chat4All operator (the Deployment has no `replicas` field, so a
 * re-apply never resets it); their Services and PodDisruptionBudgets; and the ingress.
 */
export class PlatformChart extends Chart {
  readonly api: ServerWorkload;
  readonly worker: ServerWorkload;
  readonly gateway: ServerWorkload;
  readonly ingress: Chat4AllIngress;
  readonly apiAutoscaler: kplus.HorizontalPodAutoscaler;

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, props);
    const minReplicas = checkInt(this, 'apiAutoscaling.minReplicas', props.apiAutoscaling?.minReplicas ?? 2, 1, 1000);
    const maxReplicas = checkInt(this, 'apiAutoscaling.maxReplicas', props.apiAutoscaling?.maxReplicas ?? 10, 1, 1000);
    check(this, minReplicas <= maxReplicas, 'apiAutoscaling', `minReplicas (${minReplicas}) must not exceed maxReplicas (${maxReplicas})`);
    const cpu = checkInt(this, 'apiAutoscaling.targetCpuUtilization', props.apiAutoscaling?.targetCpuUtilization ?? 70, 1, 100);
    const partitions = checkInt(this, 'kafkaPartitions', props.kafkaPartitions ?? 12, 1, 10_000);

    const env = { ...props.backends.env, KAFKA_PARTITIONS: String(partitions), LOG_LEVEL: props.logLevel ?? 'info' };
    const common = {
      env,
      ...(props.image ? { image: props.image } : {}),
      ...(props.imagePullPolicy ? { imagePullPolicy: props.imagePullPolicy } : {}),
    };
    const resources = (role: ServerRole) => (props.resources?.[role] ? { resources: props.resources[role] } : {});

    // Clients reach the api through the ingress: one proxy whose X-Forwarded-For names the client
    // (failed logins are throttled by client address).
    // Only the api talks to the object store (it carries attachments' bytes both ways).
    const objectStore = props.backends.objectStore;
    this.api = new ServerWorkload(this, 'Api', {
      ...common,
      env: { ...env, TRUST_PROXY_HOPS: '1', ...objectStore.env },
      secretEnv: objectStore.secretEnv,
      ...resources('api'),
      role: 'api',
      replicas: 'external',
      jwtSecret: props.jwtSecret,
    });
    this.worker = new ServerWorkload(this, 'Worker', { ...common, ...resources('worker'), role: 'worker', replicas: props.workerReplicas ?? 2 });
    this.gateway = new ServerWorkload(this, 'Gateway', {
      ...common,
      ...resources('gateway'),
      role: 'gateway',
      replicas: 'external',
      jwtSecret: props.jwtSecret,
      ...(props.gatewayDrainSeconds !== undefined ? { drainSeconds: props.gatewayDrainSeconds } : {}),
    });

    this.apiAutoscaler = new kplus.HorizontalPodAutoscaler(this, 'ApiAutoscaler', {
      metadata: { name: this.api.name, labels: { ...this.api.selector, 'app.kubernetes.io/component': 'api', 'app.kubernetes.io/part-of': 'chat4all' } },
      target: this.api.deployment,
      minReplicas,
      maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(cpu))],
      scaleDown: { stabilizationWindow: Duration.minutes(5) },
    });

    this.ingress = new Chat4AllIngress(this, 'Ingress', { ...props.ingress, api: this.api.service, gateway: this.gateway.service });
  }
}
