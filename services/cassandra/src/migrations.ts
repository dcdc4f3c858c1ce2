/**
 * Schema migrations: the CQL files of ../cql, applied in version order, once per keyspace.
 *
 * - A file is `NNN_name.cql`; NNN is its version. Statements end with `;`; comments are full
 *   lines starting with `--`. Every statement must be idempotent (`IF NOT EXISTS`, including
 *   `ALTER TABLE ... ADD IF NOT EXISTS`): a migration interrupted half-way runs again from its start.
 * - Applied versions are recorded in `schema_migrations` (version PK, name, checksum, applied_at).
 *   A migration is recorded only after all its statements succeeded and the schema agreed.
 * - Concurrent starters (several pods at once) serialize on a lease row in
 *   `schema_migrations_lock` (INSERT ... IF NOT EXISTS USING TTL 120: a crashed holder's lease
 *   expires); the others wait, then find everything applied. Creating these two bookkeeping
 *   tables is the only step not under the lease (both are IF NOT EXISTS, once per keyspace).
 * - The files are embedded in cql-files.generated.ts so a bundled server needs no files on disk.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { types } from 'cassandra-driver';
import { CQL_FILES } from './cql-files.generated.js';

export interface RunOptions {
  /** Read through Paxos (LOCAL_SERIAL / SERIAL; one partition only): sees every committed lightweight transaction. */
  serial?: boolean;
}

/** What migrations need: statements that run before the session is ready. */
export interface CqlRunner {
  readonly keyspace: string;
  /** Runs a prepared statement (no readiness check); driver errors mapped as by the session. */
  run(cql: string, params?: unknown[], options?: RunOptions): Promise<types.ResultSet>;
  /** Runs a schema change (not prepared) and waits for schema agreement (bounded). */
  schemaChange(cql: string): Promise<void>;
}

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  /** sha256 of the file's text, to warn when an applied file was edited. */
  checksum: string;
}

const LEASE_TTL_SECONDS = 120;
/** Longer than the lease TTL, so a lease left by a crashed starter expires while we wait. */
const LEASE_WAIT_MS = 150_000;
const LEASE_POLL_MS = 1_000;

const BOOKKEEPING: Record<string, string> = {
  schema_migrations: 'CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)',
  schema_migrations_lock: 'CREATE TABLE IF NOT EXISTS schema_migrations_lock (name text PRIMARY KEY, owner text, acquired_at timestamp)',
};

/** Splits a CQL file into statements: drops full-line `--` / `//` comments, splits on `;` ending a line. */
export function splitStatements(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((l) => !/^\s*(--|\/\/)/.test(l));
  return lines
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses `NNN_name.cql` files into migrations sorted by version; rejects duplicate versions and bad names. */
export function parseMigrations(files: ReadonlyArray<{ file: string; text: string }>): Migration[] {
  const migrations = files.map(({ file, text }) => {
    const m = /^(\d+)_([a-z0-9_]+)\.cql$/.exec(file);
    if (!m) throw new Error(`bad migration file name ${file} (expected NNN_name.cql)`);
    return { version: Number(m[1]), name: m[2]!, statements: splitStatements(text), checksum: createHash('sha256').update(text).digest('hex') };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new Error(`two migrations have version ${migrations[i]!.version}`);
  }
  return migrations;
}

export const MIGRATIONS: readonly Migration[] = parseMigrations(CQL_FILES);

/**
 * Applies the migrations not yet recorded in the runner's keyspace, in order. Resolves the
 * versions it applied (empty when the schema was up to date).
 */
export async function applyMigrations(runner: CqlRunner, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await ensureBookkeeping(runner);
  let pending = await pendingMigrations(runner, logger, migrations);
  if (pending.length === 0) return [];

  const owner = randomUUID();
  const deadline = Date.now() + LEASE_WAIT_MS;
  while (!(await takeLease(runner, owner))) {
    if (Date.now() > deadline) throw new Error('timed out waiting for another process to finish the Cassandra schema migrations');
    await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
    pending = await pendingMigrations(runner, logger, migrations);
    if (pending.length === 0) return [];
  }
  try {
    pending = await pendingMigrations(runner, logger, migrations);
    const applied: number[] = [];
    for (const m of pending) {
      const started = Date.now();
      for (const statement of m.statements) await runner.schemaChange(statement);
      await runner.run('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [m.version, m.name, m.checksum, new Date()]);
      logger.info({ keyspace: runner.keyspace, version: m.version, name: m.name, ms: Date.now() - started }, 'applied schema migration');
      applied.push(m.version);
    }
    return applied;
  } finally {
    await runner.run('DELETE FROM schema_migrations_lock WHERE name = ? IF owner = ?', ['migrations', owner]).catch((err: unknown) => {
      logger.warn({ err }, `could not release the schema migration lease (it expires in ${LEASE_TTL_SECONDS} s)`);
    });
  }
}

async function ensureBookkeeping(runner: CqlRunner): Promise<void> {
  for (const [table, ddl] of Object.entries(BOOKKEEPING)) {
    const found = await runner.run('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [runner.keyspace, table]);
    if (found.rowLength === 0) await runner.schemaChange(ddl);
  }
}

async function pendingMigrations(runner: CqlRunner, logger: Logger, migrations: readonly Migration[]): Promise<Migration[]> {
  const rs = await runner.run('SELECT version, checksum FROM schema_migrations');
  const applied = new Map<number, string>(rs.rows.map((r) => [r['version'] as number, r['checksum'] as string]));
  for (const m of migrations) {
    const checksum = applied.get(m.version);
    if (checksum !== undefined && checksum !== m.checksum) {
      logger.warn({ version: m.version, name: m.name }, 'an applied schema migration file was edited since; it is not applied again');
    }
  }
  return migrations.filter((m) => !applied.has(m.version));
}

async function takeLease(runner: CqlRunner, owner: string): Promise<boolean> {
  const rs = await runner.run(`INSERT INTO schema_migrations_lock (name, owner, acquired_at) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ${LEASE_TTL_SECONDS}`, [
    'migrations',
    owner,
    new Date(),
  ]);
  return rs.wasApplied();
}
