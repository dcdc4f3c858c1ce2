import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { generateChart } from '../src/helm/chart.js';
import { mutate } from '../src/helm/discover.js';
import { explainScalar } from '../src/helm/sites.js';
import { FIXTURE_META, FIXTURE_SOURCE, OPAQUE_SOURCE } from './fixtures/helm-fixture.js';



describe('explaining how a field changed with a value', () => {
  it('finds the value in place of its default, every occurrence that is one', () => {
    assert.deepEqual(explainScalar('web-headless.web.svc', 'zq-headless.zq.svc', 'name', 'zq'), {
      default: 'web',
      sites: [
        { kind: 'value', leaf: 'name', start: 0, end: 3 },
        { kind: 'value', leaf: 'name', start: 13, end: 16 },
      ],
    });
    // "dc1:3" became "dc1:1": only the last "1" is the value, since "dc3:1" is not the base.
    assert.deepEqual(explainScalar('dc1:3', 'dc1:1', 'ks', 1), { default: 3, sites: [{ kind: 'value', leaf: 'ks', start: 4, end: 5 }] });
  });

  it('calls a change ambiguous when several readings fit, and unexplained when none does', () => {
    assert.equal(explainScalar('3-3', '4-3', 'n', 3), undefined);
    assert.equal(explainScalar('a-b', 'c-c', 'x', 'c'), undefined);
    assert.equal(explainScalar('abab', 'bb', 'x', 'b'), 'ambiguous');
  });

  it('reads a list of one item per index, and an offset of a whole number', () => {
    const e = explainScalar('w-0.w:7,w-1.w:7,w-2.w:7', 'w-0.w:7,w-1.w:7,w-2.w:7,w-3.w:7,w-4.w:7', 'replicas', 5);
    assert.deepEqual(e, { default: 3, sites: [{ kind: 'list', leaf: 'replicas', start: 0, end: 23, separator: ',', item: { start: 0, end: 7 }, index: [[2, 3]] }] });
    assert.deepEqual(explainScalar(25, 35, 'drain', 20), { default: 10, sites: [{ kind: 'value', leaf: 'drain', start: 0, end: 2, add: 15 }] });
  });

  it('probes strings with values of the same shape', () => {
    assert.equal(mutate('chat4all-kafka:3.9'), 'dibu5bmm-lbglb:4.0');
  });
});

