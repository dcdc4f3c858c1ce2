import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PropsError } from '../src/common/validate.js';
import { ServerWorkload, type ServerWorkloadProps } from '../src/platform/server-workload.js';
import { envOf, one, synthOf } from './support/synth.js';

const jwtSecret = { name: 'chat4all-jwt', key: 'JWT_SECRET' };
const synth = (props: ServerWorkloadProps) => synthOf((s) => new ServerWorkload(s, 'W', props));
const podOf = (objects: any[]) => one(objects, 'Deployment').spec.template.spec;

describe('ServerWorkload', () => {
  it('leaves the gateway replica count to its owner: no replicas field at all', () => {
    const deployment = one(synth({ role: 'gateway', replicas: 'external', jwtSecret }), 'Deployment');
    assert.equal(deployment.metadata.name, 'chat4all-gateway');
    assert.ok(!('replicas' in deployment.spec), 'spec.replicas must be absent so kubectl apply never resets it');
  });

  it('sets a fixed replica count when given one', () => {
    assert.equal(one(synth({ role: 'worker', replicas: 3 }), 'Deployment').spec.replicas, 3);
    assert.equal(one(synth({ role: 'worker' }), 'Deployment').spec.replicas, 2);
  });

  it('probes /healthz and /readyz on the metrics port, every role, apart from the clients’ port', () => {
    const gateway = podOf(synth({ role: 'gateway', jwtSecret })).containers[0];
    assert.deepEqual(gateway.readinessProbe.httpGet, { path: '/readyz', port: 9095, scheme: 'HTTP' });
    assert.deepEqual(gateway.livenessProbe.httpGet, { path: '/healthz', port: 9095, scheme: 'HTTP' });
    assert.equal(gateway.startupProbe.httpGet.path, '/healthz');
    const api = podOf(synth({ role: 'api', jwtSecret })).containers[0];
    assert.equal(api.readinessProbe.httpGet.port, 9095);
    assert.notDeepEqual(api.readinessProbe.httpGet, api.livenessProbe.httpGet, 'ready is not alive');
  });

  it('runs as non-root on a read-only root filesystem with no capabilities', () => {
    const pod = podOf(synth({ role: 'api', jwtSecret }));
    const c = pod.containers[0];
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.enableServiceLinks, false);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(c.volumeMounts, [{ mountPath: '/tmp', name: 'tmp' }]);
  });

  it('sets requests and limits of CPU, memory and ephemeral storage', () => {
    const c = podOf(synth({ role: 'worker', resources: { cpuMillis: { request: 100, limit: 200 }, memoryMiB: { request: 64, limit: 128 } } })).containers[0];
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '64Mi' }, limits: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': '512Mi' } });
    const sized = podOf(synth({ role: 'worker', resources: { cpuMillis: { request: 1, limit: 1 }, memoryMiB: { request: 1, limit: 1 }, ephemeralStorageMiB: { request: 10, limit: 20 } } })).containers[0];
    assert.deepEqual([sized.resources.requests['ephemeral-storage'], sized.resources.limits['ephemeral-storage']], ['10Mi', '20Mi']);
  });

  it('spreads its pods over nodes and zones', () => {
    const spread = podOf(synth({ role: 'gateway', jwtSecret })).topologySpreadConstraints;
    assert.deepEqual(spread.map((t: any) => [t.topologyKey, t.maxSkew, t.labelSelector.matchLabels['app.kubernetes.io/name']]), [
      ['kubernetes.io/hostname', 1, 'chat4all-gateway'],
      ['topology.kubernetes.io/zone', 1, 'chat4all-gateway'],
    ]);
  });

  it('lets the gateway drain: preStop sleep, then DRAIN_SECONDS, inside the grace period', () => {
    const pod = podOf(synth({ role: 'gateway', jwtSecret, drainSeconds: 20, preStopSeconds: 7 }));
    const c = pod.containers[0];
    // The image has no shell and no `sleep`: node waits.
    assert.deepEqual(c.lifecycle.preStop.exec.command, ['node', '-e', 'setTimeout(() => {}, 7000)']);
    assert.equal(envOf(c).DRAIN_SECONDS, '20');
    assert.equal(pod.terminationGracePeriodSeconds, 7 + 20 + 15);
  });

  it('takes JWT_SECRET from the Secret, never a literal, and gives the worker none', () => {
    const env = envOf(podOf(synth({ role: 'gateway', jwtSecret })).containers[0]);
    assert.deepEqual(JSON.parse(env.JWT_SECRET!), { secretKeyRef: { key: 'JWT_SECRET', name: 'chat4all-jwt' } });
    assert.equal(envOf(podOf(synth({ role: 'worker', jwtSecret })).containers[0]).JWT_SECRET, undefined);
  });

  it('takes secretEnv from Secret keys, one reference per Secret, never a literal', () => {
    const secretEnv = { S3_ACCESS_KEY_ID: { name: 'store', key: 'id' }, S3_SECRET_ACCESS_KEY: { name: 'store', key: 'secret' } };
    const env = envOf(podOf(synth({ role: 'api', jwtSecret, secretEnv })).containers[0]);
    assert.deepEqual(JSON.parse(env.S3_ACCESS_KEY_ID!), { secretKeyRef: { key: 'id', name: 'store' } });
    assert.deepEqual(JSON.parse(env.S3_SECRET_ACCESS_KEY!), { secretKeyRef: { key: 'secret', name: 'store' } });
  });

  it('passes the shared environment and the role’s own settings', () => {
    const env = envOf(podOf(synth({ role: 'worker', env: { KAFKA_BROKERS: 'k-0:9092' } })).containers[0]);
    assert.equal(env.KAFKA_BROKERS, 'k-0:9092');
    assert.equal(env.ROLE, 'worker');
    assert.equal(env.METRICS_PORT, '9095');
    assert.equal(env.LOG_FORMAT, 'json');
  });

  it('selects its pods by a stable label, in the Deployment, the Service and the budget', () => {
    const objects = synth({ role: 'gateway', jwtSecret });
    const selector = { 'app.kubernetes.io/name': 'chat4all-gateway' };
    assert.deepEqual(one(objects, 'Deployment').spec.selector.matchLabels, selector);
    assert.equal(one(objects, 'Deployment').spec.template.metadata.labels['cdk8s.io/metadata.addr'], undefined);
    assert.deepEqual(one(objects, 'Service').spec.selector, selector);
    assert.deepEqual(one(objects, 'Service').spec.ports.map((p: any) => p.port), [8085, 9095]);
    assert.deepEqual(one(objects, 'PodDisruptionBudget').spec, { maxUnavailable: 1, selector: { matchLabels: selector } });
  });

  it('asks Prometheus to scrape the metrics port', () => {
    const annotations = one(synth({ role: 'api', jwtSecret }), 'Deployment').spec.template.metadata.annotations;
    assert.deepEqual(annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9095', 'prometheus.io/path': '/metrics' });
  });

  it('rejects a grace period that does not outlast the drain', () => {
    assert.throws(() => synth({ role: 'gateway', jwtSecret, drainSeconds: 30, terminationGracePeriodSeconds: 30 }), (e: any) => e instanceof PropsError && /terminationGracePeriodSeconds must exceed/.test(e.message));
  });

  it('rejects an api or gateway without the JWT secret', () => {
    assert.throws(() => synth({ role: 'api' }), /jwtSecret is required/);
  });

  it('rejects bad images, names, counts and resources', () => {
    assert.throws(() => synth({ role: 'worker', image: 'has space:1' }), /image must be/);
    assert.throws(() => synth({ role: 'worker', name: 'Bad_Name' }), /name must be a DNS-1123 label/);
    assert.throws(() => synth({ role: 'worker', replicas: -1 }), /replicas must be a whole number/);
    assert.throws(() => synth({ role: 'worker', resources: { cpuMillis: { request: 500, limit: 100 }, memoryMiB: { request: 1, limit: 1 } } }), /request must not exceed limit/);
  });
});
