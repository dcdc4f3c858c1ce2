import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { ObservabilityChart } from '../src/charts/observability-chart.js';
import { one } from './support/synth.js';

describe('ObservabilityChart', () => {
  const objects = Testing.synth(new ObservabilityChart(Testing.app(), 'observability', { grafanaAdminPassword: { name: 'chat4all-grafana', key: 'admin-password' } }));

  it('scrapes every annotated Chat4All pod of its namespace, labelled by role and pod', () => {
    const config = parse(one(objects, 'ConfigMap', 'chat4all-prometheus-config').data['prometheus.yml']);
    const job = config.scrape_configs[0];
    assert.deepEqual(job.kubernetes_sd_configs, [{ role: 'pod', namespaces: { own_namespace: true } }]);
    const targets = job.relabel_configs.map((r: any) => r.target_label).filter(Boolean);
    assert.deepEqual(targets, ['__address__', '__metrics_path__', 'role', 'pod', 'namespace']);
    const rules = one(objects, 'Role', 'chat4all-prometheus').rules;
    assert.deepEqual(rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
  });

  it('provisions Grafana’s data source and the three dashboards from ConfigMaps', () => {
    const ds = parse(one(objects, 'ConfigMap', 'chat4all-grafana-datasources').data['prometheus.yaml']);
    assert.equal(ds.datasources[0].url, 'http://chat4all-prometheus:9090');
    assert.equal(ds.datasources[0].uid, 'prometheus');
    const providers = parse(one(objects, 'ConfigMap', 'chat4all-grafana-dashboard-providers').data['chat4all.yaml']);
    assert.equal(providers.providers[0].options.path, '/var/lib/grafana-dashboards');
    const dashboards = one(objects, 'ConfigMap', 'chat4all-grafana-dashboards').data;
    assert.deepEqual(Object.keys(dashboards).sort(), ['gateway.json', 'operator.json', 'pipeline.json']);
    for (const text of Object.values(dashboards) as string[]) assert.ok(JSON.parse(text).panels.length >= 4);
    const mounts = one(objects, 'Deployment', 'chat4all-grafana').spec.template.spec.containers[0].volumeMounts.map((m: any) => `${m.name}:${m.mountPath}`);
    assert.ok(mounts.includes('dashboards:/var/lib/grafana-dashboards'));
    assert.ok(mounts.includes('datasources:/etc/grafana/provisioning/datasources'));
  });

  it('takes Grafana’s admin password from the generated Secret', () => {
    const env = one(objects, 'Deployment', 'chat4all-grafana').spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e: any) => e.name === 'GF_SECURITY_ADMIN_PASSWORD').valueFrom, { secretKeyRef: { key: 'admin-password', name: 'chat4all-grafana' } });
  });
});
