import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chat4allChart, ownedFiles } from '../src/helm/chat4all-chart.js';

const CHART = fileURLToPath(new URL('../../charts/chat4all/', import.meta.url));

describe('charts/chat4all', () => {
  const generated = chat4allChart();

  it('has exactly the files make chart generates (none stale, none missing)', () => {
    assert.deepEqual(ownedFiles(CHART, generated), [...generated.keys()].sort(), 'charts/chat4all differs from its cdk8s source: run make chart');
  });

  for (const [path, text] of generated) {
    it(`${path} is what make chart generates from the constructs`, () => {
      assert.equal(readFileSync(`${CHART}${path}`, 'utf8'), text, `charts/chat4all/${path} differs from its cdk8s source: run make chart`);
    });
  }
});
