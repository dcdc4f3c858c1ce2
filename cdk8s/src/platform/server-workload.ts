import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toContainerResources } from '../common/resources.js';
import { check, checkImage, checkInt, checkName } from '../common/validate.js';
import { HARDENED_CONTAINER, PodDisruptionBudget, addEphemeralStorage, hardenPodTemplate, selectByLabels } from '../common/workload.js';
import { RUN_AS, spreadOverNodes } from '../common/kube.js';
import { imageOf } from '../images.js';

/** The roles of chat4all-server that run as Deployments. */
export type ServerRole = 'api' | 'worker' | 'gateway';

/** Ports of chat4all-server (the defaults of API_PORT, WEBSOCKET_PORT and METRICS_PORT). */
export const SERVER_PORTS = { api: 8080, websocket: 8085, metrics: 9095 } as const;

/**
 * Where a role serves /healthz, /readyz and /metrics: the metrics port, for every role, apart from
 * the ports clients use (so the NetworkPolicies can admit Prometheus there and no one else).
 */
export function healthPortOf(_role: ServerRole): number {
  return SERVER_PORTS.metrics;
}

/** A key of a Secret, for environment variables that must not be literals. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

export const DEFAULT_SERVER_RESOURCES: Record<ServerRole, ResourceSpec> = {
  api: { cpuMillis: { request: 250, limit: 1000 }, memoryMiB: { request: 256, limit: 512 } },
  worker: { cpuMillis: { request: 250, limit: 1000 }, memoryMiB: { request: 256, limit: 512 } },
  gateway: { cpuMillis: { request: 250, limit: 1000 }, memoryMiB: { request: 256, limit: 768 } },
};

export interface ServerWorkloadProps {
  /** The role the pods run (`ROLE`). */
  readonly role: ServerRole;
  /** Name of the Deployment, its Service and PodDisruptionBudget. @default `chat4all-<role>` */
  readonly name?: string;
  /** The chat4all-server image. @default SERVER_IMAGE of images/catalog.env */
  readonly image?: string;
  /** @default IfNotPresent (images loaded into kind are not in any registry) */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Pods to run. `'external'` leaves `spec.replicas` out of the manifest: whoever scales the
   * Deployment (the Chat4All operator, an autoscaler) owns the count and `kubectl apply` never resets it.
   * @default 2
   */
  readonly replicas?: number | 'external';
  /** Environment shared by the roles: backends, logging, limits (plain values). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Environment read from Secret keys (credentials), never written as literals. @default {} */
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** The Secret key holding JWT_SECRET. Required for `api` and `gateway`; the worker signs nothing. */
  readonly jwtSecret?: SecretKeyRef;
  /** CPU and memory. @default DEFAULT_SERVER_RESOURCES[role] */
  readonly resources?: ResourceSpec;
  /** Gateway: seconds over which SIGTERM closes connections with 1012 (`DRAIN_SECONDS`). @default 10 */
  readonly drainSeconds?: number;
  /** Seconds preStop sleeps before SIGTERM, so endpoints and the ingress stop routing to the pod first. @default 5 */
  readonly preStopSeconds?: number;
  /**
   * Seconds between the delete and SIGKILL; must exceed preStopSeconds + drainSeconds.
   * @default preStopSeconds + drainSeconds + 15 (gateway), preStopSeconds + 25 (api, worker)
   */
  readonly terminationGracePeriodSeconds?: number;
  /** Pods of this workload that voluntary disruptions may take down at once. @default 1 */
  readonly maxUnavailable?: number;
  /** UID and GID the process runs as. @default RUN_AS (10001, the image's user) */
  readonly runAsUser?: number;
}

/**
 * One role of chat4all-server: a hardened Deployment (non-root, read-only root filesystem, no
 * capabilities), probes on /healthz and /readyz, resource requests and limits, a Service, a
 * PodDisruptionBudget, and pod annotations that let Prometheus scrape /metrics.
 */
