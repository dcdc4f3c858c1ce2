/**
 * Workload 4, api: accepted sends (202) per second of one api process on the real stack (Kafka,
 * Cassandra for membership, cached), at rising offered rates, with the p99 of the answer. Ours
 * only. No worker runs: what is sent stays in Kafka (bench-e2e skips it). It needs the
 * benchmarks' own servers (`make bench-services-up`): a shared Kafka's workers would have to
 * store it all.
 *
 * BENCH_API_RATES (1000,2500,5000,7500)   offered sends per second
 * BENCH_API_PAIRS (50), BENCH_STEP_SECONDS (8), BENCH_API_SENDERS (2) sender processes
 * BENCH_RUNS (3)   times the rates are climbed; figures are medians with their spread
 */
import { makePairs } from '../lib/api-client.js';
import { newRunPrefix } from '../lib/ids.js';
import { LoadWatch, type StepLoad } from '../lib/machine.js';
import { intParam, listParam, runsParam, sleep } from '../lib/params.js';
import { CpuMeter, ProcessGroup } from '../lib/procs.js';
import { ResultWriter, row } from '../lib/report.js';
import { Senders } from '../lib/sender.js';
import { ServerUnderTest, newJwtSecret, realStackEnv } from '../lib/stack.js';
import { summarize } from '../lib/stats.js';

const rates = listParam('BENCH_API_RATES', [1000, 2500, 5000, 7500]);
const pairs = intParam('BENCH_API_PAIRS', 50, 1);
const stepSeconds = intParam('BENCH_STEP_SECONDS', 8, 1);
const senderProcesses = intParam('BENCH_API_SENDERS', 2, 1);
const runs = runsParam();
const out = new ResultWriter('api', { rates, pairs, stepSeconds, senderProcesses, socketsPerSender: 64, runs });
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 600 * runs, 10));
const stack = await realStackEnv();
if (stack.BENCH_OWN_SERVERS !== '1') {
  console.error('bench-api floods Kafka\'s `messages` topic: run it on the benchmarks\' own servers (make bench-services-up)');
  process.exit(2);
}
const secret = newJwtSecret();

interface Step {
  run: number;
  rate: number;
  offered: number;
  accepted: number;
  acceptedPerSecond: number;
  statuses: Record<string, number>;
  behind: number;
  p50: number;
  p99: number;
  max: number;
  apiCpu: number;
  load: StepLoad;
}

const steps: Step[] = [];
try {
  const api = await ServerUnderTest.ours(group, 'api', 'api', stack, secret, { SEND_RATE_LIMIT: '1000000' });
  const made = await makePairs(api.url, secret, newRunPrefix().slice(0, 8), pairs);
  const senders = await Senders.start(group, api.url, made.map((p) => ({ token: p.sender.token, conversationId: p.conversationId })), senderProcesses, 64);
  await senders.run(200, 3); // warm-up: membership cache, Kafka producer
  for (let run = 1; run <= runs; run++) {
  for (const rate of rates) {
    const watch = LoadWatch.start();
    const cpu = new CpuMeter(api.pid).start();
    const r = await senders.run(rate, stepSeconds);
    const apiCpu = cpu.read();
    const s = summarize(r.latencies);
    const accepted = r.statuses['202'] ?? 0;
    const st: Step = { run, rate, offered: rate * stepSeconds, accepted, acceptedPerSecond: accepted / r.seconds, statuses: r.statuses, behind: r.behind, p50: s.p50, p99: s.p99, max: s.max, apiCpu, load: out.load(watch.stop()) };
    steps.push(st);
    console.log(`@${rate}/s (run ${run}): ${st.acceptedPerSecond.toFixed(0)} accepted/s, p50 ${s.p50.toFixed(1)} p99 ${s.p99.toFixed(1)} ms, api CPU ${apiCpu.toFixed(0)}%, statuses ${JSON.stringify(r.statuses)}${r.behind ? `, ${r.behind} not sent (too many in flight)` : ''}`);
    await sleep(2000);
  }
  }
  await senders.close();
} finally {
  await group.stopAll();
}

out.data.steps = steps;
const runSteps = (run: number) => steps.filter((s) => s.run === run);
const perRun = (f: (ss: Step[]) => number) => ({ ours: Array.from({ length: runs }, (_, i) => f(runSteps(i + 1))) });
const at = (rate: number, f: (s: Step) => number) => perRun((ss) => {
  const s = ss.find((x) => x.rate === rate);
  return s ? f(s) : NaN;
});
const allAccepted = (s: Step) => s.accepted >= 0.99 * s.offered;
out.note('ours only; one api process on real Kafka and Cassandra; senders, Kafka and Cassandra share the same machine');
out.finish([
  row('accepted sends per second, highest', '1/s', perRun((ss) => Math.max(0, ...ss.map((s) => s.acceptedPerSecond)))),
  row('accepted sends per second with p99 <= 50 ms (all accepted)', '1/s', perRun((ss) => Math.max(0, ...ss.filter((s) => allAccepted(s) && s.p99 <= 50).map((s) => s.acceptedPerSecond))), { target: '>= 5,000', met: (v) => v >= 5000 }),
  ...rates.map((rate) => row(`p99 of the answer at ${rate}/s offered`, 'ms', at(rate, (s) => (allAccepted(s) ? s.p99 : NaN)), rate === 5000 ? { target: '<= 50 ms', met: (v) => v <= 50 } : {})),
  ...rates.map((rate) => row(`api CPU at ${rate}/s offered`, '% of a core', at(rate, (s) => s.apiCpu))),
]);
