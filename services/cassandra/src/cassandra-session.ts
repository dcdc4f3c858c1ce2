import { unavailable, type BackendHealth } from '@chat4all/core';
import cassandra from 'cassandra-driver';
import type { types as DriverTypes } from 'cassandra-driver';
import type { Logger } from 'pino';
import { applyMigrations, type CqlRunner, type RunOptions } from './migrations.js';
import { KEYSPACE_NAME, replicationCql, type CassandraOptions } from './options.js';

const { Client, auth, errors, policies, types } = cassandra;

export type ResultSet = DriverTypes.ResultSet;
export type Row = DriverTypes.Row;

export type { CqlRunner, RunOptions };

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 15_000;
const SCHEMA_AGREEMENT_WAIT_MS = 30_000;

/** Response errors that mean "the cluster cannot serve this now": retry later. */
const UNAVAILABLE_CODES = new Set<number>([
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
]);

/** True for the driver errors that mean Cassandra cannot be reached or cannot serve now. */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof errors.NoHostAvailableError || err instanceof errors.OperationTimedOutError) return true;
  return err instanceof errors.ResponseError && UNAVAILABLE_CODES.has(err.code);
}

/** Maps unavailability to an `unavailable` Chat4AllError (the caller retries); other errors propagate unchanged. */
export function mapDriverError(err: unknown): unknown {
  if (!isUnavailableError(err)) return err;
  const what = err instanceof errors.ResponseError ? `${err.message}` : (err as Error).name;
  return unavailable('cassandra_unavailable', `Cassandra cannot serve now (${what})`, err);
}

/**
 * One Cassandra connection pool shared by the three stores.
 *
 * Construction does no I/O. `connect()` makes one bounded attempt (the driver's connect timeout,
 * 5 s per contact point, plus the schema steps): it connects, creates the keyspace if missing,
 * applies the migrations, and resolves once the stores are usable. When it fails it rejects with
 * an `unavailable` error and keeps retrying in the background (1 s, doubling to 15 s), so a caller
 * may ignore the rejection. Until the first success every operation rejects `unavailable` and
 * health is down; afterwards the driver reconnects to nodes by itself, and health follows
 * whether any node is up.
 */
export class CassandraSession implements CqlRunner {
  readonly keyspace: string;
  private readonly client: InstanceType<typeof Client>;
  private readonly logger: Logger;
  private readonly replication: string;
  private readonly serialConsistency: number;
  private ready = false;
  private closed = false;
  /** Hosts the driver dropped: shut down again at close, as their pools may have reconnected since. */
  private readonly removedHosts = new Set<RemovedHost>();
  private attempt: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_MIN_MS;
  private lastError = 'not connected yet';

  constructor(options: CassandraOptions) {
    this.logger = options.logger;
    this.keyspace = options.keyspace ?? 'chat4all';
    if (!KEYSPACE_NAME.test(this.keyspace)) throw new Error(`bad Cassandra keyspace name ${JSON.stringify(this.keyspace)}`);
    this.serialConsistency = types.consistencies[options.serialConsistency ?? 'localSerial'];
    this.replication = replicationCql(options.replication ?? { class: 'SimpleStrategy', replication_factor: 1 });
    this.client = new Client({
      contactPoints: options.contactPoints,
      localDataCenter: options.localDataCenter,
      ...(options.username !== undefined && options.password !== undefined
        ? { authProvider: new auth.PlainTextAuthProvider(options.username, options.password) }
        : {}),
      queryOptions: {
        prepare: true,
        consistency: types.consistencies[options.consistency ?? 'localQuorum'],
        serialConsistency: this.serialConsistency,
      },
      policies: { reconnection: new policies.reconnection.ExponentialReconnectionPolicy(500, 10_000, false) },
      protocolOptions: { maxSchemaAgreementWaitSeconds: 20 },
    });
    // Works around a driver leak (cassandra-driver 4.10): after losing every node, the control
    // connection re-creates the Host of a contact point and drops the old one without closing its
    // pool, which keeps reconnecting and, once the node is back, holds a connection that close()
    // never releases. Shutting down every host the driver removes is safe for real removals too.
    this.client.on('hostRemove', (host: unknown) => {
      const h = host as RemovedHost;
      this.removedHosts.add(h);
      void h.shutdown(false).catch(() => undefined);
    });
    this.client.on('log', (level: string, className: string, message: string) => {
      if (level === 'error') this.logger.error({ component: className }, message);
      else if (level === 'warning') this.logger.warn({ component: className }, message);
    });
  }

