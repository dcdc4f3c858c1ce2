import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isUuid, uuidV7Time } from '@chat4all/core';
import { errorOf, harness, signUp, uniqueName, type Harness } from './harness.js';

describe('POST /auth/register', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(() => h.close());

  const register = (payload: unknown) => h.inject({ method: 'POST', url: '/auth/register', payload: payload as object });

  it('creates a user with a UUIDv7 id, the display name defaulting to the username', async () => {
    const username = uniqueName();
    const res = await register({ username, password: 'correct horse' });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['created_at', 'display_name', 'user_id', 'username']);
    assert.equal(body.username, username);
    assert.equal(body.display_name, username);
    assert.ok(isUuid(body.user_id) && body.user_id[14] === '7', 'a UUIDv7');
    assert.ok(Math.abs(uuidV7Time(body.user_id) - Date.now()) < 60_000);
    assert.ok(!Number.isNaN(Date.parse(body.created_at)));
    const stored = await h.users.getByUsername(username);
    assert.match(stored!.password_hash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });

  it('trims the display name', async () => {
    const res = await register({ username: uniqueName(), password: 'password1', display_name: '  Ana Lúcia  ' });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().display_name, 'Ana Lúcia');
  });

  it('refuses a taken username with 409 username_taken', async () => {
    const username = uniqueName();
    assert.equal((await register({ username, password: 'password1' })).statusCode, 201);
    const again = await register({ username, password: 'password2' });
    assert.equal(again.statusCode, 409);
    assert.equal(errorOf(again).code, 'username_taken');
  });

  const invalid: [string, unknown, string][] = [
    ['a short username', { username: 'ab', password: 'password1' }, 'body.username'],
    ['a long username', { username: 'a'.repeat(33), password: 'password1' }, 'body.username'],
    ['capitals in the username', { username: 'Alice', password: 'password1' }, 'body.username'],
    ['a dash in the username', { username: 'al-ice', password: 'password1' }, 'body.username'],
    ['a short password', { username: 'alice_x', password: 'seven77' }, 'body.password'],
    ['a long password', { username: 'alice_x', password: 'p'.repeat(129) }, 'body.password'],
    ['a missing password', { username: 'alice_x' }, 'body.password'],
    ['a number as username', { username: 12345, password: 'password1' }, 'body.username'],
    ['a number as password (no coercion)', { username: 'alice_x', password: 12345678 }, 'body.password'],
    ['an empty display name', { username: 'alice_x', password: 'password1', display_name: '' }, 'body.display_name'],
    ['a blank display name', { username: 'alice_x', password: 'password1', display_name: '   ' }, 'body.display_name'],
    ['a display name over 64 characters', { username: 'alice_x', password: 'password1', display_name: 'x'.repeat(65) }, 'body.display_name'],
    ['a line break in the display name', { username: 'alice_x', password: 'password1', display_name: 'a\nb' }, 'body.display_name'],
    ['an unknown field', { username: 'alice_x', password: 'password1', display_nmae: 'Alice' }, 'body.display_nmae'],
    ['an array body', [], 'body'],
  ];
  for (const [what, payload, field] of invalid) {
    it(`answers 400 validation_failed for ${what}, and stores nothing`, async () => {
      const res = await register(payload);
      assert.equal(res.statusCode, 400, res.body);
      const err = errorOf(res);
      assert.equal(err.code, 'validation_failed');
      assert.equal(err.details?.[0]?.field, field);
      assert.equal(await h.users.getByUsername('alice_x'), undefined);
    });
  }

  it('answers 400 malformed_json for broken JSON and for JSON null', async () => {
    const res = await h.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"username": "ab' });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'malformed_json');
    const nul = await h.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: 'null' });
    assert.equal(nul.statusCode, 400);
    assert.equal(errorOf(nul).code, 'validation_failed');
  });

  it('answers 400 for an empty JSON body (no body where one is required)', async () => {
    const res = await h.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'validation_failed');
  });

  it('rejects a body that is not JSON with 415 and a body over 64 KiB with 413', async () => {
    const text = await h.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'text/plain' }, payload: 'username=alice' });
    assert.equal(text.statusCode, 415);
    assert.equal(errorOf(text).code, 'unsupported_media_type');
    const big = await register({ username: 'alice_x', password: 'password1', display_name: 'x'.repeat(70_000) });
    assert.equal(big.statusCode, 413);
    assert.equal(errorOf(big).code, 'body_too_large');
  });

  it('rejects prototype poisoning', async () => {
    const res = await h.inject({
      method: 'POST',
      url: '/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":"alice_x","password":"password1","__proto__":{"admin":true}}',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'malformed_json');
  });
});

