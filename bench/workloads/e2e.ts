/**
 * Workload 3, end to end on the real stack: messages sent over HTTP to an api process, through
 * Kafka, a worker process (Cassandra, Redis) and a gateway process, received on WebSockets; at
 * fixed rates. Latency is from just before the POST to the frame's arrival. Ours only: the peers
 * have no such pipeline.
 *
 * BENCH_E2E_PAIRS (20)              sender/recipient pairs (direct conversations)
 * BENCH_E2E_RATES (10,25,50,100,1000)   messages per second, one step each (a run stops after a step whose p99 exceeds 5 s)
 * BENCH_RUNS (3)                    times the rates are climbed; figures are medians with their spread
 * BENCH_STEP_SECONDS (8), BENCH_TIME_LIMIT (900 per run)
 */
import { makePairs } from '../lib/api-client.js';
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { LoadGenerator } from '../lib/loadgen.js';
import { LoadWatch, type StepLoad } from '../lib/machine.js';
import { intParam, listParam, runsParam, sleep } from '../lib/params.js';
import { CpuMeter, ProcessGroup } from '../lib/procs.js';
import { ResultWriter, row } from '../lib/report.js';
import { Senders } from '../lib/sender.js';
import { ServerUnderTest, newJwtSecret, realStackEnv, skipBacklog } from '../lib/stack.js';
import { summarize } from '../lib/stats.js';

const pairs = intParam('BENCH_E2E_PAIRS', 20, 1);
const rates = listParam('BENCH_E2E_RATES', [10, 25, 50, 100, 1000]);
const stepSeconds = intParam('BENCH_STEP_SECONDS', 8, 1);
const runs = runsParam();
const out = new ResultWriter('e2e', { pairs, rates, stepSeconds, runs, sustainable: 'accepted >= 97% of offered (the pacing rounds down), delivered >= 99% of accepted within 5 s of the step, p99 < 500 ms' });
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 900 * runs, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();

interface Step {
  run: number;
  rate: number;
  accepted: number;
  offered: number;
  delivered: number;
  achieved: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  acceptP99: number;
  cpu: Record<string, number>;
  /** Mean milliseconds per stage over the step, from the servers' own histograms. */
  stages: Record<string, number>;
  sustained: boolean;
  load: StepLoad;
}

/** The worker's histograms whose means over a step say where a message's time goes. */
const STAGES = [
  ['accept to stored', 'message_accept_to_store_seconds', undefined],
  ['worker, per message record', 'worker_record_duration_seconds', 'topic="messages"'],
  ['worker, per receipt record', 'worker_record_duration_seconds', 'topic="receipts"'],
] as const;

