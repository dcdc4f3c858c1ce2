/**
 * chat4all-operator against a real kube-apiserver (scripts/kube.sh: etcd + kube-apiserver, no
 * kubelet, no controllers). The test plays the parts that are missing: it creates the gateway
 * pods a ReplicaSet would, with status.podIP pointing at real chat4all-server processes on
 * 127.x.y.z addresses, marks them Ready, and deletes the ones a ReplicaSet would delete. Real
 * WebSocket clients make the connection counts the operator reads from each pod's /metrics.
 * Two operator processes run side by side, reaching the API server through a TCP proxy that the
 * test can cut.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { type Chat4All, GROUP, PLURAL, POD_DELETION_COST, VERSION } from '../src/chat4all.js';
import { createLogger } from '../src/logger.js';
import { ResourceWatch } from '../src/resource-watch.js';
import { type Connection, openConnections } from './support/clients.js';
import { REPO, run, startApiServer } from './support/kube.js';
import { NodeProcess, freePort, metricValue } from './support/processes.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sleep, waitFor } from './support/wait.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const LEASE_SECONDS = 4;
const DOWN_WINDOW_SECONDS = 6;
const TARGET = 10;

describe('the operator on a real API server', { timeout: 600_000 }, () => {
  const ns = `op-${randomBytes(4).toString('hex')}`;
  /** 127.a.b.x: addresses of this run's own, so that parallel runs never share a gateway. */
  const net = `127.${randomInt(1, 255)}.${randomInt(1, 255)}`;
  // The gateway pods' labels as the manifests set them: the operator watches the component label.
  const selector = { 'app.kubernetes.io/name': 'chat4all-gateway', 'chat4all.io/test': ns };
  const labels = { ...selector, 'app.kubernetes.io/component': 'gateway' };
  const tmp = mkdtempSync(join(tmpdir(), 'chat4all-operator-'));
  let stopApi = () => {};
  let kc: KubeConfig;
  let core: CoreV1Api, apps: AppsV1Api, custom: CustomObjectsApi, leases: CoordinationV1Api;
  let proxy: TcpProxy;
  let ports: { api: number; ws: number; metrics: number };
  const gateways: NodeProcess[] = [];
  const operators = new Map<string, NodeProcess>();
  const connections: Connection[][] = [[], [], []];

  const host = (i: number) => `${net}.${i + 2}`;
  const apiBase = (i: number) => `http://${host(i)}:${ports.api}`;
  const wsBase = (i: number) => `ws://${host(i)}:${ports.ws}`;

  const chat4all = async (name = 'chat4all'): Promise<Chat4All> => (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })) as Chat4All;
  const condition = (c: Chat4All, type: string) => c.status?.conditions?.find((x) => x.type === type);
  const replicas = async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'gateway' })).spec?.replicas;
  const patchSpec = (gateway: Record<string, unknown>, name = 'chat4all') => custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { spec: { gateway } } }, MERGE);
  const events = async (reason: string) => (await core.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.reason === reason && e.involvedObject.kind === 'Chat4All');
  const leaseHolder = async () => (await leases.readNamespacedLease({ namespace: ns, name: 'chat4all-operator' }).catch(() => undefined))?.spec?.holderIdentity;
  const metricsOf = async (p: NodeProcess) => (await fetch(`${p.healthUrl}/metrics`)).text();

  /** Creates gateway pod `i` as a ReplicaSet would, then marks it Running and Ready at its gateway's address. */
  async function createPod(i: number): Promise<void> {
    const name = `gateway-${i}`;
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name, labels }, spec: { containers: [{ name: 'gateway', image: 'chat4all-server:dev' }] } } });
    await core.patchNamespacedPodStatus(
      { namespace: ns, name, body: { status: { phase: 'Running', podIP: host(i), podIPs: [{ ip: host(i) }], conditions: [{ type: 'Ready', status: 'True' }] } } },
      MERGE,
    );
  }

  async function startOperator(id: string): Promise<NodeProcess> {
    const port = await freePort();
    const p = new NodeProcess(`operator-${id}`, 'operator/src/main.ts', {
      KUBECONFIG: join(tmp, 'kubeconfig-proxy'),
      WATCH_NAMESPACE: ns,
      POD_NAME: `operator-${id}`,
      LEASE_NAME: 'chat4all-operator',
      LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
      RESYNC_SECONDS: '300',
      POLL_SECONDS: '1',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(port),
      LOG_LEVEL: 'info',
    }, `http://127.0.0.1:${port}`);
    await p.start();
    operators.set(`operator-${id}`, p);
    return p;
  }

  before(async () => {
    const apiServer = startApiServer();
    stopApi = apiServer.stop;
    kc = new KubeConfig();
    kc.loadFromFile(apiServer.kubeconfig);
    [core, apps, custom, leases] = [kc.makeApiClient(CoreV1Api), kc.makeApiClient(AppsV1Api), kc.makeApiClient(CustomObjectsApi), kc.makeApiClient(CoordinationV1Api)];
    const ok = (r: ReturnType<typeof run>, what: string) => assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    ok(run('kubectl', ['apply', '--server-side', '--field-manager=chat4all-test', '-f', join(REPO, 'charts/chat4all/crds')], { env: apiServer.env }), 'apply the CRD');
    ok(run('kubectl', ['wait', '--for=condition=established', '--timeout=60s', 'crd/chat4alls.chat4all.io'], { env: apiServer.env }), 'CRD established');
    await core.createNamespace({ body: { metadata: { name: ns } } });

    // The operators reach the API server through a proxy the test can cut.
    const server = new URL(kc.getCurrentCluster()!.server);
    proxy = await TcpProxy.start(server.hostname, Number(server.port));
    writeFileSync(join(tmp, 'kubeconfig-proxy'), readFileSync(apiServer.kubeconfig, 'utf8').replace(server.origin, `https://127.0.0.1:${proxy.port}`));

    // Three gateways, each on an address of its own and the same ports, as pods are.
    ports = { api: await freePort(), ws: await freePort(), metrics: await freePort() };
    const jwt = randomBytes(32).toString('hex');
    for (let i = 0; i < 3; i++) {
      gateways.push(
        new NodeProcess(`gateway-${i}`, 'services/server/src/main.ts', { ROLE: 'all', KAFKA_BROKERS: '', CASSANDRA_CONTACT_POINTS: '', REDIS_URL: '', REDIS_SENTINELS: '', HOST: host(i), API_PORT: String(ports.api), WEBSOCKET_PORT: String(ports.ws), METRICS_PORT: String(ports.metrics), JWT_SECRET: jwt, LOG_LEVEL: 'warn' }, `http://${host(i)}:${ports.metrics}`),
      );
    }
    await Promise.all(gateways.map((g) => g.start()));

    // The gateway Deployment (no replicas: the operator owns the count) and its first pod.
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name: 'gateway' }, spec: { selector: { matchLabels: selector }, template: { metadata: { labels }, spec: { containers: [{ name: 'gateway', image: 'chat4all-server:dev' }] } } } },
    });
    await createPod(0);
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Chat4All',
        metadata: { name: 'chat4all' },
        spec: {
          gateway: {
            deployment: 'gateway',
            minReplicas: 1,
            maxReplicas: 4,
            targetConnectionsPerPod: TARGET,
            metricsPort: ports.metrics,
            behavior: {
              scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 1 }] },
              scaleDown: { stabilizationWindowSeconds: DOWN_WINDOW_SECONDS, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
            },
          },
        },
      },
    });
    await Promise.all([startOperator('a'), startOperator('b')]);
  });

  after(async () => {
    for (const conns of connections) await Promise.all(conns.map((c) => c.close().catch(() => {})));
    if (process.env.OPERATOR_TEST_LOGS) for (const [id, p] of operators) console.error(`--- ${id}\n${p.log.slice(-80).join('\n')}`);
    await Promise.all([...operators.values(), ...gateways].map((p) => p.stop()));
    await proxy?.close();
    // No namespace controller runs here, so the namespace would stay Terminating: leave it.
    rmSync(tmp, { recursive: true, force: true });
    stopApi();
  });

  it('elects one leader and reports the first status', async () => {
    const holder = await waitFor(leaseHolder, 'a Lease holder', 15_000);
    assert.ok(operators.has(holder), holder);
    const c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.observedGeneration === 1 && condition(r, 'Available')?.status === 'True' ? r : undefined;
    }, 'the first status', 15_000);
    assert.equal(c.status?.replicas, 1);
    assert.equal(c.status?.desiredReplicas, 1);
    assert.equal(c.status?.currentConnections, 0);
    assert.equal(c.status?.selector, `app.kubernetes.io/name=chat4all-gateway,chat4all.io/test=${ns}`);
    assert.deepEqual(['Available', 'Progressing', 'Degraded'].map((t) => [condition(c, t)?.status, condition(c, t)?.reason, condition(c, t)?.observedGeneration]), [
      ['True', 'GatewayAvailable', 1],
      ['False', 'Stable', 1],
      ['False', 'AsExpected', 1],
    ]);
    for (const [id, p] of operators) {
      const health = (await (await fetch(`${p.healthUrl}/healthz`)).json()) as { leader: boolean };
      assert.equal(health.leader, id === holder, `${id} says leader=${health.leader}`);
    }
  });

  it('scales up on the next reconcile when connections rise, and only the leader acts', async () => {
    connections[0] = await openConnections(apiBase(0), wsBase(0), 25);
    const started = Date.now();
    await waitFor(async () => (await replicas()) === 3, 'the Deployment at ceil(25 / 10) = 3', 10_000, 100);
    assert.ok(Date.now() - started < 5000, `scaled after ${Date.now() - started} ms (poll every 1 s)`);
    let c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.desiredReplicas === 3 ? r : undefined;
    }, 'status desiredReplicas 3');
    assert.equal(c.status?.currentConnections, 25);
    assert.ok(c.status?.lastScaleTime, 'lastScaleTime is set');
    assert.deepEqual([condition(c, 'Progressing')?.status, condition(c, 'Progressing')?.reason], ['True', 'ScalingUp'], 'pods have not caught up yet');
    const holder = (await leaseHolder())!;
    // The clients connect ten at a time, so the operator may have seen 20 first (1 -> 2 -> 3).
    const ups = (await events('ScaledUp')).sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    assert.ok(ups.length >= 1 && ups.length <= 2, ups.map((e) => e.message).join('\n'));
    assert.match(ups.at(-1)!.message ?? '', /^[12] -> 3 .*25 connections/);
    assert.deepEqual(new Set(ups.map((e) => e.reportingInstance)), new Set([holder]));

    // The ReplicaSet's part: two more pods, at the other gateways.
    await createPod(1);
    await createPod(2);
    c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.replicas === 3 && condition(r, 'Available')?.message === '3 of 3 gateway pod(s) ready' ? r : undefined;
    }, 'three pods running and ready');
    assert.deepEqual([condition(c, 'Progressing')?.status, condition(c, 'Progressing')?.reason], ['False', 'Stable']);
    const standby = [...operators].find(([id]) => id !== holder)![1];
    assert.equal(metricValue(await metricsOf(standby), 'chat4all_operator_reconcile_duration_seconds_count'), 0, 'the standby never reconciles');
    const leaderMetrics = await metricsOf(operators.get(holder)!);
    assert.ok(metricValue(leaderMetrics, 'chat4all_operator_reconcile_duration_seconds_count') > 0);
    assert.equal(metricValue(leaderMetrics, 'chat4all_operator_scale_decisions_total{direction="up"}'), ups.length);
    assert.match(leaderMetrics, new RegExp(`chat4all_operator_desired_replicas\\{namespace="${ns}",name="chat4all"\\} 3`));
    assert.equal(await replicas(), 3, 'no second scale from the standby');
  });

  it('scales down only after the window, writing pod-deletion-costs first', async () => {
    // 5 connections left on gateway-0, 2 on gateway-1, none on gateway-2: ceil(7 / 10) = 1.
    connections[1] = await openConnections(apiBase(1), wsBase(1), 2);
    await Promise.all(connections[0]!.splice(5).map((c) => c.close()));
    const dropped = Date.now();
    await waitFor(async () => (await chat4all()).status?.currentConnections === 7, 'the operator sees 7 connections', 5000, 100);
    const held = await chat4all();
    assert.equal(held.status?.desiredReplicas, 3, 'held by the window');
    assert.deepEqual([condition(held, 'Progressing')?.status, condition(held, 'Progressing')?.reason], ['False', 'Stabilizing']);
    assert.match(condition(held, 'Progressing')?.message ?? '', /held at 3 by the 6 s scale-down window/);

    await waitFor(async () => (await replicas()) === 1, 'the scale-down', (DOWN_WINDOW_SECONDS + 10) * 1000, 100);
    const elapsed = Date.now() - dropped;
    assert.ok(elapsed >= (DOWN_WINDOW_SECONDS - 1.5) * 1000, `scaled down ${elapsed} ms after the drop: before the ${DOWN_WINDOW_SECONDS} s window`);
    assert.ok(elapsed <= (DOWN_WINDOW_SECONDS + 4) * 1000, `scaled down ${elapsed} ms after the drop`);

    // Costs were written before the scale: every pod's last write precedes the Deployment's.
    const deployment = await apps.readNamespacedDeployment({ namespace: ns, name: 'gateway' });
    const pods = (await core.listNamespacedPod({ namespace: ns })).items;
    const costs = Object.fromEntries(pods.map((p) => [p.metadata!.name, p.metadata!.annotations?.[POD_DELETION_COST]]));
    assert.deepEqual(costs, { 'gateway-0': '5', 'gateway-1': '2', 'gateway-2': '0' });
    for (const p of pods) assert.ok(BigInt(p.metadata!.resourceVersion!) < BigInt(deployment.metadata!.resourceVersion!), `${p.metadata!.name} annotated before the scale`);
    const downs = await waitFor(async () => {
      const e = await events('ScaledDown');
      return e.length > 0 ? e : undefined;
    }, 'the ScaledDown Event');
    assert.equal(downs.length, 1);
    assert.match(downs[0]!.message ?? '', /^3 -> 1 /);

    // The ReplicaSet deletes the pods of lowest cost: the emptiest ones.
    const doomed = pods.sort((a, b) => Number(a.metadata!.annotations![POD_DELETION_COST]) - Number(b.metadata!.annotations![POD_DELETION_COST])).slice(0, 2).map((p) => p.metadata!.name!);
    assert.deepEqual(doomed, ['gateway-2', 'gateway-1']);
    await Promise.all(doomed.map((name) => core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 })));
    await Promise.all(connections[1]!.splice(0).map((c) => c.close()));
    const c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.replicas === 1 && r.status.currentConnections === 5 && condition(r, 'Progressing')?.status === 'False' ? r : undefined;
    }, 'one pod left, stable', 10_000);
    assert.equal(c.status?.desiredReplicas, 1);
    assert.equal(c.status?.observedGeneration, 1);
  });

  it('refuses invalid specs, and reports in its conditions what the API server cannot check', async () => {
    await assert.rejects(patchSpec({ minReplicas: 5 }), (err: any) => err.code === 422 && /minReplicas must not exceed maxReplicas/.test(String(err.body)));
    await assert.rejects(patchSpec({ targetConnectionsPerPod: 0 }), (err: any) => err.code === 422);
    await assert.rejects(patchSpec({ replicas: 9 }), (err: any) => err.code === 422 && /replicas must be within/.test(String(err.body)));
    assert.equal((await chat4all()).metadata.generation, 1, 'nothing refused was stored');

    await patchSpec({ deployment: 'no-such-gateway' });
    let c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.observedGeneration === 2 ? r : undefined;
    }, 'observedGeneration 2');
    assert.deepEqual([condition(c, 'Degraded')?.status, condition(c, 'Degraded')?.reason], ['True', 'DeploymentNotFound']);
    assert.deepEqual([condition(c, 'Available')?.status, condition(c, 'Available')?.observedGeneration], ['False', 2]);
    await waitFor(async () => (await events('DeploymentNotFound')).length === 1, 'a Warning Event');
    assert.equal((await events('DeploymentNotFound'))[0]!.type, 'Warning');

    await patchSpec({ deployment: 'gateway', maxReplicas: 3 });
    c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.observedGeneration === 3 && condition(r, 'Degraded')?.status === 'False' ? r : undefined;
    }, 'healthy again at generation 3');
    assert.deepEqual([condition(c, 'Available')?.status, condition(c, 'Degraded')?.reason], ['True', 'AsExpected']);
    assert.equal(await replicas(), 1);
  });

  it('keeps watching through a network partition', async () => {
    proxy.partition();
    await sleep(1500);
    // Made while the operators cannot see: only a watch that came back (or a relist) finds it.
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Chat4All', metadata: { name: 'second' }, spec: { gateway: { deployment: 'other-gateway', maxReplicas: 2, targetConnectionsPerPod: 10 } } },
    });
    proxy.heal();
    const c = await waitFor(async () => {
      const r = await chat4all('second');
      return r.status?.observedGeneration === 1 ? r : undefined;
    }, 'the status of a Chat4All made during the partition (resync is 300 s)', 20_000);
    assert.equal(condition(c, 'Degraded')?.reason, 'DeploymentNotFound');
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: 'second' });
  });

  it('hands over to the standby within the lease duration when the leader dies', async () => {
    const leader = await waitFor(leaseHolder, 'a leader');
    const standby = [...operators.keys()].find((id) => id !== leader)!;
    await operators.get(leader)!.kill('SIGKILL');
    const killed = Date.now();
    await waitFor(async () => (await leaseHolder()) === standby, `${standby} takes the Lease`, (LEASE_SECONDS + 5) * 1000, 100);
    const takeover = Date.now() - killed;
    assert.ok(takeover <= (LEASE_SECONDS + 2) * 1000, `took over after ${takeover} ms (lease ${LEASE_SECONDS} s)`);
    const health = (await (await fetch(`${operators.get(standby)!.healthUrl}/healthz`)).json()) as { leader: boolean };
    assert.equal(health.leader, true);

    // And it acts: 5 -> 25 connections on gateway-0 is 3 pods, within max 3.
    connections[0]!.push(...(await openConnections(apiBase(0), wsBase(0), 20)));
    await waitFor(async () => (await replicas()) === 3, 'the new leader scales up', 10_000, 100);
    // Event times have whole seconds.
    const newEvents = async () => (await events('ScaledUp')).filter((e) => new Date(e.firstTimestamp ?? 0).getTime() >= killed - 1000);
    const ups = await waitFor(async () => ((await newEvents()).length > 0 ? newEvents() : undefined), 'the new leader records its scale-up');
    assert.deepEqual(new Set(ups.map((e) => e.reportingInstance)), new Set([standby]), 'only the new leader acts');
    const c = await waitFor(async () => {
      const r = await chat4all();
      return r.status?.desiredReplicas === 3 ? r : undefined;
    }, 'status from the new leader');
    assert.equal(c.status?.observedGeneration, 3);
    assert.equal(c.status?.currentConnections, 25);
  });

  it('a watch whose resourceVersion expired (410 Gone) lists again and carries on', async () => {
    const seen: string[] = [];
    const watch = new ResourceWatch<Chat4All>({
      resource: PLURAL,
      watch: new Watch(kc),
      path: `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`,
      list: async () => {
        const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as { items: Chat4All[]; metadata: { resourceVersion: string } };
        return { items: list.items, resourceVersion: list.metadata.resourceVersion };
      },
      onEvent: (type, obj) => seen.push(`${type} ${obj.metadata.name} ${obj.metadata.generation}`),
      logger: createLogger({ logLevel: 'fatal', logFormat: 'json' }),
    });
    watch.start('1'); // far older than the Chat4All CRD: the API server answers 410 Gone
    try {
      await waitFor(() => watch.synced, 'the list after the 410');
      assert.equal(watch.expirations, 1);
      const generation = (await chat4all()).metadata.generation!;
      assert.equal(seen[0], `ADDED chat4all ${generation}`, 'the list after the 410');
      await patchSpec({ maxReplicas: 4 });
      await waitFor(() => seen.includes(`MODIFIED chat4all ${generation + 1}`), 'the watch after the list');
    } finally {
      await watch.stop();
    }
  });
});
