import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type App, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { type Chat4AllProps, chat4allApp } from '../src/app.js';
import { generateChart } from '../src/helm/chart.js';
import { writeChart } from '../src/helm/chat4all-chart.js';
import type { ChartSource, JsonMap } from '../src/helm/snapshot.js';
import { PROFILES } from '../src/profiles.js';
import { FIXTURE_META, FIXTURE_SOURCE } from './fixtures/helm-fixture.js';
import { type KubeObject, diffManifests, parseManifests } from './support/manifests.js';
import { kubeTools, run } from './support/kube.js';

const CHART = fileURLToPath(new URL('../../charts/chat4all', import.meta.url));

/** Non-default images, replicas (lists of hosts grow), host, TLS, storage, and a few more. */
const CHANGED: Chat4AllProps = {
  infrastructure: {
    redis: { image: 'registry.example.com/redis:7.4', replicas: 5, quorum: 4, storageGi: 2, storageClassName: 'fast-ssd' },
    kafka: { image: 'registry.example.com/kafka:3.9.2', replicas: 5, replicationFactor: 5, minInSyncReplicas: 3, storageGi: 50, storageClassName: 'fast-ssd' },
    cassandra: { image: 'registry.example.com/cassandra:5.0.4', replicas: 4, seeds: 3, storageGi: 100, storageClassName: 'fast-ssd', heapMiB: 2048, resources: { cpuMillis: { request: 1000, limit: 4000 }, memoryMiB: { request: 4096, limit: 4096 } } },
  },
  platform: {
    image: 'registry.example.com/chat4all-server:1.2.3',
    imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
    workerReplicas: 3,
    gatewayDrainSeconds: 30,
    logLevel: 'debug',
    apiAutoscaling: { minReplicas: 3, maxReplicas: 20 },
    ingress: { host: 'chat.example.com', tlsSecretName: 'chat-example-tls', certManagerClusterIssuer: 'letsencrypt', className: 'traefik' },
  },
  observability: { prometheus: { storageGi: 20, storageClassName: 'fast-ssd', scrapeIntervalSeconds: 30 }, grafana: { anonymousViewers: false } },
  operator: { operator: { image: 'registry.example.com/chat4all-operator:1.2.3', replicas: 3 }, gatewayScaling: { minReplicas: 3, maxReplicas: 30 } },
};

/** Values the constructs refuse; the chart must refuse them as well (schema or `fail`). */
const REFUSED: Record<string, Chat4AllProps> = {
  'an even Kafka count': { infrastructure: { kafka: { replicas: 4 } } },
  'too few Redis pods': { infrastructure: { redis: { replicas: 1 } } },
  'a replication above the Kafka nodes': { infrastructure: { kafka: { replicationFactor: 5 } } },
  'min in-sync replicas at the replication': { infrastructure: { kafka: { minInSyncReplicas: 3 } } },
  'a Cassandra keyspace replicated more than its nodes': { infrastructure: { cassandra: { replicas: 2 } } },
  'a heap above the memory limit': { infrastructure: { kafka: { heapMiB: 2048 } } },
  'a CPU request above its limit': { platform: { resources: { api: { cpuMillis: { request: 2000, limit: 1000 }, memoryMiB: { request: 256, limit: 512 } } } } },
  'crossed api autoscaling bounds': { platform: { apiAutoscaling: { minReplicas: 5, maxReplicas: 3 } } },
  'crossed gateway scaling bounds': { operator: { gatewayScaling: { minReplicas: 20 } } },
  'an empty volume': { observability: { prometheus: { storageGi: 0 } } },
  'a fractional count': { platform: { workerReplicas: 1.5 } },
};

function objectsOf(build: (app: App) => void): KubeObject[] {
  const app = Testing.app();
  build(app);
  return app.charts.flatMap((c) => Testing.synth(c)) as KubeObject[];
}

