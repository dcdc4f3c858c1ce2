import { parseArgs } from 'node:util';
import { ConfigError, type Env, envChoice as oneOf, envInt as int } from '@chat4all/core/runtime';

export { ConfigError };

export type Role = 'all' | 'api' | 'worker' | 'gateway';
const ROLES: Role[] = ['all', 'api', 'worker', 'gateway'];

/** chat4all-server's configuration, parsed once from the environment and flags, then frozen. */
export interface ServerConfig {
  role: Role;
  host: string;
  apiPort: number;
  websocketPort: number;
  metricsPort: number;
  /** Undefined in the embedded default: a random secret is made at start. */
  jwtSecret: string | undefined;
  jwtTtlSeconds: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  logFormat: 'json' | 'pretty';
  heartbeatMs: number;
  drainSeconds: number;
  historyMaxEvents: number;
  historyTtlSeconds: number;
  /** Messages one user may send per second (twice that in a burst). */
  sendRateLimit: number;
  /** New WebSocket connections one gateway accepts per second (twice that in a burst). */
  connectRateLimit: number;
  /** Live events a gateway connection holds while it catches up; past them it is closed with 1012. */
  catchUpBuffer: number;
  /** Proxies in front of the api whose X-Forwarded-For gives the client address (login throttling counts by it). */
  trustProxyHops: number;
  /** The largest attachment, in bytes. */
  attachmentMaxBytes: number;
  /** How long an attachment's download link works. */
  attachmentLinkTtlSeconds: number;
  /** How long an attachment may wait to be sent with a message. */
  attachmentUnsentTtlSeconds: number;
  /** Where the embedded blob store keeps attachments' bytes; undefined: a temporary directory removed at stop. */
  attachmentsDir: string | undefined;
}

/** Flags override the variables of the same name: --api-port overrides API_PORT. */
const FLAGS = {
  role: 'ROLE',
  host: 'HOST',
  'api-port': 'API_PORT',
  'websocket-port': 'WEBSOCKET_PORT',
  'metrics-port': 'METRICS_PORT',
  'log-level': 'LOG_LEVEL',
  'log-format': 'LOG_FORMAT',
} as const;


/** Parses argv flags into the variables they stand for; `--help` yields `{ help: true }`. */
export function flagsToEnv(argv: string[]): { env: Env; help: boolean } {
  const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const env: Env = {};
  for (const [flag, name] of Object.entries(FLAGS)) {
    const v = (parsed.values as Record<string, unknown>)[flag];
    if (typeof v === 'string') env[name] = v;
  }
  return { env, help: parsed.values.help === true };
}