describe('POST /auth/token', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(() => h.close());

  it('issues a bearer token that opens /v1', async () => {
    const username = uniqueName();
    await h.inject({ method: 'POST', url: '/auth/register', payload: { username, password: 'password1' } });
    const res = await h.inject({ method: 'POST', url: '/auth/token', payload: { username, password: 'password1' } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    const claims = h.tokens.verify(body.access_token);
    assert.equal(claims.username, username);
    const me = await h.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user_id, claims.userId);
  });

  it('answers a wrong password and an unknown username alike: 401 invalid_credentials', async () => {
    const a = await signUp(h);
    const wrong = await h.inject({ method: 'POST', url: '/auth/token', payload: { username: a.user.username, password: 'not-the-password' } });
    const unknown = await h.inject({ method: 'POST', url: '/auth/token', payload: { username: uniqueName(), password: 'whatever1' } });
    for (const res of [wrong, unknown]) {
      assert.equal(res.statusCode, 401);
      assert.equal(errorOf(res).code, 'invalid_credentials');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
    assert.equal(wrong.body, unknown.body);
  });

  it('spends one hash on an unknown username (no enumeration by timing)', async () => {
    const h2 = await harness({ passwords: { N: 2 ** 14, r: 8, p: 1 } });
    try {
      const started = process.hrtime.bigint();
      await h2.inject({ method: 'POST', url: '/auth/token', payload: { username: uniqueName(), password: 'whatever1' } });
      const unknownMs = Number(process.hrtime.bigint() - started) / 1e6;
      const direct = process.hrtime.bigint();
      const { PasswordHasher } = await import('../src/index.js');
      await new PasswordHasher({ N: 2 ** 14, r: 8, p: 1 }).spend('whatever1');
      const hashMs = Number(process.hrtime.bigint() - direct) / 1e6;
      assert.ok(unknownMs >= hashMs * 0.5, `unknown user took ${unknownMs} ms, one hash ${hashMs} ms`);
    } finally {
      await h2.close();
    }
  });

  it('never shows the password or its hash in a response or a log line', async () => {
    const a = await signUp(h);
    const stored = await h.users.getById(a.user.user_id);
    const bodies: string[] = [];
    for (const req of [
      { method: 'GET', url: '/v1/me', headers: a.headers },
      { method: 'GET', url: `/v1/users/${a.user.username}`, headers: a.headers },
      { method: 'POST', url: '/auth/token', payload: { username: a.user.username, password: a.password } },
      { method: 'POST', url: '/auth/token', payload: { username: a.user.username, password: 'wrong-password' } },
      { method: 'POST', url: '/auth/register', payload: { username: a.user.username, password: a.password } },
    ] as const) {
      bodies.push((await h.inject(req as never)).body);
    }
    const hashPart = stored!.password_hash.split('$')[5]!;
    const everything = [...bodies, ...h.logs].join('\n');
    assert.ok(h.logs.length >= 7, 'requests were logged (one line each, at debug)');
    assert.ok(!everything.includes(hashPart), 'the hash appears nowhere');
    assert.ok(!everything.includes(a.password), 'the password appears nowhere');
    assert.ok(!everything.includes('password_hash'), 'no password_hash field appears');
    assert.ok(!h.logs.join('\n').includes(a.token), 'the token is never logged');
  });
});
