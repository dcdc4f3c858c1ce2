import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { InspectorSession } from './inspector.js';
import { sleep } from './params.js';
import { type BenchProcess, type ProcessGroup, freePort, waitHttpOk } from './procs.js';
import type { Side, Target } from './protocol.js';

/** The Cassandra keyspace the benchmarks use, apart from the tests' data. */
export const BENCH_KEYSPACE = 'chat4all_bench';

/**
 * The real servers' settings from `scripts/services.sh env`, with REDIS_URL pointing at the
 * current master as the Sentinels report it. The servers are the benchmarks' own (state in
 * BENCH_SERVICES_STATE, default .run/bench, started by `make bench-services-up`) when they exist,
 * else the shared ones of `make services-up`.
 */
export async function realStackEnv(): Promise<Record<string, string>> {
  const state = process.env.BENCH_SERVICES_STATE || resolve('.run/bench');
  const own = existsSync(join(state, 'services'));
  const text = execFileSync('scripts/services.sh', ['env'], { encoding: 'utf8', env: { ...process.env, ...(own ? { CHAT4ALL_STATE: state } : {}) } });
  console.log(`bench: using ${own ? `the benchmarks' own servers (${state})` : 'the shared servers of `make services-up`'}`);
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  const sentinel = env.REDIS_SENTINELS?.split(',')[0];
  if (sentinel) {
    const [host, port] = sentinel.split(':');
    const s = new Redis({ host: host!, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await s.connect();
      const addr = (await s.call('SENTINEL', 'get-master-addr-by-name', env.REDIS_SENTINEL_NAME ?? 'mymaster')) as string[] | null;
      if (addr) env.REDIS_URL = `redis://${addr[0]}:${addr[1]}`;
    } catch {
      // keep REDIS_URL as given
    } finally {
      s.disconnect();
    }
  }
  if (!env.REDIS_URL || !env.KAFKA_BROKERS || !env.CASSANDRA_CONTACT_POINTS) throw new Error('the real servers are not configured: run `scripts/services.sh up` first');
  delete env.REDIS_SENTINELS;
  if (own) env.BENCH_OWN_SERVERS = '1';
  return env;
}

export const newJwtSecret = () => randomBytes(32).toString('base64url');

/**
 * Extra node flags for the servers under test, for profiling: e.g.
 * BENCH_OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/results/profiles" (written when the
 * process exits) or "--heapsnapshot-signal=SIGUSR2" (see BENCH_HEAP_SNAPSHOT); BENCH_SOCKETIO_NODE_ARGS
 * for the Socket.IO server.
 */
function nodeArgs(name: string, opts: ServerOptions): string[] {
  return [...(process.env[name] ?? '').split(' ').filter(Boolean), ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : [])];
}

export interface ServerOptions {
  /** Node servers: run with an inspector on a free port, for collectGarbage() and profile(). @default false */
  inspect?: boolean;
}

/**
 * GOMAXPROCS of the measured Centrifugo node: BENCH_CENTRIFUGO_GOMAXPROCS, 1 by default (one core,
 * as a Node process uses for its JavaScript), or `default` for Go's own choice (every core).
 */
export function centrifugoMaxProcs(): string {
  const v = process.env.BENCH_CENTRIFUGO_GOMAXPROCS ?? '1';
  if (v !== 'default' && !/^[1-9]\d*$/.test(v)) throw new Error(`BENCH_CENTRIFUGO_GOMAXPROCS must be a positive whole number or "default", got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The name a workload's results are written under: its own, or, when Centrifugo is measured at a
 * GOMAXPROCS other than the default 1, its own with that setting, so the run has a table of its own
 * in docs/performance.md instead of taking the place of the usual one.
 */
export function resultName(workload: string, sides: readonly string[]): string {
  const procs = centrifugoMaxProcs();
  return sides.includes('centrifugo') && procs !== '1' ? `${workload}-centrifugo-gomaxprocs-${procs}` : workload;
}

let centrifugoBinary: string | undefined;
/** The Centrifugo binary, built into CHAT4ALL_CACHE on first use (bench/peer/centrifugo.sh). */
function centrifugo(): string {
  centrifugoBinary ??= execFileSync('bench/peer/centrifugo.sh', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return centrifugoBinary;
}

/**
 * A Centrifugo configuration doing the gateway's job: the same HS256 key, each connection
 * subscribed by the server to its user's channel `personal:#<sub>` (so a token with only `sub` is
 * enough), the same 15 s ping, the Redis engine on the benchmarks' Redis, and history in the
 * personal namespace as ours keeps it (1,000 events, an hour) so a reconnecting client recovers
 * what it missed.
 */
function centrifugoConfig(port: number, redisUrl: string, jwtSecret: string, apiKey: string, heartbeatMs: number): Record<string, unknown> {
  return {
    http_server: { address: '127.0.0.1', port },
    log: { level: 'warn' },
    engine: { type: 'redis', redis: { address: [redisUrl], prefix: 'chat4all-bench-centrifugo' } },
    client: {
      token: { hmac_secret_key: jwtSecret },
      ping_interval: `${heartbeatMs / 1000}s`,
      subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'personal' },
    },
    channel: { namespaces: [{ name: 'personal', history_size: 1000, history_ttl: '3600s', force_recovery: true }] },
    http_api: { key: apiKey },
    health: { enabled: true },
    prometheus: { enabled: true },
    // /debug/pprof/heap?gc=1 runs a full collection, as the inspector does for the Node servers.
    debug: { enabled: true },
  };
}

/** A server under test: ours (a chat4all-server role), the Socket.IO server, or a Centrifugo node. */
export class ServerUnderTest {
  proc!: BenchProcess;

  private constructor(
    readonly name: string,
    readonly kind: Side,
    private readonly launch: () => BenchProcess,
    /** Answers 200 when the server is ready. */
    readonly readyUrl: string,
    /** ws://host:port of its WebSocket endpoint, or http://host:port of the api. */
    readonly url: string,
    /** Ours: /metrics; Socket.IO: /stats; Centrifugo: /metrics. */
    private readonly statsUrl: string,
    /** Centrifugo: its server API key. */
    readonly apiKey = '',
  ) {}

  /** A chat4all-server process of `role` on the real stack `stack`. */
  static async ours(group: ProcessGroup, name: string, role: 'gateway' | 'api' | 'worker', stack: Record<string, string>, jwtSecret: string, extra: Record<string, string> = {}, opts: ServerOptions = {}): Promise<ServerUnderTest> {
    const [ws, metrics, api] = [await freePort(), await freePort(), await freePort()];
    const env = {
      ...stack,
      CASSANDRA_KEYSPACE: BENCH_KEYSPACE,
      ROLE: role,
      HOST: '127.0.0.1',
      WEBSOCKET_PORT: String(ws),
      METRICS_PORT: String(metrics),
      API_PORT: String(api),
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      DRAIN_SECONDS: '1',
      ...extra,
    };
    // Every role serves /readyz and /metrics on its metrics port.
    const health = `http://127.0.0.1:${metrics}`;
    const url = role === 'api' ? `http://127.0.0.1:${api}` : `ws://127.0.0.1:${ws}`;
    const args = nodeArgs('BENCH_OURS_NODE_ARGS', opts);
    // BENCH_OURS_BUNDLE: the bundle production runs (`make build`, set by the make targets); else the sources through tsx.
    const bundle = process.env.BENCH_OURS_BUNDLE;
    const launch = bundle ? () => group.exec(name, process.execPath, [...args, '--enable-source-maps', bundle], env) : () => group.node(name, 'services/server/src/main.ts', env, args);
    const s = new ServerUnderTest(name, 'ours', launch, `${health}/readyz`, url, `${health}/metrics`);
    await s.start();
    return s;
  }

  /** The Socket.IO server with the Redis adapter (bench/peer/socketio-server.ts). */
  static async socketio(group: ProcessGroup, name: string, redisUrl: string, jwtSecret: string, heartbeatMs: number, opts: ServerOptions = {}): Promise<ServerUnderTest> {
    const port = await freePort();
    const env = { PEER_PORT: String(port), PEER_HOST: '127.0.0.1', REDIS_URL: redisUrl, JWT_SECRET: jwtSecret, HEARTBEAT_MS: String(heartbeatMs) };
    const args = nodeArgs('BENCH_SOCKETIO_NODE_ARGS', opts);
    const s = new ServerUnderTest(name, 'socketio', () => group.node(name, 'bench/peer/socketio-server.ts', env, args), `http://127.0.0.1:${port}/healthz`, `ws://127.0.0.1:${port}`, `http://127.0.0.1:${port}/stats`);
    await s.start();
    return s;
  }

  /**
   * A Centrifugo node on the Redis engine (see centrifugoConfig). `maxProcs` sets GOMAXPROCS
   * (`default`: Go's choice). The publishers go through a second node's server API, so the
   * measured one only carries Redis to WebSocket.
   */
  static async centrifugo(group: ProcessGroup, name: string, redisUrl: string, jwtSecret: string, heartbeatMs: number, maxProcs = centrifugoMaxProcs()): Promise<ServerUnderTest> {
    const port = await freePort();
    const apiKey = randomBytes(16).toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'chat4all-bench-centrifugo-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(centrifugoConfig(port, redisUrl, jwtSecret, apiKey, heartbeatMs), null, 2), { mode: 0o600 });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const env: Record<string, string> = maxProcs === 'default' ? {} : { GOMAXPROCS: maxProcs };
    const bin = centrifugo();
    const s = new ServerUnderTest(name, 'centrifugo', () => group.exec(name, bin, ['--config', config], env), `http://127.0.0.1:${port}/health`, `ws://127.0.0.1:${port}`, `http://127.0.0.1:${port}/metrics`, apiKey);
    await s.start();
    return s;
  }

  /** The server of `side` a WebSocket workload measures (ours: ROLE=gateway). */
  static side(group: ProcessGroup, side: Side, stack: Record<string, string>, jwtSecret: string, heartbeatMs: number, opts: ServerOptions & { ours?: Record<string, string> } = {}): Promise<ServerUnderTest> {
    switch (side) {
      case 'ours':
        return ServerUnderTest.ours(group, 'gateway', 'gateway', stack, jwtSecret, { HEARTBEAT_MS: String(heartbeatMs), ...opts.ours }, opts);
      case 'socketio':
        return ServerUnderTest.socketio(group, 'socketio', stack.REDIS_URL!, jwtSecret, heartbeatMs, opts);
      case 'centrifugo':
        return ServerUnderTest.centrifugo(group, 'centrifugo', stack.REDIS_URL!, jwtSecret, heartbeatMs);
    }
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** The target load generators connect to. */
  target(jwtSecret: string): Target {
    return { kind: this.kind, url: this.url, jwtSecret };
  }

  /** Starts (or restarts, on the same ports) the process and waits until it is ready. */
  async start(timeoutMs = 120_000): Promise<void> {
    this.proc = this.launch();
    await waitHttpOk(this.readyUrl, this.proc, timeoutMs);
  }

  /**
   * Runs a full garbage collection in the server, so memory is compared without garbage: the Node
   * servers through their inspector (started with `inspect: true`), Centrifugo through its pprof
   * endpoint (three collections a second apart: Go returns freed memory to the system gradually).
   */
  async collectGarbage(): Promise<void> {
    if (this.kind === 'centrifugo') {
      const base = this.statsUrl.replace(/\/metrics$/, '');
      for (let i = 0; i < 3; i++) {
        await (await fetch(`${base}/debug/pprof/heap?gc=1`)).arrayBuffer();
        await sleep(1000);
      }
      return;
    }
    const session = await InspectorSession.open(this.proc.log);
    await session.send('HeapProfiler.collectGarbage');
    session.close();
  }

  /** Starts a CPU profile through the inspector (Node servers); the returned function stops it and writes `file`. */
  async profile(file: string): Promise<() => Promise<void>> {
    if (this.kind === 'centrifugo') return async () => undefined;
    const session = await InspectorSession.open(this.proc.log);
    await session.send('Profiler.enable');
    await session.send('Profiler.start');
    return async () => {
      const { profile } = await session.send<{ profile: unknown }>('Profiler.stop');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.close();
      console.log(`wrote ${file}`);
    };
  }

  /** The heap in use as the server reports it: V8's (prom-client, the Socket.IO server's /stats), Go's for Centrifugo. */
  async heapUsed(): Promise<number> {
    if (this.kind === 'socketio') return (JSON.parse(await (await fetch(this.statsUrl)).text()) as { heapUsed: number }).heapUsed;
    return this.metric(this.kind === 'ours' ? 'nodejs_heap_size_used_bytes' : 'go_memstats_heap_inuse_bytes');
  }

  /** Connections the server holds now. */
  async connectionCount(): Promise<number> {
    if (this.kind === 'ours') return this.metric('websocket_connections_active');
    if (this.kind === 'centrifugo') return this.metric('centrifugo_node_num_clients');
    return (JSON.parse(await (await fetch(this.statsUrl)).text()) as { sockets: number }).sockets;
  }

  /** A metric's value summed over its label sets (ours and Centrifugo); only the sets whose labels contain `labels` when given. */
  async metric(name: string, labels?: string): Promise<number> {
    const text = await (await fetch(this.statsUrl)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
      if (labels !== undefined && !line.slice(name.length, line.lastIndexOf(' ')).includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /** A histogram's running sum and count (ours only), to take the mean over an interval from two readings. */
  async histogram(name: string, labels?: string): Promise<{ sum: number; count: number }> {
    const [sum, count] = await Promise.all([this.metric(`${name}_sum`, labels), this.metric(`${name}_count`, labels)]);
    return { sum, count };
  }
}

/**
 * Skips what earlier runs left in the worker's topics (the api workload sends far more than a
 * worker stores in its time): the consumer group starts at the end of `messages` and `receipts`.
 * Only on the benchmarks' own servers, never on shared ones, and only while no worker runs.
 */
export async function skipBacklog(stack: Record<string, string>): Promise<boolean> {
  if (stack.BENCH_OWN_SERVERS !== '1') return false;
  const kafka = new Kafka({ clientId: 'chat4all-bench', brokers: stack.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    // Explicit end offsets: resetOffsets' "latest" commits -1, which a consumer subscribed
    // fromBeginning (as the worker is) reads as "start from the earliest".
    for (const topic of ['messages', 'receipts'].filter((t) => topics.includes(t))) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId: 'router-worker', topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
    }
  } finally {
    await admin.disconnect();
  }
  return true;
}
