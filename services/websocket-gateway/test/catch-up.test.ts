import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type BrokerListener, UuidV7Generator, unavailable } from '@chat4all/core';
import { MemoryBroker } from '@chat4all/core/memory';
import { waitFor } from '@chat4all/core/testing';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { WebSocketGateway } from '../src/index.js';
import { memoryBackends } from './helpers.js';

/** A broker that, like Redis in a failover, loses its subscription and cannot read history for a while. */
class FailoverBroker extends MemoryBroker {
  resubscribed: (() => void) | undefined;
  historyDown = 0;
  override setListener(listener: BrokerListener, onResubscribed?: () => void): void {
    super.setListener(listener);
    this.resubscribed = onResubscribed;
  }
  override async history(userId: string, since: string, limit: number) {
    if (this.historyDown > 0) {
      this.historyDown--;
      throw unavailable('redis_unavailable', 'the command connection is still on the old master');
    }
    return super.history(userId, since, limit);
  }
}

const ids = new UuidV7Generator();
const gateways: WebSocketGateway[] = [];
const sockets: WebSocket[] = [];
after(async () => {
  for (const s of sockets) s.terminate();
  await Promise.all(gateways.map((g) => g.close()));
});

describe('catch-up after the broker lost its subscriptions', () => {
  it('retries a failing history read and keeps every connection open, losing nothing', async () => {
    const b = memoryBackends();
    const { hub, users, tokens } = b;
    const broker = new FailoverBroker(hub);
    const gateway = new WebSocketGateway({ ...b, broker, registry: new Registry() });
    gateways.push(gateway);
    const port = await gateway.listen(0, '127.0.0.1');
    const publisher = new MemoryBroker(hub);
    const clients = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const user = { user_id: ids.next(), username: `u${i}_${Date.now()}`, display_name: 'u', created_at: new Date().toISOString(), password_hash: 'x' };
        await users.create(user);
        const ws = new WebSocket(`ws://127.0.0.1:${port}/notifications?token=${tokens.issue(user.user_id, user.username)}`);
        sockets.push(ws);
        const frames: { type: string; content?: string }[] = [];
        let closed: number | undefined;
        ws.on('message', (d) => frames.push(JSON.parse(String(d))));
        ws.on('close', (code) => (closed = code));
        await waitFor(() => frames.some((f) => f.type === 'connected'), 'connected');
        const body = (content: string) => ({ type: 'new_message' as const, message_id: ids.next(), conversation_id: ids.next(), sender_id: ids.next(), content, created_at: new Date().toISOString() });
        await publisher.publish([{ userId: user.user_id, body: body('before') }]);
        await waitFor(() => frames.some((f) => f.content === 'before'), 'live before the failover');
        return { user, frames, closed: () => closed, body };
      }),
    );
    // The subscriber drops: what is published now reaches history only.
    await broker.unsubscribe(clients.map((c) => c.user.user_id));
    for (const c of clients) await publisher.publish([{ userId: c.user.user_id, body: c.body('missed') }]);
    await broker.subscribe(clients.map((c) => c.user.user_id));
    broker.historyDown = 30; // the first reads fail, as on a command connection still reconnecting
    broker.resubscribed!();
    for (const c of clients) await publisher.publish([{ userId: c.user.user_id, body: c.body('live after') }]);
    for (const c of clients) {
      await waitFor(() => c.frames.some((f) => f.content === 'live after'), 'live after the failover', 15_000);
      await waitFor(() => c.frames.some((f) => f.content === 'missed'), 'the missed event replayed', 15_000);
      assert.deepEqual(c.frames.filter((f) => f.type === 'new_message').map((f) => f.content), ['before', 'missed', 'live after'], 'once each, in order');
      assert.equal(c.closed(), undefined, 'not closed');
    }
    assert.equal(broker.historyDown, 0);
  });
});
