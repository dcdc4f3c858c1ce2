import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { NotificationClient, notificationsUrl, type ConnectionEvent, type NotificationClientOptions } from '../src/notifications.js';
import { waitFor } from './helpers.js';

/** Ids of the frames (the client checks frames against the contract, so they must be UUIDs). */
const U1 = '01890000-0000-7000-8000-000000000001';
const U2 = '01890000-0000-7000-8000-000000000002';
const C1 = '01890000-0000-7000-8000-0000000000c1';
const messageId = (n: number) => `01890000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** A stand-in gateway: records each connection's URL and lets the test script the frames. */
class FakeGateway {
  readonly server: WebSocketServer;
  readonly connections: { url: URL; socket: WebSocket }[] = [];
  refuse: number | undefined;
  recovered: boolean | undefined;
  serverTime = '2025-01-05T12:00:00.000Z';

  constructor() {
    this.server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => (this.refuse ? done(false, this.refuse) : done(true)),
    });
    this.server.on('connection', (socket, request) => {
      const url = new URL(request.url ?? '/', 'ws://x');
      this.connections.push({ url, socket });
      const connected: Record<string, unknown> = { type: 'connected', user_id: U1, connection_id: `c${this.connections.length}`, server_time: this.serverTime };
      if (url.searchParams.has('since') && this.recovered !== undefined) connected.recovered = this.recovered;
      socket.send(JSON.stringify(connected));
    });
  }

  listening(): Promise<void> {
    return this.server.address() ? Promise.resolve() : new Promise((resolve) => this.server.once('listening', () => resolve()));
  }

  get url(): string {
    const address = this.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('not listening');
    return `ws://127.0.0.1:${address.port}`;
  }

  last(): { url: URL; socket: WebSocket } {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no connection');
    return c;
  }

  send(frame: Record<string, unknown>): void {
    this.last().socket.send(JSON.stringify(frame));
  }

  close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const message = (n: number, eventId = `100-${n}`) => ({
  type: 'new_message',
  event_id: eventId,
  message_id: messageId(n),
  conversation_id: C1,
  sender_id: U2,
  content: `text ${n}`,
  created_at: `2025-01-05T12:00:0${n}.000Z`,
});

const gateways: FakeGateway[] = [];
const clients: NotificationClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(gateways.map((g) => g.close()));
});

async function setUp(options: Partial<NotificationClientOptions> = {}) {
  const gateway = new FakeGateway();
  gateways.push(gateway);
  await gateway.listening();
  const events: ConnectionEvent[] = [];
  const client = new NotificationClient({ url: gateway.url, token: 'tok', onEvent: (e) => events.push(e), backoff: { initialMs: 20, maxMs: 100 }, ...options });
  clients.push(client);
  const of = <T extends ConnectionEvent['type']>(type: T) => events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  const contents = () => of('notification').map((e) => (e.frame.type === 'new_message' ? e.frame.content : e.frame.type));
  return { gateway, client, events, of, contents };
}

describe('notificationsUrl', () => {
  it('adds /notifications to a bare host and keeps a given path', () => {
    assert.equal(notificationsUrl('ws://localhost:8085', 'a.b.c'), 'ws://localhost:8085/notifications?token=a.b.c');
    assert.equal(notificationsUrl('wss://chat.example/ws/', 't', '5-1'), 'wss://chat.example/ws/?token=t&since=5-1');
  });
});

