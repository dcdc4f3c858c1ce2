/**
 * Workload 5, reconnect storm: N connections on one server process while messages are published
 * to their users; the process is killed (every connection drops at once) and started again. Each
 * client reconnects after a random wait (ours with `since=<last event_id>`), as real clients do.
 * Measured: time from the kill until every connection is back, and until every client has every
 * message published before the server was back (caught up); then the messages lost (must be 0)
 * and duplicates. Ours, then the peer. Every client first receives one message, so it has a
 * cursor to reconnect with.
 *
 * BENCH_RECONNECT_CONNECTIONS (10000)   capped by the open-file limit of one process
 * BENCH_RECONNECT_RATE (500)            messages per second published throughout
 * BENCH_RECONNECT_JITTER_MS (1000)      clients wait a random 0..this before reconnecting
 * BENCH_RECONNECT_TIMEOUT (90)          seconds to wait for everyone to be back and caught up
 * BENCH_CONNECT_RATE_LIMIT (the server's default, 500)   ours: CONNECT_RATE_LIMIT of the gateway
 * BENCH_SIDES (ours,peer), BENCH_TIME_LIMIT (900)
 */
import { newRunPrefix, sourceAddresses } from '../lib/ids.js';
import { LoadGenerator } from '../lib/loadgen.js';
import { fileLimit, intParam, sleep, strParam, wallMs } from '../lib/params.js';
import { ProcessGroup } from '../lib/procs.js';
import { Publisher } from '../lib/publisher.js';
import { ResultWriter, row } from '../lib/report.js';
import { ServerUnderTest, newJwtSecret, realStackEnv } from '../lib/stack.js';

type Side = 'ours' | 'peer';
const requested = intParam('BENCH_RECONNECT_CONNECTIONS', 10_000, 1);
const n = Math.min(requested, fileLimit() - 200);
const rate = intParam('BENCH_RECONNECT_RATE', 500, 1);
const jitterMs = intParam('BENCH_RECONNECT_JITTER_MS', 1000, 0);
const timeoutS = intParam('BENCH_RECONNECT_TIMEOUT', 90, 5);
const sides = strParam('BENCH_SIDES', 'ours,peer').split(',') as Side[];
const connectRateLimit = process.env.BENCH_CONNECT_RATE_LIMIT ? intParam('BENCH_CONNECT_RATE_LIMIT', 500, 1) : undefined;
const workers = intParam('BENCH_WORKERS', Math.max(2, Math.ceil(n / 10_000)), 1);
const out = new ResultWriter('reconnect', { requested, connections: n, rate, jitterMs, timeoutS, workers, sides, connectRateLimit: connectRateLimit ?? 'default (500)' });
if (n < requested) out.note(`asked for ${requested} connections, but one process may open only ${fileLimit()} files here: measured ${n}`);
const group = new ProcessGroup(intParam('BENCH_TIME_LIMIT', 900, 10));
const stack = await realStackEnv();
const secret = newJwtSecret();

interface SideResult {
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
}

async function measure(side: Side): Promise<SideResult> {
  const server =
    side === 'ours'
      ? await ServerUnderTest.ours(group, 'gateway', 'gateway', stack, secret, connectRateLimit ? { CONNECT_RATE_LIMIT: String(connectRateLimit) } : {})
      : await ServerUnderTest.peer(group, 'peer', stack.REDIS_URL!, secret, 15_000);
  const prefix = newRunPrefix();
  const load = LoadGenerator.start(group, `loadgen-${side}`, workers);
  const opened = await load.open({ target: { kind: side, url: server.url, jwtSecret: secret }, prefix, users: n, devices: 1, addresses: sourceAddresses(4), reconnect: true, reconnectJitterMs: jitterMs });
  console.log(`${side}: ${opened.connected} connected in ${opened.seconds.toFixed(1)} s`);
  const publisher = await Publisher.start(group, `publisher-${side}`, side, stack.REDIS_URL!, prefix, n);
  // One message to every user first, so every client holds a cursor (its last event_id) to
  // reconnect with: a client with none re-reads history over HTTP instead, outside this benchmark.
  await load.reset();
  const prime = await publisher.run(n / 2, 2.5); // round robin: every user at least once
  let primed = 0;
  for (let i = 0; i < 240 && (primed = (await load.report()).received) < prime.published; i++) await sleep(250);
  if (primed < prime.published) out.note(`${side}: only ${primed} of the ${prime.published} first messages arrived within 60 s; clients without one reconnect without a cursor`);
  await publisher.begin(rate);
  await sleep(3000);
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
  };
  console.log(`${side}: ${JSON.stringify(r)}`);
  return r;
}

const results = await group.eachSide(sides, measure);
out.data.sides = results;
const o = results.ours;
const p = results.peer;
const v = (r: SideResult | undefined, f: (r: SideResult) => number | null) => (r ? f(r) : null);
out.note('the server is killed (SIGKILL) and started again on the same port; "back" and "caught up" count from the kill, so they include the restart');
out.note('the peer (Socket.IO with the Redis pub/sub adapter) has no catch-up: what is published while a client is away is lost');
out.finish([
  row('connections', 'count', v(o, (r) => r.connected), v(p, (r) => r.connected), { target: '50,000', met: o ? o.connected >= 50_000 : undefined }),
  row('restart until ready', 's', v(o, (r) => r.restartSeconds), v(p, (r) => r.restartSeconds), { lowerIsBetter: true }),
  row('kill until all back', 's', v(o, (r) => r.backSeconds), v(p, (r) => r.backSeconds), { lowerIsBetter: true }),
  row('kill until all caught up', 's', v(o, (r) => r.caughtUpSeconds), v(p, (r) => r.caughtUpSeconds), { lowerIsBetter: true, target: '<= 30 s', met: o ? o.caughtUpSeconds !== null && o.caughtUpSeconds <= 30 : undefined }),
  row('clients caught up', 'count', v(o, (r) => r.caughtUp), v(p, (r) => r.caughtUp)),
  row('messages lost', 'count', v(o, (r) => r.lost), v(p, (r) => r.lost), { lowerIsBetter: true, target: '0', met: o ? o.lost === 0 : undefined }),
  row('duplicates received (removed by message_id)', 'count', v(o, (r) => r.duplicates), v(p, (r) => r.duplicates)),
  row('messages published during the run', 'count', v(o, (r) => r.published), v(p, (r) => r.published)),
]);
