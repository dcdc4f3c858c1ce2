import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { InspectorSession } from './inspector.js';
import { type BenchProcess, type ProcessGroup, freePort, waitHttpOk } from './procs.js';

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
 * process exits) or "--heapsnapshot-signal=SIGUSR2" (see BENCH_HEAP_SNAPSHOT).
 */
function nodeArgs(name: string, opts: ServerOptions): string[] {
  return [...(process.env[name] ?? '').split(' ').filter(Boolean), ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : [])];
}

export interface ServerOptions {
  /** Run with an inspector on a free port, for collectGarbage(). @default false */
  inspect?: boolean;
}

/** A server under test: ours (a chat4all-server role) or the Socket.IO peer. */
export class ServerUnderTest {
  proc!: BenchProcess;

  private constructor(
    private readonly group: ProcessGroup,
    readonly name: string,
    readonly kind: 'ours' | 'peer',
    private readonly script: string,
    private readonly env: Record<string, string>,
    /** Answers 200 when the server is ready. */
    readonly readyUrl: string,
    /** ws://host:port of its WebSocket endpoint, or http://host:port of the api. */
    readonly url: string,
    private readonly heapUrl: string,
    private readonly nodeArgs: string[],
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
    const heapUrl = `${health}/metrics`;
    const s = new ServerUnderTest(group, name, 'ours', 'services/server/src/main.ts', env, `${health}/readyz`, url, heapUrl, nodeArgs('BENCH_OURS_NODE_ARGS', opts));
    await s.start();
    return s;
  }

  /** The Socket.IO server with the Redis adapter (bench/peer/socketio-server.ts). */
  static async peer(group: ProcessGroup, name: string, redisUrl: string, jwtSecret: string, heartbeatMs: number, opts: ServerOptions = {}): Promise<ServerUnderTest> {
    const port = await freePort();
    const env = { PEER_PORT: String(port), PEER_HOST: '127.0.0.1', REDIS_URL: redisUrl, JWT_SECRET: jwtSecret, HEARTBEAT_MS: String(heartbeatMs) };
    const s = new ServerUnderTest(group, name, 'peer', 'bench/peer/socketio-server.ts', env, `http://127.0.0.1:${port}/healthz`, `ws://127.0.0.1:${port}`, `http://127.0.0.1:${port}/stats`, nodeArgs('BENCH_PEER_NODE_ARGS', opts));
    await s.start();
    return s;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Starts (or restarts, on the same ports) the process and waits until it is ready. */
  async start(timeoutMs = 120_000): Promise<void> {
    this.proc = this.group.node(this.name, this.script, this.env, this.nodeArgs);
    await waitHttpOk(this.readyUrl, this.proc, timeoutMs);
  }

  /**
   * Runs a full garbage collection in the server through its inspector (the server must run with
   * `--inspect=127.0.0.1:0`, see `withInspector`), so memory is compared without garbage.
   */
  async collectGarbage(): Promise<void> {
    const session = await InspectorSession.open(this.proc.log);
    await session.send('HeapProfiler.collectGarbage');
    session.close();
  }

  /** Starts a CPU profile through the inspector; the returned function stops it and writes `file`. */
  async profile(file: string): Promise<() => Promise<void>> {
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

  /** The V8 heap in use, as the server reports it (prom-client's default metrics, or the peer's /stats). */
  async heapUsed(): Promise<number> {
    const text = await (await fetch(this.heapUrl)).text();
    if (this.kind === 'peer') return (JSON.parse(text) as { heapUsed: number }).heapUsed;
    const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return m ? Number(m[1]) : NaN;
  }

  /** Connections the server holds now (ours: websocket_connections_active; the peer: its socket count). */
  async connectionCount(): Promise<number> {
    if (this.kind === 'ours') return this.metric('websocket_connections_active');
    return (JSON.parse(await (await fetch(this.heapUrl)).text()) as { sockets: number }).sockets;
  }

  /** A metric's value summed over its label sets (ours only); only the sets whose labels contain `labels` when given. */
  async metric(name: string, labels?: string): Promise<number> {
    const text = await (await fetch(this.heapUrl)).text();
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
