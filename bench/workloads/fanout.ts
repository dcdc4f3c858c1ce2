/**
 * Workload 2, fan-out: M users with D devices each, connected to one server process per side,
 * receive messages published to Redis at increasing rates; the sides take turns at each rate
 * (all stay connected throughout, so the machine's state is the same for each), and the whole
 * ladder is climbed BENCH_RUNS times, each run starting with another side. Per step: deliveries
 * per second achieved, server CPU per delivery, p50/p99 from publish to receipt, and the load the
 * machine was under; the table shows the median of the runs and their spread.
 *
 * BENCH_FANOUT_USERS (2000), BENCH_FANOUT_DEVICES (5): connections = users x devices
 * BENCH_FANOUT_RATES (5000,10000,20000,30000,40000,60000)   offered deliveries per second
 * BENCH_STEP_SECONDS (5)      publishing time per step
 * BENCH_FANOUT_FRAME (new_message)   new_message from another user (ours then sends one DELIVERED
 *                            receipt to Kafka per message and recipient), or message_status (no
 *                            receipt); results as fanout / fanout-status
 * BENCH_SIDES (ours,socketio,centrifugo), BENCH_RUNS (3), BENCH_CENTRIFUGO_GOMAXPROCS (1, or default)
 * BENCH_TIME_LIMIT (900 per run)
 * BENCH_PROFILE_RATE (none)  CPU-profile each server during the step of this rate
 *                            (bench/results/profiles/, read with bench/tools/profile-summary.ts)
 */
import os from 'node:os';
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { LoadGenerator } from '../lib/loadgen.js';
import { LoadWatch, type StepLoad } from '../lib/machine.js';
import { intParam, listParam, rotated, runsParam, sidesParam, sleep, strParam } from '../lib/params.js';
import { CpuMeter, ProcessGroup } from '../lib/procs.js';
import type { Side } from '../lib/protocol.js';
import { Publisher } from '../lib/publisher.js';
import { ResultWriter, row } from '../lib/report.js';
import { ServerUnderTest, centrifugoMaxProcs, newJwtSecret, realStackEnv, resultName } from '../lib/stack.js';
import { summarize } from '../lib/stats.js';
import { registerUsers } from '../lib/users.js';

const users = intParam('BENCH_FANOUT_USERS', 2000, 1);
const devices = intParam('BENCH_FANOUT_DEVICES', 5, 1);
const rates = listParam('BENCH_FANOUT_RATES', [5000, 10_000, 20_000, 30_000, 40_000, 60_000]);
const stepSeconds = intParam('BENCH_STEP_SECONDS', 5, 1);
const sides = sidesParam();
const runs = runsParam();
const workers = intParam('BENCH_WORKERS', 2, 1);
const heartbeatMs = 15_000;
const frame = strParam('BENCH_FANOUT_FRAME', 'new_message') as 'new_message' | 'message_status';
if (frame !== 'new_message' && frame !== 'message_status') throw new Error('BENCH_FANOUT_FRAME must be new_message or message_status');
const profileRate = intParam('BENCH_PROFILE_RATE', 0);

const out = new ResultWriter(resultName(frame === 'new_message' ? 'fanout' : 'fanout-status', sides), { users, devices, connections: users * devices, rates, stepSeconds, workers, sides, runs, frame, centrifugoGomaxprocs: centrifugoMaxProcs() });
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 900 * runs, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();

interface Step {
  run: number;
  offered: number;
  /** Deliveries per second received by the load generator. */
  achieved: number;
  published: number;
  publisherBehind: number;
  received: number;
  expected: number;
  cpuPercent: number;
  /** Server CPU time over the step (and its drain) divided by the deliveries. */
  cpuMicrosPerDelivery: number;
  /** Connections closed during the step (ours closes a slow consumer with 4008) and open at its end. */
  closes: number;
  connected: number;
  /** Ours: mean time from Redis assigning the event id (XADD) to the gateway receiving the payload. */
  redisToGatewayMs: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  load: StepLoad;
}

