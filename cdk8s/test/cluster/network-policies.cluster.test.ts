/**
 * The NetworkPolicies as the cluster's CNI (kube-router) enforces them: every flow of the
 * architecture (the very table the policies are made from) opens, and traffic outside it is
 * refused. Probes run inside the pods: `node` in Chat4All's images, bash in the Debian-based ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App } from 'cdk8s';
import { waitFor } from '@chat4all/core/testing';
import { addChat4All } from '../../src/app.js';
import { OBJECT_STORE_PORT } from '../../src/infrastructure/object-store.js';
import { type Flow, isComponent } from '../../src/network/flows.js';
import { profile } from '../../src/profiles.js';
import { NAMESPACE, type PodInfo, canConnect, kubectl, podsOf, portForward } from './support.js';

const charts = addChat4All(new App(), profile(process.env.PROFILE ?? 'kind'));
const FLOWS: readonly Flow[] = charts.network.flows;
const OUTSIDER_NS = `${NAMESPACE}-outsider`;
const SERVER_IMAGE = charts.platform.api.deployment.containers[0]!.image;

/** How to run a probe in a component's pods: its container and the tool its image has. */
function prober(component: string): { container?: string; shell: 'node' | 'bash' } | undefined {
  if ([charts.platform.api.name, charts.platform.worker.name, charts.platform.gateway.name, charts.operator.operator.name].includes(component)) return { shell: 'node' };
  if (component === charts.infrastructure.redis.name) return { container: 'redis', shell: 'bash' };
  if ([charts.infrastructure.kafka.name, charts.infrastructure.cassandra.name].includes(component)) return { shell: 'bash' };
  return undefined; // Prometheus' image has no shell: its flows are proven by its targets.
}

function firstReady(component: string): PodInfo {
  const pod = podsOf(component).find((p) => p.ready && !p.deletionTimestamp);
  assert.ok(pod, `a Ready pod of ${component}`);
  return pod;
}

