/**
 * Workload 2, fan-out: M users with D devices each, connected to one server process, receive
 * messages published to Redis at increasing rates; ours and the peer take turns at each rate
 * (both stay connected throughout, so the machine's state is the same for both). Per step:
 * deliveries per second achieved, server CPU, p50/p99 from publish to receipt.
 *
 * BENCH_FANOUT_USERS (2000), BENCH_FANOUT_DEVICES (5): connections = users x devices
 * BENCH_FANOUT_RATES (5000,10000,20000,30000,40000,60000)   offered deliveries per second
 * BENCH_STEP_SECONDS (5)      publishing time per step
 * BENCH_FANOUT_FRAME (new_message)   new_message from another user (ours then sends one DELIVERED
 *                            receipt to Kafka per message and recipient), or message_status (no
 *                            receipt: the same work on both sides); results as fanout / fanout-status
 * BENCH_SIDES (ours,peer), BENCH_TIME_LIMIT (900)
 * BENCH_PROFILE_RATE (none)  CPU-profile each server during the step of this rate
 *                            (bench/results/profiles/, read with bench/tools/profile-summary.ts)
 */
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { LoadGenerator } from '../lib/loadgen.js';
import { intParam, listParam, sleep, strParam } from '../lib/params.js';
import { CpuMeter, ProcessGroup } from '../lib/procs.js';
import { Publisher } from '../lib/publisher.js';
import { ResultWriter, row } from '../lib/report.js';
import { ServerUnderTest, newJwtSecret, realStackEnv } from '../lib/stack.js';
import { summarize } from '../lib/stats.js';

type Side = 'ours' | 'peer';
const users = intParam('BENCH_FANOUT_USERS', 2000, 1);
const devices = intParam('BENCH_FANOUT_DEVICES', 5, 1);
const rates = listParam('BENCH_FANOUT_RATES', [5000, 10_000, 20_000, 30_000, 40_000, 60_000]);
const stepSeconds = intParam('BENCH_STEP_SECONDS', 5, 1);
const sides = strParam('BENCH_SIDES', 'ours,peer').split(',') as Side[];
const workers = intParam('BENCH_WORKERS', 2, 1);
const heartbeatMs = 15_000;
const frame = strParam('BENCH_FANOUT_FRAME', 'new_message') as 'new_message' | 'message_status';
if (frame !== 'new_message' && frame !== 'message_status') throw new Error('BENCH_FANOUT_FRAME must be new_message or message_status');
const profileRate = intParam('BENCH_PROFILE_RATE', 0);

const out = new ResultWriter(frame === 'new_message' ? 'fanout' : 'fanout-status', { users, devices, connections: users * devices, rates, stepSeconds, workers, sides, frame });
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 900, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();

interface Step {
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
}

interface Rig {
  server: ServerUnderTest;
  load: LoadGenerator;
  publisher: Publisher;
  steps: Step[];
}

async function rig(side: Side): Promise<Rig> {
  const server =
    side === 'ours'
      ? await ServerUnderTest.ours(group, 'gateway', 'gateway', stack, secret, { HEARTBEAT_MS: String(heartbeatMs) }, { inspect: profileRate > 0 })
      : await ServerUnderTest.peer(group, 'peer', stack.REDIS_URL!, secret, heartbeatMs, { inspect: profileRate > 0 });
  const prefix = newRunPrefix();
  const load = LoadGenerator.start(group, `loadgen-${side}`, workers);
  const opened = await load.open({ target: { kind: side, url: server.url, jwtSecret: secret }, prefix, users, devices, addresses: sourceAddresses(4) });
  console.log(`${side}: ${opened.connected} connections in ${opened.seconds.toFixed(1)} s`);
  const publisher = await Publisher.start(group, `publisher-${side}`, side, stack.REDIS_URL!, prefix, users, frame);
  return { server, load, publisher, steps: [] };
}

