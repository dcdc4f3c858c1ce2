import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RUN_AS, spreadOverNodes } from '../common/kube.js';
import { imageOf } from '../images.js';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toContainerResources } from '../common/resources.js';
import { checkImage, checkInt, checkName } from '../common/validate.js';
import { HARDENED_CONTAINER, PodDisruptionBudget, addEphemeralStorage, hardenPodTemplate, selectByLabels } from '../common/workload.js';
import { CHAT4ALL_GROUP, CHAT4ALL_PLURAL } from './chat4all-crd.js';

/** Port of the operator's /metrics, /healthz and /readyz. */
export const OPERATOR_METRICS_PORT = 9095;

export interface Chat4AllOperatorProps {
  /** Name of its Deployment, ServiceAccount, Role and RoleBinding. @default 'chat4all-operator' */
  readonly name?: string;
  /** The operator's image (operator/Dockerfile). @default OPERATOR_IMAGE of images/catalog.env */
  readonly image?: string;
  /** @default IfNotPresent */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /** Pods; one leads (a Lease), the others wait to take over. @default 2 */
  readonly replicas?: number;
  /** @default 50m-500m CPU, 96-256 MiB */
  readonly resources?: ResourceSpec;
  /** UID the process runs as. @default RUN_AS (10001, the image's user) */
  readonly runAsUser?: number;
}

/** The verbs the operator needs on each resource of its namespace, and nothing else. */
export const OPERATOR_RULES: ReadonlyArray<{ readonly apiGroups: readonly string[]; readonly resources: readonly string[]; readonly verbs: readonly string[] }> = [
  { apiGroups: [CHAT4ALL_GROUP], resources: [CHAT4ALL_PLURAL], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [CHAT4ALL_GROUP], resources: [`${CHAT4ALL_PLURAL}/status`], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update'] },
  // Pods: read the gateways' metrics endpoints; patch controller.kubernetes.io/pod-deletion-cost.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * The Chat4All operator: a ServiceAccount bound to a namespaced Role with exactly the rules it
 * needs (OPERATOR_RULES), and a Deployment of two hardened pods that elect a leader on a Lease.
 * It watches Chat4All resources of its own namespace (WATCH_NAMESPACE).
 */
export class Chat4AllOperator extends Construct {
  readonly name: string;
  readonly deployment: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: Chat4AllOperatorProps = {}) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-operator');
    const image = checkImage(this, 'image', props.image ?? imageOf('OPERATOR_IMAGE'));
    const replicas = checkInt(this, 'replicas', props.replicas ?? 2, 1, 10);
    const resources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 50, limit: 500 }, memoryMiB: { request: 96, limit: 256 } });
    const uid = checkInt(this, 'runAsUser', props.runAsUser ?? RUN_AS, 1, 2 ** 31 - 1);
    const labels = componentLabels(this.name, 'operator');
    const selector = selectorLabels(this.name);

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name: this.name, labels }, automountToken: true });
    const role = new kplus.k8s.KubeRole(this, 'Role', {
      metadata: { name: this.name, labels },
      rules: OPERATOR_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
    });
    new kplus.k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name: this.name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name }],
    });

    const field = (path: kplus.EnvFieldPaths) => kplus.EnvValue.fromFieldRef(path);
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels },
      select: false,
      replicas,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: true,
      podMetadata: { annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(OPERATOR_METRICS_PORT), 'prometheus.io/path': '/metrics' } },
      securityContext: { ensureNonRoot: true, user: uid, group: uid, fsGroup: uid },
      containers: [
        {
          name: 'operator',
          image,
          imagePullPolicy: props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ number: OPERATOR_METRICS_PORT, name: 'metrics' }],
          envVariables: {
            POD_NAME: field(kplus.EnvFieldPaths.POD_NAME),
            POD_NAMESPACE: field(kplus.EnvFieldPaths.POD_NAMESPACE),
            WATCH_NAMESPACE: field(kplus.EnvFieldPaths.POD_NAMESPACE),
            LEASE_NAME: kplus.EnvValue.fromValue(this.name),
            METRICS_PORT: kplus.EnvValue.fromValue(String(OPERATOR_METRICS_PORT)),
            LOG_FORMAT: kplus.EnvValue.fromValue('json'),
          },
          resources: toContainerResources(resources),
          securityContext: { ...HARDENED_CONTAINER, user: uid, group: uid },
          liveness: kplus.Probe.fromHttpGet('/healthz', { port: OPERATOR_METRICS_PORT, periodSeconds: Duration.seconds(10) }),
          readiness: kplus.Probe.fromHttpGet('/readyz', { port: OPERATOR_METRICS_PORT, periodSeconds: Duration.seconds(5) }),
        },
      ],
    });
    selectByLabels(this.deployment, selector, labels);
    hardenPodTemplate(this.deployment);
    addEphemeralStorage(this.deployment, 0, resources);
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', spreadOverNodes(selector)));
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/enableServiceLinks', false));

    new PodDisruptionBudget(this, 'Pdb', this.name, { selector, labels, maxUnavailable: 1 });
  }
}
