/**
 * Workload 1, connections: N idle WebSocket connections to one server process, each side in turn
 * (the order rotating from run to run): memory (RSS and heap) per connection, connects per second,
 * server CPU per connect, idle CPU. Every figure is the median of BENCH_RUNS runs, with its spread.
 *
 * BENCH_CONNECTIONS (10000)   connections (capped by the open-file limit of one process)
 * BENCH_IDLE_SECONDS (20)     idle window measured for CPU (longer than one heartbeat, 15 s)
 * BENCH_ADDRESSES (4)         source addresses 127.0.0.2.. the load generator spreads over
 * BENCH_SIDES (ours,socketio,centrifugo)   which servers to measure
 * BENCH_RUNS (3)              runs; BENCH_CENTRIFUGO_GOMAXPROCS (1, or default)
 * BENCH_TIME_LIMIT (600 per run)   seconds before the run stops itself
 * BENCH_HEAP_SNAPSHOT (0)     1: signal the server (SIGUSR2) for a heap snapshot at N connections
 */
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { LoadGenerator } from '../lib/loadgen.js';
import { LoadWatch, type StepLoad } from '../lib/machine.js';
import { fileLimit, intParam, runsParam, sidesParam, sleep } from '../lib/params.js';
import { CpuMeter, ProcessGroup, procSample } from '../lib/procs.js';
import type { Side } from '../lib/protocol.js';
import { ResultWriter, row } from '../lib/report.js';
import { ServerUnderTest, centrifugoMaxProcs, newJwtSecret, realStackEnv, resultName } from '../lib/stack.js';
import { registerUsers } from '../lib/users.js';

const requested = intParam('BENCH_CONNECTIONS', 10_000, 1);
const idleSeconds = intParam('BENCH_IDLE_SECONDS', 20, 1);
const sides = sidesParam();
const runs = runsParam();
const perProcess = fileLimit() - 200;
const n = Math.min(requested, perProcess);
const addresses = sourceAddresses(intParam('BENCH_ADDRESSES', Math.max(4, Math.ceil(n / 20_000)), 1));
const workers = intParam('BENCH_WORKERS', Math.max(2, Math.ceil(n / Math.min(10_000, perProcess))), 1);
const heartbeatMs = 15_000;

const out = new ResultWriter(resultName('connections', sides), { requested, connections: n, idleSeconds, addresses: addresses.length, workers, heartbeatMs, sides, runs, centrifugoGomaxprocs: centrifugoMaxProcs() });
if (n < requested) {
  out.note(`asked for ${requested} connections, but one process may open only ${fileLimit()} files here (hard limit; raising it needs CAP_SYS_RESOURCE): measured ${n}`);
}
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 600 * runs, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();
/** Ours checks that a token's user exists: its users are registered once, for every run. */
const oursPrefix = newRunPrefix();

interface SideResult {
  run: number;
  connected: number;
  connectSeconds: number;
  connectsPerSecond: number;
  refusals: Record<string, number>;
  /** Server and load-generator CPU while connecting, % of one core; server CPU per connect. */
  connectCpuPercent: number;
  connectCpuMicros: number;
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
  load: StepLoad;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(side: Side, run: number): Promise<SideResult> {
  const server = await ServerUnderTest.side(group, side, stack, secret, heartbeatMs, { inspect: true });
  await sleep(3000);
  const watch = LoadWatch.start();
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
  const prefix = side === 'ours' ? oursPrefix : newRunPrefix();
  if (side === 'ours') await registerUsers(stack, prefix, n);
  const opened = await load.open({ target: server.target(secret), prefix, users: n, devices: 1, addresses, concurrency: 512 });
  clearInterval(sampler);
  const connectCpuPercent = connectCpu.read();
  const connectCpuMicros = (connectCpu.seconds() * 1e6) / Math.max(1, opened.connected);
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
    run,
    connected: opened.connected,
    connectSeconds: opened.seconds,
    connectsPerSecond: opened.connected / opened.seconds,
    refusals: opened.refusals,
    connectCpuPercent,
    connectCpuMicros,
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
    load: out.load(watch.stop()),
  };
  console.log(`${side} (run ${run}): ${JSON.stringify({ ...r, ramp: undefined })}`);
  return r;
}

const results = await group.eachRunEachSide(sides, runs, measure);
out.data.sides = results;
/** Each side's value per run. */
const per = (f: (r: SideResult) => number | null) => Object.fromEntries(sides.map((s) => [s, (results[s] ?? []).map(f)]));
const kb = 1024;
out.note('ours: ROLE=gateway on the real backends (presence in Redis, contacts read from Cassandra on connect); socketio: Socket.IO + redis-adapter, JWT check and a room per user; centrifugo: the Redis engine, a personal channel per user with history');
out.note('heap: V8 heap used for the Node servers, Go heap in use for Centrifugo; memory after a full collection on every side (Centrifugo: three, a second apart, through /debug/pprof/heap?gc=1)');
out.finish([
  row('connections held', 'count', per((r) => r.connected), { target: '100,000 on one process', met: (v) => v >= 100_000 }),
  row('RSS per connection', 'KiB', per((r) => r.rssPerConnection / kb), { lowerIsBetter: true, target: '<= 8 KiB', met: (v) => v <= 8 }),
  row('heap per connection', 'KiB', per((r) => r.heapPerConnection / kb), { lowerIsBetter: true }),
  row('connections per GiB of RSS', 'count', per((r) => 2 ** 30 / r.rssPerConnection)),
  row('RSS at N (total)', 'MiB', per((r) => r.rss / 2 ** 20), { lowerIsBetter: true }),
  row('connects per second', '1/s', per((r) => r.connectsPerSecond)),
  row('server CPU per connect', 'µs', per((r) => r.connectCpuMicros), { lowerIsBetter: true }),
  row('idle CPU at N', '% of a core', per((r) => r.idleCpuPercent), { lowerIsBetter: true }),
]);
