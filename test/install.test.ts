/**
 * A fresh install on the documented Node prints no warning: every locked package accepts the
 * oldest Node the README promises, and `npm ci` (dry run, same lock) says nothing but its summary.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import semver from 'semver';
import { REPO } from './repo.js';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  link?: boolean;
}

async function json<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(join(REPO, path), 'utf8')) as T;
}

describe('installing on the documented Node', () => {
  it('the README names the oldest Node that package.json accepts', async () => {
    const range = (await json<{ engines: { node: string } }>('package.json')).engines.node;
    const oldest = semver.minVersion(range);
    assert.ok(oldest, `engines.node ${range} has a minimum`);
    const readme = await readFile(join(REPO, 'README.md'), 'utf8');
    const stated = /Node\.js (\d+(?:\.\d+)*) or newer/.exec(readme)?.[1];
    assert.equal(stated && semver.coerce(stated)?.version, oldest.version, `README says Node.js ${stated}; engines.node says ${range}`);
  });

  it('every locked package accepts that Node', async () => {
    const range = (await json<{ engines: { node: string } }>('package.json')).engines.node;
    const oldest = semver.minVersion(range)!.version;
    const lock = await json<{ packages: Record<string, LockEntry> }>('package-lock.json');
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => !entry.link && entry.engines && !Array.isArray(entry.engines) && entry.engines.node)
      .filter(([, entry]) => !semver.satisfies(oldest, (entry.engines as { node: string }).node, { includePrerelease: true }))
      .map(([path, entry]) => `${path}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
    assert.deepEqual(refusing, [], `packages that would print EBADENGINE on Node ${oldest}`);
  });

  it('npm ci prints no warning on this Node', async () => {
    const cache = join(process.env.CHAT4ALL_CACHE ?? join(process.env.HOME ?? '/tmp', '.cache', 'chat4all'), 'npm');
    const { stdout, stderr } = await promisify(execFile)('npm', ['ci', '--dry-run', '--no-audit', '--no-fund', '--prefer-offline', '--cache', cache], { cwd: REPO, timeout: 120_000 });
    const warnings = `${stdout}\n${stderr}`.split('\n').filter((line) => /\bwarn\b|EBADENGINE/i.test(line));
    assert.deepEqual(warnings, [], `npm ci on Node ${process.version} warned`);
  });
});
