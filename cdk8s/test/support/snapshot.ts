import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Yaml } from 'cdk8s';

const DIR = new URL('../__snapshots__/', import.meta.url);

/**
 * Compares `objects` (rendered as YAML) with the stored snapshot `name`. A missing snapshot is
 * written; UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change. Whole charts only.
 */
export function matchSnapshot(name: string, objects: unknown[]): void {
  const file = new URL(`${name}.k8s.yaml`, DIR);
  const text = `# Snapshot of the ${name} chart: regenerate with UPDATE_SNAPSHOTS=1 after a deliberate change.\n${Yaml.stringify(...objects)}`;
  if (!existsSync(file) || process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, 'utf8'), `chart ${name} differs from test/__snapshots__/${name}.k8s.yaml (UPDATE_SNAPSHOTS=1 to accept)`);
}
