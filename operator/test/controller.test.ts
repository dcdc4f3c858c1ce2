import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Chat4All, type Chat4AllStatus, type GatewayScalingSpec, POD_DELETION_COST } from '../src/chat4all.js';
import type { Cluster, GatewayDeployment, GatewayPod } from '../src/cluster.js';
import { Chat4AllController } from '../src/controller.js';
import type { PodSample } from '../src/decision.js';
import type { EventRecorder } from '../src/events.js';
import { createLogger } from '../src/logger.js';
import type { MetricsReader } from '../src/metrics-reader.js';
import { OperatorMetrics } from '../src/operator-metrics.js';
import type { LabelSelector } from '../src/selectors.js';

/** A cluster in memory that logs every write, in order. */
class FakeCluster implements Cluster {
  chat4all: Chat4All | undefined;
  deployment: GatewayDeployment | undefined = { name: 'gateway', replicas: 2, selector: { matchLabels: { app: 'gw' } } };
  pods: GatewayPod[] = [];
  readonly writes: string[] = [];
  failScale = false;

  async getChat4All(): Promise<Chat4All | undefined> {
    return this.chat4all && structuredClone(this.chat4all);
  }
  async getDeployment(_ns: string, name: string): Promise<GatewayDeployment | undefined> {
    return this.deployment?.name === name ? { ...this.deployment } : undefined;
  }
  async listPods(_ns: string, _selector: LabelSelector): Promise<GatewayPod[]> {
    return this.pods.map((p) => ({ ...p, annotations: { ...p.annotations } }));
  }
  async scaleDeployment(_ns: string, name: string, replicas: number): Promise<void> {
    if (this.failScale) throw new Error('the API server said no');
    this.writes.push(`scale ${name} ${replicas}`);
    this.deployment!.replicas = replicas;
  }
  async annotatePod(_ns: string, name: string, annotations: Record<string, string>): Promise<void> {
    this.writes.push(`annotate ${name} ${JSON.stringify(annotations)}`);
    Object.assign(this.pods.find((p) => p.name === name)!.annotations, annotations);
  }
  async patchStatus(_ns: string, _name: string, status: Chat4AllStatus): Promise<void> {
    this.writes.push('status');
    this.chat4all!.status = { ...this.chat4all!.status, ...status };
  }
}

function setup(gateway: Partial<GatewayScalingSpec> = {}) {
  const cluster = new FakeCluster();
  cluster.chat4all = {
    apiVersion: 'chat4all.io/v1alpha1',
    kind: 'Chat4All',
    metadata: { name: 'c', namespace: 'ns', generation: 1, uid: 'u1' },
    spec: { gateway: { deployment: 'gateway', minReplicas: 1, maxReplicas: 5, targetConnectionsPerPod: 100, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } }, ...gateway } },
  };
  const connections = new Map<string, number | undefined>();
  const reader: MetricsReader = { read: async (pods) => pods.map((p): PodSample => ({ name: p.name, connections: connections.get(p.name) })) };
  const events: string[] = [];
  const recorder: EventRecorder = { record: async (_s, type, reason, message) => void events.push(`${type} ${reason}: ${message}`) };
  let now = 1_000_000;
  const controller = new Chat4AllController({
    cluster,
    metricsReader: reader,
    events: recorder,
    metrics: new OperatorMetrics(),
    clock: { now: () => now },
    logger: createLogger({ logLevel: 'fatal', logFormat: 'json' }),
    pollMs: 15_000,
  });
  const pod = (name: string, count: number | undefined, ready = true) => {
    cluster.pods.push({ name, ip: '10.0.0.1', ready, terminating: false, annotations: {} });
    connections.set(name, count);
  };
  return { cluster, controller, connections, events, pod, tick: (ms: number) => void (now += ms) };
}

const cond = (c: Chat4All | undefined, type: string) => {
  const x = c?.status?.conditions?.find((k) => k.type === type);
  return x && `${x.status} ${x.reason}`;
};

