import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chartFiles } from '../src/chart-files.js';

const CHART = new URL('../../charts/chat4all/', import.meta.url);

describe('the Helm chart’s generated files', () => {
  for (const [path, text] of Object.entries(chartFiles())) {
    it(`charts/chat4all/${path} is up to date (make chart-files)`, () => {
      assert.equal(readFileSync(new URL(path, CHART), 'utf8'), text, `charts/chat4all/${path} drifted from its cdk8s source: run make chart-files`);
    });
  }
});