interface Rig {
  server: ServerUnderTest;
  load: LoadGenerator;
  publisher: Publisher;
  steps: Step[];
}

async function rig(side: Side): Promise<Rig> {
  const server = await ServerUnderTest.side(group, side, stack, secret, heartbeatMs, { inspect: profileRate > 0 });
  const prefix = newRunPrefix();
  // Ours checks that a token's user exists.
  if (side === 'ours') await registerUsers(stack, prefix, users);
  const load = LoadGenerator.start(group, `loadgen-${side}`, workers);
  // Clients reconnect as real ones do: a side that closes a slow consumer (ours with 4008,
  // Centrifugo when its queue overflows) gets it back for the next step instead of losing it.
  const opened = await load.open({ target: server.target(secret), prefix, users, devices, addresses: sourceAddresses(4), reconnect: true });
  console.log(`${side}: ${opened.connected} connections in ${opened.seconds.toFixed(1)} s`);
  const publisher = await Publisher.start(group, `publisher-${side}`, side, stack.REDIS_URL!, prefix, users, frame, secret);
  return { server, load, publisher, steps: [] };
}

/** One step: publish at rate/devices messages a second (each reaches `devices` connections). */
async function step(side: Side, r: Rig, offered: number, run: number): Promise<Step> {
  await r.load.reset();
  const watch = LoadWatch.start();
  const closesBefore = (await r.load.report()).closes;
  const lag0 = side === 'ours' ? [await r.server.metric('pubsub_lag_seconds_sum'), await r.server.metric('pubsub_lag_seconds_count')] : [0, 0];
  const cpu = new CpuMeter(r.server.pid).start();
  const stopProfile = offered === profileRate && run === 1 ? await r.server.profile(`bench/results/profiles/fanout-${side}-${offered}.cpuprofile`) : undefined;
  const pub = await r.publisher.run(offered / devices, stepSeconds);
  await stopProfile?.();
  const expected = pub.published * devices;
  // Let what is in flight arrive (bounded): stop when nothing more arrives for 500 ms.
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const rep = await r.load.report();
    if (rep.received >= expected || rep.received === last) break;
    last = rep.received;
    await sleep(250);
  }
  const cpuPercent = cpu.read();
  const cpuSeconds = cpu.seconds();
  const rep = await r.load.report();
  // Ours only: the mean time from Redis assigning the event id to the gateway receiving it.
  const lag1 = side === 'ours' ? [await r.server.metric('pubsub_lag_seconds_sum'), await r.server.metric('pubsub_lag_seconds_count')] : [0, 0];
  const redisToGatewayMs = lag1[1]! > lag0[1]! ? ((lag1[0]! - lag0[0]!) / (lag1[1]! - lag0[1]!)) * 1000 : NaN;
  const s = summarize(rep.latencies);
  const span = Math.max(stepSeconds, (rep.lastAt - rep.firstAt) / 1000);
  const result: Step = { run, offered, achieved: rep.received / span, published: pub.published, publisherBehind: pub.behind, received: rep.received, expected, cpuPercent, cpuMicrosPerDelivery: rep.received ? (cpuSeconds * 1e6) / rep.received : NaN, closes: rep.closes - closesBefore, connected: rep.connected, redisToGatewayMs, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max, load: out.load(watch.stop()) };
  console.log(`${side} @${offered}/s (run ${run}): achieved ${result.achieved.toFixed(0)}/s, received ${rep.received}/${expected}, cpu ${cpuPercent.toFixed(0)}% (${result.cpuMicrosPerDelivery.toFixed(1)} µs per delivery), p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms${side === 'ours' ? ` (Redis to gateway: mean ${redisToGatewayMs.toFixed(1)} ms)` : ''}${pub.behind ? `, publisher behind by ${pub.behind}` : ''}${result.closes ? `, ${result.closes} connections closed` : ''}`);
  return result;
}

