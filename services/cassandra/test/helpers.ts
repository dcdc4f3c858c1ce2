import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import cassandra from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import { pino, type Logger } from 'pino';
import type { CassandraOptions } from '../src/index.js';

/** The test server's settings; fails with a hint when they are missing. */
export function serverSettings(): { contactPoints: string[]; localDataCenter: string } {
  const points = process.env['CASSANDRA_CONTACT_POINTS'];
  if (!points) throw new Error('CASSANDRA_CONTACT_POINTS is not set: run `scripts/services.sh up cassandra` and `eval "$(scripts/services.sh env)"`');
  return { contactPoints: points.split(','), localDataCenter: process.env['CASSANDRA_LOCAL_DC'] ?? 'datacenter1' };
}

/** A keyspace of the test's own. */
export const testKeyspace = (): string => `chat4all_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** A logger that keeps its JSON lines for assertions (and prints warnings when CASSANDRA_TEST_LOG is set). */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      if (process.env['CASSANDRA_TEST_LOG']) process.stderr.write(chunk);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

export function testOptions(keyspace: string, logger: Logger = capturingLogger().logger): CassandraOptions {
  return { ...serverSettings(), keyspace, logger };
}

/** Runs `fn` with a plain driver client (for setup the stores cannot do, and for dropping keyspaces). */
export async function withRawClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new cassandra.Client({ ...serverSettings(), queryOptions: { prepare: true } });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.shutdown();
  }
}

export async function dropKeyspace(keyspace: string): Promise<void> {
  await withRawClient((c) => c.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { prepare: false }));
}
