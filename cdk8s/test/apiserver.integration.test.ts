import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chat4allApp } from '../src/app.js';
import { parseManifests } from './support/manifests.js';
import { type RunResult, run, startApiServer } from './support/kube.js';

const CHART = fileURLToPath(new URL('../../charts/chat4all', import.meta.url));

/**
 * The manifests against a real kube-apiserver (etcd + kube-apiserver, no kubelet: nothing runs,
 * everything is validated): the CRD is installed, every object of the synthesized dist/ and of
 * `helm template` passes a server-side dry-run apply, the Chat4All schema accepts a valid resource
 * and rejects invalid ones, and the operator's Role grants what it needs and nothing more.
 */
describe('manifests on a real API server', { timeout: 600_000 }, () => {
  let env: NodeJS.ProcessEnv;
  let stop = () => {};
  const ns = `c4a-${randomBytes(4).toString('hex')}`;
  const dist = mkdtempSync(join(tmpdir(), 'chat4all-dist-'));
  const kubectl = (args: string[], input?: string): RunResult => run('kubectl', args, { env, ...(input !== undefined ? { input } : {}) });
  const ok = (r: RunResult, what: string) => assert.equal(r.status, 0, `${what} failed:\n${r.stderr}${r.stdout}`);
  const dryRun = (yaml: string) => kubectl(['apply', '-n', ns, '--server-side', '--dry-run=server', '--field-manager=chat4all-test', '-f', '-'], yaml);
  const chat4all = (name: string, gateway: Record<string, unknown>) => JSON.stringify({ apiVersion: 'chat4all.io/v1alpha1', kind: 'Chat4All', metadata: { name }, spec: { gateway } });

  before(() => {
    ({ env, stop } = startApiServer());
    chat4allApp(dist).app.synth();
    ok(kubectl(['create', 'namespace', ns]), 'create namespace');
  });

  after(() => {
    // No namespace controller runs here, so the namespace would stay Terminating: leave it.
    rmSync(dist, { recursive: true, force: true });
    stop();
  });

  it('installs the CRD for real, and it becomes established', () => {
    ok(kubectl(['apply', '--server-side', '--field-manager=chat4all-test', '-f', join(dist, 'crds.k8s.yaml')]), 'apply CRD');
    ok(kubectl(['wait', '--for=condition=established', '--timeout=60s', 'crd/chat4alls.chat4all.io']), 'CRD established');
  });

  it('accepts every object of dist/ (server-side dry-run apply)', () => {
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.k8s.yaml') && f !== 'crds.k8s.yaml')) {
      const text = readFileSync(join(dist, file), 'utf8');
      const r = dryRun(text);
      ok(r, `dry-run of ${file}`);
      const applied = r.stdout.split('\n').filter((l) => l.includes('serverside-applied (server dry run)'));
      assert.equal(applied.length, parseManifests(text).length, `${file}: ${r.stdout}`);
    }
  });

  it('accepts every object of the Helm chart (helm template, server-side dry-run apply)', () => {
    const t = run('helm', ['template', 'chat4all', CHART, '--namespace', ns], { env });
    ok(t, 'helm template');
    const r = dryRun(t.stdout);
    ok(r, 'dry-run of the Helm chart');
    const applied = r.stdout.split('\n').filter((l) => l.includes('serverside-applied (server dry run)'));
    assert.equal(applied.length, parseManifests(t.stdout).length);
  });

  it('installs the Helm chart for real, and an upgrade keeps the secrets it drew (lookup)', () => {
    const release = `c4a-${randomBytes(3).toString('hex')}`;
    const helmNs = `${ns}-helm`;
    const helm = (...args: string[]) => run('helm', [...args, '--namespace', helmNs], { env });
    const jwt = () => kubectl(['get', 'secret', 'chat4all-jwt', '-n', helmNs, '-o', 'jsonpath={.data.JWT_SECRET}']).stdout;
    // As docs/kubernetes.md tells: helm install chat4all charts/chat4all -n chat4all --create-namespace --set ...
    ok(helm('install', release, CHART, '--create-namespace', '--set', 'platform.ingress.host=chat.example.com', '--set', 'platform.ingress.certManagerClusterIssuer=letsencrypt'), 'helm install');
    const ingress = JSON.parse(kubectl(['get', 'ingress', 'chat4all', '-n', helmNs, '-o', 'json']).stdout);
    assert.equal(ingress.spec.rules[0].host, 'chat.example.com');
    assert.equal(ingress.metadata.annotations['cert-manager.io/cluster-issuer'], 'letsencrypt');
    const drawn = jwt();
    assert.ok(Buffer.from(drawn, 'base64').length >= 48, `JWT_SECRET: ${drawn}`);
    ok(helm('upgrade', release, CHART, '--reuse-values', '--set', 'platform.logLevel=debug'), 'helm upgrade');
    assert.equal(jwt(), drawn, 'an upgrade drew a new JWT key');
    const api = JSON.parse(kubectl(['get', 'deployment', 'chat4all-api', '-n', helmNs, '-o', 'json']).stdout);
    assert.ok(api.spec.template.spec.containers[0].env.some((e: { name: string; value?: string }) => e.name === 'LOG_LEVEL' && e.value === 'debug'), 'the upgrade did not apply');
  });

  it('never resets the gateway count the operator set: a re-apply keeps it', () => {
    const platform = readFileSync(join(dist, 'platform.k8s.yaml'), 'utf8');
    const apply = () => kubectl(['apply', '-n', ns, '--server-side', '--field-manager=chat4all', '-f', '-'], platform);
    ok(apply(), 'apply the platform');
    // What the operator does: scale the gateway Deployment through its scale subresource.
    ok(kubectl(['scale', '-n', ns, 'deployment/chat4all-gateway', '--replicas=7']), 'scale the gateways');
    ok(apply(), 'apply the platform again');
    const replicas = kubectl(['get', '-n', ns, 'deployment/chat4all-gateway', '-o', 'jsonpath={.spec.replicas}']).stdout;
    assert.equal(replicas, '7');
  });

  it('accepts a valid Chat4All and fills in the defaults', () => {
    const r = kubectl(['create', '-n', ns, '--dry-run=server', '-o', 'json', '-f', '-'], chat4all('valid', { deployment: 'chat4all-gateway', maxReplicas: 8, targetConnectionsPerPod: 500 }));
    ok(r, 'valid Chat4All');
    const gateway = JSON.parse(r.stdout).spec.gateway;
    assert.deepEqual([gateway.minReplicas, gateway.metricsPort, gateway.tolerance], [2, 9095, 0.1]);
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['crossed min and max', { deployment: 'g', minReplicas: 5, maxReplicas: 3, targetConnectionsPerPod: 10 }, /minReplicas must not exceed maxReplicas/],
    ['a max below the default min', { deployment: 'g', maxReplicas: 1, targetConnectionsPerPod: 10 }, /minReplicas must not exceed maxReplicas/],
    ['a negative min', { deployment: 'g', minReplicas: -1, maxReplicas: 3, targetConnectionsPerPod: 10 }, /minReplicas.*greater than or equal to 1/],
    ['a negative max', { deployment: 'g', maxReplicas: -2, targetConnectionsPerPod: 10 }, /maxReplicas.*greater than or equal to 1/],
    ['a missing target', { deployment: 'g', maxReplicas: 3 }, /targetConnectionsPerPod: Required value/],
    ['a zero target', { deployment: 'g', maxReplicas: 3, targetConnectionsPerPod: 0 }, /targetConnectionsPerPod.*greater than or equal to 1/],
    ['a missing deployment', { maxReplicas: 3, targetConnectionsPerPod: 10 }, /deployment: Required value/],
    ['a pinned count above max', { deployment: 'g', maxReplicas: 3, replicas: 9, targetConnectionsPerPod: 10 }, /replicas must be within minReplicas and maxReplicas/],
    ['a tolerance above 1', { deployment: 'g', maxReplicas: 3, targetConnectionsPerPod: 10, tolerance: 1.5 }, /tolerance.*less than or equal to 1/],
    ['an unknown policy type', { deployment: 'g', maxReplicas: 3, targetConnectionsPerPod: 10, behavior: { scaleUp: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 60 }] } } }, /Unsupported value: "Nodes"/],
  ];
  for (const [what, gateway, message] of invalid) {
    it(`rejects a Chat4All with ${what}`, () => {
      const r = kubectl(['create', '-n', ns, '--dry-run=server', '-f', '-'], chat4all('invalid', gateway));
      assert.notEqual(r.status, 0, `accepted: ${JSON.stringify(gateway)}`);
      assert.match(r.stderr, message);
    });
  }

  it('serves the scale and status subresources and the printer columns', () => {
    ok(kubectl(['create', '-n', ns, '-f', '-'], chat4all('scaled', { deployment: 'chat4all-gateway', maxReplicas: 6, targetConnectionsPerPod: 100 })), 'create');
    ok(kubectl(['scale', '-n', ns, 'chat4all/scaled', '--replicas=4']), 'kubectl scale');
    const status = { status: { replicas: 3, desiredReplicas: 4, currentConnections: 321, selector: 'app.kubernetes.io/name=chat4all-gateway' } };
    ok(kubectl(['patch', '-n', ns, 'chat4all/scaled', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]), 'patch status');
    const got = JSON.parse(kubectl(['get', '-n', ns, 'chat4all/scaled', '-o', 'json']).stdout);
    assert.equal(got.spec.gateway.replicas, 4);
    assert.equal(got.status.currentConnections, 321);
    const scale = JSON.parse(kubectl(['get', '--raw', `/apis/chat4all.io/v1alpha1/namespaces/${ns}/chat4alls/scaled/scale`]).stdout);
    assert.deepEqual([scale.spec.replicas, scale.status.replicas, scale.status.selector], [4, 3, 'app.kubernetes.io/name=chat4all-gateway']);
    const table = kubectl(['get', '-n', ns, 'chat4all/scaled']).stdout;
    assert.match(table, /NAME\s+MIN\s+MAX\s+DESIRED\s+CURRENT\s+CONNECTIONS\s+AGE/);
    assert.match(table, /scaled\s+2\s+6\s+4\s+3\s+321\s/);
  });

  it('gives the operator’s service account what it needs and nothing more', () => {
    const rbac = parseManifests(readFileSync(join(dist, 'operator.k8s.yaml'), 'utf8')).filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
    ok(kubectl(['apply', '-n', ns, '--server-side', '--field-manager=chat4all-test', '-f', '-'], rbac.map((o) => JSON.stringify(o)).join('\n')), 'apply RBAC');
    const can = (verb: string, resource: string, sub?: string) => {
      const args = ['auth', 'can-i', verb, resource, '-n', ns, `--as=system:serviceaccount:${ns}:chat4all-operator`, ...(sub ? [`--subresource=${sub}`] : [])];
      return kubectl(args).stdout.trim() === 'yes';
    };
    for (const [verb, resource, sub] of [['watch', 'chat4alls.chat4all.io'], ['patch', 'chat4alls.chat4all.io', 'status'], ['patch', 'deployments.apps'], ['update', 'deployments.apps', 'scale'], ['patch', 'pods'], ['create', 'events'], ['update', 'leases.coordination.k8s.io']] as const) {
      assert.ok(can(verb, resource, sub), `the operator cannot ${verb} ${resource}${sub ? `/${sub}` : ''}`);
    }
    for (const [verb, resource, sub] of [['get', 'secrets'], ['delete', 'pods'], ['create', 'deployments.apps'], ['delete', 'chat4alls.chat4all.io'], ['update', 'chat4alls.chat4all.io'], ['list', 'leases.coordination.k8s.io'], ['create', 'pods', 'eviction']] as const) {
      assert.ok(!can(verb, resource, sub), `the operator may ${verb} ${resource}${sub ? `/${sub}` : ''}`);
    }
    const other = kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'default', `--as=system:serviceaccount:${ns}:chat4all-operator`]).stdout.trim();
    assert.equal(other, 'no', 'the operator reaches beyond its namespace');
  });
});