describe('the Helm chart', { timeout: 600_000 }, () => {
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'chat4all-helm-'));

  /** `helm template` of `chart` with `values` as a values file. */
  function template(chart: string, values: unknown, ...args: string[]): { status: number; objects: KubeObject[]; stderr: string } {
    const file = join(dir, `values-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(values));
    const r = run('helm', ['template', 'chat4all', chart, '--include-crds', '-f', file, ...args], { env });
    return { status: r.status, objects: r.status === 0 ? parseManifests(r.stdout) : [], stderr: r.stderr };
  }

  /** What `make synth` writes for `props`, as objects. */
  function synth(props: Chat4AllProps): KubeObject[] {
    const out = mkdtempSync(join(dir, 'dist-'));
    chat4allApp(out, props).app.synth();
    return readdirSync(out).flatMap((f) => parseManifests(readFileSync(join(out, f), 'utf8')));
  }

  before(() => {
    env = kubeTools();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes helm lint --strict', () => {
    const r = run('helm', ['lint', '--strict', CHART], { env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  const sets: Record<string, Chat4AllProps> = { ...PROFILES, changed: CHANGED };
  for (const [name, props] of Object.entries(sets)) {
    it(`renders the objects cdk8s synthesizes, with the ${name} props as values`, () => {
      const fromHelm = template(CHART, props);
      assert.equal(fromHelm.status, 0, fromHelm.stderr);
      const fromCdk8s = synth(props);
      assert.ok(fromCdk8s.length >= 45, `only ${fromCdk8s.length} objects`);
      assert.deepEqual(diffManifests(fromCdk8s, fromHelm.objects, ['cdk8s synth', 'helm template']), []);
    });
  }

  for (const [what, props] of Object.entries(REFUSED)) {
    it(`refuses ${what}, as the constructs do`, () => {
      assert.throws(() => synth(props), (e: Error & { code?: string }) => e.code === 'invalid_props');
      const r = template(CHART, props);
      assert.notEqual(r.status, 0, `helm accepted ${JSON.stringify(props)}`);
      assert.match(r.stderr, /schema|must/);
    });
  }

  it('refuses a value that is not a prop (a typo)', () => {
    const r = template(CHART, { infrastructure: { kafka: { replica: 5 } } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /additional properties 'replica' not allowed/);
  });

  it('draws its secrets at install time, never a literal, and keeps an existing one (lookup)', () => {
    const jwt = (objects: KubeObject[]) => objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'chat4all-jwt')!.data.JWT_SECRET as string;
    const [a, b] = [jwt(template(CHART, {}).objects), jwt(template(CHART, {}).objects)];
    assert.notEqual(a, b);
    assert.ok(Buffer.from(a, 'base64').length >= 48);
    assert.match(readFileSync(join(CHART, 'templates/secrets.yaml'), 'utf8'), /lookup "v1" "Secret" \$\.Release\.Namespace \(\$\.Values\.secrets\.jwtSecretName\)/);
  });

  describe('generated from an app with every kind of prop', () => {
    const fixture = join(dir, 'fixture');
    before(() => writeChart(fixture, generateChart(FIXTURE_SOURCE, FIXTURE_META)));
    const source: ChartSource = FIXTURE_SOURCE;
    const cases: JsonMap[] = [
      {},
      { metrics: false },
      { controller: 'traefik', timeoutSeconds: 90, name: 'api' },
      { controller: 'traefik', metrics: false, storageClassName: 'ssd', replicas: 7, drainSeconds: 30 },
      { limits: { minReplicas: 4, maxReplicas: 9 } },
      { extra: true },
      { extra: true, extraResources: { cpuMillis: 300, memoryMiB: 128 } },
      { resources: { cpuMillis: 300, memoryMiB: 128, ephemeralMiB: { request: 50, limit: 200 } } },
      { resources: { cpuMillis: 300, memoryMiB: 128 } },
    ];
    for (const values of cases) {
      it(`renders what the app synthesizes for ${JSON.stringify(values)}`, () => {
        const fromHelm = template(fixture, values);
        assert.equal(fromHelm.status, 0, fromHelm.stderr);
        assert.deepEqual(diffManifests(objectsOf((app) => source.build(app, values)), fromHelm.objects, ['cdk8s', 'helm template']), []);
      });
    }
  });
});
