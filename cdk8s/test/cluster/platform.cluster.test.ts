/**
 * The platform on the kind cluster, reached through the ingress only (HTTPS and WSS on the
 * machine's port 443, no port-forward): every pod Ready, a conversation end to end with two
 * devices on two gateway pods, receipts, history, and the affinity cookie.
 * Run by `make test-cluster` after `make kind-up images kind-load deploy`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sleep, waitFor } from '@chat4all/core/testing';
import { Device, HOST, IngressHttp, NAMESPACE, getJson, plainHttp, kubectl, metricValue, podMetrics, podsOf, signUp, waitReady } from './support.js';

const devices: Device[] = [];
after(() => devices.forEach((d) => d.stop()));

/** Opens devices of `token` until one lands on a gateway pod no earlier device of the list is on. */
async function deviceOnAnotherPod(token: string, others: Device[]): Promise<Device> {
  for (let i = 0; i < 20; i++) {
    const d = await new Device(token).start();
    devices.push(d);
    if (d.cookie && others.every((o) => o.cookie !== d.cookie)) return d;
    d.stop();
  }
  throw new Error('twenty connections all landed on gateway pods already used');
}

describe('the platform on the kind cluster', { timeout: 600_000 }, () => {
  it('has every pod Ready, in the topology of the profile', async () => {
    const pods = getJson('pods').items;
    const notReady = pods.filter((p: any) => !(p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'));
    assert.deepEqual(notReady.map((p: any) => p.metadata.name), []);
    const count = (c: string) => podsOf(c).length;
    assert.equal(count('chat4all-kafka'), 3);
    assert.equal(count('chat4all-cassandra'), 3);
    assert.equal(count('chat4all-redis'), 3);
    assert.equal(count('chat4all-operator'), 2);
    assert.equal(count('chat4all-prometheus'), 1);
    assert.equal(count('chat4all-objectstore'), 1);
    await waitReady('chat4all-gateway', 2);
    // Containers run as 10001 on read-only root filesystems.
    for (const p of pods) {
      for (const c of p.spec.containers) {
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${p.metadata.name}/${c.name} read-only root`);
        const uid = c.securityContext?.runAsUser ?? p.spec.securityContext?.runAsUser;
        assert.ok(uid >= 10000, `${p.metadata.name}/${c.name} runs as ${uid}`);
      }
    }
  });

  it('carries a conversation end to end through the ingress: push to two devices on two gateway pods, receipts, history once', async () => {
    const alice = await signUp('alice');
    const bob = await signUp('bob');
    const bob1 = await new Device(bob.token).start();
    devices.push(bob1);
    const bob2 = await deviceOnAnotherPod(bob.token, [bob1]);
    const aliceDevice = await new Device(alice.token).start();
    devices.push(aliceDevice);
    assert.notEqual(bob1.cookie, bob2.cookie, 'the two devices hold different gateway pods');

    const conv = await alice.http.call('POST', '/v1/conversations', { type: 'direct', members: [bob.username] });
    assert.equal(conv.status, 201, JSON.stringify(conv.body));
    const conversationId = conv.body.conversation_id;
    const sent = await alice.http.call('POST', '/v1/messages', { conversation_id: conversationId, content: 'through the ingress' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const messageId = sent.body.message_id;

    for (const d of [bob1, bob2]) {
      const f = await d.next((x) => x.type === 'new_message' && x.message_id === messageId, 'the push on each of bob\u2019s devices', 60_000);
      assert.equal(f.content, 'through the ingress');
    }
    await aliceDevice.next((f) => f.type === 'message_status' && f.message_id === messageId && f.status === 'DELIVERED', 'DELIVERED at alice', 60_000);
    bob1.send({ type: 'read', message_id: messageId });
    await aliceDevice.next((f) => f.type === 'message_status' && f.message_id === messageId && f.status === 'READ', 'READ at alice', 60_000);

    const history = await bob.http.call('GET', `/v1/conversations/${conversationId}/messages`);
    assert.equal(history.status, 200);
    const copies = history.body.messages.filter((m: any) => m.message_id === messageId);
    assert.equal(copies.length, 1, 'history holds the message once');
    assert.equal(bob1.duplicates + bob2.duplicates, 0);
  });

  it('keeps a client on its gateway pod with the affinity cookie', async () => {
    const carol = await signUp('carol');
    const first = await new Device(carol.token).start();
    devices.push(first);
    assert.ok(first.cookie, 'the ingress set the affinity cookie');
    const gateways = podsOf('chat4all-gateway').filter((p) => p.ready);
    const before = Object.fromEntries(gateways.map((p) => [p.name, metricValue(podMetrics(p.name), 'websocket_connections_active')]));
    const more: Device[] = [];
    for (let i = 0; i < 6; i++) more.push(await new Device(carol.token, { cookie: first.cookie }).start());
    devices.push(...more);
    const grew = await waitFor(() => {
      const now = gateways.map((p) => [p.name, metricValue(podMetrics(p.name), 'websocket_connections_active') - before[p.name]!] as const);
      return now.some(([, d]) => d >= 6) ? now : undefined;
    }, 'six more connections on one gateway pod', 30_000, 1000);
    const onOthers = grew.filter(([, d]) => d < 6).reduce((n, [, d]) => n + Math.max(0, d), 0);
    assert.equal(onOthers, 0, `connections with the cookie landed elsewhere: ${JSON.stringify(grew)}`);
    more.forEach((d) => d.stop());
  });

  it('keeps a quiet WebSocket open through the ingress past its controller\u2019s default read timeout (60 s)', async () => {
    const dave = await signUp('dave');
    const quiet = await new Device(dave.token).start();
    devices.push(quiet);
    await sleep(70_000);
    assert.deepEqual(quiet.closeCodes, [], 'not closed');
    assert.equal(quiet.reconnects, 0);
    quiet.send({ type: 'ping' });
    await quiet.next((f) => f.type === 'pong', 'a pong after 70 s', 10_000);
  });

  it("keeps the metrics off the public path: the ingress answers 404 for /metrics", async () => {
    const r = await new IngressHttp().call('GET', '/metrics');
    assert.equal(r.status, 404, `GET /metrics through the ingress answered ${r.status}`);
  });

  it('serves the platform over HTTPS only: plain HTTP is redirected to it', async () => {
    const answer = await plainHttp('/healthz');
    assert.ok([301, 302, 307, 308].includes(answer.status), `HTTP answered ${answer.status}`);
    assert.match(String(answer.location), new RegExp(`^https://${HOST}/healthz$`));
    assert.equal(kubectl(['-n', NAMESPACE, 'get', 'ingress', 'chat4all', '-o', 'jsonpath={.spec.tls[0].hosts[0]}']).stdout, HOST);
  });
});
