/**
 * The operator on the kind cluster, with real WebSocket clients through the ingress: connections
 * past the target scale the gateway Deployment up and the new pods take new connections; when
 * the clients leave it scales down only after the window, the emptiest pods first (deletion
 * cost), and their clients are drained and back with nothing lost; the leader's pod deleted, the
 * other replica acts within the lease.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sleep, waitFor } from '@chat4all/core/testing';
import { Device, NAMESPACE, getJson, kubectl, metricValue, podMetrics, podsOf, signUp, waitReady } from './support.js';

const GATEWAY = 'chat4all-gateway';
const TARGET = 10;
const WINDOW_SECONDS = 45;
/** How often the operator reads the connection counts (its POLL_SECONDS). */
const POLL_SECONDS = 15;
const devices: Device[] = [];
let originalSpec: any;

function patchGateway(gateway: Record<string, unknown>): void {
  kubectl(['-n', NAMESPACE, 'patch', 'chat4all', 'chat4all', '--type=merge', '-p', JSON.stringify({ spec: { gateway } })]);
}

function deploymentReplicas(): number {
  return getJson('deployment', GATEWAY).spec.replicas;
}

function connectionsByPod(): Map<string, number> {
  return new Map(podsOf(GATEWAY).filter((p) => p.ready && !p.deletionTimestamp).map((p) => [p.name, metricValue(podMetrics(p.name), 'websocket_connections_active')]));
}

function leader(): string {
  return kubectl(['-n', NAMESPACE, 'get', 'lease', 'chat4all-operator', '-o', 'jsonpath={.spec.holderIdentity}']).stdout.trim();
}

