/**
 * What the operator's scale-down relies on: a gateway told to stop (SIGTERM, as the kubelet does)
 * drains. It reports not ready, closes its connections with 1012 in batches over DRAIN_SECONDS,
 * then exits; its clients reconnect to another gateway with jitter and catch up with `since`, so no
 * notification is lost across the move.
 *
 * The move goes through the shared backends a gateway depends on: the real Redis with Sentinel of
 * `scripts/services.sh up` (pub/sub and the event history that `since` reads) and the real
 * Cassandra, in a keyspace of this run's (a gateway admits only users the store knows). The api and
 * the worker run as one process on the in-memory event log, and so do the two gateways (ROLE=all,
 * the same platform code and the same drain): Kafka's topics and the `router-worker` consumer
 * group are shared by every run on a machine and cannot be named per run, so another run's backlog
 * or worker would delay or swallow this test's messages.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Listener, call, signUp } from './support/clients.js';
import { NodeProcess, freePort, metricValue } from './support/processes.js';
import { sleep, waitFor } from './support/wait.js';

const DRAIN_SECONDS = 3;
const RECEIVERS = 20;

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run \`scripts/services.sh up\` and \`eval "$(scripts/services.sh env)"\` (make test-operator-drain does both)`);
  return v;
}

describe('a gateway drains on SIGTERM, clients move through the real Redis', { timeout: 300_000 }, () => {
  let api: NodeProcess, draining: NodeProcess, staying: NodeProcess;
  let apiUrl: string, ws1: string, ws2: string;
  const listeners: Listener[] = [];

  before(async () => {
    const shared = {
      JWT_SECRET: randomBytes(32).toString('hex'),
      REDIS_SENTINELS: requireEnv('REDIS_SENTINELS'),
      REDIS_SENTINEL_NAME: process.env.REDIS_SENTINEL_NAME ?? 'mymaster',
      CASSANDRA_CONTACT_POINTS: requireEnv('CASSANDRA_CONTACT_POINTS'),
      CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
      CASSANDRA_KEYSPACE: `chat4all_drain_${randomBytes(4).toString('hex')}`,
      // Not Kafka, even when the environment has it: the in-memory event log.
      KAFKA_BROKERS: '',
      HOST: '127.0.0.1',
      ROLE: 'all',
      SEND_RATE_LIMIT: '1000',
      DRAIN_SECONDS: String(DRAIN_SECONDS),
      LOG_LEVEL: 'warn',
    };
    const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
    const [a, w, m, ...gw] = ports.map(String) as [string, string, string, ...string[]];
    apiUrl = `http://127.0.0.1:${a}`;
    ws1 = `ws://127.0.0.1:${gw[1]}`;
    ws2 = `ws://127.0.0.1:${gw[4]}`;
    const server = 'services/server/src/main.ts';
    api = new NodeProcess('api+worker', server, { ...shared, API_PORT: a, WEBSOCKET_PORT: w, METRICS_PORT: m }, apiUrl);
    draining = new NodeProcess('gateway-1', server, { ...shared, API_PORT: gw[0]!, WEBSOCKET_PORT: gw[1]!, METRICS_PORT: gw[2]! }, `http://127.0.0.1:${gw[2]}`);
    staying = new NodeProcess('gateway-2', server, { ...shared, API_PORT: gw[3]!, WEBSOCKET_PORT: gw[4]!, METRICS_PORT: gw[5]! }, `http://127.0.0.1:${gw[5]}`);
    // The api first: it creates the keyspace and the schema the gateways then find.
    await api.start();
    await Promise.all([draining.start(), staying.start()]);
  });

  after(async () => {
    for (const l of listeners) l.stop();
    if (process.env.OPERATOR_TEST_LOGS) for (const p of [api, draining, staying]) console.error(`--- ${p?.name}\n${p?.log.slice(-40).join('\n')}`);
    await Promise.all([api, draining, staying].filter(Boolean).map((p) => p.stop()));
  });

  it('closes every client with 1012 over the drain window; each reconnects to the other gateway and misses nothing', async () => {
    const sender = await signUp(apiUrl, 'sender');
    const receivers = await Promise.all(Array.from({ length: RECEIVERS }, (_, i) => signUp(apiUrl, `rcv${i}`)));
    const group = await call(apiUrl, sender.token, 'POST', '/v1/conversations', { type: 'group', name: 'drain', members: receivers.map((r) => r.username) });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const conversation = group.body.conversation_id as string;
    // Every receiver starts on the gateway that will drain; its next gateway is the other one.
    for (const r of receivers) listeners.push(new Listener([ws1, ws2], r.token));
    await Promise.all(listeners.map((l) => l.start()));
    const connectionsOn = async (p: NodeProcess) => metricValue(await (await fetch(`${p.healthUrl}/metrics`)).text(), 'websocket_connections_active');
    await waitFor(async () => (await connectionsOn(draining)) === RECEIVERS, `${RECEIVERS} connections on the draining gateway`);
    // The pipeline works end to end before the drain.
    const warmUp = await call(apiUrl, sender.token, 'POST', '/v1/messages', { conversation_id: conversation, content: 'warm-up' });
    await waitFor(() => listeners.every((l) => l.has([warmUp.body.message_id])), 'the warm-up message at every client', 30_000, 100);

    // Messages flow before, during and after the move.
    const sent: string[] = [];
    let sending = true;
    const sendLoop = (async () => {
      for (let i = 0; sending || i < 10; i++) {
        const r = await call(apiUrl, sender.token, 'POST', '/v1/messages', { conversation_id: conversation, content: `message ${i}`, client_message_id: `drain-${i}` });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        sent.push(r.body.message_id);
        await sleep(50);
      }
    })();
    await sleep(1000);

    const signalled = Date.now();
    const exited = draining.exited();
    draining.signal('SIGTERM');
    // It is still up, draining, and says so: not ready from when it handles the signal (however
    // busy the machine) until it exits, which is no sooner than the drain window.
    const readyz = async () => (await fetch(`${draining.healthUrl}/readyz`)).status;
    await waitFor(async () => (await readyz()) === 503, 'not ready while draining (/readyz 503 before the exit)', DRAIN_SECONDS * 1000, 20);
    assert.equal(await exited, 0, 'a clean exit after the drain');
    const exitedAfter = Date.now() - signalled;

    await waitFor(() => listeners.every((l) => l.url === ws2), 'every client on the other gateway', 15_000);
    sending = false;
    await sendLoop;
    await waitFor(() => listeners.every((l) => l.has(sent)), `all ${sent.length} messages at all ${RECEIVERS} clients`, 60_000, 100).catch((err: unknown) => {
      const missing = listeners.map((l) => sent.filter((id) => !l.shown.includes(id)).map((id) => sent.indexOf(id)));
      throw new Error(`${(err as Error).message}; missing message indexes per client: ${JSON.stringify(missing)}`);
    });

    const closes = listeners.flatMap((l) => l.closes);
    assert.equal(closes.length, RECEIVERS, 'each client was closed once');
    assert.deepEqual([...new Set(closes.map((c) => c.code))], [1012], 'with 1012 (service restart: reconnect elsewhere)');
    const spread = Math.max(...closes.map((c) => c.at)) - Math.min(...closes.map((c) => c.at));
    assert.ok(spread >= DRAIN_SECONDS * 1000 * 0.5, `closes spread over ${spread} ms of the ${DRAIN_SECONDS} s window, not all at once`);
    assert.ok(exitedAfter >= spread && exitedAfter < (DRAIN_SECONDS + 10) * 1000, `exited ${exitedAfter} ms after SIGTERM`);
    for (const l of listeners) {
      assert.equal(l.shown.length, sent.length + 1, 'each message shown exactly once');
      assert.equal(l.notRecovered, 0, 'caught up from the gap, not told to re-read history');
    }
    assert.equal(await connectionsOn(staying), RECEIVERS);
  });
});