  /** Up once connected and migrated, while at least one node is reachable. */
  health(): BackendHealth {
    if (this.closed) return { status: 'down', detail: 'closed' };
    if (!this.ready) return { status: 'down', detail: this.lastError };
    const hosts = this.client.hosts.values();
    if (hosts.some((h) => h.isUp())) return { status: 'up' };
    return { status: 'down', detail: 'no Cassandra node is reachable' };
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the Cassandra session is closed'));
    if (this.ready) return Promise.resolve();
    this.attempt ??= this.tryConnect().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  private assertReady(): void {
    if (!this.ready) {
      throw unavailable('cassandra_unavailable', this.closed ? 'the Cassandra session is closed' : `Cassandra is not connected (${this.lastError})`);
    }
  }

  /** Runs a prepared statement; rejects `unavailable` until connected and while no node can serve it. */
  async execute(cql: string, params: unknown[] = [], options: RunOptions = {}): Promise<ResultSet> {
    this.assertReady();
    return this.run(cql, params, options);
  }

  /**
   * Runs prepared writes as one unlogged batch: one request instead of one per statement. Not
   * atomic: a failed batch may have applied some of them, so the writes must be idempotent (the
   * caller retries them all). Rejects `unavailable` like `execute`.
   */
  async batch(writes: { cql: string; params: unknown[] }[]): Promise<void> {
    if (writes.length === 1) {
      await this.execute(writes[0]!.cql, writes[0]!.params);
      return;
    }
    this.assertReady();
    try {
      await this.client.batch(writes.map((w) => ({ query: w.cql, params: w.params })), { prepare: true, logged: false });
    } catch (err) {
      throw mapDriverError(err);
    }
  }

  async run(cql: string, params: unknown[] = [], options: RunOptions = {}): Promise<ResultSet> {
    try {
      return await this.client.execute(cql, params, {
        prepare: true,
        ...(options.serial ? { consistency: this.serialConsistency } : {}),
      });
    } catch (err) {
      throw mapDriverError(err);
    }
  }

  async schemaChange(cql: string): Promise<void> {
    let result: ResultSet;
    try {
      result = await this.client.execute(cql, [], { prepare: false });
    } catch (err) {
      throw mapDriverError(err);
    }
    // Both exist at run time; the typings lack them.
    if ((result.info as { isSchemaInAgreement?: boolean }).isSchemaInAgreement) return;
    const metadata = this.client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
    // The driver waited maxSchemaAgreementWaitSeconds already; keep checking a while longer.
    const deadline = Date.now() + SCHEMA_AGREEMENT_WAIT_MS;
    while (Date.now() < deadline) {
      if (await metadata.checkSchemaAgreement()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw unavailable('cassandra_schema_disagreement', 'Cassandra nodes did not agree on the schema in time');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    clearTimeout(this.retryTimer);
    await this.attempt?.catch(() => undefined);
    await this.client.shutdown();
    for (const host of this.removedHosts) {
      await host.shutdown(false).catch(() => undefined);
      for (const c of host.pool?.connections ?? []) c.close?.();
    }
    this.removedHosts.clear();
  }

  private async tryConnect(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const started = Date.now();
    try {
      await this.client.connect().catch((err: unknown) => {
        throw mapDriverError(err);
      });
      await this.ensureKeyspace();
      const applied = await applyMigrations(this, this.logger);
      if (this.closed) throw new Error('the Cassandra session was closed while connecting');
      this.ready = true;
      this.retryDelay = RETRY_MIN_MS;
      this.logger.info({ keyspace: this.keyspace, applied, ms: Date.now() - started }, 'cassandra connected');
    } catch (err) {
      this.lastError = `connect failed: ${shortReason(err)}`;
      if (!this.closed) {
        this.logger.warn({ err, retryInMs: this.retryDelay }, 'cassandra connect failed; retrying in the background');
        this.retryTimer = setTimeout(() => void this.connect().catch(() => undefined), this.retryDelay);
        this.retryTimer.unref();
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
      }
      throw err;
    }
  }

  /** Creates the keyspace when missing (an existing one is left as it is), then makes it the session's. */
  private async ensureKeyspace(): Promise<void> {
    const found = await this.run('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [this.keyspace]);
    if (found.rowLength === 0) {
      await this.schemaChange(`CREATE KEYSPACE IF NOT EXISTS ${this.keyspace} WITH replication = ${this.replication}`);
      this.logger.info({ keyspace: this.keyspace, replication: this.replication }, 'created the cassandra keyspace');
    }
    try {
      await this.client.execute(`USE ${this.keyspace}`, [], { prepare: false });
    } catch (err) {
      throw mapDriverError(err);
    }
  }
}

function shortReason(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: unknown; code?: unknown; cause?: unknown };
    if (e.name === 'Chat4AllError' && e.cause) return shortReason(e.cause);
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown error';
}

/** The parts of a driver Host this session touches after the driver dropped it. */
interface RemovedHost {
  shutdown(waitForPending: boolean): Promise<void>;
  pool?: { connections?: { close?: () => void }[] };
}
