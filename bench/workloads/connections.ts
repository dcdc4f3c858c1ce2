/**
 * Workload 1, connections: N idle WebSocket connections to one server process, ours then the
 * peer: memory (RSS and V8 heap) per connection, connects per second, idle CPU.
 *
 * BENCH_CONNECTIONS (10000)   connections (capped by the open-file limit of one process)
 * BENCH_IDLE_SECONDS (20)     idle window measured for CPU (longer than one heartbeat, 15 s)
 * BENCH_ADDRESSES (4)         source addresses 127.0.0.2.. the load generator spreads over
 * BENCH_SIDES (ours,peer)     which servers to measure
 * BENCH_TIME_LIMIT (600)      seconds before the run stops itself
 * BENCH_HEAP_SNAPSHOT (0)     1: signal the server (SIGUSR2) for a heap snapshot at N connections
 */
import { LoadGenerator } from '../lib/loadgen.js';
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { fileLimit, intParam, sleep, strParam } from '../lib/params.js';
import { CpuMeter, ProcessGroup, procSample } from '../lib/procs.js';
import { ResultWriter, row } from '../lib/report.js';
import { ServerUnderTest, newJwtSecret, realStackEnv } from '../lib/stack.js';

const requested = intParam('BENCH_CONNECTIONS', 10_000, 1);
const idleSeconds = intParam('BENCH_IDLE_SECONDS', 20, 1);
const sides = strParam('BENCH_SIDES', 'ours,peer').split(',') as ('ours' | 'peer')[];
const perProcess = fileLimit() - 200;
const n = Math.min(requested, perProcess);
const addresses = sourceAddresses(intParam('BENCH_ADDRESSES', Math.max(4, Math.ceil(n / 20_000)), 1));
const workers = intParam('BENCH_WORKERS', Math.max(2, Math.ceil(n / Math.min(10_000, perProcess))), 1);
const heartbeatMs = 15_000;

const out = new ResultWriter('connections', { requested, connections: n, idleSeconds, addresses: addresses.length, workers, heartbeatMs, sides });
if (n < requested) {
  out.note(`asked for ${requested} connections, but one process may open only ${fileLimit()} files here (hard limit; raising it needs CAP_SYS_RESOURCE): measured ${n}`);
}
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 600, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();

