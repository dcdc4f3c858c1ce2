import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf, harness, signUp } from './harness.js';

/** A login from `address` (the client address the api sees). */
const login = (h: Awaited<ReturnType<typeof harness>>, username: string, password: string, address = '198.51.100.7') =>
  h.inject({ method: 'POST', url: '/auth/token', payload: { username, password }, remoteAddress: address });

describe('login throttling', () => {
  it('refuses password guessing with 429 and Retry-After, even the right password, until the wait is over', async () => {
    const clock = { t: Date.UTC(2030, 0, 1) };
    const h = await harness({ now: () => clock.t });
    const victim = await signUp(h);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login(h, victim.user.username, `guess-${i}`)).statusCode);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.deepEqual(new Set(statuses.slice(5)), new Set([429]), 'after five failures, guessing stops');
    const right = await login(h, victim.user.username, victim.password);
    assert.equal(right.statusCode, 429, 'the password is not even checked');
    assert.equal(errorOf(right).code, 'too_many_attempts');
    const wait = Number(right.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    assert.equal(right.headers['cache-control'], 'no-store');
    clock.t += wait * 1000;
    assert.equal((await login(h, victim.user.username, victim.password)).statusCode, 200, 'once the wait is over, the right password works');
    const metrics = await h.registry.metrics();
    assert.match(metrics, /login_attempts_total\{result="failure"\} 5/);
    assert.match(metrics, /login_attempts_total\{result="throttled"\} 26/);
    assert.match(metrics, /login_attempts_total\{result="success"\} [12]/);
    assert.match(metrics, /login_throttled_total\{scope="username_address"\} 26/);
    await h.close();
  });

  it('stops guessing of one username from many addresses, but not its owner at an address it logged in from', async () => {
    const clock = { t: Date.UTC(2030, 0, 1) };
    const h = await harness({ now: () => clock.t });
    const victim = await signUp(h);
    assert.equal((await login(h, victim.user.username, victim.password, '203.0.113.10')).statusCode, 200, 'the owner, at home');
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await login(h, victim.user.username, `guess-${i}`, `192.0.2.${i}`)).statusCode);
    assert.equal(statuses.filter((s) => s === 401).length, 20, 'twenty guesses from all addresses together');
    assert.equal(statuses.slice(20).every((s) => s === 429), true);
    assert.equal((await login(h, victim.user.username, victim.password, '203.0.113.10')).statusCode, 200, 'the owner at home is not locked out');
    const elsewhere = await login(h, victim.user.username, victim.password, '203.0.113.99');
    assert.equal(elsewhere.statusCode, 429, 'a new address waits');
    clock.t += Number(elsewhere.headers['retry-after']) * 1000;
    assert.equal((await login(h, victim.user.username, victim.password, '203.0.113.99')).statusCode, 200, 'but not for long');
    await h.close();
  });

  it('stops one address spraying many usernames', async () => {
    const h = await harness();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await login(h, `nobody_${i}`, 'password1', '198.51.100.200')).statusCode);
    assert.equal(statuses.filter((s) => s === 401).length, 50);
    assert.equal(statuses.at(-1), 429);
    assert.equal((await login(h, 'nobody_0', 'password1', '198.51.100.201')).statusCode, 401, 'other addresses are not affected');
    await h.close();
  });

  it('marks token answers not to be cached', async () => {
    const h = await harness();
    const a = await signUp(h);
    for (const password of [a.password, 'wrong-password']) {
      const res = await login(h, a.user.username, password);
      assert.equal(res.headers['cache-control'], 'no-store', `${res.statusCode}`);
    }
    await h.close();
  });
});