export class ServerWorkload extends Construct {
  readonly name: string;
  readonly role: ServerRole;
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: ServerWorkloadProps) {
    super(scope, id);
    const role = props.role;
    this.role = role;
    this.name = checkName(this, 'name', props.name ?? `chat4all-${role}`);
    const image = checkImage(this, 'image', props.image ?? imageOf('SERVER_IMAGE'));
    const replicas = props.replicas ?? 2;
    if (replicas !== 'external') checkInt(this, 'replicas', replicas, 0, 1000);
    const resources = checkResources(this, 'resources', props.resources ?? DEFAULT_SERVER_RESOURCES[role]);
    const drainSeconds = checkInt(this, 'drainSeconds', props.drainSeconds ?? 10, 0, 600);
    const preStopSeconds = checkInt(this, 'preStopSeconds', props.preStopSeconds ?? 5, 0, 120);
    const busySeconds = preStopSeconds + (role === 'gateway' ? drainSeconds : 0);
    const grace = checkInt(this, 'terminationGracePeriodSeconds', props.terminationGracePeriodSeconds ?? busySeconds + (role === 'gateway' ? 15 : 25), 1, 3600);
    check(this, grace > busySeconds, 'terminationGracePeriodSeconds', `must exceed preStopSeconds${role === 'gateway' ? ' + drainSeconds' : ''} (${busySeconds}), got ${grace}`);
    check(this, role === 'worker' || props.jwtSecret !== undefined, 'jwtSecret', `is required for the ${role}: the api and the gateways share the JWT key`);
    const uid = checkInt(this, 'runAsUser', props.runAsUser ?? RUN_AS, 1, 2 ** 31 - 1);
    const maxUnavailable = checkInt(this, 'maxUnavailable', props.maxUnavailable ?? 1, 1, 1000);

    const labels = componentLabels(this.name, role);
    this.selector = selectorLabels(this.name);
    const healthPort = healthPortOf(role);

    const env: Record<string, kplus.EnvValue> = {};
    for (const [k, v] of Object.entries(props.env ?? {})) env[k] = kplus.EnvValue.fromValue(v);
    env.ROLE = kplus.EnvValue.fromValue(role);
    // Every interface of the pod (the server's own default is loopback for a laptop).
    env.HOST = kplus.EnvValue.fromValue('0.0.0.0');
    env.LOG_FORMAT = kplus.EnvValue.fromValue('json');
    if (role === 'api') env.API_PORT = kplus.EnvValue.fromValue(String(SERVER_PORTS.api));
    if (role === 'gateway') {
      env.WEBSOCKET_PORT = kplus.EnvValue.fromValue(String(SERVER_PORTS.websocket));
      env.DRAIN_SECONDS = kplus.EnvValue.fromValue(String(drainSeconds));
    }
    env.METRICS_PORT = kplus.EnvValue.fromValue(String(SERVER_PORTS.metrics));
    if (props.jwtSecret && role !== 'worker') {
      const secret = kplus.Secret.fromSecretName(this, 'JwtSecret', props.jwtSecret.name);
      env.JWT_SECRET = kplus.EnvValue.fromSecretValue({ secret, key: props.jwtSecret.key });
    }
    const secrets = new Map<string, kplus.ISecret>();
    for (const [k, ref] of Object.entries(props.secretEnv ?? {})) {
      if (!secrets.has(ref.name)) secrets.set(ref.name, kplus.Secret.fromSecretName(this, `Secret-${ref.name}`, ref.name));
      env[k] = kplus.EnvValue.fromSecretValue({ secret: secrets.get(ref.name)!, key: ref.key });
    }

    const ports: kplus.ContainerPort[] = [];
    if (role === 'api') ports.push({ number: SERVER_PORTS.api, name: 'http' });
    if (role === 'gateway') ports.push({ number: SERVER_PORTS.websocket, name: 'websocket' });
    ports.push({ number: SERVER_PORTS.metrics, name: 'metrics' });

    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels },
      select: false,
      ...(replicas === 'external' ? {} : { replicas }),
      podMetadata: {
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(healthPort), 'prometheus.io/path': '/metrics' },
      },
      securityContext: { ensureNonRoot: true, user: uid, group: uid, fsGroup: uid },
      terminationGracePeriod: Duration.seconds(grace),
      automountServiceAccountToken: false,
      volumes: [tmp],
      containers: [
        {
          name: 'server',
          image,
          imagePullPolicy: props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports,
          envVariables: env,
          volumeMounts: [{ path: '/tmp', volume: tmp }],
          resources: toContainerResources(resources),
          securityContext: { ...HARDENED_CONTAINER, user: uid, group: uid },
          startup: kplus.Probe.fromHttpGet('/healthz', { port: healthPort, periodSeconds: Duration.seconds(2), failureThreshold: 30 }),
          liveness: kplus.Probe.fromHttpGet('/healthz', { port: healthPort, periodSeconds: Duration.seconds(10), failureThreshold: 3, timeoutSeconds: Duration.seconds(2) }),
          readiness: kplus.Probe.fromHttpGet('/readyz', { port: healthPort, periodSeconds: Duration.seconds(5), failureThreshold: 2, timeoutSeconds: Duration.seconds(2) }),
          // The image has node and no shell: node waits.
          ...(preStopSeconds > 0 ? { lifecycle: { preStop: kplus.Handler.fromCommand(['node', '-e', `setTimeout(() => {}, ${preStopSeconds * 1000})`]) } } : {}),
        },
      ],
    });
    selectByLabels(this.deployment, this.selector, labels);
    hardenPodTemplate(this.deployment);
    addEphemeralStorage(this.deployment, 0, resources);
    const obj = ApiObject.of(this.deployment);
    obj.addJsonPatch(JsonPatch.add('/spec/template/spec/enableServiceLinks', false));
    obj.addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', spreadOverNodes(this.selector)));
    // Someone else owns the count: cdk8s-plus then leaves spec.replicas out.
    if (replicas === 'external') this.deployment.markHasAutoscaler();

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, labels },
      ports: ports.map((p) => ({ name: p.name, port: p.number, targetPort: p.number })),
    });
    for (const [k, v] of Object.entries(this.selector)) this.service.selectLabel(k, v);

    new PodDisruptionBudget(this, 'Pdb', this.name, { selector: this.selector, labels, maxUnavailable });
  }
}
