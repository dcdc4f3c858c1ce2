import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { UuidV7Generator } from '@chat4all/core';
import { MemoryBroker } from '@chat4all/core/memory';
import { waitFor } from '@chat4all/core/testing';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { WebSocketGateway } from '../src/index.js';
import { fakeSocket, gatewayRoles, memoryBackends } from './helpers.js';

const ids = new UuidV7Generator();

/** A payload as the broker publishes it (a field beyond the contract's, `note`, passes through). */
const event = (note: string) =>
  JSON.stringify({ event_id: `${Date.now()}-0`, type: 'message_status', message_id: ids.next(), conversation_id: ids.next(), user_id: ids.next(), status: 'READ', at: new Date().toISOString(), note });

describe('fan-out of one payload to the devices of a user', () => {
  it('encodes the payload once: every device gets the same Buffer, as a text frame', async () => {
    const { sessions, open, registry } = gatewayRoles();
    const userId = ids.next();
    const devices = Array.from({ length: 4 }, () => fakeSocket());
    for (const { ws } of devices) await open(userId, undefined, ws);
    const payload = event('héllo ✓');
    sessions.onBrokerMessage(userId, payload);
    const frames = devices.map(({ sent }) => sent.at(-1)!);
    assert.ok(Buffer.isBuffer(frames[0]!.data), 'encoded to a Buffer');
    for (const f of frames) {
      assert.equal(f.data, frames[0]!.data, 'the same Buffer instance on every socket');
      assert.equal(f.binary, false, 'sent as a text frame');
    }
    assert.equal((frames[0]!.data as Buffer).toString('utf8'), payload);
    assert.match(await registry.metrics(), /^notifications_sent_total\{type="message_status"\} 4$/m);
  });

  it('still closes a slow consumer among them (4008) and sends to the others', async () => {
    const { sessions, open, registry } = gatewayRoles();
    const userId = ids.next();
    const fast = fakeSocket();
    const slow = fakeSocket(5000);
    for (const { ws } of [fast, slow]) await open(userId, undefined, ws);
    const before = slow.sent.length;
    sessions.onBrokerMessage(userId, event('x'));
    assert.equal(slow.sent.length, before, 'nothing more written to the slow consumer');
    assert.deepEqual(slow.closes, [4008]);
    assert.ok(Buffer.isBuffer(fast.sent.at(-1)!.data));
    assert.match(await registry.metrics(), /^connection_errors_total\{reason="slow_consumer"\} 1$/m);
  });

  it('forwards nothing that is not a notification of the contract', async () => {
    const { sessions, open } = gatewayRoles();
    const userId = ids.next();
    const device = fakeSocket();
    await open(userId, undefined, device.ws);
    const before = device.sent.length;
    for (const bad of ['not json', '[]', JSON.stringify({ type: 'message_status', event_id: '1-0' }), JSON.stringify({ type: 'shutdown' })]) sessions.onBrokerMessage(userId, bad);
    assert.equal(device.sent.length, before, 'refused, and the connection stays');
    assert.deepEqual(device.closes, []);
    sessions.onBrokerMessage(userId, event('fine'));
    assert.equal(device.sent.length, before + 1);
  });
});

describe('frames of a user with several devices on a real socket', () => {
  const gateways: WebSocketGateway[] = [];
  const sockets: WebSocket[] = [];
  after(async () => {
    for (const s of sockets) s.terminate();
    await Promise.all(gateways.map((g) => g.close()));
  });

  it('arrive as text frames, once each and in order, on every device', async () => {
    const b = memoryBackends();
    const { hub, users, tokens } = b;
    const gateway = new WebSocketGateway({ ...b, registry: new Registry() });
    gateways.push(gateway);
    const port = await gateway.listen(0, '127.0.0.1');
    const user = { user_id: ids.next(), username: `fan_${Date.now()}`, display_name: 'f', created_at: new Date().toISOString(), password_hash: 'x' };
    await users.create(user);
    const token = tokens.issue(user.user_id, user.username);
    const devices = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/notifications?token=${token}`);
        sockets.push(ws);
        const frames: { binary: boolean; frame: { type: string; content?: string } }[] = [];
        ws.on('message', (d, binary) => frames.push({ binary, frame: JSON.parse(String(d)) }));
        await waitFor(() => frames.some((f) => f.frame.type === 'connected'), 'connected');
        return frames;
      }),
    );
    const publisher = new MemoryBroker(hub);
    const contents = ['one', 'twø', 'three'];
    for (const content of contents) {
      await publisher.publish([{ userId: user.user_id, body: { type: 'new_message', message_id: ids.next(), conversation_id: ids.next(), sender_id: ids.next(), content, created_at: new Date().toISOString() } }]);
    }
    for (const frames of devices) {
      await waitFor(() => frames.filter((f) => f.frame.type === 'new_message').length === contents.length, 'every message on every device');
      assert.ok(frames.every((f) => !f.binary), 'text frames only');
      assert.deepEqual(frames.filter((f) => f.frame.type === 'new_message').map((f) => f.frame.content), contents);
    }
  });
});
