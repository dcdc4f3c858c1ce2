import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { addChat4All } from '../src/app.js';
import { isComponent } from '../src/network/flows.js';
import { profile } from '../src/profiles.js';

function policies(props = {}) {
  const charts = addChat4All(Testing.app(), props);
  const objects = Testing.synth(charts.network) as any[];
  return { charts, byName: new Map(objects.map((o) => [o.metadata.name, o])) };
}

/** The ports a policy admits from, or sends to, pods named `component`. */
function portsWith(rules: any[], side: 'from' | 'to', component: string): number[] {
  return rules
    .filter((r) => r[side].some((p: any) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'] === component && !p.namespaceSelector))
    .flatMap((r) => r.ports.map((p: any) => p.port))
    .sort((a: number, b: number) => a - b);
}

describe('NetworkPolicies', () => {
  it('deny every pod of the namespace by default, both ways', () => {
    const deny = policies().byName.get('chat4all-default-deny');
    assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('give each component a policy of exactly the flows that reach it and that it starts', () => {
    const { charts, byName } = policies();
    for (const flow of charts.network.flows) {
      if (isComponent(flow.to)) {
        const ingress = byName.get(flow.to.component).spec.ingress;
        assert.ok(ingress.some((r: any) => r.ports.length === flow.ports.length), `${flow.to.component} admits: ${flow.why}`);
      }
      if (isComponent(flow.from)) assert.ok(byName.get(flow.from.component).spec.egress.length > 0, `${flow.from.component} sends: ${flow.why}`);
    }
  });

  it('admit the ingress controller to the api and the gateways, and only on their client ports', () => {
    const { byName } = policies();
    const fromController = (component: string) =>
      byName.get(component).spec.ingress.filter((r: any) => r.from[0].namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'traefik');
    assert.deepEqual(fromController('chat4all-api').flatMap((r: any) => r.ports.map((p: any) => p.port)), [8080]);
    assert.deepEqual(fromController('chat4all-gateway').flatMap((r: any) => r.ports.map((p: any) => p.port)), [8085]);
    assert.deepEqual(fromController('chat4all-kafka'), []);
  });

  it('let the gateway reach Kafka\u2019s client port, not its controller port', () => {
    const egress = policies().byName.get('chat4all-gateway').spec.egress;
    assert.deepEqual(portsWith(egress, 'to', 'chat4all-kafka'), [9092]);
  });

  it('admit only Prometheus to the api\u2019s metrics port', () => {
    const ingress = policies().byName.get('chat4all-api').spec.ingress;
    const onMetrics = ingress.filter((r: any) => r.ports.some((p: any) => p.port === 9095));
    assert.deepEqual(onMetrics.map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name']), ['chat4all-prometheus']);
  });

  it('admit only the api to the object store, on its S3 port, and let the object store reach nothing', () => {
    const { byName } = policies();
    const store = byName.get('chat4all-objectstore');
    assert.deepEqual(store.spec.ingress.map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name']), ['chat4all-api']);
    assert.deepEqual(portsWith(store.spec.ingress, 'from', 'chat4all-api'), [7070]);
    assert.equal(store.spec.egress, undefined);
    assert.deepEqual(store.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(portsWith(byName.get('chat4all-api').spec.egress, 'to', 'chat4all-objectstore'), [7070]);
    for (const other of ['chat4all-worker', 'chat4all-gateway']) assert.deepEqual(portsWith(byName.get(other).spec.egress, 'to', 'chat4all-objectstore'), []);
  });

  it('follow the names and the controller the props give, and Grafana only when it runs', () => {
    const { byName } = policies({
      platform: { ingress: { controller: 'nginx', className: 'nginx', controllerNamespace: 'ingress-nginx', controllerPodName: 'ingress-nginx' } },
      observability: { grafana: { enabled: false } },
    });
    const fromNginx = byName.get('chat4all-api').spec.ingress.find((r: any) => r.from[0].namespaceSelector);
    assert.deepEqual(fromNginx.from[0], {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
    });
    assert.equal(byName.get('chat4all-grafana'), undefined);
    assert.ok(policies(profile('default')).byName.get('chat4all-grafana'));
  });
});