describe('reconcile', () => {
  it('writes deletion costs on every ready pod before it scales down, then the status and an Event', async () => {
    const { cluster, controller, events, pod } = setup();
    cluster.deployment!.replicas = 3;
    pod('gw-a', 40);
    pod('gw-b', 0);
    pod('gw-c', 15);
    const result = await controller.reconcile('ns/c');
    assert.deepEqual(cluster.writes, [
      'annotate gw-a {"controller.kubernetes.io/pod-deletion-cost":"40"}',
      'annotate gw-b {"controller.kubernetes.io/pod-deletion-cost":"0"}',
      'annotate gw-c {"controller.kubernetes.io/pod-deletion-cost":"15"}',
      'scale gateway 1',
      'status',
    ]);
    assert.equal(result.requeueAfterMs, 15_000);
    assert.match(events[0]!, /^Normal ScaledDown: 3 -> 1 \(ConnectionsBelowTarget\): 55 connections on 3 pod\(s\)/);
    const s = cluster.chat4all!.status!;
    assert.deepEqual([s.replicas, s.desiredReplicas, s.currentConnections, s.observedGeneration, s.selector], [3, 1, 55, 1, 'app=gw']);
    assert.ok(s.lastScaleTime);
    assert.equal(cond(cluster.chat4all, 'Progressing'), 'True ScalingDown');
  });

  it('is idempotent: a second pass with nothing changed writes nothing', async () => {
    const { cluster, controller, pod } = setup();
    pod('gw-a', 105);
    pod('gw-b', 95);
    await controller.reconcile('ns/c');
    assert.deepEqual(cluster.writes, ['status']);
    const writes = cluster.writes.length;
    await controller.reconcile('ns/c');
    assert.equal(cluster.writes.length, writes, cluster.writes.slice(writes).join(', '));
  });

  it('reports unreadable pods as Degraded, and does not scale down on them', async () => {
    const { cluster, controller, events, pod } = setup();
    cluster.deployment!.replicas = 3;
    pod('gw-a', 5);
    pod('gw-b', undefined);
    pod('gw-c', 5);
    await controller.reconcile('ns/c');
    assert.equal(cluster.deployment!.replicas, 3);
    assert.equal(cond(cluster.chat4all, 'Degraded'), 'True MetricsUnavailable');
    assert.match(cluster.chat4all!.status!.conditions!.find((c) => c.type === 'Degraded')!.message, /gw-b/);
    assert.match(events[0]!, /^Warning MetricsUnavailable/);
  });

  it('reports a missing Deployment and an invalid spec, and acts on neither', async () => {
    const { cluster, controller } = setup({ deployment: 'nope' });
    assert.deepEqual(await controller.reconcile('ns/c'), { requeueAfterMs: 15_000 });
    assert.equal(cond(cluster.chat4all, 'Degraded'), 'True DeploymentNotFound');
    assert.equal(cond(cluster.chat4all, 'Available'), 'False DeploymentNotFound');

    cluster.chat4all!.spec.gateway = { deployment: 'gateway', minReplicas: 4, maxReplicas: 2, targetConnectionsPerPod: 0 };
    cluster.chat4all!.metadata.generation = 2;
    assert.deepEqual(await controller.reconcile('ns/c'), {});
    assert.equal(cond(cluster.chat4all, 'Degraded'), 'True InvalidSpec');
    assert.match(cluster.chat4all!.status!.conditions!.find((c) => c.type === 'Degraded')!.message, /targetConnectionsPerPod.*minReplicas \(4\) must not exceed maxReplicas \(2\)/);
    assert.equal(cluster.chat4all!.status!.observedGeneration, 2);
    assert.ok(!cluster.writes.some((w) => w.startsWith('scale')));
  });

  it('marks Degraded ScaleFailed and throws (to be retried with backoff) when the scale is refused', async () => {
    const { cluster, controller, pod } = setup();
    pod('gw-a', 900);
    cluster.failScale = true;
    await assert.rejects(controller.reconcile('ns/c'), /the API server said no/);
    assert.equal(cond(cluster.chat4all, 'Degraded'), 'True ScaleFailed');
    cluster.failScale = false;
    await controller.reconcile('ns/c');
    assert.equal(cluster.deployment!.replicas, 5, 'ceil(900 / 100) = 9, capped at maxReplicas');
    assert.equal(cond(cluster.chat4all, 'Degraded'), 'False AsExpected');
  });

  it('keeps lastTransitionTime while a condition keeps its status', async () => {
    const { cluster, controller, pod, tick } = setup();
    pod('gw-a', 100);
    pod('gw-b', 100);
    await controller.reconcile('ns/c');
    const first = cluster.chat4all!.status!.conditions!.find((c) => c.type === 'Available')!.lastTransitionTime;
    tick(60_000);
    cluster.pods[1]!.ready = false;
    await controller.reconcile('ns/c');
    const later = cluster.chat4all!.status!.conditions!.find((c) => c.type === 'Available')!;
    assert.equal(later.lastTransitionTime, first);
    assert.equal(later.message, '1 of 2 gateway pod(s) ready');
    assert.equal(cluster.chat4all!.status!.conditions!.find((c) => c.type === 'Progressing')!.status, 'False');
  });

  it('forgets a Chat4All that is gone', async () => {
    const { cluster, controller } = setup();
    cluster.chat4all = undefined;
    assert.deepEqual(await controller.reconcile('ns/c'), {});
    assert.deepEqual(cluster.writes, []);
  });

  it('writes only the deletion costs that changed', async () => {
    const { cluster, controller, pod } = setup();
    cluster.deployment!.replicas = 3;
    pod('gw-a', 10);
    pod('gw-b', 20);
    pod('gw-c', 30);
    cluster.pods[0]!.annotations[POD_DELETION_COST] = '10';
    await controller.reconcile('ns/c');
    assert.deepEqual(cluster.writes.filter((w) => w.startsWith('annotate')).map((w) => w.split(' ')[1]), ['gw-b', 'gw-c']);
  });
});
