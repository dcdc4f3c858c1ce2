import type { Logger } from 'pino';

export type CassandraConsistency = 'one' | 'localOne' | 'quorum' | 'localQuorum' | 'all';
export type CassandraSerialConsistency = 'serial' | 'localSerial';

export type CassandraReplication =
  | { class: 'SimpleStrategy'; replication_factor: number }
  | { class: 'NetworkTopologyStrategy'; [dc: string]: number | string };

/** How to reach Cassandra and how to use it. */
export interface CassandraOptions {
  /** `host:port` (or `host`, port 9042; `[v6addr]:port` for IPv6), e.g. `['cassandra-0.cassandra:9042']`. */
  contactPoints: string[];
  /** The data center whose nodes serve requests (`CASSANDRA_LOCAL_DC`), e.g. `datacenter1`. */
  localDataCenter: string;
  /** @default 'chat4all' */
  keyspace?: string;
  /**
   * Used only when the keyspace is missing and gets created; an existing keyspace is never altered.
   * @default { class: 'SimpleStrategy', replication_factor: 1 } (one node; production: NetworkTopologyStrategy, 3 per DC)
   */
  replication?: CassandraReplication;
  /** Consistency of every read and write. @default 'localQuorum' */
  consistency?: CassandraConsistency;
  /** Consistency of the Paxos phase of lightweight transactions. @default 'localSerial' */
  serialConsistency?: CassandraSerialConsistency;
  username?: string;
  password?: string;
  logger: Logger;
}

export interface CassandraEnv {
  CASSANDRA_CONTACT_POINTS?: string;
  CASSANDRA_LOCAL_DC?: string;
  CASSANDRA_KEYSPACE?: string;
  CASSANDRA_REPLICATION_FACTOR?: string;
  CASSANDRA_CONSISTENCY?: string;
  CASSANDRA_USERNAME?: string;
  CASSANDRA_PASSWORD?: string;
}

/** Unquoted CQL identifiers fold to lower case; keyspace names have at most 48 characters. */
export const KEYSPACE_NAME = /^[a-z][a-z0-9_]{0,47}$/;
const DC_NAME = /^[A-Za-z0-9_.-]+$/;
const CONSISTENCIES: Record<string, CassandraConsistency> = {
  one: 'one',
  localone: 'localOne',
  quorum: 'quorum',
  localquorum: 'localQuorum',
  all: 'all',
};

const fail = (variable: string, message: string): never => {
  throw new Error(`${variable}: ${message}`);
};

/**
 * Reads the Cassandra settings from the environment. Resolves undefined when
 * `CASSANDRA_CONTACT_POINTS` is unset or empty (the in-memory stores are used then).
 * Throws an Error naming the variable on a bad value.
 *
 * - `CASSANDRA_CONTACT_POINTS`: comma-separated `host:port` list (required to use Cassandra)
 * - `CASSANDRA_LOCAL_DC`: required with contact points, e.g. `datacenter1`
 * - `CASSANDRA_KEYSPACE`: default `chat4all`
 * - `CASSANDRA_REPLICATION_FACTOR`: `3` (SimpleStrategy) or `dc1:3,dc2:3` (NetworkTopologyStrategy);
 *   used only when creating the keyspace; default SimpleStrategy 1
 * - `CASSANDRA_CONSISTENCY`: one, localOne, quorum, localQuorum (default), all; `LOCAL_QUORUM` style accepted
 * - `CASSANDRA_USERNAME` / `CASSANDRA_PASSWORD`: both or neither
 */
export function parseCassandraOptions(env: CassandraEnv): Omit<CassandraOptions, 'logger'> | undefined {
  const raw = env.CASSANDRA_CONTACT_POINTS?.trim();
  if (!raw) return undefined;
  const contactPoints = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of contactPoints) checkContactPoint(p);
  if (contactPoints.length === 0) fail('CASSANDRA_CONTACT_POINTS', 'expected a comma-separated list of host:port');

  const localDataCenter = env.CASSANDRA_LOCAL_DC?.trim();
  if (!localDataCenter) return fail('CASSANDRA_LOCAL_DC', 'is required when CASSANDRA_CONTACT_POINTS is set (e.g. datacenter1)');
  if (!DC_NAME.test(localDataCenter)) fail('CASSANDRA_LOCAL_DC', `bad data center name ${JSON.stringify(localDataCenter)}`);

  const options: Omit<CassandraOptions, 'logger'> = { contactPoints, localDataCenter };
  const keyspace = env.CASSANDRA_KEYSPACE?.trim();
  if (keyspace) {
    if (!KEYSPACE_NAME.test(keyspace)) fail('CASSANDRA_KEYSPACE', 'expected a lower-case name of letters, digits and _ (at most 48, starting with a letter)');
    options.keyspace = keyspace;
  }
  const rf = env.CASSANDRA_REPLICATION_FACTOR?.trim();
  if (rf) options.replication = parseReplication(rf);
  const consistency = env.CASSANDRA_CONSISTENCY?.trim();
  if (consistency) {
    const c = CONSISTENCIES[consistency.toLowerCase().replace(/_/g, '')];
    if (!c) fail('CASSANDRA_CONSISTENCY', `expected one of ${Object.values(CONSISTENCIES).join(', ')}; got ${JSON.stringify(consistency)}`);
    options.consistency = c;
  }
  const username = env.CASSANDRA_USERNAME;
  const password = env.CASSANDRA_PASSWORD;
  if (username && !password) fail('CASSANDRA_PASSWORD', 'is required when CASSANDRA_USERNAME is set');
  if (password && !username) fail('CASSANDRA_USERNAME', 'is required when CASSANDRA_PASSWORD is set');
  if (username && password) Object.assign(options, { username, password });
  return options;
}

function checkContactPoint(p: string): void {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(\d+))?$/.exec(p);
  const port = m?.[2] === undefined ? 9042 : Number(m[2]);
  if (!m || port < 1 || port > 65535) fail('CASSANDRA_CONTACT_POINTS', `bad contact point ${JSON.stringify(p)} (expected host:port)`);
}

function parseReplication(value: string): CassandraReplication {
  const v = 'CASSANDRA_REPLICATION_FACTOR';
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1) fail(v, 'must be at least 1');
    return { class: 'SimpleStrategy', replication_factor: n };
  }
  const replication: CassandraReplication = { class: 'NetworkTopologyStrategy' };
  for (const part of value.split(',')) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) < 1) return fail(v, `expected a number (SimpleStrategy) or dc:n,dc:n (NetworkTopologyStrategy); got ${JSON.stringify(value)}`);
    replication[m[1]!] = Number(m[2]);
  }
  return replication;
}

/** The replication map as CQL, e.g. `{'class': 'SimpleStrategy', 'replication_factor': 1}`. Validates it. */
export function replicationCql(replication: CassandraReplication): string {
  const entries = Object.entries(replication).map(([k, val]) => {
    if (!DC_NAME.test(k) || !(typeof val === 'number' ? Number.isInteger(val) && val > 0 : DC_NAME.test(val))) {
      throw new Error(`bad replication setting ${k}=${String(val)}`);
    }
    return `'${k}': ${typeof val === 'number' ? val : `'${val}'`}`;
  });
  return `{${entries.join(', ')}}`;
}
