import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { errorOf, harness, signUp, uniqueName, type Harness } from './harness.js';

describe('users', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(() => h.close());

  it('GET /v1/me answers the caller', async () => {
    const a = await signUp(h, uniqueName(), 'Alice A.');
    const res = await h.inject({ method: 'GET', url: '/v1/me', headers: a.headers });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), a.user);
    assert.equal(res.json().display_name, 'Alice A.');
  });

  it('GET /v1/users/{username} answers the public fields only', async () => {
    const a = await signUp(h);
    const b = await signUp(h, uniqueName(), 'Bob');
    const res = await h.inject({ method: 'GET', url: `/v1/users/${b.user.username}`, headers: a.headers });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { user_id: b.user.user_id, username: b.user.username, display_name: 'Bob' });
  });

  it('GET /v1/users/{username} answers 404 user_not_found for unknown and impossible names', async () => {
    const a = await signUp(h);
    for (const name of [uniqueName(), 'No-Such%20User', 'x']) {
      const res = await h.inject({ method: 'GET', url: `/v1/users/${name}`, headers: a.headers });
      assert.equal(res.statusCode, 404, name);
      assert.equal(errorOf(res).code, 'user_not_found');
    }
  });
});