describe('the operator on the kind cluster', { timeout: 1_800_000 }, () => {
  before(async () => {
    originalSpec = getJson('chat4all', 'chat4all').spec.gateway;
    patchGateway({
      minReplicas: 2,
      maxReplicas: 4,
      targetConnectionsPerPod: TARGET,
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: WINDOW_SECONDS, policies: [{ type: 'Pods', value: 2, periodSeconds: 15 }] },
      },
    });
    await waitReady(GATEWAY, 2);
  });

  after(() => {
    devices.forEach((d) => d.stop());
    const { replicas: _pin, ...rest } = originalSpec ?? {};
    if (originalSpec) kubectl(['-n', NAMESPACE, 'patch', 'chat4all', 'chat4all', '--type=merge', '-p', JSON.stringify({ spec: { gateway: rest } })], { allowFail: true });
  });

  it('scales the gateways up past the target, and the new pods take new connections', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => signUp(`load${i}`)));
    for (let i = 0; i < 40; i++) devices.push(await new Device(users[i % users.length]!.token).start());
    // 40 connections, 10 per pod: 4 pods.
    await waitFor(() => deploymentReplicas() === 4 || undefined, 'the Deployment scaled to 4', 180_000, 2000);
    const pods = await waitReady(GATEWAY, 4, 300_000);
    const status = getJson('chat4all', 'chat4all').status;
    assert.equal(status.desiredReplicas, 4);

    const before = connectionsByPod();
    for (let i = 0; i < 16; i++) devices.push(await new Device(users[i % users.length]!.token).start());
    const grown = await waitFor(() => {
      const now = connectionsByPod();
      const fresh = pods.filter((p) => (before.get(p.name) ?? 0) === 0).map((p) => now.get(p.name) ?? 0);
      return fresh.length > 0 && fresh.every((n) => n > 0) ? now : undefined;
    }, 'new connections on the new pods', 60_000, 2000);
    assert.equal([...grown.values()].reduce((a, b) => a + b, 0), 56);
  });

  it('scales down only after the window, the emptiest pods first, their clients drained and back with nothing lost', async () => {
    // bob's reconnecting devices, spread unevenly: 3, 2, 1 and 1 on the four pods; everyone else leaves.
    const alice = await signUp('alice_op');
    const bob = await signUp('bob_op');
    const conv = await alice.http.call('POST', '/v1/conversations', { type: 'direct', members: [bob.username] });
    const conversationId = conv.body.conversation_id;
    const byPod = new Map<string, Device[]>();
    for (let i = 0; i < 40 && byPod.size < 4; i++) {
      const d = await new Device(bob.token).start();
      if (d.cookie && !byPod.has(d.cookie)) byPod.set(d.cookie, [d]);
      else d.stop();
    }
    assert.equal(byPod.size, 4, 'a device on each of the four pods');
    const [p, q] = [...byPod.keys()];
    for (const [cookie, extra] of [[p!, 2], [q!, 1]] as const) {
      for (let i = 0; i < extra; i++) byPod.get(cookie)!.push(await new Device(bob.token, { cookie }).start());
    }
    const keep = [...byPod.values()].flat();
    for (const d of devices) d.stop();
    devices.push(...keep);

    const accepted: string[] = [];
    let sending = true;
    const sender = (async () => {
      while (sending) {
        const r = await alice.http.call('POST', '/v1/messages', { conversation_id: conversationId, content: `op ${accepted.length}`, client_message_id: randomUUID() }).catch(() => undefined);
        if (r?.status === 202) accepted.push(r.body.message_id);
        await sleep(300);
      }
    })();

    const lowAt = Date.now();
    // The recommendation is now 2 (min), but the window holds 4 until the last high one (read at
    // most a poll before the clients left) is older than WINDOW_SECONDS.
    await sleep((WINDOW_SECONDS - POLL_SECONDS - 5) * 1000);
    assert.equal(deploymentReplicas(), 4, 'still 4 inside the scale-down window');
    const counts = await waitFor(() => {
      const pods = podsOf(GATEWAY);
      const costs = pods.map((p) => p.annotations['controller.kubernetes.io/pod-deletion-cost']);
      return costs.every((c) => c !== undefined) ? new Map(pods.map((p) => [p.name, Number(p.annotations['controller.kubernetes.io/pod-deletion-cost'])])) : undefined;
    }, 'deletion costs on every gateway pod', 120_000, 2000);
    await waitFor(() => deploymentReplicas() === 2 || undefined, 'the Deployment scaled to 2', 180_000, 2000);
    assert.ok(Date.now() - lowAt >= (WINDOW_SECONDS - POLL_SECONDS) * 1000, `not before the window (${Date.now() - lowAt} ms after the clients left)`);
    const survivors = (await waitReady(GATEWAY, 2, 300_000)).map((p) => p.name);
    const removed = [...counts.keys()].filter((n) => !survivors.includes(n));
    const maxRemoved = Math.max(...removed.map((n) => counts.get(n) ?? 0));
    const minKept = Math.min(...survivors.map((n) => counts.get(n) ?? Number.MAX_SAFE_INTEGER));
    assert.ok(maxRemoved <= minKept, `removed pods (${removed.map((n) => `${n}=${counts.get(n)}`)}) had no more connections than kept ones (${survivors.map((n) => `${n}=${counts.get(n)}`)})`);
    // The removed pods are still draining (preStop, then DRAIN_SECONDS of 1012 closes) while the
    // survivors are already Ready: their clients move only once they are gone.
    await waitFor(() => {
      const left = new Set(podsOf(GATEWAY).map((p) => p.name));
      return removed.every((n) => !left.has(n)) || undefined;
    }, `the removed pods (${removed.join(', ')}) gone after their drain`, 180_000, 1000);

    await sleep(5000);
    sending = false;
    await sender;
    for (const d of keep) {
      await waitFor(() => d.has(accepted), `all ${accepted.length} messages on every kept device`, 120_000, 500);
      assert.equal(d.duplicates, 0);
    }
    const seen = JSON.stringify([...byPod].map(([cookie, ds]) => [cookie.slice(-12), ds.map((d) => d.closeCodes)]));
    assert.ok(keep.some((d) => d.closeCodes.includes(1012)), `the clients of removed pods were drained with 1012 (close codes by pod: ${seen}; removed ${removed.join(', ')})`);
  });

  it('hands over to the other operator replica within the lease when the leader pod is deleted', async () => {
    const before = leader();
    assert.match(before, /^chat4all-operator-/);
    kubectl(['-n', NAMESPACE, 'delete', 'pod', before, '--wait=false']);
    const start = Date.now();
    const next = await waitFor(() => {
      const l = leader();
      return l && l !== before ? l : undefined;
    }, 'a new leader', 60_000, 1000);
    const tookMs = Date.now() - start;
    assert.ok(tookMs <= 30_000, `the new leader (${next}) took ${tookMs} ms`);
    // It acts: a pin of three gateways is carried out by the new leader.
    patchGateway({ replicas: 3 });
    await waitFor(() => deploymentReplicas() === 3 || undefined, 'the new leader scales to the pin', 120_000, 2000);
    kubectl(['-n', NAMESPACE, 'patch', 'chat4all', 'chat4all', '--type=json', '-p', '[{"op":"remove","path":"/spec/gateway/replicas"}]']);
    await waitReady('chat4all-operator', 2, 180_000);
  });
});