describe('a chart generated from constructs', () => {
  const chart = generateChart(FIXTURE_SOURCE, FIXTURE_META);
  const template = chart.get('templates/web.yaml')!;

  it('substitutes values, derives offsets and per-index lists from them', () => {
    assert.match(template, /replicas: \{\{ \(int64 \$\.Values\.replicas\) \}\}/);
    assert.match(template, /terminationGracePeriodSeconds: \{\{ \(add \(int64 \$\.Values\.drainSeconds\) 5\) \}\}/);
    assert.match(template, /range \$i := until \(int \(int64 \$\.Values\.replicas\)\) \}\}\{\{ \$items = append \$items \(printf "%v-%d\.%v:7000" \$\.Values\.name \$i \$\.Values\.name\)/);
    assert.match(template, /printf "%d-%d" \(int64 \$\.Values\.limits\.minReplicas\) \(int64 \$\.Values\.limits\.maxReplicas\)/);
  });

  it('puts what a boolean, an enum member, an optional value or object adds or removes under a condition', () => {
    assert.match(template, /\{\{- if \$\.Values\.metrics \}\}\n---\napiVersion: v1\nkind: Service/);
    assert.match(template, /\{\{- if eq \(toString \$\.Values\.controller\) "traefik" \}\}\n---\napiVersion: traefik\.io\/v1alpha1\nkind: Middleware/);
    assert.match(template, /timeout: \{\{ printf "%ds" \(int64 \$\.Values\.timeoutSeconds\) \| toJson \}\}/);
    assert.match(template, /timeoutMs: \{\{ \(mul \(int64 \$\.Values\.timeoutSeconds\) 1000\) \}\}/);
    assert.match(template, /\{\{- if not \(eq \(toString \$\.Values\.controller\) "traefik"\) \}\}\n\s+nginx\.ingress\.kubernetes\.io\/proxy-read-timeout: \{\{ printf "%d" \(int64 \$\.Values\.timeoutSeconds\) \| toJson \}\}/);
    assert.match(template, /\{\{- if \$\.Values\.extra \}\}\n---\napiVersion: v1\nkind: Pod[\s\S]*cpu: \{\{ printf "%dm" \(int64 \$\.Values\.extraResources\.cpuMillis\) \| toJson \}\}/);
    assert.match(template, /\{\{- if \$\.Values\.resources\.ephemeralMiB \}\}\n\s+limits:\n\s+ephemeral-storage: \{\{ printf "%dMi" \(int64 \$\.Values\.resources\.ephemeralMiB\.limit\) \| toJson \}\}/);
    assert.match(template, /\{\{- if \$\.Values\.storageClassName \}\}\n\s+storageClassName: \{\{ \$\.Values\.storageClassName \| toJson \}\}/);
  });

  it('draws create-only Secret values at install and keeps the ones a release already has', () => {
    assert.match(template, /\$existing := lookup "v1" "Secret" \$\.Release\.Namespace \(printf "%v-key" \$\.Values\.name\) \| default dict/);
    assert.match(template, /KEY: \{\{ index \(\$existing\.data \| default dict\) "KEY" \| default \(randAlphaNum 32 \| b64enc\) \}\}/);
  });

  it('moves scripts to files/ and reads them back', () => {
    assert.equal(chart.get('files/web-script/run.sh'), '#!/bin/sh\necho "{{ not a template }}"\n');
    assert.match(template, /run\.sh: \{\{ \$\.Files\.Get "files\/web-script\/run\.sh" \| toJson \}\}/);
  });

  it('writes values.yaml and the schema from the props: defaults, docs, what the constructs accept', () => {
    const values = chart.get('values.yaml')!;
    // extraResources shows only with extra: true, and its default is learned there.
    assert.deepEqual(parse(values), {
      name: 'web',
      replicas: 3,
      drainSeconds: 10,
      metrics: true,
      controller: 'nginx',
      timeoutSeconds: 60,
      limits: { minReplicas: 1, maxReplicas: 5 },
      resources: { cpuMillis: 200, memoryMiB: 256 },
      extra: false,
      extraResources: { cpuMillis: 100, memoryMiB: 64 },
    });
    assert.match(values, /# Ephemeral storage, MiB\.\n\s*# Unset by default: none\.\n\s*# ephemeralMiB:\n\s*# {3}request: ~\n\s*# {3}limit: ~\n/);
    assert.match(values, /# StorageClass of the claim\.\n\s*# Unset by default: the cluster's default class\.\n# storageClassName: ""/);
    const schema = JSON.parse(chart.get('values.schema.json')!);
    assert.deepEqual(schema.properties.replicas, { type: 'integer', description: 'Peers, odd.', default: 3, enum: [1, 3, 5, 7, 9] });
    assert.deepEqual(schema.properties.controller.enum, ['nginx', 'traefik']);
    assert.deepEqual(schema.properties.resources.properties.ephemeralMiB.required, ['request', 'limit']);
    assert.equal(schema.additionalProperties, false);
    assert.match(chart.get('templates/validate.yaml')!, /if gt \(int64 \$\.Values\.limits\.minReplicas\) \(int64 \$\.Values\.limits\.maxReplicas\)/);
  });

  it('refuses a construct that derives a field in a way no template expresses, naming the field', () => {
    assert.throws(() => generateChart(OPAQUE_SOURCE, FIXTURE_META), (e: Error & { code?: string }) => e.code === 'not_templatable' && /heapMiB[\s\S]*opaque\/Config\/data\/NEW_SIZE/.test(e.message));
  });
});