/** One step: publish at rate/devices messages a second (each reaches `devices` connections). */
async function step(side: Side, r: Rig, offered: number): Promise<Step> {
  await r.load.reset();
  const closesBefore = (await r.load.report()).closes;
  const lag0 = side === 'ours' ? [await r.server.metric('pubsub_lag_seconds_sum'), await r.server.metric('pubsub_lag_seconds_count')] : [0, 0];
  const cpu = new CpuMeter(r.server.pid).start();
  const stopProfile = offered === profileRate ? await r.server.profile(`bench/results/profiles/fanout-${side}-${offered}.cpuprofile`) : undefined;
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
  const result: Step = { offered, achieved: rep.received / span, published: pub.published, publisherBehind: pub.behind, received: rep.received, expected, cpuPercent, cpuMicrosPerDelivery: rep.received ? (cpuSeconds * 1e6) / rep.received : NaN, closes: rep.closes - closesBefore, connected: rep.connected, redisToGatewayMs, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max };
  console.log(`${side} @${offered}/s: achieved ${result.achieved.toFixed(0)}/s, received ${rep.received}/${expected}, cpu ${cpuPercent.toFixed(0)}% (${result.cpuMicrosPerDelivery.toFixed(1)} µs per delivery), p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms${side === 'ours' ? ` (Redis to gateway: mean ${redisToGatewayMs.toFixed(1)} ms)` : ''}${pub.behind ? `, publisher behind by ${pub.behind}` : ''}${result.closes ? `, ${result.closes} connections closed` : ''}`);
  return result;
}

const rigs: Partial<Record<Side, Rig>> = {};
try {
  for (const side of sides) rigs[side] = await rig(side);
  // Past the connect-time work (ours tells each user's contacts it came online, 5 s later).
  await sleep(10_000);
  for (const rate of rates) {
    for (const side of sides) {
      rigs[side]!.steps.push(await step(side, rigs[side]!, rate));
      await sleep(1000);
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
/** Highest achieved rate; "sustained" = delivered at least 97% of what was published with p99 under 1 s. */
const best = (side: Side) => Math.max(0, ...steps(side).map((s) => s.achieved));
const sustained = (side: Side) => Math.max(0, ...steps(side).filter((s) => s.received >= 0.97 * s.expected && s.p99 < 1000).map((s) => s.achieved));
const at = (side: Side, rate: number) => steps(side).find((s) => s.offered === rate);
out.data.steps = { ours: steps('ours'), peer: steps('peer') };
out.note('deliveries = frames received by the load generator; CPU = the server process alone (Redis, publisher and load generator share the same 2 cores)');
out.note(frame === 'new_message' ? 'new_message frames: ours also appends one DELIVERED receipt to Kafka per message and recipient (the peer has no receipts)' : 'message_status frames: no receipts, the same work on both sides');
const has = (side: Side) => rigs[side] !== undefined;
const o = has('ours');
const p = has('peer');
const lowest = rates[0]!;
const rowsOut = [
  row('deliveries per second, highest achieved', '1/s', o ? best('ours') : null, p ? best('peer') : null, { target: '>= 50,000 and >= 2x peer', met: o ? best('ours') >= 50_000 && (!p || best('ours') >= 2 * best('peer')) : undefined }),
  row('deliveries per second, sustained (97% delivered, p99 < 1 s)', '1/s', o ? sustained('ours') : null, p ? sustained('peer') : null),
  row(`p50 publish to receipt at ${lowest}/s`, 'ms', at('ours', lowest)?.p50 ?? null, at('peer', lowest)?.p50 ?? null, { lowerIsBetter: true }),
  row(`p99 publish to receipt at ${lowest}/s`, 'ms', at('ours', lowest)?.p99 ?? null, at('peer', lowest)?.p99 ?? null, { lowerIsBetter: true }),
];
for (const rate of rates.slice(1)) {
  rowsOut.push(row(`p99 at ${rate}/s offered`, 'ms', at('ours', rate)?.p99 ?? null, at('peer', rate)?.p99 ?? null, { lowerIsBetter: true }));
}
/** Server CPU per delivery, µs: the median over the steps where (nearly) everything arrived. */
const cpuPer = (side: Side) => {
  const s = steps(side)
    .filter((x) => x.received >= 0.97 * x.expected && x.received > 0)
    .map((x) => x.cpuMicrosPerDelivery)
    .sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : null;
};
rowsOut.push(row('server CPU per delivery (median over the steps)', 'µs', o ? cpuPer('ours') : null, p ? cpuPer('peer') : null, { lowerIsBetter: true }));
rowsOut.push(row('deliveries per CPU-second of the server (from the median)', '1/s', o && cpuPer('ours') ? 1e6 / cpuPer('ours')! : null, p && cpuPer('peer') ? 1e6 / cpuPer('peer')! : null, { target: '>= 2x peer' }));
out.finish(rowsOut);
