/**
 * Files exchanged through the CLI on real servers: the platform in this process on real Kafka,
 * Cassandra (a keyspace of its own), Redis with Sentinel and the S3 object store
 * (`scripts/services.sh up`, which `make test-integration` runs first).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, selectBackends, startPlatform, type RunningPlatform } from '@chat4all/server';
import { pino } from 'pino';
import { tempDir, waitFor } from './helpers.js';
import { CliUser } from './platform.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MAX_BYTES = 32 * 1024 * 1024;

describe('files through the CLI on real servers', { timeout: 300_000 }, () => {
  let urls: { apiUrl: string; websocketUrl: string };

  before(async () => {
    for (const name of ['KAFKA_BROKERS', 'CASSANDRA_CONTACT_POINTS', 'REDIS_SENTINELS', 'S3_ENDPOINT']) {
      if (!process.env[name]) throw new Error(`${name} is not set: run \`make test-integration\` (it starts the servers and exports them)`);
    }
    const jwtSecret = randomBytes(32).toString('hex');
    const env = {
      ...process.env,
      ROLE: 'all',
      HOST: '127.0.0.1',
      API_PORT: '0',
      WEBSOCKET_PORT: '0',
      METRICS_PORT: '0',
      JWT_SECRET: jwtSecret,
      CASSANDRA_KEYSPACE: `chat4all_cli_${randomBytes(4).toString('hex')}`,
      CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
      ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
    };
    const config = loadConfig(env);
    const logger = pino({ level: 'silent' });
    const backends = await selectBackends(config, env, logger);
    const platform: RunningPlatform = await startPlatform({ config, backends, logger, jwtSecret, passwords: { N: 1024, r: 8, p: 1 } });
    cleanups.push(() => platform.shutdown(0));
    assert.equal(backends.kind, 'kafka+cassandra+s3+redis');
    urls = { apiUrl: `http://127.0.0.1:${platform.apiPort}`, websocketUrl: `ws://127.0.0.1:${platform.websocketPort}` };
  });

  it('alice sends a 20 MB file with send --file; bob downloads its very bytes; a file over the bound is refused and nothing is sent', async () => {
    const alice = await (await CliUser.create(urls, cleanups, 'alice')).signUp();
    const bob = await (await CliUser.create(urls, cleanups, 'bob')).signUp();
    const dir = await tempDir(cleanups);
    const bytes = randomBytes(20 * 1024 * 1024);
    await writeFile(join(dir, 'dataset.bin'), bytes);

    const sent = await alice.ok<{ message_id: string }>(['--json', 'send', bob.username, 'the data', '--file', join(dir, 'dataset.bin')]);
    await waitFor(async () => (await bob.ok<string>(['history', alice.username])).includes('the data [file: dataset.bin (20.0 MiB)]'), 'the file in bob’s history, from Cassandra', 60_000);
    const out = await tempDir(cleanups);
    await bob.ok(['download', sent.message_id, '--out', out]);
    assert.equal(sha256(await readFile(join(out, 'dataset.bin'))), sha256(bytes), 'bob has the very bytes alice sent');

    const big = join(dir, 'too-big.iso');
    await writeFile(big, '');
    await truncate(big, MAX_BYTES + 1);
    const refused = await alice.run(['send', bob.username, 'too big', '--file', big]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /too large|over the bound/);
    const history = await bob.ok<{ messages: { content: string }[] }>(['--json', 'history', alice.username]);
    assert.deepEqual(history.messages.map((m) => m.content), ['the data'], 'nothing more was sent');
  });
});
