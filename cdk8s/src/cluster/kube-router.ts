import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkImage, checkInt } from '../common/validate.js';

export interface KubeRouterProps {
  /** kube-router's image (built here by scripts/cluster/images.sh). */
  readonly image: string;
  /** Namespace of the DaemonSet. @default 'kube-system' */
  readonly namespace?: string;
  /** Port of its /healthz (host network). @default 20244 */
  readonly healthPort?: number;
}

/** The CNI configuration kube-router completes with each node's pod CIDR (bridge, host ports). */
export const KUBE_ROUTER_CNI_CONF = {
  cniVersion: '0.3.0',
  name: 'kubernetes',
  plugins: [
    { name: 'kubernetes', type: 'bridge', bridge: 'kube-bridge', isDefaultGateway: true, hairpinMode: true, ipam: { type: 'host-local' } },
    { type: 'portmap', capabilities: { snat: true, portMappings: true } },
  ],
};

/**
 * The cluster's network: kube-router on every node, as the CNI (a bridge per node, routes to the
 * other nodes' pod CIDRs learnt over BGP) and as the NetworkPolicy enforcer (iptables and ipsets).
 * Services stay kube-proxy's. An init container writes the CNI configuration once per node.
 */
export class KubeRouter extends Construct {
  constructor(scope: Construct, id: string, props: KubeRouterProps) {
    super(scope, id);
    const image = checkImage(this, 'image', props.image);
    const namespace = props.namespace ?? 'kube-system';
    const healthPort = checkInt(this, 'healthPort', props.healthPort ?? 20244, 1024, 65_535);
    const name = 'kube-router';
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'cni' };

    new kplus.k8s.KubeServiceAccount(this, 'Account', { metadata: { name, namespace, labels } });
    new kplus.k8s.KubeClusterRole(this, 'Role', {
      metadata: { name, labels },
      rules: [
        { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
        { apiGroups: [''], resources: ['services/status'], verbs: ['update'] },
      ],
    });
    new kplus.k8s.KubeClusterRoleBinding(this, 'Binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    const config = new kplus.k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: `${name}-cfg`, namespace, labels },
      data: { 'cni-conf.json': JSON.stringify(KUBE_ROUTER_CNI_CONF, null, 2) },
    });
    const confFile = '/etc/cni/net.d/10-kuberouter.conflist';
    new kplus.k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-node-critical',
            serviceAccountName: name,
            hostNetwork: true,
            tolerations: [{ operator: 'Exists' }],
            initContainers: [
              {
                name: 'install-cni',
                image,
                command: ['/bin/sh', '-c', `[ -f ${confFile} ] || { cp /etc/kube-router/cni-conf.json ${confFile}.tmp && mv ${confFile}.tmp ${confFile}; }`],
                volumeMounts: [
                  { name: 'cni-conf-dir', mountPath: '/etc/cni/net.d' },
                  { name: 'kube-router-cfg', mountPath: '/etc/kube-router' },
                ],
              },
            ],
            containers: [
              {
                name,
                image,
                args: ['--run-router=true', '--run-firewall=true', '--run-service-proxy=false', '--bgp-graceful-restart=true', `--health-port=${healthPort}`, '--hairpin-mode=true'],
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'KUBE_ROUTER_CNI_CONF_FILE', value: confFile },
                ],
                livenessProbe: { httpGet: { path: '/healthz', port: kplus.k8s.IntOrString.fromNumber(healthPort) }, initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 6 },
                resources: {
                  requests: { cpu: kplus.k8s.Quantity.fromString('50m'), memory: kplus.k8s.Quantity.fromString('64Mi') },
                  limits: { memory: kplus.k8s.Quantity.fromString('256Mi') },
                },
                securityContext: { privileged: true },
                volumeMounts: [
                  { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
                  { name: 'cni-conf-dir', mountPath: '/etc/cni/net.d' },
                  { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
                ],
              },
            ],
            volumes: [
              { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
              { name: 'cni-conf-dir', hostPath: { path: '/etc/cni/net.d' } },
              { name: 'kube-router-cfg', configMap: { name: config.name } },
              { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            ],
          },
        },
      },
    });
  }
}