interface SideResult {
  connected: number;
  connectSeconds: number;
  connectsPerSecond: number;
  refusals: Record<string, number>;
  /** Server and load-generator CPU while connecting, % of one core. */
  connectCpuPercent: number;
  loadCpuPercent: number;
  rssBaseline: number;
  heapBaseline: number;
  /** Medians over the idle window, before a full collection. */
  rssBeforeGc: number;
  heapBeforeGc: number;
  /** After a full collection: what the per-connection figures are made of. */
  rss: number;
  heap: number;
  rssPerConnection: number;
  heapPerConnection: number;
  idleCpuPercent: number;
  /** [connections, RSS bytes] sampled every second while connecting. */
  ramp: [number, number][];
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(side: 'ours' | 'peer'): Promise<SideResult> {
  const server =
    side === 'ours'
      ? await ServerUnderTest.ours(group, 'gateway', 'gateway', stack, secret, { HEARTBEAT_MS: String(heartbeatMs) }, { inspect: true })
      : await ServerUnderTest.peer(group, 'peer', stack.REDIS_URL!, secret, heartbeatMs, { inspect: true });
  await sleep(3000);
  await server.collectGarbage();
  const rssBaseline = procSample(server.pid).rssBytes;
  const heapBaseline = await server.heapUsed();
  const load = LoadGenerator.start(group, `loadgen-${side}`, workers);
  console.log(`${side}: opening ${n} connections from ${workers} processes over ${addresses.length} source addresses`);
  const connectCpu = new CpuMeter(server.pid).start();
  const loadCpu = load.pids.map((pid) => new CpuMeter(pid).start());
  // Memory against connections while they open (no forced collection: what the process holds).
  const ramp: [number, number][] = [];
  const sampler = setInterval(() => {
    void server.connectionCount().then((c) => ramp.push([c, procSample(server.pid).rssBytes]), () => undefined);
  }, 1000);
  const opened = await load.open({ target: { kind: side, url: server.url, jwtSecret: secret }, prefix: newRunPrefix(), users: n, devices: 1, addresses, concurrency: 512 });
  clearInterval(sampler);
  const connectCpuPercent = connectCpu.read();
  const loadCpuPercent = loadCpu.reduce((s, m) => s + m.read(), 0);
  console.log(`${side}: ${opened.connected} connected in ${opened.seconds.toFixed(1)} s (server CPU ${connectCpuPercent.toFixed(0)}%, load generator CPU ${loadCpuPercent.toFixed(0)}%); refusals ${JSON.stringify(opened.refusals)}`);
  await sleep(8000);
  const cpu = new CpuMeter(server.pid).start();
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep((idleSeconds * 1000) / 3);
    rss.push(procSample(server.pid).rssBytes);
    heap.push(await server.heapUsed());
  }
  const idleCpuPercent = cpu.read();
  // Memory is compared without garbage: a full collection first, on both sides.
  const rssBeforeGc = median(rss);
  const heapBeforeGc = median(heap);
  await server.collectGarbage();
  await sleep(1000);
  const rssAfter = procSample(server.pid).rssBytes;
  const heapAfter = await server.heapUsed();
  if (process.env.BENCH_HEAP_SNAPSHOT === '1') {
    // The server runs with --heapsnapshot-signal=SIGUSR2 (BENCH_OURS_NODE_ARGS / BENCH_PEER_NODE_ARGS).
    process.kill(server.pid, 'SIGUSR2');
    await sleep(15_000);
  }
  const still = (await load.report()).connected;
  if (still < opened.connected) out.note(`${side}: ${opened.connected - still} connections dropped while idle`);
  await load.close();
  await server.proc.stop();
  const r = {
    connected: opened.connected,
    connectSeconds: opened.seconds,
    connectsPerSecond: opened.connected / opened.seconds,
    refusals: opened.refusals,
    connectCpuPercent,
    loadCpuPercent,
    rssBaseline,
    heapBaseline,
    rssBeforeGc,
    heapBeforeGc,
    rss: rssAfter,
    heap: heapAfter,
    rssPerConnection: (rssAfter - rssBaseline) / opened.connected,
    heapPerConnection: (heapAfter - heapBaseline) / opened.connected,
    idleCpuPercent,
    ramp,
  };
  console.log(`${side}: ${JSON.stringify(r)}`);
  return r;
}

const results = await group.eachSide(sides, measure);
out.data.sides = results;
const o = results.ours;
const p = results.peer;
const v = (r: SideResult | undefined, f: (r: SideResult) => number) => (r ? f(r) : null);
const kb = 1024;
const perGb = (r: SideResult) => 2 ** 30 / r.rssPerConnection;
out.note('ours: ROLE=gateway on the real backends (presence in Redis, contacts read from Cassandra on connect); peer: Socket.IO + redis-adapter, JWT check and a room per user');
out.finish([
  row('connections held', 'count', v(o, (r) => r.connected), v(p, (r) => r.connected), { target: '100,000 on one process', met: o ? o.connected >= 100_000 : undefined }),
  row('RSS per connection', 'KiB', v(o, (r) => r.rssPerConnection / kb), v(p, (r) => r.rssPerConnection / kb), { lowerIsBetter: true, target: '<= 8 KiB', met: o ? o.rssPerConnection / kb <= 8 : undefined }),
  row('V8 heap per connection', 'KiB', v(o, (r) => r.heapPerConnection / kb), v(p, (r) => r.heapPerConnection / kb), { lowerIsBetter: true }),
  row('connections per GiB of RSS', 'count', v(o, perGb), v(p, perGb), { target: '>= 2x peer', met: o && p ? perGb(o) >= 2 * perGb(p) : undefined }),
  row('RSS at N (total)', 'MiB', v(o, (r) => r.rss / 2 ** 20), v(p, (r) => r.rss / 2 ** 20), { lowerIsBetter: true }),
  row('connects per second', '1/s', v(o, (r) => r.connectsPerSecond), v(p, (r) => r.connectsPerSecond)),
  row('idle CPU at N', '% of a core', v(o, (r) => r.idleCpuPercent), v(p, (r) => r.idleCpuPercent), { lowerIsBetter: true }),
]);
