/**
 * Workload 5, reconnect storm: N connections on one server process while messages are published
 * to their users; the process is killed (every connection drops at once) and started again. Each
 * client reconnects after a random wait (ours with `since=<last event_id>`), as real clients do.
 * Measured: time from the kill until every connection is back, and until every client has every
 * message published before the server was back (caught up); then the messages lost (must be 0)
 * and duplicates. Each side in turn, BENCH_RUNS times (the order rotating); figures are medians
 * with their spread. Every client first receives one message, so it has a cursor to reconnect
 * with (ours: the event_id; Centrifugo: the channel's epoch and offset, recovered from its history;
 * Socket.IO has no catch-up).
 *
 * BENCH_RECONNECT_CONNECTIONS (10000)   capped by the open-file limit of one process
 * BENCH_RECONNECT_RATE (500)            messages per second published throughout
 * BENCH_RECONNECT_JITTER_MS (1000)      clients wait a random 0..this before reconnecting
 * BENCH_RECONNECT_TIMEOUT (90)          seconds to wait for everyone to be back and caught up
 * BENCH_CONNECT_RATE_LIMIT (the server's default)   ours: CONNECT_RATE_LIMIT of the gateway
 * BENCH_SIDES (ours,socketio,centrifugo), BENCH_RUNS (3), BENCH_CENTRIFUGO_GOMAXPROCS (1, or default)
 * BENCH_TIME_LIMIT (900 per run)
 */
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { LoadGenerator } from '../lib/loadgen.js';
import { LoadWatch, type StepLoad } from '../lib/machine.js';
import { fileLimit, intParam, runsParam, sidesParam, sleep, wallMs } from '../lib/params.js';
import { ProcessGroup } from '../lib/procs.js';
import type { Side } from '../lib/protocol.js';
import { Publisher } from '../lib/publisher.js';
import { ResultWriter, row } from '../lib/report.js';
import { ServerUnderTest, centrifugoMaxProcs, newJwtSecret, realStackEnv, resultName } from '../lib/stack.js';
import { registerUsers } from '../lib/users.js';

const requested = intParam('BENCH_RECONNECT_CONNECTIONS', 10_000, 1);
const n = Math.min(requested, fileLimit() - 200);
const rate = intParam('BENCH_RECONNECT_RATE', 500, 1);
const jitterMs = intParam('BENCH_RECONNECT_JITTER_MS', 1000, 0);
const timeoutS = intParam('BENCH_RECONNECT_TIMEOUT', 90, 5);
const sides = sidesParam();
const runs = runsParam();
const connectRateLimit = process.env.BENCH_CONNECT_RATE_LIMIT ? intParam('BENCH_CONNECT_RATE_LIMIT', 500, 1) : undefined;
const workers = intParam('BENCH_WORKERS', Math.max(2, Math.ceil(n / 10_000)), 1);
const out = new ResultWriter(resultName('reconnect', sides), { requested, connections: n, rate, jitterMs, timeoutS, workers, sides, runs, connectRateLimit: connectRateLimit ?? 'the default', centrifugoGomaxprocs: centrifugoMaxProcs() });
if (n < requested) out.note(`asked for ${requested} connections, but one process may open only ${fileLimit()} files here: measured ${n}`);
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 900 * runs, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();
/** Ours checks that a token's user exists: its users are registered once, for every run. */
const oursPrefix = newRunPrefix();

interface SideResult {
  run: number;
  connected: number;
  restartSeconds: number;
  backSeconds: number | null;
  caughtUpSeconds: number | null;
  back: number;
  caughtUp: number;
  lost: number;
  duplicates: number;
  published: number;
  refusals: Record<string, number>;
  load: StepLoad;
}

