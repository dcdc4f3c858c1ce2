import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCRYPT_PARAMS, PasswordHasher } from '../src/index.js';
import { CHEAP_SCRYPT } from './harness.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(CHEAP_SCRYPT);

  it('stores a self-describing scrypt hash with a random salt', async () => {
    const a = await hasher.hash('correct horse');
    const b = await hasher.hash('correct horse');
    const [alg, N, r, p, salt, hash] = a.split('$');
    assert.deepEqual([alg, N, r, p], ['scrypt', '1024', '8', '1']);
    assert.equal(Buffer.from(salt!, 'base64').length, 16);
    assert.equal(Buffer.from(hash!, 'base64').length, 32);
    assert.notEqual(a, b, 'salted');
  });

  it('verifies the right password only', async () => {
    const stored = await hasher.hash('correct horse');
    assert.equal(await hasher.verify('correct horse', stored), true);
    assert.equal(await hasher.verify('correct horsE', stored), false);
    assert.equal(await hasher.verify('', stored), false);
  });

  it('verifies hashes made with other parameters (cost can be raised later)', async () => {
    const old = await new PasswordHasher({ N: 512, r: 4, p: 2 }).hash('s3cret-pass');
    assert.equal(await hasher.verify('s3cret-pass', old), true);
  });

  it('treats composed and decomposed Unicode alike', async () => {
    const stored = await hasher.hash('caf\u00e9-pass');
    assert.equal(await hasher.verify('cafe\u0301-pass', stored), true);
  });

  it('answers false for malformed or absurd stored hashes', async () => {
    const good = await hasher.hash('x');
    for (const bad of ['', 'plain', 'bcrypt$10$abc', good.replace('$1024$', '$1000$'), good.replace('$1024$', `$${2 ** 30}$`), good.slice(0, -8)]) {
      assert.equal(await hasher.verify('x', bad), false, bad);
    }
  });

  it('refuses invalid parameters', () => {
    assert.throws(() => new PasswordHasher({ N: 1000, r: 8, p: 1 }), RangeError);
    assert.throws(() => new PasswordHasher({ N: 1024, r: 0, p: 1 }), RangeError);
  });

  it('works at the default, OWASP-equivalent cost (N=2^15, r=8, p=3: within the memory cap)', async () => {
    assert.deepEqual(DEFAULT_SCRYPT_PARAMS, { N: 2 ** 15, r: 8, p: 3 });
    const real = new PasswordHasher();
    const stored = await real.hash('correct horse');
    assert.match(stored, /^scrypt\$32768\$8\$3\$/);
    assert.equal(await real.verify('correct horse', stored), true);
  });
});
