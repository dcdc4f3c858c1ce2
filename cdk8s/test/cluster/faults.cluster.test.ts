/**
 * Faults on the kind cluster under steady client traffic through the ingress: a sender posts a
 * message every SEND_INTERVAL_MS (retrying each with its client_message_id until it is accepted),
 * a receiving device reconnects as real ones do, and after each fault every accepted message must
 * have been shown exactly once, in the order it was accepted (the timeline of the device), and stored once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { sleep, waitFor } from '@chat4all/core/testing';
import { Device, type IngressHttp, NAMESPACE, getJson, kubectl, kubectlAsync, podsOf, signUp, waitReady } from './support.js';

const SEND_INTERVAL_MS = 150;
const devices: Device[] = [];
after(() => devices.forEach((d) => d.stop()));

/** Posts messages one after the other, each retried with its client_message_id until accepted. */
class SteadySender {
  readonly accepted: string[] = [];
  retries = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly http: IngressHttp, private readonly conversationId: string) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let n = 0;
    while (this.running) {
      const clientId = randomUUID();
      const content = `steady ${++n}`;
      for (let attempt = 0; ; attempt++) {
        const r = await this.http.call('POST', '/v1/messages', { conversation_id: this.conversationId, content, client_message_id: clientId }).catch((e: Error) => ({ status: 0, body: e.message }));
        if (r.status === 202 || r.status === 200) {
          this.accepted.push(r.body.message_id);
          break;
        }
        if (r.status >= 400 && r.status < 500 && r.status !== 429) throw new Error(`send refused: ${r.status} ${JSON.stringify(r.body)}`);
        this.retries++;
        if (attempt > 600) throw new Error(`send ${content} not accepted after ${attempt} attempts: last ${r.status}`);
        await sleep(250);
      }
      await sleep(SEND_INTERVAL_MS);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * alice sends steadily to bob, whose device listens, while `fault` runs; then everything is counted.
 * `fault` null: traffic alone, the check that the platform serves again after a fault.
 */
async function underTraffic(name: string, fault: (() => Promise<void>) | null): Promise<{ accepted: number; retries: number; device: Device; duplicates: number }> {
  const alice = await signUp(`alice_${name}`);
  const bob = await signUp(`bob_${name}`);
  const conv = await alice.http.call('POST', '/v1/conversations', { type: 'direct', members: [bob.username] });
  assert.equal(conv.status, 201);
  const conversationId = conv.body.conversation_id;
  const device = await new Device(bob.token, { history: historyOf(bob.http, conversationId) }).start();
  devices.push(device);

  const sender = new SteadySender(alice.http, conversationId);
  await waitFor(() => sender.accepted.length >= 5 || undefined, 'traffic before the fault', 60_000, 100);
  const atFault = sender.accepted.length;
  if (fault) await fault();
  const afterFault = sender.accepted.length;
  await waitFor(() => sender.accepted.length >= afterFault + 5 || undefined, 'traffic after the fault', 120_000, 100);
  await sender.stop();
  const accepted = sender.accepted;
  if (fault) assert.ok(afterFault > atFault, `messages were sent while the fault lasted (${atFault} before it, ${afterFault} at its end)`);

  const shownAll = await waitFor(() => device.has(accepted), `all ${accepted.length} accepted messages on bob's device`, 180_000, 500).catch(() => false);
  if (!shownAll) {
    const missing = accepted.filter((id) => !device.has([id]));
    assert.fail(`${missing.length} of ${accepted.length} accepted messages never shown (${missing.join(', ')}); reconnects ${device.reconnects}, recovered:false ${device.notRecovered}, catch-ups ${device.caughtUp}`);
  }
  // Delivery is at least once and a client drops what it has seen: each message shown once.
  assert.equal(new Set(device.shown).size, device.shown.length, 'no message shown twice');
  const acceptedSet = new Set(accepted);
  assert.deepEqual(device.shown.filter((id) => acceptedSet.has(id)), accepted, 'shown in the order accepted');

  const stored: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await bob.http.call('GET', `/v1/conversations/${conversationId}/messages?limit=200${before ? `&before=${before}` : ''}`);
    assert.equal(page.status, 200);
    stored.push(...page.body.messages.map((m: any) => m.message_id));
    if (!page.body.next_before) break;
    before = page.body.next_before;
  }
  assert.equal(stored.length, accepted.length, 'stored once each');
  assert.deepEqual(new Set(stored), acceptedSet);
  device.stop();
  return { accepted: accepted.length, retries: sender.retries, device, duplicates: device.duplicates };
}

/** The conversation's messages over HTTP, oldest first: how a client reads what the gateway could not replay. */
function historyOf(http: IngressHttp, conversationId: string): () => Promise<string[]> {
  return async () => {
    // Pages go back in time from the newest; each page is in the order of the conversation.
    const pages: string[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = await http.call('GET', `/v1/conversations/${conversationId}/messages?limit=200${before ? `&before=${before}` : ''}`);
      if (page.status !== 200) throw new Error(`history: ${page.status}`);
      pages.push(page.body.messages.map((m: any) => m.message_id));
      if (!page.body.next_before) break;
      before = page.body.next_before;
    }
    return pages.reverse().flat();
  };
}