const rigs: Partial<Record<Side, Rig>> = {};
try {
  for (const side of sides) rigs[side] = await rig(side);
  // Past the connect-time work (ours tells each user's contacts it came online, 5 s later).
  await sleep(10_000);
  for (let run = 1; run <= runs; run++) {
    for (const rate of rates) {
      for (const side of rotated(sides, run)) {
        rigs[side]!.steps.push(await step(side, rigs[side]!, rate, run));
        await sleep(1000);
      }
    }
  }
} finally {
  for (const [side, r] of Object.entries(rigs)) {
    const log = r.server.proc.log;
    if (log.length > 0) console.log(`${side} server logged ${log.length} lines, the last: ${log[log.length - 1]!.slice(0, 300)}`);
    await r.load.close();
  }
  await group.stopAll();
}

const steps = (side: Side) => rigs[side]?.steps ?? [];
const delivered = (x: Step) => x.received >= 0.97 * x.expected && x.received > 0;
/** Each side's value per run; `f` sees that run's steps. */
const per = (f: (s: Step[]) => number | null) => Object.fromEntries(sides.map((side) => [side, Array.from({ length: runs }, (_, i) => f(steps(side).filter((x) => x.run === i + 1)))]));
const at = (rate: number, f: (s: Step) => number) => per((ss) => {
  const s = ss.find((x) => x.offered === rate);
  return s ? f(s) : null;
});
/** Highest achieved rate; "sustained" = delivered at least 97% of what was published with p99 under 1 s. */
const best = (ss: Step[]) => Math.max(0, ...ss.map((s) => s.achieved));
const sustained = (ss: Step[]) => Math.max(0, ...ss.filter((s) => delivered(s) && s.p99 < 1000).map((s) => s.achieved));
/** Server CPU per delivery, µs: the median over a run's steps where (nearly) everything arrived. */
const cpuPer = (ss: Step[]) => {
  const s = ss.filter(delivered).map((x) => x.cpuMicrosPerDelivery).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : null;
};
out.data.steps = Object.fromEntries(sides.map((side) => [side, steps(side)]));
out.note(`deliveries = frames received by the load generator (Centrifugo: publications, several may share a frame); CPU = the server process alone (Redis, publishers and load generators share the same ${os.cpus().length} cores); centrifugo at GOMAXPROCS=${centrifugoMaxProcs()}`);
out.note(frame === 'new_message' ? 'new_message frames: ours also appends one DELIVERED receipt to Kafka per message and recipient (the peers have no receipts)' : 'message_status frames: no receipts on any side');
out.note('centrifugo publishes through the server API of a second node on the same Redis (not measured), with history kept in the personal namespace as ours keeps it');
const lowest = rates[0]!;
const rowsOut = [
  row('deliveries per second, highest achieved', '1/s', per(best), { target: '>= 50,000', met: (v) => v >= 50_000 }),
  row('deliveries per second, sustained (97% delivered, p99 < 1 s)', '1/s', per(sustained)),
  row(`p50 publish to receipt at ${lowest}/s`, 'ms', at(lowest, (s) => s.p50), { lowerIsBetter: true }),
];
for (const rate of rates) {
  rowsOut.push(row(`p99 publish to receipt at ${rate}/s offered`, 'ms', at(rate, (s) => s.p99), { lowerIsBetter: true }));
}
for (const rate of rates) {
  rowsOut.push(row(`server CPU per delivery at ${rate}/s offered`, 'µs', at(rate, (s) => (delivered(s) ? s.cpuMicrosPerDelivery : NaN)), { lowerIsBetter: true }));
}
rowsOut.push(row('server CPU per delivery (median over the steps)', 'µs', per(cpuPer), { lowerIsBetter: true }));
rowsOut.push(row('deliveries per CPU-second of the server (from the median)', '1/s', per((ss) => {
  const c = cpuPer(ss);
  return c ? 1e6 / c : null;
})));
out.finish(rowsOut);