/** Reads and validates the configuration; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env, isTty = false): ServerConfig {
  const role = oneOf(env, 'ROLE', ROLES, 'all');
  const jwtSecret = env.JWT_SECRET === '' ? undefined : env.JWT_SECRET;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) throw new ConfigError('JWT_SECRET must be at least 32 bytes long');
  if (role !== 'all' && jwtSecret === undefined && role !== 'worker') {
    throw new ConfigError(`JWT_SECRET is required for ROLE=${role}: the api and the gateways must share it`);
  }
  if (role !== 'all') {
    const shared = [['KAFKA_BROKERS'], ['CASSANDRA_CONTACT_POINTS'], ['REDIS_URL', 'REDIS_SENTINELS'], ...(role === 'api' ? [['S3_ENDPOINT']] : [])];
    const missing = shared.filter((alts) => !alts.some((v) => env[v]));
    if (missing.length > 0) {
      throw new ConfigError(`ROLE=${role} runs beside other processes, so its backends must be shared: set ${missing.map((m) => m.join(' or ')).join(', ')} (or use ROLE=all)`);
    }
  }
  const config: ServerConfig = {
    role,
    host: env.HOST || defaultHost(role, env),
    apiPort: int(env, 'API_PORT', 8080, 0, 65535),
    websocketPort: int(env, 'WEBSOCKET_PORT', 8085, 0, 65535),
    metricsPort: int(env, 'METRICS_PORT', 9095, 0, 65535),
    jwtSecret,
    jwtTtlSeconds: int(env, 'JWT_TTL_SECONDS', 3600, 60, 30 * 86400),
    logLevel: oneOf(env, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, isTty ? 'pretty' : 'json'),
    heartbeatMs: int(env, 'HEARTBEAT_MS', 15_000, 100, 120_000),
    drainSeconds: int(env, 'DRAIN_SECONDS', 10, 0, 600),
    historyMaxEvents: int(env, 'HISTORY_MAX_EVENTS', 1000, 1000, 100_000),
    historyTtlSeconds: int(env, 'HISTORY_TTL_SECONDS', 86_400, 86_400, 30 * 86_400),
    sendRateLimit: int(env, 'SEND_RATE_LIMIT', 50, 1, 1_000_000),
    connectRateLimit: int(env, 'CONNECT_RATE_LIMIT', 1000, 1, 1_000_000),
    catchUpBuffer: int(env, 'CATCH_UP_BUFFER', 10_000, 100, 1_000_000),
    trustProxyHops: int(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    attachmentMaxBytes: int(env, 'ATTACHMENT_MAX_BYTES', 2 * 1024 ** 3, 1, 5 * 1024 ** 4),
    attachmentLinkTtlSeconds: int(env, 'ATTACHMENT_LINK_TTL_SECONDS', 3600, 10, 7 * 86_400),
    attachmentUnsentTtlSeconds: int(env, 'ATTACHMENT_UNSENT_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    attachmentsDir: env.ATTACHMENTS_DIR || undefined,
  };
  checkDistinctPorts(config);
  return Object.freeze(config);
}

/** The variables that switch a backend from memory to a real server. */
const BACKEND_VARIABLES = ['KAFKA_BROKERS', 'CASSANDRA_CONTACT_POINTS', 'REDIS_URL', 'REDIS_SENTINELS'];

/**
 * Where to listen when HOST is unset: the embedded default (role `all` on in-memory adapters, what
 * `make run` starts) is a development server and stays on loopback; a role that shares real
 * backends runs beside others (a container, a pod) and listens on every interface.
 */
function defaultHost(role: Role, env: Env): string {
  return role === 'all' && !BACKEND_VARIABLES.some((name) => env[name]) ? '127.0.0.1' : '0.0.0.0';
}

/** The variable that sets each listening port, for messages about it. */
export const PORT_VARIABLES = { api: 'API_PORT', websocket: 'WEBSOCKET_PORT', metrics: 'METRICS_PORT' } as const;

/** The ports this role listens on, by variable name. */
export function listeningPorts(config: ServerConfig): [variable: string, port: number][] {
  const ports: [string, number][] = [];
  if (config.role === 'all' || config.role === 'api') ports.push([PORT_VARIABLES.api, config.apiPort]);
  if (config.role === 'all' || config.role === 'gateway') ports.push([PORT_VARIABLES.websocket, config.websocketPort]);
  if (config.role !== 'api') ports.push([PORT_VARIABLES.metrics, config.metricsPort]);
  return ports;
}

/** Two listeners of one process cannot share a port (0, a free port each, excepted). */
function checkDistinctPorts(config: ServerConfig): void {
  const seen = new Map<number, string>();
  for (const [variable, port] of listeningPorts(config)) {
    const other = seen.get(port);
    if (port !== 0 && other) throw new ConfigError(`${other} and ${variable} are both ${port}: give each its own port`);
    seen.set(port, variable);
  }
}

export const USAGE = `Usage: chat4all-server [--role all|api|worker|gateway] [--api-port N] [--websocket-port N]
                       [--metrics-port N] [--host H] [--log-level L] [--log-format json|pretty]

Runs Chat4All. With no backend variables set, role "all" runs the whole platform in
one process on in-memory adapters (state is lost on restart). Every flag has an
environment variable (ROLE, API_PORT, WEBSOCKET_PORT, METRICS_PORT, HOST, LOG_LEVEL,
LOG_FORMAT); see the README for the full table.`;
