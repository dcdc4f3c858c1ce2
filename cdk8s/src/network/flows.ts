/**
 * The traffic Chat4All's architecture needs, as one table: every NetworkPolicy is derived from it
 * (network-policies.ts), and the cluster tests prove each flow works and that traffic outside it
 * is refused. A flow names who talks, to whom, on which ports, and why.
 */

/** Pods of the platform's namespace, by their `app.kubernetes.io/name` label. */
export interface ComponentPeer {
  /** The part of the architecture (`api`, `kafka`, ...): stable whatever the objects are named. */
  readonly part: Part;
  /** Its pods' `app.kubernetes.io/name`. */
  readonly component: string;
}

/** Pods of another namespace (the ingress controller). */
export interface ExternalPodsPeer {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The cluster's DNS (kube-system, `k8s-app: kube-dns`). */
export interface DnsPeer {
  readonly dns: true;
}

/**
 * The Kubernetes API server. Its address is the control plane's, different on every cluster, so
 * this peer is any address on the API server's ports (443 for the `kubernetes` Service, 6443 once
 * kube-proxy has translated it to the control plane's).
 */
export interface ApiServerPeer {
  readonly apiServer: true;
}

export type Peer = ComponentPeer | ExternalPodsPeer | DnsPeer | ApiServerPeer;

export interface Port {
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}

export interface Flow {
  readonly from: ComponentPeer | ExternalPodsPeer;
  readonly to: Peer;
  readonly ports: readonly Port[];
  /** What the flow carries, for the reader of the policy and of the tests. */
  readonly why: string;
}

export const DNS_PORTS: readonly Port[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];
export const API_SERVER_PORTS: readonly Port[] = [{ port: 443 }, { port: 6443 }];

export function isComponent(p: Peer): p is ComponentPeer {
  return 'component' in p;
}

export function isExternalPods(p: Peer): p is ExternalPodsPeer {
  return 'namespace' in p;
}

/** The parts of the platform that have pods in its namespace. */
export type Part = 'api' | 'worker' | 'gateway' | 'kafka' | 'cassandra' | 'redis' | 'objectStore' | 'prometheus' | 'operator' | 'grafana';

/** What the flow table needs to know of the platform: names and ports of its parts. */
export interface Architecture {
  readonly ingressController: ExternalPodsPeer;
  readonly api: string;
  readonly worker: string;
  readonly gateway: string;
  readonly kafka: string;
  readonly cassandra: string;
  readonly redis: string;
  readonly prometheus: string;
  readonly operator: string;
  /** Absent when Grafana is turned off. */
  readonly grafana?: string;
  /** The attachments' object store. */
  readonly objectStore: string;
  readonly ports: {
    readonly api: number;
    readonly websocket: number;
    readonly metrics: number;
    readonly kafka: number;
    readonly kafkaController: number;
    readonly cql: number;
    readonly gossip: number;
    readonly redis: number;
    readonly sentinel: number;
    readonly prometheus: number;
    readonly operatorMetrics: number;
    readonly objectStore: number;
  };
}

/** Every flow of the architecture. */
export function flowsOf(a: Architecture): Flow[] {
  const c = (part: Part): ComponentPeer => ({ part, component: a[part]! });
  const p = a.ports;
  const roles: Part[] = ['api', 'worker', 'gateway'];
  const flows: Flow[] = [
    { from: a.ingressController, to: c('api'), ports: [{ port: p.api }], why: 'clients\u2019 HTTP requests through the ingress' },
    { from: a.ingressController, to: c('gateway'), ports: [{ port: p.websocket }], why: 'clients\u2019 WebSockets through the ingress' },
    ...roles.flatMap((role): Flow[] => [
      { from: c(role), to: c('kafka'), ports: [{ port: p.kafka }], why: 'messages and receipts (Kafka clients)' },
      { from: c(role), to: c('cassandra'), ports: [{ port: p.cql }], why: 'users, conversations, messages (CQL)' },
      { from: c(role), to: c('redis'), ports: [{ port: p.redis }, { port: p.sentinel }], why: 'pub/sub, event history, presence; Sentinel for the master' },
    ]),
    { from: c('kafka'), to: c('kafka'), ports: [{ port: p.kafka }, { port: p.kafkaController }], why: 'replication and the KRaft quorum' },
    { from: c('cassandra'), to: c('cassandra'), ports: [{ port: p.gossip }], why: 'gossip, streaming and replica writes' },
    { from: c('redis'), to: c('redis'), ports: [{ port: p.redis }, { port: p.sentinel }], why: 'replication and Sentinel agreement' },
    // The object store serves the api alone; it exports no metrics Prometheus reads and resolves no names.
    { from: c('api'), to: c('objectStore'), ports: [{ port: p.objectStore }], why: 'attachments\u2019 bytes (S3)' },
    ...roles.map((role): Flow => ({ from: c('prometheus'), to: c(role), ports: [{ port: p.metrics }], why: 'metrics scrapes' })),
    { from: c('prometheus'), to: c('operator'), ports: [{ port: p.operatorMetrics }], why: 'metrics scrapes' },
    { from: c('prometheus'), to: { apiServer: true }, ports: API_SERVER_PORTS, why: 'discovery of the pods to scrape' },
    { from: c('operator'), to: { apiServer: true }, ports: API_SERVER_PORTS, why: 'Chat4All resources, Deployments, pods, the leader Lease' },
    { from: c('operator'), to: c('gateway'), ports: [{ port: p.metrics }], why: 'each gateway\u2019s live connection count' },
  ];
  if (a.grafana) flows.push({ from: c('grafana'), to: c('prometheus'), ports: [{ port: p.prometheus }], why: 'dashboard queries' });
  const everyone: Part[] = [...roles, 'kafka', 'cassandra', 'redis', 'prometheus', 'operator', ...(a.grafana ? (['grafana'] as const) : [])];
  for (const part of everyone) flows.push({ from: c(part), to: { dns: true }, ports: DNS_PORTS, why: 'name resolution' });
  return flows;
}