/** Deletes a pod and waits until its StatefulSet has every pod Ready again. */
async function deletePodAndWait(pod: string, component: string, replicas: number): Promise<void> {
  const r = await kubectlAsync(['-n', NAMESPACE, 'delete', 'pod', pod, '--wait=false']);
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => !podsOf(component).some((p) => p.name === pod && p.ready && !p.deletionTimestamp) || undefined, `${pod} gone`, 120_000, 1000).catch(() => {});
  await sleep(3000);
  await waitReady(component, replicas, 600_000);
}

/** The pod Sentinel reports as the Redis master. */
function redisMaster(): string {
  const redis = podsOf('chat4all-redis').find((p) => p.ready)!;
  const out = kubectl(['-n', NAMESPACE, 'exec', redis.name, '-c', 'sentinel', '--', 'redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'mymaster']).stdout;
  return out.split('\n')[0]!.split('.')[0]!;
}

describe('faults on the kind cluster under steady traffic', { timeout: 3_600_000 }, () => {
  it('loses nothing when the Redis master pod is deleted: Sentinel promotes a replica, clients catch up', async () => {
    const before = redisMaster();
    const r = await underTraffic('redis', () => deletePodAndWait(before, 'chat4all-redis', 3));
    const afterMaster = redisMaster();
    assert.match(afterMaster, /^chat4all-redis-\d$/);
    console.error(`redis: master ${before} -> ${afterMaster}; ${r.accepted} accepted, ${r.retries} retried sends, ${r.device.reconnects} reconnects, ${r.duplicates} duplicate frames dropped`);
  });

  it('loses nothing when a Kafka broker pod is deleted', async () => {
    const r = await underTraffic('kafka', () => deletePodAndWait('chat4all-kafka-1', 'chat4all-kafka', 3));
    console.error(`kafka: ${r.accepted} accepted, ${r.retries} retried sends, ${r.duplicates} duplicate frames dropped`);
  });

  it('loses nothing when a Cassandra pod is deleted', async () => {
    const r = await underTraffic('cassandra', () => deletePodAndWait('chat4all-cassandra-2', 'chat4all-cassandra', 3));
    console.error(`cassandra: ${r.accepted} accepted, ${r.retries} retried sends, ${r.duplicates} duplicate frames dropped`);
  });

  it('loses nothing across a rollout restart of the gateways: drained with 1012, every client back through the ingress', async () => {
    const gateways = podsOf('chat4all-gateway').filter((p) => p.ready).length;
    const r = await underTraffic('rollout', async () => {
      // kubectl without blocking: the sender and the device go on while the rollout runs.
      const restart = await kubectlAsync(['-n', NAMESPACE, 'rollout', 'restart', 'deployment/chat4all-gateway']);
      assert.equal(restart.status, 0, restart.stderr);
      const status = await kubectlAsync(['-n', NAMESPACE, 'rollout', 'status', 'deployment/chat4all-gateway', '--timeout=600s']);
      assert.equal(status.status, 0, status.stderr);
      await waitReady('chat4all-gateway', gateways, 300_000);
      // The old pods are gone too (each drains its clients before it exits).
      await waitFor(() => podsOf('chat4all-gateway').length === gateways || undefined, 'the old gateway pods gone', 300_000, 1000);
    });
    assert.ok(r.device.closeCodes.includes(1012), `the device was drained with 1012 (saw ${JSON.stringify(r.device.closeCodes)})`);
    assert.ok(r.device.reconnects >= 1);
    console.error(`rollout: ${r.accepted} accepted, ${r.device.reconnects} reconnects, close codes ${JSON.stringify(r.device.closeCodes)}`);
  });

  it('turns the roles not ready while Kafka is away, restarts none of them, and serves again when it is back', async () => {
    const roles = ['chat4all-api', 'chat4all-worker', 'chat4all-gateway'];
    // Restart counts of the pods in service (not of one still terminating from an earlier change).
    const restarts = () =>
      Object.fromEntries(
        roles.flatMap((r) =>
          getJson('pods', '-l', `app.kubernetes.io/name=${r}`)
            .items.filter((p: any) => !p.metadata.deletionTimestamp)
            .map((p: any) => [p.metadata.name, p.status.containerStatuses[0].restartCount]),
        ),
      );
    const before = restarts();
    kubectl(['-n', NAMESPACE, 'scale', 'statefulset/chat4all-kafka', '--replicas=0']);
    try {
      await waitFor(() => roles.every((r) => podsOf(r).every((p) => !p.ready)) || undefined, 'every role not ready', 180_000, 2000);
      // Longer than liveness would take to restart a container that failed it (3 x 10 s).
      await sleep(45_000);
      assert.ok(roles.every((r) => podsOf(r).every((p) => !p.ready)), 'still not ready while Kafka is away');
      assert.deepEqual(restarts(), before, 'no container restarted');
    } finally {
      kubectl(['-n', NAMESPACE, 'scale', 'statefulset/chat4all-kafka', '--replicas=3']);
    }
    await waitReady('chat4all-kafka', 3, 600_000);
    for (const r of roles) await waitFor(() => podsOf(r).every((p) => p.ready) || undefined, `${r} ready again`, 300_000, 2000);
    assert.deepEqual(restarts(), before, 'no container restarted');
    await underTraffic('after_kafka', null);
  });
});
