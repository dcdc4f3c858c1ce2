import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';

const kubeconfig = fileURLToPath(import.meta.url); // any file that exists

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ KUBECONFIG: kubeconfig, WATCH_NAMESPACE: 'chat4all', POD_NAME: 'op-0' });
    assert.deepEqual(
      [c.namespace, c.leaseNamespace, c.leaseName, c.leaseDurationSeconds, c.resyncSeconds, c.pollSeconds, c.metricsPort, c.identity, c.podSelector],
      ['chat4all', 'chat4all', 'chat4all-operator', 15, 30, 15, 9090, 'op-0', 'app.kubernetes.io/component=gateway'],
    );
  });

  it('takes the pod watch selector from GATEWAY_POD_SELECTOR', () => {
    const c = loadConfig({ KUBECONFIG: kubeconfig, GATEWAY_POD_SELECTOR: 'app.kubernetes.io/part-of=chat4all,tier in (edge)' });
    assert.equal(c.podSelector, 'app.kubernetes.io/part-of=chat4all,tier in (edge)');
  });

  it('uses the in-cluster service account without KUBECONFIG, and its namespace', () => {
    const c = loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, () => 'team-a');
    assert.deepEqual([c.kubeconfig, c.namespace], [undefined, 'team-a']);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{}, /KUBECONFIG/],
    [{ KUBECONFIG: '/no/such/file' }, /KUBECONFIG/],
    [{ KUBECONFIG: kubeconfig, LEASE_DURATION_SECONDS: 'soon' }, /LEASE_DURATION_SECONDS must be a whole number/],
    [{ KUBECONFIG: kubeconfig, LEASE_DURATION_SECONDS: '1' }, /LEASE_DURATION_SECONDS must be between 2 and 300/],
    [{ KUBECONFIG: kubeconfig, RESYNC_SECONDS: '0' }, /RESYNC_SECONDS/],
    [{ KUBECONFIG: kubeconfig, METRICS_PORT: '70000' }, /METRICS_PORT/],
    [{ KUBECONFIG: kubeconfig, WATCH_NAMESPACE: 'Not_A_Name' }, /WATCH_NAMESPACE/],
    [{ KUBECONFIG: kubeconfig, LEASE_NAME: 'UPPER' }, /LEASE_NAME/],
    [{ KUBECONFIG: kubeconfig, LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ KUBECONFIG: kubeconfig, GATEWAY_POD_SELECTOR: 'app=gw;rm' }, /GATEWAY_POD_SELECTOR/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env).replace(kubeconfig, '<file>')}, naming the variable`, () => {
      assert.throws(() => loadConfig(env, () => undefined), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});
