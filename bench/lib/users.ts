import { CassandraStores, parseCassandraOptions } from '@chat4all/cassandra';
import { pino } from 'pino';
import { benchUsername, userId } from './ids.js';
import { BENCH_KEYSPACE } from './stack.js';

/** Users registered already in this process, by run prefix. */
const registered = new Map<string, number>();

/**
 * Registers users 0 .. count-1 of run `prefix` in the user store the gateway reads (Cassandra, the
 * benchmarks' keyspace), as `POST /v1/auth/register` would minus the password hashing: the gateway
 * refuses a token whose subject is no user. Through the store's own adapter, 64 at a time.
 */
export async function registerUsers(stack: Record<string, string>, prefix: string, count: number): Promise<void> {
  const from = registered.get(prefix) ?? 0;
  if (from >= count) return;
  const options = parseCassandraOptions({ ...stack, CASSANDRA_KEYSPACE: BENCH_KEYSPACE });
  if (!options) throw new Error('the benchmarks need Cassandra (CASSANDRA_CONTACT_POINTS) to register their users');
  const stores = new CassandraStores({ ...options, logger: pino({ level: 'warn' }) });
  const started = performance.now();
  try {
    await stores.connect();
    const createdAt = new Date().toISOString();
    let next = from;
    const lane = async () => {
      for (let i = next++; i < count; i = next++) {
        // No one logs in with it: a hash of no known password.
        await stores.users.create({ user_id: userId(prefix, i), username: benchUsername(prefix, i), display_name: `bench ${i}`, created_at: createdAt, password_hash: 'bench$no-password' });
      }
    };
    await Promise.all(Array.from({ length: 64 }, lane));
  } finally {
    await stores.close();
  }
  registered.set(prefix, count);
  console.log(`bench: registered ${count - from} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
