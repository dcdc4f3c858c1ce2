import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Yaml } from 'cdk8s';

const DIR = new URL('../__snapshots__/', import.meta.url);

/**
 * Compares `objects` (rendered as YAML) with the stored snapshot `name`. UPDATE_SNAPSHOTS=1 writes
 * it, new or after a deliberate change; without it a missing snapshot fails, so a chart added
 * without its snapshot (or a snapshot not committed) cannot pass unnoticed. Whole charts only.
 */
export function matchSnapshot(name: string, objects: unknown[]): void {
  const file = new URL(`${name}.k8s.yaml`, DIR);
  const text = `# Snapshot of the ${name} chart: regenerate with UPDATE_SNAPSHOTS=1 after a deliberate change.\n${Yaml.stringify(...objects)}`;
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.ok(existsSync(file), `chart ${name} has no snapshot test/__snapshots__/${name}.k8s.yaml (UPDATE_SNAPSHOTS=1 writes it; commit it)`);
  assert.equal(text, readFileSync(file, 'utf8'), `chart ${name} differs from test/__snapshots__/${name}.k8s.yaml (UPDATE_SNAPSHOTS=1 to accept)`);
}