async function measure(side: Side, run: number): Promise<SideResult> {
  const server = await ServerUnderTest.side(group, side, stack, secret, 15_000, connectRateLimit ? { ours: { CONNECT_RATE_LIMIT: String(connectRateLimit) } } : {});
  const prefix = side === 'ours' ? oursPrefix : newRunPrefix();
  if (side === 'ours') await registerUsers(stack, prefix, n);
  const load = LoadGenerator.start(group, `loadgen-${side}`, workers);
  const opened = await load.open({ target: server.target(secret), prefix, users: n, devices: 1, addresses: sourceAddresses(4), reconnect: true, reconnectJitterMs: jitterMs });
  console.log(`${side}: ${opened.connected} connected in ${opened.seconds.toFixed(1)} s`);
  const publisher = await Publisher.start(group, `publisher-${side}`, side, stack.REDIS_URL!, prefix, n, 'new_message', secret);
  // One message to every user first, so every client holds a cursor (its last event_id) to
  // reconnect with: a client with none re-reads history over HTTP instead, outside this benchmark.
  await load.reset();
  const prime = await publisher.run(n / 2, 2.5); // round robin: every user at least once
  let primed = 0;
  for (let i = 0; i < 240 && (primed = (await load.report()).received) < prime.published; i++) await sleep(250);
  if (primed < prime.published) out.note(`${side}: only ${primed} of the ${prime.published} first messages arrived within 60 s; clients without one reconnect without a cursor`);
  await publisher.begin(rate);
  await sleep(3000);
  const watch = LoadWatch.start();
  const killedAt = wallMs();
  await server.proc.stop('SIGKILL');
  await server.start();
  const readyAt = wallMs();
  await load.marks(await publisher.seqs());
  console.log(`${side}: restarted in ${((readyAt - killedAt) / 1000).toFixed(1)} s`);
  const deadline = Date.now() + timeoutS * 1000;
  let rep = await load.report();
  let stableSince = Date.now();
  let lastCaught = -1;
  while (Date.now() < deadline) {
    await sleep(250);
    rep = await load.report();
    if (rep.connected === n && rep.caughtUp === n) break;
    if (rep.caughtUp !== lastCaught) {
      lastCaught = rep.caughtUp;
      stableSince = Date.now();
    }
    // Everyone back, and no more catching up for 5 s: what is missing will not come.
    if (rep.connected === n && Date.now() - stableSince > 5000) break;
  }
  const stepLoad = out.load(watch.stop());
  const pub = await publisher.end();
  // Let what is in flight arrive: until nothing more comes for 2 s (at most 30 s).
  for (let i = 0, last = -1, still = 0; i < 120 && still < 8; i++) {
    await sleep(250);
    const got = (await load.report()).received;
    still = got === last ? still + 1 : 0;
    last = got;
  }
  const final = await load.final(await publisher.seqs());
  rep = await load.report();
  await load.close();
  await publisher.close();
  await server.proc.stop();
  const r: SideResult = {
    run,
    connected: opened.connected,
    restartSeconds: (readyAt - killedAt) / 1000,
    backSeconds: rep.connected === n ? (rep.lastConnectedAt - killedAt) / 1000 : null,
    caughtUpSeconds: rep.caughtUp === n ? (rep.lastCaughtUpAt - killedAt) / 1000 : null,
    back: rep.connected,
    caughtUp: rep.caughtUp,
    lost: final.lost,
    duplicates: final.duplicates,
    published: pub.published,
    refusals: rep.refusals,
    load: stepLoad,
  };
  console.log(`${side} (run ${run}): ${JSON.stringify(r)}`);
  return r;
}

const results = await group.eachRunEachSide(sides, runs, measure);
out.data.sides = results;
/** Each side's value per run. */
const per = (f: (r: SideResult) => number | null) => Object.fromEntries(sides.map((s) => [s, (results[s] ?? []).map(f)]));
out.note('the server is killed (SIGKILL) and started again on the same port; "back" and "caught up" count from the kill, so they include the restart; ∞ (- in docs): not every client within BENCH_RECONNECT_TIMEOUT');
out.note('socketio (the Redis pub/sub adapter) has no catch-up: what is published while a client is away is lost; centrifugo recovers from the personal channel\'s history (the publishing node keeps running)');
out.finish([
  row('connections', 'count', per((r) => r.connected), { target: '19,800 of one gateway', met: (v) => v >= 19_800 }),
  row('restart until ready', 's', per((r) => r.restartSeconds), { lowerIsBetter: true }),
  row('kill until all back', 's', per((r) => r.backSeconds ?? Infinity), { lowerIsBetter: true }),
  row('kill until all caught up', 's', per((r) => r.caughtUpSeconds ?? Infinity), { lowerIsBetter: true, target: '<= 10 s', met: (v) => v <= 10 }),
  row('clients caught up', 'count', per((r) => r.caughtUp)),
  row('messages lost', 'count', per((r) => r.lost), { lowerIsBetter: true, target: '0', met: (v) => v === 0 }),
  row('duplicates received (removed by message_id)', 'count', per((r) => r.duplicates)),
  row('messages published during the run', 'count', per((r) => r.published)),
]);
