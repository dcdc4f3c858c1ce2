/**
 * KubeCluster on the watch caches, against a fake API server that logs every request: reconcile
 * reads the stores (no LIST or GET of its own), refuses to read before the first lists, and the
 * pod watch asks the server for the gateway pods only.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { Chat4All } from '../src/chat4all.js';
import { DEFAULT_POD_SELECTOR } from '../src/config.js';
import { Chat4AllController } from '../src/controller.js';
import { CacheNotSyncedError, KubeCluster } from '../src/kube-cluster.js';
import { createLogger } from '../src/logger.js';
import { OperatorMetrics } from '../src/operator-metrics.js';
import { ControllerWatches } from '../src/watches.js';
import { waitFor } from './support/wait.js';

const NS = 'ns';
const logger = createLogger({ logLevel: 'fatal', logFormat: 'json' });
const gatewayLabels = { 'app.kubernetes.io/name': 'chat4all-gateway', 'app.kubernetes.io/component': 'gateway' };

const chat4all = (): Chat4All => ({
  apiVersion: 'chat4all.io/v1alpha1',
  kind: 'Chat4All',
  metadata: { name: 'c', namespace: NS, generation: 1, uid: 'u1', resourceVersion: '1' },
  spec: { gateway: { deployment: 'chat4all-gateway', minReplicas: 1, maxReplicas: 5, targetConnectionsPerPod: 100 } },
});
const deployment = (replicas: number, rv: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'chat4all-gateway', namespace: NS, resourceVersion: rv },
  spec: { replicas, selector: { matchLabels: { 'app.kubernetes.io/name': 'chat4all-gateway' } }, template: { metadata: { labels: gatewayLabels } } },
});
const pod = (name: string, labels: Record<string, string>, ip: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels, resourceVersion: '3' },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});

interface Request {
  method: string;
  path: string;
  watch: boolean;
  labelSelector: string | null;
}

/**
 * A fake API server with one Chat4All, its gateway Deployment and pods (plus the pods of another
 * gateway, which the Deployment's selector leaves out). Watches are held open; `push` sends them
 * events. With `holdPodList`, the pod LIST waits for `releasePodList`.
 */
function fakeApiServer(holdPodList = false) {
  const requests: Request[] = [];
  const watches = new Map<string, ServerResponse[]>();
  let releasePodList = () => {};
  const podListReleased = holdPodList ? new Promise<void>((resolve) => (releasePodList = resolve)) : Promise.resolve();
  const json = (res: ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const list = (items: unknown[]) => ({ metadata: { resourceVersion: '10' }, items });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const watch = url.searchParams.get('watch') === 'true';
    requests.push({ method: req.method ?? '', path: url.pathname, watch, labelSelector: url.searchParams.get('labelSelector') });
    const collection = url.pathname.split('/').at(-1)!;
    if (watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      watches.set(collection, [...(watches.get(collection) ?? []), res]);
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const patch = body ? (JSON.parse(body) as { spec?: { replicas?: number }; metadata?: { annotations?: Record<string, string> }; status?: unknown }) : {};
      if (req.method === 'GET' && collection === 'chat4alls') return json(res, list([chat4all()]));
      if (req.method === 'GET' && collection === 'deployments') return json(res, list([deployment(2, '2')]));
      if (req.method === 'GET' && collection === 'pods') {
        const items = [pod('gw-a', gatewayLabels, '10.0.0.1'), pod('gw-b', gatewayLabels, '10.0.0.2'), pod('other-a', { 'app.kubernetes.io/name': 'other-gateway', 'app.kubernetes.io/component': 'gateway' }, '10.0.1.1')];
        return void podListReleased.then(() => json(res, list(items)));
      }
      if (req.method === 'PATCH' && url.pathname.endsWith('/scale')) {
        return json(res, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'chat4all-gateway', namespace: NS, resourceVersion: '20' }, spec: { replicas: patch.spec?.replicas }, status: { replicas: 2 } });
      }
      if (req.method === 'PATCH' && url.pathname.endsWith('/status')) return json(res, { ...chat4all(), metadata: { ...chat4all().metadata, resourceVersion: '21' }, status: patch.status });
      if (req.method === 'PATCH' && url.pathname.includes('/pods/')) {
        const p = pod(collection, gatewayLabels, '10.0.0.1');
        return json(res, { ...p, metadata: { ...p.metadata, resourceVersion: '22', annotations: patch.metadata?.annotations } });
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 404 }));
    });
  });
  const push = (collection: string, type: string, object: unknown) => {
    for (const res of watches.get(collection) ?? []) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  return { server, requests, push, releasePodList };
}

async function listen(server: ReturnType<typeof createServer>): Promise<KubeConfig> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }], currentContext: 'fake' });
  return kubeConfig;
}

function close(server: ReturnType<typeof createServer>): void {
  server.closeAllConnections();
  server.close();
}

