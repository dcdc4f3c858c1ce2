/**
 * How long one HS256 verification takes with jsonwebtoken, given the secret as a string (as
 * TokenService and the peer do) or as a KeyObject made once. jsonwebtoken 9 first tries to read a
 * string secret as a public key (createPublicKey), which throws, before it uses it as a secret.
 * Usage: bench/run.sh bench/tools/jwt-verify.ts [iterations=5000]
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

const n = Number(process.argv[2] ?? 5000);
const secret = randomBytes(32).toString('base64url');
const key = createSecretKey(Buffer.from(secret));
const token = jwt.sign({ sub: '00000000-0000-4000-8000-000000000000', username: 'bench' }, secret, { algorithm: 'HS256', expiresIn: 3600 });

function time(label: string, verify: () => void): number {
  for (let i = 0; i < 500; i++) verify();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) verify();
  const us = ((performance.now() - t0) / n) * 1000;
  console.log(`${label.padEnd(34)} ${us.toFixed(1)} µs per verification`);
  return us;
}

const a = time('secret as a string', () => jwt.verify(token, secret, { algorithms: ['HS256'] }));
const b = time('secret as a KeyObject (made once)', () => jwt.verify(token, key, { algorithms: ['HS256'] }));
console.log(`ratio ${(a / b).toFixed(1)}x`);