describe('NotificationClient', () => {
  it('connects with the token, and delivers each message once however often it arrives', async () => {
    const { gateway, client, of, contents } = await setUp();
    client.start();
    await waitFor(() => of('connected').length === 1, 'connected');
    assert.equal(gateway.last().url.pathname, '/notifications');
    assert.equal(gateway.last().url.searchParams.get('token'), 'tok');
    assert.equal(of('connected')[0]?.reconnected, false);
    gateway.send(message(1));
    gateway.send(message(1)); // the same event again
    gateway.send(message(1, '100-9')); // the same message under another event id
    const read = { type: 'message_status', message_id: messageId(0), conversation_id: C1, user_id: U2, status: 'READ', at: '2025-01-05T12:00:09.000Z' };
    gateway.send({ ...read, event_id: '100-10' });
    gateway.send({ ...read, event_id: '100-11' });
    gateway.send({ type: 'new_message', event_id: '100-12', content: 'not the contract: no ids' }); // skipped
    gateway.send({ type: 'typing', conversation_id: C1, user_id: U2 });
    gateway.send({ type: 'error', code: 'bad_frame', message: 'nope' });
    await waitFor(() => of('server_error').length === 1, 'the error frame');
    assert.deepEqual(contents(), ['text 1', 'message_status', 'typing']);
    assert.equal(client.lastEventId, '100-10');
  });

  it('reconnects after a drop and resumes after the last event id', async () => {
    const { gateway, client, of, contents } = await setUp();
    client.start();
    await waitFor(() => of('connected').length === 1, 'connected');
    gateway.send(message(1));
    await waitFor(() => contents().length === 1, 'message 1');
    gateway.last().socket.terminate();
    await waitFor(() => of('connected').length === 2, 'reconnected');
    assert.equal(gateway.last().url.searchParams.get('since'), '100-1');
    assert.equal(of('reconnecting')[0]?.reason, 'the connection was lost');
    assert.equal(of('connected')[1]?.reconnected, true);
    gateway.send(message(1)); // a replay may overlap what was seen
    gateway.send(message(2));
    await waitFor(() => contents().length === 2, 'message 2');
    assert.deepEqual(contents(), ['text 1', 'text 2']);
    assert.equal(of('gap').length, 0);
  });

  it('reports a gap when the gateway could not replay, with the server time to read history from', async () => {
    const { gateway, client, of } = await setUp();
    gateway.recovered = false;
    client.start();
    await waitFor(() => of('connected').length === 1, 'connected');
    gateway.send(message(3));
    await waitFor(() => of('notification').length === 1, 'message 3');
    gateway.last().socket.terminate();
    await waitFor(() => of('gap').length === 1, 'the gap');
    assert.deepEqual(of('gap')[0], { type: 'gap', sinceTime: '2025-01-05T12:00:03.000Z', since: '100-3', reason: 'not_recovered' });
  });

  it('reports a gap after a reconnect with no event id to resume from', async () => {
    const { gateway, client, of } = await setUp();
    client.start();
    await waitFor(() => of('connected').length === 1, 'connected');
    gateway.last().socket.terminate();
    await waitFor(() => of('gap').length === 1, 'the gap');
    assert.deepEqual(of('gap')[0], { type: 'gap', sinceTime: gateway.serverTime, since: undefined, reason: 'no_event_id' });
    assert.equal(gateway.last().url.searchParams.has('since'), false);
  });

  it('stops without retrying on 1008 (auth) and on 4001 (token expired)', async () => {
    for (const [code, reason] of [
      [1008, 'auth'],
      [4001, 'token_expired'],
    ] as const) {
      const { gateway, client, of } = await setUp();
      client.start();
      await waitFor(() => of('connected').length === 1, 'connected');
      gateway.last().socket.close(code, 'bye');
      await waitFor(() => of('stopped').length === 1, `stopped after ${code}`);
      assert.equal(of('stopped')[0]?.reason, reason);
      // A close either stops the client or schedules a reconnect, announced by 'reconnecting' in the
      // same handler: none announced means none scheduled, with no time to wait out.
      assert.equal(of('reconnecting').length, 0, 'no reconnect scheduled');
      assert.equal(gateway.connections.length, 1);
    }
  });

  it('stops when the upgrade is refused with 401, and says the token expired when it has', async () => {
    const { gateway, client, of } = await setUp({ isTokenExpired: () => true });
    gateway.refuse = 401;
    client.start();
    await waitFor(() => of('stopped').length === 1, 'stopped');
    assert.equal(of('stopped')[0]?.reason, 'token_expired');
  });

  it('comes back at once from a draining gateway (1012) and waits at least 5 s when rate limited (4029)', async () => {
    const drained = await setUp({ backoff: { initialMs: 200, maxMs: 1_000 } });
    drained.client.start();
    await waitFor(() => drained.of('connected').length === 1, 'connected');
    drained.gateway.last().socket.close(1012, 'draining');
    await waitFor(() => drained.of('connected').length === 2, 'reconnected');
    const first = drained.of('reconnecting')[0];
    assert.ok(first && first.retryInMs < 200 && first.closeCode === 1012, JSON.stringify(first));

    const limited = await setUp();
    limited.client.start();
    await waitFor(() => limited.of('connected').length === 1, 'connected');
    limited.gateway.last().socket.close(4029, 'slow down');
    await waitFor(() => limited.of('reconnecting').length === 1, 'reconnecting');
    assert.ok((limited.of('reconnecting')[0]?.retryInMs ?? 0) >= 5_000);
    await limited.client.close();
    assert.equal(limited.of('stopped')[0]?.reason, 'closed');
  });

  it('keeps trying with growing delays while nothing listens, and connects once something does', async () => {
    const { gateway, client, of } = await setUp({ backoff: { initialMs: 20, maxMs: 40 } });
    const port = new URL(gateway.url).port;
    await gateway.close();
    client.start();
    await waitFor(() => of('reconnecting').length >= 3, 'three failed attempts');
    assert.equal(of('reconnecting')[0]?.reason, 'connection refused');
    const revived = new WebSocketServer({ port: Number(port), host: '127.0.0.1' });
    revived.on('connection', (socket) => socket.send(JSON.stringify({ type: 'connected', user_id: U1, connection_id: 'x', server_time: new Date().toISOString() })));
    try {
      await waitFor(() => of('connected').length === 1, 'connected to the revived gateway', 5_000);
    } finally {
      await client.close();
      await new Promise((resolve) => revived.close(resolve));
    }
  });

  it('sends client frames only while connected', async () => {
    const { gateway, client, of } = await setUp();
    assert.equal(client.send({ type: 'ping' }), false);
    client.start();
    await waitFor(() => of('connected').length === 1, 'connected');
    const received: string[] = [];
    gateway.last().socket.on('message', (d) => received.push(d.toString()));
    assert.equal(client.send({ type: 'typing', conversation_id: 'c1' }), true);
    await waitFor(() => received.length === 1, 'the typing frame');
    assert.deepEqual(JSON.parse(received[0] ?? ''), { type: 'typing', conversation_id: 'c1' });
  });
});
