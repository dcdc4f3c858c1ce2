import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { unavailable } from '@chat4all/core';
import { waitFor } from '@chat4all/core/testing';
import { pino } from 'pino';
import { memoryBackends } from '../src/backends.js';
import { loadConfig } from '../src/config.js';
import { startPlatform } from '../src/platform.js';

const held: Server[] = [];
after(() => Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve)))));

/** A port on 127.0.0.1 that this test keeps busy. */
function busyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      held.push(server);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** chat4all-server to its exit, with the given environment. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/server/src/main.ts'], { env: { ...process.env, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('chat4all-server starting', () => {
  it('names the variable and the port when a port is in use, in one line and without a stack trace', async () => {
    const port = await busyPort();
    const r = await runServer({ API_PORT: String(port), WEBSOCKET_PORT: '0', METRICS_PORT: '0' });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `chat4all-server: API_PORT: port ${port} on 127.0.0.1 is already in use (another chat4all-server, or \`make run\` in another terminal?); stop it, or set API_PORT (or --api-port) to another port\n`,
    );
  });

  it('names WEBSOCKET_PORT for the gateway, and stops what it had started', async () => {
    const port = await busyPort();
    const config = loadConfig({ API_PORT: '0', WEBSOCKET_PORT: String(port), METRICS_PORT: '0' });
    const backends = memoryBackends(config);
    let closed = false;
    await assert.rejects(
      startPlatform({ config, backends: { ...backends, close: async () => void (closed = true) }, logger: pino({ level: 'silent' }), jwtSecret: 'x'.repeat(32) }),
      (err: Error & { code?: string }) => err.code === 'invalid_config' && err.message.startsWith(`WEBSOCKET_PORT: port ${port} on 127.0.0.1 is already in use`),
    );
    assert.ok(closed, 'the backends were closed again');
    await backends.close();
  });

  it('listens on loopback only in the embedded default', async () => {
    const config = loadConfig({ API_PORT: '0', WEBSOCKET_PORT: '0', METRICS_PORT: '0' });
    const platform = await startPlatform({ config, backends: memoryBackends(config), logger: pino({ level: 'silent' }), jwtSecret: 'x'.repeat(32) });
    try {
      const address = platform.api?.server.address();
      assert.equal(typeof address === 'object' && address ? address.address : undefined, '127.0.0.1');
    } finally {
      await platform.shutdown(0);
    }
  });
});

describe('the worker on a backend that cannot serve yet', () => {
  it('keeps the process up and not ready, and consumes once the event log answers', async () => {
    // The worker role alone, on in-memory backends (the configuration would want shared ones).
    const config = { ...loadConfig({ METRICS_PORT: '0', HOST: '127.0.0.1' }), role: 'worker' as const };
    const backends = memoryBackends(config);
    let refusals = 2;
    const ensureTopics = backends.eventLog.ensureTopics.bind(backends.eventLog);
    backends.eventLog.ensureTopics = async (topics) => {
      if (refusals-- > 0) throw unavailable('kafka_unavailable', 'cannot create topics: This server does not host this topic-partition');
      return ensureTopics(topics);
    };
    const p = await startPlatform({ config, backends, logger: pino({ level: 'silent' }), jwtSecret: 'x'.repeat(32) });
    try {
      const readyz = async () => (await fetch(`http://127.0.0.1:${p.metricsPort}/readyz`)).json() as Promise<{ status: string; backends: Record<string, { status: string }> }>;
      const first = await readyz();
      assert.equal(first.status, 'not_ready');
      assert.equal(first.backends.worker?.status, 'down');
      assert.equal((await fetch(`http://127.0.0.1:${p.metricsPort}/healthz`)).status, 200, 'alive all the while');
      // Two refusals: retried after 1 s, then 2 s.
      await waitFor(async () => (await readyz()).status === 'ready', 'the worker consuming', 10_000, 100);
      assert.equal(refusals, -1);
    } finally {
      await p.shutdown(0);
    }
  });
});