describe('NetworkPolicies enforced by the cluster', { timeout: 900_000 }, () => {
  before(async () => {
    kubectl(['create', 'namespace', OUTSIDER_NS], { allowFail: true });
    kubectl(['-n', OUTSIDER_NS, 'run', 'outsider', `--image=${SERVER_IMAGE}`, '--image-pull-policy=IfNotPresent', '--restart=Never', '--command', '--', 'node', '-e', 'setInterval(() => {}, 1 << 30)']);
    kubectl(['-n', OUTSIDER_NS, 'wait', '--for=condition=Ready', 'pod/outsider', '--timeout=120s']);
  });

  after(() => {
    kubectl(['delete', 'namespace', OUTSIDER_NS, '--wait=false'], { allowFail: true });
  });

  it('opens every flow of the architecture', () => {
    const failed: string[] = [];
    let probed = 0;
    for (const flow of FLOWS) {
      if (!isComponent(flow.from)) continue;
      const tool = prober(flow.from.component);
      if (!tool) continue;
      const from = firstReady(flow.from.component);
      for (const port of flow.ports) {
        if (port.protocol === 'UDP') continue;
        let host: string;
        if (isComponent(flow.to)) host = firstReady(flow.to.component).ip;
        else if ('dns' in flow.to) host = 'kube-dns.kube-system.svc.cluster.local';
        else if ('apiServer' in flow.to) {
          if (port.port !== 443) continue; // the Service's port; kube-proxy takes it to 6443
          host = 'kubernetes.default.svc.cluster.local';
        } else continue;
        probed++;
        if (!canConnect({ name: from.name, ...tool }, host, port.port)) failed.push(`${flow.from.component} -> ${host}:${port.port} (${flow.why})`);
      }
    }
    assert.ok(probed >= 25, `only ${probed} flows probed`);
    assert.deepEqual(failed, []);
  });

  it('lets Prometheus scrape every role and the operator', async () => {
    const prometheus = await portForward(charts.observability.prometheus.name, 9090);
    try {
      const targets = await waitFor(async () => {
        const r = await fetch(`${prometheus.url}/api/v1/targets`).then((res) => res.json() as Promise<any>).catch(() => undefined);
        const active = (r?.data?.activeTargets ?? []) as { labels: Record<string, string>; health: string }[];
        const up = new Set(active.filter((t) => t.health === 'up').map((t) => t.labels.role));
        return ['api', 'worker', 'gateway', 'operator'].every((role) => up.has(role)) ? active : undefined;
      }, 'Prometheus targets up for every role', 120_000, 5000);
      assert.ok(targets.length >= 5);
    } finally {
      prometheus.close();
    }
  });

  it('refuses a pod of another namespace to Cassandra, Kafka and Redis', () => {
    const outsider = { namespace: OUTSIDER_NS, name: 'outsider', shell: 'node' as const };
    assert.equal(canConnect(outsider, firstReady(charts.infrastructure.cassandra.name).ip, 9042), false, 'outsider -> cassandra:9042');
    assert.equal(canConnect(outsider, firstReady(charts.infrastructure.kafka.name).ip, 9092), false, 'outsider -> kafka:9092');
    assert.equal(canConnect(outsider, firstReady(charts.infrastructure.redis.name).ip, 6379), false, 'outsider -> redis:6379');
  });

  it("refuses the gateway to Kafka's controller port while its client port opens", () => {
    const gateway = { name: firstReady(charts.platform.gateway.name).name, shell: 'node' as const };
    const kafka = firstReady(charts.infrastructure.kafka.name).ip;
    assert.equal(canConnect(gateway, kafka, 9092), true, 'gateway -> kafka:9092');
    assert.equal(canConnect(gateway, kafka, 9093), false, 'gateway -> kafka:9093');
  });

  it("refuses everyone but Prometheus to the api's metrics port", () => {
    const api = firstReady(charts.platform.api.name).ip;
    const from = [
      { name: firstReady(charts.platform.gateway.name).name, shell: 'node' as const },
      { name: firstReady(charts.platform.worker.name).name, shell: 'node' as const },
      { name: firstReady(charts.operator.operator.name).name, shell: 'node' as const },
      { namespace: OUTSIDER_NS, name: 'outsider', shell: 'node' as const },
    ];
    for (const f of from) assert.equal(canConnect(f, api, 9095), false, `${f.name} -> api:9095`);
  });

  it('admits the api to the object store and refuses everyone else', () => {
    const store = charts.infrastructure.objectStore;
    const ip = firstReady(store.name).ip;
    const api = { name: firstReady(charts.platform.api.name).name, shell: 'node' as const };
    assert.equal(canConnect(api, ip, OBJECT_STORE_PORT), true, 'api -> objectstore');
    const from = [
      { name: firstReady(charts.platform.gateway.name).name, shell: 'node' as const },
      { name: firstReady(charts.platform.worker.name).name, shell: 'node' as const },
      { name: firstReady(charts.operator.operator.name).name, shell: 'node' as const },
      { name: firstReady(charts.infrastructure.kafka.name).name, shell: 'bash' as const },
      { namespace: OUTSIDER_NS, name: 'outsider', shell: 'node' as const },
    ];
    for (const f of from) assert.equal(canConnect(f, ip, OBJECT_STORE_PORT), false, `${f.name} -> objectstore:${OBJECT_STORE_PORT}`);
  });

  it('refuses what no flow names: the api to the API server, Kafka to Cassandra', () => {
    const api = { name: firstReady(charts.platform.api.name).name, shell: 'node' as const };
    assert.equal(canConnect(api, 'kubernetes.default.svc.cluster.local', 443), false, 'api -> API server');
    const kafka = { name: firstReady(charts.infrastructure.kafka.name).name, shell: 'bash' as const };
    assert.equal(canConnect(kafka, firstReady(charts.infrastructure.cassandra.name).ip, 9042), false, 'kafka -> cassandra:9042');
  });
});
