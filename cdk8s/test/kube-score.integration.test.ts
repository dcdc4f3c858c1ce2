/**
 * kube-score on the manifests as production renders them (the default props): every finding it
 * keeps must be justified in docs/kubernetes.md ("Findings of kube-score we keep"), and every
 * justification there must still match a finding, so the table and the manifests cannot drift.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chat4allApp } from '../src/app.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const OPTIONAL_CHECKS = ['container-seccomp-profile', 'container-ports-check'];

function kubeScore(): string {
  const install = spawnSync(`${REPO}scripts/cluster/tools.sh`, ['install', 'kube-score'], { encoding: 'utf8', timeout: 3_600_000 });
  assert.equal(install.status, 0, install.stderr);
  return spawnSync(`${REPO}scripts/cluster/tools.sh`, ['path', 'kube-score'], { encoding: 'utf8' }).stdout.trim();
}

/** `Kind name: check` for every finding kube-score keeps on the default manifests. */
function findings(dir: string): string[] {
  chat4allApp(dir).app.synth();
  const files = readdirSync(dir).map((f) => join(dir, f));
  const args = ['score', '--output-format', 'json', ...OPTIONAL_CHECKS.flatMap((c) => ['--enable-optional-test', c]), ...files];
  const r = spawnSync(kubeScore(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.ok(r.stdout, r.stderr);
  const objects = JSON.parse(r.stdout) as { object_name: string; type_meta: { kind: string }; checks: { check: { id: string }; grade: number; skipped: boolean }[] }[];
  return objects
    .flatMap((o) => o.checks.filter((c) => !c.skipped && c.grade < 10).map((c) => `${o.type_meta.kind} ${o.object_name.split('/').pop()}: ${c.check.id}`))
    .sort();
}

/** The rows of docs/kubernetes.md's table of kept findings, as `Kind name: check`. */
function justified(): string[] {
  const doc = readFileSync(`${REPO}docs/kubernetes.md`, 'utf8');
  const section = doc.split(/^#{2,3} /m).find((s) => s.startsWith('Findings of kube-score we keep'));
  assert.ok(section, 'docs/kubernetes.md has a section "Findings of kube-score we keep"');
  const rows = section
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
  return rows
    .flatMap(([, objects, check]) => objects!.split(',').map((o) => `${o.trim().replace(/`/g, '')}: ${check!.replace(/`/g, '')}`))
    .sort();
}

describe('kube-score', { timeout: 3_600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat4all-kube-score-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing on the production manifests but what docs/kubernetes.md justifies, and the table names nothing it does not find', () => {
    assert.deepEqual(findings(dir), justified());
  });
});
