/**
 * `make test` runs its steps through scripts/services-scope.sh, which stops the real servers the
 * steps started (and only those), pass or fail. Exercised on a Redis of its own: a state
 * directory and ports of this test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from './processes.js';

describe('make test stops the real servers it started', { timeout: 300_000 }, () => {
  let env: NodeJS.ProcessEnv;
  let state: string;
  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'chat4all-scope-'));
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    env = { ...process.env, CHAT4ALL_STATE: state, REDIS_PORT: String(ports[0]), REDIS_REPLICA_PORT: String(ports[1]), REDIS_SENTINEL_PORTS: ports.slice(2).join(' '), KEEP_SERVICES: '' };
  });
  after(() => {
    spawnSync('scripts/services.sh', ['down', 'redis'], { env, stdio: 'ignore' });
    rmSync(state, { recursive: true, force: true });
  });

  const run = (command: string, extra: NodeJS.ProcessEnv = {}) => spawnSync('scripts/services-scope.sh', ['bash', '-c', command], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 240_000 });
  const redisRunning = () => /redis-1\s+running/.test(spawnSync('scripts/services.sh', ['status', 'redis'], { env, encoding: 'utf8' }).stdout);

  it('stops what the command started, also when it fails, and keeps its exit status', async () => {
    const r = run('scripts/services.sh up redis >/dev/null && exit 3');
    assert.equal(r.status, 3, r.stderr);
    assert.equal(redisRunning(), false, `redis left running: ${r.stderr}`);
  });

  it('keeps what was running before, and what KEEP_SERVICES=1 asks to keep', async () => {
    const kept = run('scripts/services.sh up redis >/dev/null', { KEEP_SERVICES: '1' });
    assert.equal(kept.status, 0, kept.stderr);
    assert.equal(redisRunning(), true, 'kept on request');
    const again = run('scripts/services.sh up redis >/dev/null');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(redisRunning(), true, 'it was running before: not this run\'s to stop');
  });

  it('is how make test runs its steps', () => {
    const dry = spawnSync('make', ['-n', 'test'], { encoding: 'utf8' });
    assert.match(dry.stdout, /scripts\/services-scope\.sh .*test-steps/);
  });
});
