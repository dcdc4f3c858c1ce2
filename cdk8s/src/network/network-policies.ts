import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PART_OF } from '../common/labels.js';
import { type Flow, type Part, type Peer, isComponent, isExternalPods } from './flows.js';

export interface NetworkPoliciesProps {
  /** Every flow of the architecture (flowsOf). */
  readonly flows: readonly Flow[];
}

const NAME_LABEL = 'app.kubernetes.io/name';

/** The L1 peer of a flow's end. */
function peerOf(p: Peer): kplus.k8s.NetworkPolicyPeer {
  if (isComponent(p)) return { podSelector: { matchLabels: { [NAME_LABEL]: p.component } } };
  if (isExternalPods(p)) {
    return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } }, podSelector: { matchLabels: { ...p.labels } } };
  }
  if ('dns' in p) return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
  return { ipBlock: { cidr: '0.0.0.0/0' } };
}

function portsOf(f: Flow): kplus.k8s.NetworkPolicyPort[] {
  return f.ports.map((p) => ({ port: kplus.k8s.IntOrString.fromNumber(p.port), protocol: p.protocol ?? 'TCP' }));
}

/**
 * Deny by default in the namespace, then allow exactly the flows: one NetworkPolicy per component
 * of the platform, its ingress rules the flows that reach it and its egress rules the flows it
 * starts. Each rule carries its reason in the policy's annotations, in rule order.
 */
export class NetworkPolicies extends Construct {
  readonly components: readonly string[];

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    new kplus.k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'chat4all-default-deny', labels: { [NAME_LABEL]: 'chat4all-default-deny', 'app.kubernetes.io/part-of': PART_OF } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    const parts = new Map<Part, string>();
    for (const f of props.flows) {
      if (isComponent(f.from)) parts.set(f.from.part, f.from.component);
      if (isComponent(f.to)) parts.set(f.to.part, f.to.component);
    }
    this.components = [...parts.values()].sort();
    for (const [part, component] of [...parts].sort(([a], [b]) => a.localeCompare(b))) {
      const incoming = props.flows.filter((f) => isComponent(f.to) && f.to.part === part);
      const outgoing = props.flows.filter((f) => isComponent(f.from) && f.from.part === part);
      new kplus.k8s.KubeNetworkPolicy(this, part, {
        metadata: {
          name: component,
          labels: { [NAME_LABEL]: component, 'app.kubernetes.io/part-of': PART_OF },
          annotations: {
            'chat4all.io/ingress-rules': incoming.map((f) => f.why).join('; '),
            'chat4all.io/egress-rules': outgoing.map((f) => f.why).join('; '),
          },
        },
        spec: {
          podSelector: { matchLabels: { [NAME_LABEL]: component } },
          policyTypes: ['Ingress', 'Egress'],
          // No rule for a direction: the key is left out (the policy type alone denies it all),
          // which reads the same in cdk8s's output and in the Helm chart's.
          ...(incoming.length > 0 ? { ingress: incoming.map((f) => ({ from: [peerOf(f.from)], ports: portsOf(f) })) } : {}),
          ...(outgoing.length > 0 ? { egress: outgoing.map((f) => ({ to: [peerOf(f.to)], ports: portsOf(f) })) } : {}),
        },
      });
    }
  }
}
