// Shared by the integration tests: connection settings from the environment, a silent logger,
// plain ioredis clients for inspecting the server, and the scripts/services.sh commands.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@chat4all/core/testing';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { parseRedisOptions, type RedisOptions } from '../src/index.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const logger: Logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

function requireEnv(name: 'REDIS_URL' | 'REDIS_SENTINELS'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run \`scripts/services.sh up redis\` and \`eval "$(scripts/services.sh env)"\` first`);
  }
  return value;
}

/** The single Redis server (REDIS_URL). */
export function singleOptions(extra: Partial<RedisOptions> = {}): RedisOptions {
  return { url: requireEnv('REDIS_URL'), ...extra };
}

/** The Sentinel-managed master (REDIS_SENTINELS, REDIS_SENTINEL_NAME). */
export function sentinelOptions(extra: Partial<RedisOptions> = {}): RedisOptions {
  const options = parseRedisOptions({ REDIS_SENTINELS: requireEnv('REDIS_SENTINELS'), REDIS_SENTINEL_NAME: process.env.REDIS_SENTINEL_NAME });
  return { ...options, ...extra };
}

/** A plain client on REDIS_URL, for looking at what the adapters did. */
export function inspector(): Redis {
  return new Redis(requireEnv('REDIS_URL'), { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Runs scripts/services.sh with the given arguments; resolves its output. */
export async function services(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('scripts/services.sh', args, { cwd: repoRoot, timeout: 180_000 });
  return stdout + stderr;
}

function sentinelClient(): Redis {
  const [first] = sentinelOptions().sentinels!;
  return new Redis({ host: first!.host, port: first!.port, lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** The port of the master as the Sentinels see it. */
export async function sentinelMasterPort(): Promise<number> {
  const s = sentinelClient();
  try {
    const addr = (await s.call('SENTINEL', 'get-master-addr-by-name', process.env.REDIS_SENTINEL_NAME ?? 'mymaster')) as string[];
    return Number(addr[1]);
  } finally {
    s.disconnect();
  }
}

/**
 * Brings Redis back to the topology the environment names: every node running, and the master on
 * REDIS_URL's port (failing over back with SENTINEL FAILOVER when an earlier test moved it).
 */
export async function restoreRedis(): Promise<void> {
  await services('up', 'redis');
  const want = Number(new URL(requireEnv('REDIS_URL')).port);
  if ((await sentinelMasterPort()) === want) return;
  const name = process.env.REDIS_SENTINEL_NAME ?? 'mymaster';
  await waitFor(
    async () => {
      const s = sentinelClient();
      try {
        await s.call('SENTINEL', 'FAILOVER', name);
        return true;
      } catch {
        return false; // e.g. NOGOODSLAVE while the Sentinels still look at the returned node
      } finally {
        s.disconnect();
      }
    },
    'SENTINEL FAILOVER accepted',
    30_000,
    500,
  );
  await waitFor(async () => (await sentinelMasterPort()) === want, `the master back on port ${want}`, 30_000, 200);
  await services('up', 'redis'); // waits for the replication link and the Sentinels' agreement
}
