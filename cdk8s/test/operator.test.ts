import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { OperatorChart } from '../src/charts/operator-chart.js';
import { Chat4AllCrd } from '../src/operator/chat4all-crd.js';
import { one, synthOf } from './support/synth.js';

describe('Chat4AllCrd', () => {
  const crd = one(synthOf((s) => new Chat4AllCrd(s, 'Crd')), 'CustomResourceDefinition');
  const version = crd.spec.versions[0];
  const gateway = version.schema.openAPIV3Schema.properties.spec.properties.gateway;

  it('defines chat4all.io/v1alpha1 Chat4All, namespaced', () => {
    assert.equal(crd.metadata.name, 'chat4alls.chat4all.io');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual([crd.spec.names.kind, crd.spec.names.plural, version.name], ['Chat4All', 'chat4alls', 'v1alpha1']);
  });

  it('validates the gateway spec: required fields, minimums, defaults and min <= max', () => {
    assert.deepEqual(gateway.required, ['deployment', 'maxReplicas', 'targetConnectionsPerPod']);
    assert.equal(gateway.properties.minReplicas.minimum, 1);
    assert.equal(gateway.properties.minReplicas.default, 2);
    assert.equal(gateway.properties.metricsPort.default, 9095);
    assert.equal(gateway.properties.tolerance.default, 0.1);
    assert.equal(gateway.properties.behavior.properties.scaleDown.properties.stabilizationWindowSeconds.default, 300);
    assert.equal(gateway.properties.behavior.properties.scaleUp.properties.stabilizationWindowSeconds.default, 0);
    assert.deepEqual(gateway.properties.behavior.properties.scaleUp.properties.policies.items.properties.type.enum, ['Pods', 'Percent']);
    assert.ok(gateway['x-kubernetes-validations'].some((v: any) => v.rule === 'self.minReplicas <= self.maxReplicas'));
  });

  it('has status and scale subresources', () => {
    assert.deepEqual(version.subresources.status, {});
    assert.deepEqual(version.subresources.scale, { specReplicasPath: '.spec.gateway.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
    const conditions = version.schema.openAPIV3Schema.properties.status.properties.conditions;
    assert.equal(conditions['x-kubernetes-list-type'], 'map');
    assert.deepEqual(conditions.items.required, ['type', 'status', 'lastTransitionTime', 'reason', 'message']);
  });

  it('prints Min, Max, Desired, Current, Connections and Age', () => {
    assert.deepEqual(version.additionalPrinterColumns.map((c: any) => c.name), ['Min', 'Max', 'Desired', 'Current', 'Connections', 'Age']);
  });
});

describe('OperatorChart', () => {
  const objects = Testing.synth(new OperatorChart(Testing.app(), 'operator'));

  it('grants a namespaced Role exactly what the operator needs, and no cluster-wide power', () => {
    assert.equal(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding').length, 0);
    const rules = one(objects, 'Role', 'chat4all-operator').rules;
    const grants = (group: string, resource: string) => rules.filter((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r: any) => r.verbs).sort();
    assert.deepEqual(grants('chat4all.io', 'chat4alls'), ['get', 'list', 'watch']);
    assert.deepEqual(grants('chat4all.io', 'chat4alls/status'), ['get', 'patch', 'update']);
    assert.deepEqual(grants('apps', 'deployments'), ['get', 'list', 'patch', 'update', 'watch']);
    assert.deepEqual(grants('apps', 'deployments/scale'), ['get', 'patch', 'update']);
    assert.deepEqual(grants('', 'pods'), ['get', 'list', 'patch', 'watch']);
    assert.deepEqual(grants('coordination.k8s.io', 'leases'), ['create', 'get', 'update']);
    assert.deepEqual(grants('', 'secrets'), []);
    assert.ok(!rules.some((r: any) => r.verbs.includes('*') || r.resources.includes('*') || r.verbs.includes('delete')));
    const binding = one(objects, 'RoleBinding', 'chat4all-operator');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'chat4all-operator' }]);
  });

  it('runs two hardened pods that elect a leader', () => {
    const d = one(objects, 'Deployment', 'chat4all-operator');
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'chat4all-operator');
    const c = pod.containers[0];
    assert.equal(c.image, 'chat4all-operator:dev');
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.ok(c.env.some((e: any) => e.name === 'POD_NAMESPACE' && e.valueFrom.fieldRef.fieldPath === 'metadata.namespace'));
    assert.equal(pod.securityContext.runAsUser, 10001);
    const spread = pod.topologySpreadConstraints.find((t: any) => t.topologyKey === 'kubernetes.io/hostname');
    assert.deepEqual([spread.maxSkew, spread.labelSelector.matchLabels['app.kubernetes.io/name']], [1, 'chat4all-operator']);
  });

  it('puts the gateway Deployment under a sample Chat4All', () => {
    const c = one(objects, 'Chat4All', 'chat4all');
    assert.equal(c.apiVersion, 'chat4all.io/v1alpha1');
    assert.equal(c.spec.gateway.deployment, 'chat4all-gateway');
    assert.ok(c.spec.gateway.minReplicas <= c.spec.gateway.maxReplicas);
  });

  it('rejects crossed bounds and a bad image', () => {
    assert.throws(() => new OperatorChart(Testing.app(), 'o', { gatewayScaling: { minReplicas: 5, maxReplicas: 2 } }), /minReplicas \(5\) must not exceed maxReplicas \(2\)/);
    assert.throws(() => new OperatorChart(Testing.app(), 'o', { operator: { image: 'a b' } }), /image must be/);
  });
});
