import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { type UserRecord, UuidV7Generator, unavailable } from '@chat4all/core';
import { TokenService } from '@chat4all/core/auth';
import { Registry } from 'prom-client';
import { Admission } from '../src/admission.js';
import { CLOSE } from '../src/connection.js';
import { GatewayMetrics } from '../src/metrics.js';
import { FakeSocket } from './helpers.js';

const ids = new UuidV7Generator();
const secret = 'a-test-secret-that-is-at-least-32-bytes';

/** An admission over users kept in a set (or a store that is down), with `held` connections per user. */
function admission(options: { down?: boolean; connectionsPerUser?: number } = {}) {
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);
  const tokens = new TokenService({ secret });
  const known = new Set<string>();
  const held = new Map<string, number>();
  const users = {
    getById: async (userId: string): Promise<UserRecord | undefined> => {
      if (options.down) throw unavailable('users_unavailable', 'the user store is down');
      return known.has(userId) ? { user_id: userId, username: 'u', display_name: 'u', created_at: new Date().toISOString(), password_hash: 'x' } : undefined;
    },
  };
  const a = new Admission({ tokens, users, connections: { countOf: (u) => held.get(u) ?? 0 }, metrics, connectionsPerUser: options.connectionsPerUser ?? 2, authTimeoutMs: 10_000 });
  /** A token of a user who exists. */
  const userToken = () => {
    const userId = ids.next();
    known.add(userId);
    return { userId, token: tokens.issue(userId, 'u') };
  };
  const errors = async (reason: string) => (await metrics.connectionErrors.get()).values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
  return { a, tokens, held, userToken, errors };
}

/** Lets the promises of a frame's authentication run on. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('admission of an upgrade with a token', () => {
  it("admits a valid token of an existing user with a connection to spare, and gives the token's claims", async () => {
    const { a, userToken } = admission();
    const { userId, token } = userToken();
    const verdict = await a.admit(token);
    assert.ok(verdict.ok);
    assert.equal(verdict.claims.userId, userId);
  });

  it('refuses a token that does not verify, an expired one and one of no user with 401, saying which', async () => {
    const { a } = admission();
    const expired = new TokenService({ secret, now: () => Date.now() - 7_200_000 });
    const cases: [string, string][] = [
      ['not-a-jwt', 'invalid_token'],
      [new TokenService({ secret: 'another-secret-that-is-at-least-32-bytes' }).issue(ids.next(), 'u'), 'invalid_token'],
      [expired.issue(ids.next(), 'u'), 'token_expired'],
      [new TokenService({ secret }).issue(ids.next(), 'nobody'), 'invalid_token'],
    ];
    for (const [token, code] of cases) {
      const verdict = await a.admit(token);
      assert.ok(!verdict.ok);
      assert.equal(verdict.refusal.status, 401);
      assert.equal(verdict.refusal.code, code);
    }
  });

  it('refuses a user who holds all the connections allowed with 429, and admits again once one closes', async () => {
    const { a, held, userToken } = admission({ connectionsPerUser: 2 });
    const { userId, token } = userToken();
    held.set(userId, 2);
    const full = await a.admit(token);
    assert.ok(!full.ok);
    assert.deepEqual([full.refusal.status, full.refusal.code, full.refusal.retryAfterSeconds], [429, 'too_many_connections', 5]);
    held.set(userId, 1);
    assert.ok((await a.admit(token)).ok);
  });

  it('answers 503 (retry) instead of 401 when the user cannot be looked up now', async () => {
    const { a, tokens } = admission({ down: true });
    const verdict = await a.admit(tokens.issue(ids.next(), 'u'));
    assert.ok(!verdict.ok);
    assert.deepEqual([verdict.refusal.status, verdict.refusal.code], [503, 'unavailable']);
  });
});

describe('admission of a socket by its first frame', () => {
  afterEach(() => mock.timers.reset());

  it('resolves the claims of a valid auth frame, and the timer set for it no longer closes the socket', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { a, userToken } = admission();
    const { userId, token } = userToken();
    const ws = new FakeSocket();
    const admitted = a.awaitAuthFrame(ws.socket);
    ws.receive({ type: 'auth', token });
    assert.equal((await admitted)?.userId, userId);
    mock.timers.tick(60_000);
    assert.deepEqual(ws.closes, []);
  });

  it('closes a socket silent for the time allowed with 1008 and counts an auth_timeout', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { a, userToken, errors } = admission();
    const ws = new FakeSocket();
    const admitted = a.awaitAuthFrame(ws.socket);
    mock.timers.tick(9_999);
    assert.deepEqual(ws.closes, [], 'not before its time');
    mock.timers.tick(1);
    assert.equal(await admitted, undefined);
    assert.deepEqual(ws.closes, [CLOSE.auth]);
    assert.equal(await errors('auth_timeout'), 1);
    // A frame after the time is not read as an authentication.
    ws.receive({ type: 'auth', token: userToken().token });
    await settle();
    assert.deepEqual(ws.closes, [CLOSE.auth]);
  });

  it('closes with 1008 on a first frame that is not a valid auth frame', async () => {
    const { a, tokens } = admission();
    for (const frame of [{ type: 'typing', conversation_id: ids.next() }, 'not json', { type: 'auth' }, { type: 'auth', token: tokens.issue(ids.next(), 'nobody') }]) {
      const ws = new FakeSocket();
      const admitted = a.awaitAuthFrame(ws.socket);
      ws.receive(frame);
      assert.equal(await admitted, undefined);
      assert.deepEqual(ws.closes, [CLOSE.auth], JSON.stringify(frame));
      ws.peerClosed();
    }
  });

  it('closes with 4029 when the user has no connection to spare, and with 1011 (retry) when the user cannot be looked up', async () => {
    const full = admission({ connectionsPerUser: 1 });
    const { userId, token } = full.userToken();
    full.held.set(userId, 1);
    const ws = new FakeSocket();
    const admitted = full.a.awaitAuthFrame(ws.socket);
    ws.receive({ type: 'auth', token });
    assert.equal(await admitted, undefined);
    assert.deepEqual(ws.closes, [CLOSE.rateLimited]);
    assert.equal(await full.errors('too_many_connections'), 1);

    const down = admission({ down: true });
    const ws2 = new FakeSocket();
    const admitted2 = down.a.awaitAuthFrame(ws2.socket);
    ws2.receive({ type: 'auth', token: down.tokens.issue(ids.next(), 'u') });
    assert.equal(await admitted2, undefined);
    assert.deepEqual(ws2.closes, [1011]);
  });

  it('resolves nothing for a socket closed while its token is being checked, so no session opens on it', async () => {
    const { a, userToken } = admission();
    const ws = new FakeSocket();
    const admitted = a.awaitAuthFrame(ws.socket);
    ws.receive({ type: 'auth', token: userToken().token });
    ws.peerClosed(1001);
    assert.equal(await admitted, undefined);
  });

  it('leaves no timer behind when the socket closes before its first frame', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { a, errors } = admission();
    const ws = new FakeSocket();
    const admitted = a.awaitAuthFrame(ws.socket);
    ws.peerClosed(1001);
    assert.equal(await admitted, undefined);
    mock.timers.tick(10_000);
    assert.deepEqual(ws.closes, []);
    assert.equal(await errors('auth_timeout'), 0);
  });
});