const steps: Step[] = [];
try {
  const extra = { SEND_RATE_LIMIT: '1000000' };
  if (await skipBacklog(stack)) console.log('skipped the backlog earlier runs left in Kafka');
  else out.note('on shared servers: what earlier runs left in Kafka is processed first, and other workers of the group may take partitions');
  const [api, worker, gateway] = await Promise.all([
    ServerUnderTest.ours(group, 'api', 'api', stack, secret, extra),
    ServerUnderTest.ours(group, 'worker', 'worker', stack, secret, extra),
    ServerUnderTest.ours(group, 'gateway', 'gateway', stack, secret, extra),
  ]);
  const tag = newRunPrefix().slice(0, 8);
  const made = await makePairs(api.url, secret, tag, pairs);
  console.log(`${pairs} pairs registered`);
  const load = LoadGenerator.start(group, 'loadgen', 1);
  await load.open({ target: gateway.target(secret), prefix: newRunPrefix(), users: pairs, named: made.map((p) => p.recipient), devices: 1, addresses: sourceAddresses(1) });
  const senders = await Senders.start(group, api.url, made.map((p) => ({ token: p.sender.token, conversationId: p.conversationId })), 2, 32);
  // Warm up until the pipeline is live: caches, Kafka producers, the consumer group's assignment
  // (a rebalance can take a session timeout when an earlier member vanished), prepared statements.
  const warmUntil = Date.now() + 120_000;
  for (;;) {
    await load.reset();
    const probe = await senders.run(10, 2);
    const accepted = probe.statuses['202'] ?? 0;
    await sleep(1000);
    const w = summarize((await load.report()).latencies);
    console.log(`warm-up: ${w.count} of ${accepted} delivered, p99 ${w.p99.toFixed(0)} ms`);
    if ((accepted > 0 && w.count >= accepted && w.p99 < 500) || Date.now() > warmUntil) break;
  }
  await sleep(2000);
  for (let run = 1; run <= runs; run++) {
  for (const rate of rates) {
    await load.reset();
    const watch = LoadWatch.start();
    const meters = Object.fromEntries([api, worker, gateway].map((s) => [s.name, new CpuMeter(s.pid).start()]));
    const stagesBefore = await Promise.all(STAGES.map(([, name, labels]) => worker.histogram(name, labels)));
    const sent = await senders.run(rate, stepSeconds);
    const accepted = sent.statuses['202'] ?? 0;
    let rep = await load.report();
    for (let i = 0; i < 50 && rep.received < accepted; i++) {
      await sleep(100);
      rep = await load.report();
    }
    const cpu = Object.fromEntries(Object.entries(meters).map(([k, m]) => [k, Math.round(m.read())]));
    const stagesAfter = await Promise.all(STAGES.map(([, name, labels]) => worker.histogram(name, labels)));
    const stages: Record<string, number> = {};
    STAGES.forEach(([label], i) => {
      const n = stagesAfter[i]!.count - stagesBefore[i]!.count;
      if (n > 0) stages[label] = Math.round(((stagesAfter[i]!.sum - stagesBefore[i]!.sum) / n) * 10_000) / 10;
    });
    const s = summarize(rep.latencies);
    const a = summarize(sent.latencies);
    const span = Math.max(stepSeconds, (rep.lastAt - rep.firstAt) / 1000);
    const offered = rate * stepSeconds;
    const sustained = accepted >= 0.97 * offered && rep.received >= 0.99 * accepted && s.p99 < 500;
    const st: Step = { run, rate, offered, accepted, delivered: rep.received, achieved: rep.received / span, statuses: sent.statuses, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max, acceptP99: a.p99, cpu, stages: { 'api answer (p50)': Math.round(a.p50 * 10) / 10, ...stages }, sustained, load: out.load(watch.stop()) };
    steps.push(st);
    console.log(`@${rate}/s (run ${run}): accepted ${accepted}/${offered}, delivered ${rep.received}, p50 ${s.p50.toFixed(1)} p95 ${s.p95.toFixed(1)} p99 ${s.p99.toFixed(1)} ms, cpu ${JSON.stringify(cpu)}, mean ms ${JSON.stringify(st.stages)}, statuses ${JSON.stringify(sent.statuses)}${sustained ? '' : ' (not sustained)'}`);
    if (!sustained && s.p99 > 5000) break;
    // Let any backlog clear before the next step (bounded).
    for (let i = 0; i < 20 && (await load.report()).received < accepted; i++) await sleep(500);
    await sleep(2000);
  }
  }
  await load.close();
  await senders.close();
} finally {
  await group.stopAll();
}

out.data.steps = steps;
/** The value of `f` at `rate` in each run (null where the run stopped before it). */
const at = (rate: number, f: (s: Step) => number) => ({ ours: Array.from({ length: runs }, (_, i) => {
  const s = steps.find((x) => x.run === i + 1 && x.rate === rate);
  return s ? f(s) : null;
}) });
const sustainable = { ours: Array.from({ length: runs }, (_, i) => Math.max(0, ...steps.filter((s) => s.run === i + 1 && s.sustained).map((s) => s.rate))) };
out.note('ours only: api, worker and gateway are separate processes on real Kafka, Cassandra and Redis, all on the same machine with the load generator');
const rows = [
  row('highest sustainable rate (of the rates tried)', 'msg/s', sustainable),
  ...rates.flatMap((rate) => [
    row(`p50 at ${rate}/s`, 'ms', at(rate, (s) => s.p50)),
    row(`p95 at ${rate}/s`, 'ms', at(rate, (s) => s.p95)),
    row(`p99 at ${rate}/s`, 'ms', at(rate, (s) => s.p99), rate === 1000 ? { target: '<= 100 ms', met: (v) => v <= 100 } : {}),
    row(`sustained at ${rate}/s (1 = yes)`, 'runs', at(rate, (s) => (s.sustained ? 1 : 0))),
  ]),
];
out.finish(rows);
