import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkImage, checkInt, checkName } from '../common/validate.js';

/** The IngressClass controller name Traefik's Kubernetes Ingress provider answers to. */
export const TRAEFIK_CONTROLLER = 'traefik.io/ingress-controller';

export interface TraefikProps {
  /** Traefik's image (built here by scripts/cluster/images.sh). */
  readonly image: string;
  /** @default 'traefik' */
  readonly namespace?: string;
  /** The IngressClass it serves. @default 'traefik' */
  readonly className?: string;
  /** Host ports of HTTP and HTTPS on the node labelled `ingress-ready=true`. @default 80 and 443 */
  readonly hostPorts?: { readonly http: number; readonly https: number };
  /**
   * How long a client connection may stay silent before Traefik closes it, seconds; WebSockets
   * included (the gateway pings every 15 s, so only dead clients come near it). @default 3600
   */
  readonly idleTimeoutSeconds?: number;
}

/**
 * Traefik as the cluster's ingress controller, in the kind layout: one pod on the control-plane
 * node (`ingress-ready=true`) whose host ports 80 and 443 kind maps to the machine's. HTTP
 * redirects to HTTPS; TLS comes from each Ingress's secret; Ingresses of its class are served
 * with the `traefik.ingress.kubernetes.io/*` annotations (Chat4AllIngress writes them).
 */
export class Traefik extends Construct {
  readonly namespace: string;
  readonly className: string;
  /** Labels of its pods (NetworkPolicies of the platform admit traffic from them). */
  readonly podLabels: Record<string, string>;

  constructor(scope: Construct, id: string, props: TraefikProps) {
    super(scope, id);
    const image = checkImage(this, 'image', props.image);
    this.namespace = checkName(this, 'namespace', props.namespace ?? 'traefik');
    this.className = checkName(this, 'className', props.className ?? 'traefik');
    const http = checkInt(this, 'hostPorts.http', props.hostPorts?.http ?? 80, 1, 65_535);
    const https = checkInt(this, 'hostPorts.https', props.hostPorts?.https ?? 443, 1, 65_535);
    const idle = checkInt(this, 'idleTimeoutSeconds', props.idleTimeoutSeconds ?? 3600, 10, 86_400);
    const name = 'traefik';
    const namespace = this.namespace;
    this.podLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'ingress-controller' };
    const labels = this.podLabels;

    new kplus.k8s.KubeNamespace(this, 'Namespace', { metadata: { name: namespace, labels: { 'app.kubernetes.io/name': name } } });
    new kplus.k8s.KubeServiceAccount(this, 'Account', { metadata: { name, namespace, labels }, automountServiceAccountToken: true });
    new kplus.k8s.KubeClusterRole(this, 'Role', {
      metadata: { name, labels },
      rules: [
        { apiGroups: [''], resources: ['services', 'secrets', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
      ],
    });
    new kplus.k8s.KubeClusterRoleBinding(this, 'Binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    new kplus.k8s.KubeIngressClass(this, 'Class', { metadata: { name: this.className, labels }, spec: { controller: TRAEFIK_CONTROLLER } });

    const timeouts = ['websecure', 'web'].flatMap((ep) => [
      // readTimeout bounds reading a request; it is also left on a connection Traefik hands to a
      // WebSocket, so it would end every WebSocket after it: off, and idleTimeout bounds silence.
      `--entryPoints.${ep}.transport.respondingTimeouts.readTimeout=0s`,
      `--entryPoints.${ep}.transport.respondingTimeouts.writeTimeout=0s`,
      `--entryPoints.${ep}.transport.respondingTimeouts.idleTimeout=${idle}s`,
    ]);
    const port = (n: number) => kplus.k8s.IntOrString.fromNumber(n);
    new kplus.k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            nodeSelector: { 'ingress-ready': 'true' },
            tolerations: [
              { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
            ],
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name,
                image,
                args: [
                  '--global.checkNewVersion=false',
                  '--global.sendAnonymousUsage=false',
                  '--log.level=INFO',
                  '--ping=true',
                  '--entryPoints.traefik.address=:8080',
                  '--entryPoints.web.address=:8000',
                  `--entryPoints.web.http.redirections.entryPoint.to=:${https}`,
                  '--entryPoints.web.http.redirections.entryPoint.scheme=https',
                  '--entryPoints.websecure.address=:8443',
                  '--entryPoints.websecure.http.tls=true',
                  ...timeouts,
                  '--providers.kubernetesIngress=true',
                  `--providers.kubernetesIngress.ingressClass=${this.className}`,
                  '--metrics.prometheus=true',
                  '--metrics.prometheus.entryPoint=traefik',
                ],
                ports: [
                  { name: 'web', containerPort: 8000, hostPort: http },
                  { name: 'websecure', containerPort: 8443, hostPort: https },
                  { name: 'traefik', containerPort: 8080 },
                ],
                readinessProbe: { httpGet: { path: '/ping', port: port(8080) }, periodSeconds: 5, failureThreshold: 2 },
                livenessProbe: { httpGet: { path: '/ping', port: port(8080) }, periodSeconds: 10, failureThreshold: 3 },
                resources: {
                  requests: { cpu: kplus.k8s.Quantity.fromString('50m'), memory: kplus.k8s.Quantity.fromString('64Mi'), 'ephemeral-storage': kplus.k8s.Quantity.fromString('16Mi') },
                  limits: { cpu: kplus.k8s.Quantity.fromString('1000m'), memory: kplus.k8s.Quantity.fromString('256Mi'), 'ephemeral-storage': kplus.k8s.Quantity.fromString('64Mi') },
                },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    });
  }
}
