import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Chat4AllProps, chat4allApp } from '../src/app.js';
import { type KubeObject, diffManifests, parseManifests } from './support/manifests.js';
import { kubeTools, run } from './support/kube.js';

const CHART = fileURLToPath(new URL('../../charts/chat4all', import.meta.url));

describe('the Helm chart', { timeout: 600_000 }, () => {
  let env: NodeJS.ProcessEnv;
  const dirs: string[] = [];

  /** What `make synth` writes, for `props`, as objects. */
  function synth(props: Chat4AllProps = {}): KubeObject[] {
    const dir = mkdtempSync(join(tmpdir(), 'chat4all-dist-'));
    dirs.push(dir);
    chat4allApp(dir, props).app.synth();
    return readdirSync(dir).flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')));
  }

  function template(...args: string[]): KubeObject[] {
    const r = run('helm', ['template', 'chat4all', CHART, '--include-crds', ...args], { env });
    assert.equal(r.status, 0, r.stderr);
    return parseManifests(r.stdout);
  }

  before(() => {
    env = kubeTools();
  });

  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('passes helm lint --strict', () => {
    const r = run('helm', ['lint', '--strict', CHART], { env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('renders the same objects as dist/ for the default values', () => {
    const fromHelm = template();
    const fromCdk8s = synth();
    assert.ok(fromCdk8s.length >= 45, `only ${fromCdk8s.length} objects`);
    assert.deepEqual(diffManifests(fromCdk8s, fromHelm, ['dist/', 'helm template']), []);
  });

  it('renders the same objects as cdk8s for the same non-default images, replicas, storage, host and TLS', () => {
    const fromHelm = template(
      '--set', 'images.server=registry.example.com/chat4all-server:1.2.3',
      '--set', 'images.operator=registry.example.com/chat4all-operator:1.2.3',
      '--set', 'replicas.redis=5,replicas.kafka=5,replicas.cassandra=4,replicas.worker=3,replicas.operator=3',
      '--set', 'storage.storageClassName=fast-ssd,storage.kafkaGi=50,storage.cassandraGi=100,storage.redisGi=2,storage.prometheusGi=20',
      '--set', 'ingress.host=chat.example.com,ingress.tls.secretName=chat-example-tls,ingress.certManagerClusterIssuer=letsencrypt',
    );
    const storageClassName = 'fast-ssd';
    const fromCdk8s = synth({
      infrastructure: {
        redis: { replicas: 5, storageGi: 2, storageClassName },
        kafka: { replicas: 5, storageGi: 50, storageClassName },
        cassandra: { replicas: 4, storageGi: 100, storageClassName },
      },
      platform: {
        image: 'registry.example.com/chat4all-server:1.2.3',
        workerReplicas: 3,
        ingress: { host: 'chat.example.com', tlsSecretName: 'chat-example-tls', certManagerClusterIssuer: 'letsencrypt' },
      },
      observability: { prometheus: { storageGi: 20, storageClassName } },
      operator: { operator: { image: 'registry.example.com/chat4all-operator:1.2.3', replicas: 3 } },
    });
    assert.deepEqual(diffManifests(fromCdk8s, fromHelm, ['cdk8s', 'helm template']), []);
  });

  it('draws its secrets at install time and keeps an existing one (lookup), never a literal', () => {
    const secrets = template().filter((o) => o.kind === 'Secret');
    assert.deepEqual(secrets.map((s) => s.metadata.name).sort(), ['chat4all-grafana', 'chat4all-jwt']);
    const jwt = Buffer.from(secrets.find((s) => s.metadata.name === 'chat4all-jwt')!.data.JWT_SECRET, 'base64').toString();
    assert.ok(jwt.length >= 32);
    const again = template().find((o) => o.metadata.name === 'chat4all-jwt')!.data.JWT_SECRET;
    assert.notEqual(again, secrets.find((s) => s.metadata.name === 'chat4all-jwt')!.data.JWT_SECRET);
    assert.match(readFileSync(join(CHART, 'templates/secrets.yaml'), 'utf8'), /lookup "v1" "Secret" \.Release\.Namespace "chat4all-jwt"/);
  });

  it('refuses values that break the platform', () => {
    for (const set of ['replicas.kafka=4', 'replicas.redis=2', 'kafka.replicationFactor=5', 'gateway.scaling.minReplicas=20']) {
      const r = run('helm', ['template', 'chat4all', CHART, '--set', set], { env });
      assert.notEqual(r.status, 0, `accepted --set ${set}`);
    }
  });
});
