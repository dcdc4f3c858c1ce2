import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TokenService } from '@chat4all/core/auth';
import { pino } from 'pino';
import { errorOf, harness, SECRET, signUp, type Harness, type SignedUp } from './harness.js';

const b64url = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A JWT with any header and claims, signed HS256 with `secret` (or unsigned for alg none). */
function craft(header: object, claims: object, secret?: string): string {
  const head = `${b64url(header)}.${b64url(claims)}`;
  const sig = secret === undefined ? '' : createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

describe('access tokens on /v1', () => {
  let h: Harness;
  let a: SignedUp;
  let conversationId: string;
  beforeEach(async () => {
    h = await harness();
    a = await signUp(h);
    const b = await signUp(h);
    const res = await h.inject({ method: 'POST', url: '/v1/conversations', headers: a.headers, payload: { type: 'direct', members: [b.user.user_id] } });
    conversationId = res.json().conversation_id;
  });
  afterEach(() => h.close());

  /** Several endpoints, reading and writing. */
  const endpoints = () =>
    [
      { method: 'GET', url: '/v1/me' },
      { method: 'GET', url: '/v1/conversations' },
      { method: 'GET', url: `/v1/conversations/${conversationId}/messages` },
      { method: 'POST', url: '/v1/messages', payload: { conversation_id: conversationId, content: 'hello' } },
      { method: 'POST', url: '/v1/conversations', payload: { type: 'group', name: 'g', members: [] } },
    ] as const;

  async function expect401(authorization: string | undefined, code: string): Promise<void> {
    for (const e of endpoints()) {
      const res = await h.inject({ ...e, headers: authorization === undefined ? {} : { authorization } } as never);
      assert.equal(res.statusCode, 401, `${e.method} ${e.url}: ${res.body}`);
      assert.equal(errorOf(res).code, code, `${e.method} ${e.url}`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="chat4all"/);
    }
    assert.equal(h.eventLog.topic('messages').flat().length, 0, 'nothing appended');
  }

  it('missing: 401 missing_token', () => expect401(undefined, 'missing_token'));

  it('expired: 401 token_expired', async () => {
    const past = new TokenService({ secret: SECRET, ttlSeconds: 60, now: () => Date.now() - 3_600_000 });
    await expect401(`Bearer ${past.issue(a.user.user_id, a.user.username)}`, 'token_expired');
  });

  it('signed with another secret: 401 invalid_token', async () => {
    const forged = new TokenService({ secret: 'another-secret-that-is-also-32-bytes-long' });
    await expect401(`Bearer ${forged.issue(a.user.user_id, a.user.username)}`, 'invalid_token');
  });

  it('alg none: 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(`Bearer ${craft({ alg: 'none', typ: 'JWT' }, { sub: a.user.user_id, username: a.user.username, iat: now, exp: now + 600 })}`, 'invalid_token');
  });

  it('HS512 with the right secret (only HS256 is accepted): 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const head = `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url({ sub: a.user.user_id, username: a.user.username, iat: now, exp: now + 600 })}`;
    const token = `${head}.${createHmac('sha512', SECRET).update(head).digest('base64url')}`;
    await expect401(`Bearer ${token}`, 'invalid_token');
  });

  it('garbage, a tampered payload, or another scheme: 401 invalid_token', async () => {
    await expect401('Bearer not.a.jwt', 'invalid_token');
    await expect401('Bearer ', 'invalid_token');
    await expect401(`Basic ${Buffer.from('a:b').toString('base64')}`, 'invalid_token');
    const [head, , sig] = a.token.split('.');
    const now = Math.floor(Date.now() / 1000);
    await expect401(`Bearer ${head}.${b64url({ sub: a.user.user_id, username: 'root', iat: now, exp: now + 600 })}.${sig}`, 'invalid_token');
  });

  it('a token whose user no longer exists: 401 invalid_token', async () => {
    const ghost = '01890000-0000-7000-8000-000000000000';
    await expect401(`Bearer ${h.tokens.issue(ghost, 'ghost')}`, 'invalid_token');
  });

  it('a valid token with lowercase scheme is accepted', async () => {
    const res = await h.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `bearer ${a.token}` } });
    assert.equal(res.statusCode, 200);
  });

  it('an unauthenticated request is refused before its body is read', async () => {
    const res = await h.inject({ method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    assert.equal(res.statusCode, 401);
    assert.equal(errorOf(res).code, 'missing_token');
  });
});

describe('logging of credentials', () => {
  it('redacts the Authorization header even when the service logs request headers', async () => {
    const logs: string[] = [];
    const logger = pino(
      { level: 'debug', serializers: { req: (req: { method: string; url: string; headers: Record<string, string> }) => ({ method: req.method, url: req.url, headers: req.headers }) } },
      { write: (line: string) => void logs.push(line) },
    );
    const h = await harness({ logger });
    try {
      const a = await signUp(h);
      await h.inject({ method: 'GET', url: '/v1/me', headers: a.headers });
      const text = logs.join('');
      assert.ok(text.includes('"headers"'), 'headers are logged by this logger');
      assert.ok(text.includes('[redacted]'));
      assert.ok(!text.includes(a.token), 'the token is not logged');
    } finally {
      await h.close();
    }
  });
});