describe('KubeCluster reads the watch caches', () => {
  const api = fakeApiServer();
  let kubeConfig: KubeConfig;
  before(async () => {
    kubeConfig = await listen(api.server);
  });
  after(() => close(api.server));

  it('reconciles without a LIST or GET of its own, sees its own scale at once, and then the cache', async () => {
    const enqueued: string[] = [];
    const watches = new ControllerWatches({ kubeConfig, namespace: NS, podSelector: DEFAULT_POD_SELECTOR, enqueue: (k) => void enqueued.push(k), logger });
    const cluster = new KubeCluster(kubeConfig, watches.cache);
    const controller = new Chat4AllController({
      cluster,
      metricsReader: { read: async (pods) => pods.map((p) => ({ name: p.name, connections: 400 })) },
      events: { record: async () => {} },
      metrics: new OperatorMetrics(),
      clock: { now: () => 1_000_000 },
      logger,
      pollMs: 15_000,
    });
    watches.start();
    try {
      assert.equal(await watches.waitForSync(), true);
      await waitFor(() => api.requests.filter((r) => r.watch).length === 3, 'the three watches');
      const reads = () => api.requests.filter((r) => r.method === 'GET' && !r.watch);
      assert.equal(reads().length, 3, 'one LIST per resource');
      assert.ok(enqueued.includes('ns/c'));

      for (let i = 0; i < 3; i++) await controller.reconcile('ns/c');
      assert.equal(reads().length, 3, `no LIST or GET on reconcile: ${JSON.stringify(reads().slice(3))}`);
      const writes = api.requests.filter((r) => r.method === 'PATCH').map((r) => r.path.split('/').slice(-2).join('/'));
      assert.deepEqual(
        writes.filter((w) => w.endsWith('scale')),
        ['chat4all-gateway/scale'],
        'one scale: the next reconciles read the count they wrote, not the cache of before',
      );
      assert.equal((await cluster.getDeployment(NS, 'chat4all-gateway'))?.replicas, 5, '800 connections / 100, capped at 5');
      assert.deepEqual(
        (await cluster.listPods(NS, { matchLabels: { 'app.kubernetes.io/name': 'chat4all-gateway' } })).map((p) => p.name),
        ['gw-a', 'gw-b'],
        "the Deployment's own selector picks its pods among the gateway pods",
      );

      // Someone else scales to 3 after the operator's 5: once the cache has it, reads show it.
      const before = enqueued.length;
      api.push('deployments', 'MODIFIED', deployment(3, '30'));
      await waitFor(() => watches.deployments.store.get('chat4all-gateway')?.metadata?.resourceVersion === '30', 'the watch event');
      assert.equal((await cluster.getDeployment(NS, 'chat4all-gateway'))?.replicas, 3);
      assert.deepEqual(enqueued.slice(before), ['ns/c'], 'the Deployment change enqueued its Chat4All');
      assert.equal(reads().length, 3);
    } finally {
      await watches.stop();
    }
  });

  it('lists and watches only the gateway pods (label selector), and everything of the other kinds', () => {
    const bySelector = (collection: string) => [...new Set(api.requests.filter((r) => r.path.endsWith(`/${collection}`)).map((r) => `${r.watch ? 'WATCH' : 'LIST'} ${r.labelSelector}`))].sort();
    assert.deepEqual(bySelector('pods'), [`LIST ${DEFAULT_POD_SELECTOR}`, `WATCH ${DEFAULT_POD_SELECTOR}`]);
    assert.deepEqual(bySelector('deployments'), ['LIST null', 'WATCH null']);
    assert.deepEqual(bySelector('chat4alls'), ['LIST null', 'WATCH null']);
  });
});

describe('waiting for the caches to sync', () => {
  it('refuses reads until every watch has listed, then serves them', async () => {
    const api = fakeApiServer(true);
    const kubeConfig = await listen(api.server);
    const watches = new ControllerWatches({ kubeConfig, namespace: NS, podSelector: DEFAULT_POD_SELECTOR, enqueue: () => {}, logger });
    const cluster = new KubeCluster(kubeConfig, watches.cache);
    let synced: boolean | undefined;
    const sync = watches.waitForSync().then((s) => (synced = s));
    watches.start();
    try {
      // The Chat4Alls and Deployments are listed (their watches started); the pod LIST is held.
      await waitFor(() => api.requests.filter((r) => r.watch).length === 2 && api.requests.some((r) => r.path.endsWith('/pods')), 'two watches and the pod LIST');
      assert.equal(watches.chat4alls.synced && watches.deployments.synced, true);
      assert.equal(watches.cache.synced, false);
      assert.equal(synced, undefined, 'waitForSync has not resolved');
      await assert.rejects(cluster.getChat4All(NS, 'c'), CacheNotSyncedError);
      await assert.rejects(cluster.getDeployment(NS, 'chat4all-gateway'), CacheNotSyncedError);
      await assert.rejects(cluster.listPods(NS, {}), CacheNotSyncedError);

      api.releasePodList();
      await sync;
      assert.equal(synced, true);
      assert.equal((await cluster.getChat4All(NS, 'c'))?.metadata.uid, 'u1');
      assert.equal((await cluster.listPods(NS, {})).length, 3);
      await assert.rejects(cluster.getChat4All('elsewhere', 'c'), /not watched/);
    } finally {
      await watches.stop();
      close(api.server);
    }
  });

  it('ends the wait with false when the watches stop first', async () => {
    const api = fakeApiServer(true);
    const kubeConfig = await listen(api.server);
    const watches = new ControllerWatches({ kubeConfig, namespace: NS, podSelector: DEFAULT_POD_SELECTOR, enqueue: () => {}, logger });
    const sync = watches.waitForSync();
    watches.start();
    try {
      await waitFor(() => api.requests.some((r) => r.path.endsWith('/pods')), 'the pod LIST');
      await watches.stop();
      assert.equal(await sync, false);
    } finally {
      api.releasePodList();
      close(api.server);
    }
  });
});
