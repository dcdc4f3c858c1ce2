import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters. Memory per hash is 128 * N * r bytes (32 MiB at the defaults). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt recommendation with 32 MiB of memory: N=2^15, r=8, p=3. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Parameters read back from a stored hash are bounded, so a corrupt record cannot exhaust memory. */
const MAX_STORED_N = 2 ** 20;
const MAX_STORED_R = 32;
const MAX_STORED_P = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // Twice the memory the parameters need, so that Node's default cap (32 MiB) never gets in the way.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,9}$/.test(s!) ? Number(s) : NaN)) as [number, number, number];
  if (!(N > 1 && N <= MAX_STORED_N && (N & (N - 1)) === 0 && r >= 1 && r <= MAX_STORED_R && p >= 1 && p <= MAX_STORED_P)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || hash.length !== KEY_BYTES) return undefined;
  return { params: { N, r, p }, salt, hash };
}

/**
 * Hashes and verifies passwords with scrypt (node:crypto, asynchronous: the work runs on libuv's
 * thread pool, not the event loop). A stored hash names its algorithm and cost:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`, so the cost can be raised later and old
 * hashes still verify. Passwords are NFC-normalized first, so one typed password is one password
 * whatever the keyboard's Unicode form.
 */
export class PasswordHasher {
  readonly params: ScryptParams;

  constructor(params: ScryptParams = DEFAULT_SCRYPT_PARAMS) {
    if (!(params.N > 1 && (params.N & (params.N - 1)) === 0)) throw new RangeError('scrypt N must be a power of two above 1');
    if (!(params.r >= 1 && params.p >= 1)) throw new RangeError('scrypt r and p must be at least 1');
    this.params = { ...params };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const hash = await derive(password, salt, this.params);
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
  }

  /** True when `password` matches `stored`. False (never a throw) for a malformed stored hash. */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parse(stored);
    if (!parsed) {
      await this.spend(password);
      return false;
    }
    const candidate = await derive(password, parsed.salt, parsed.params);
    return timingSafeEqual(candidate, parsed.hash);
  }

  /**
   * Spends the time of one verification and answers nothing: used when the user does not exist,
   * so that the answer's timing does not tell unknown usernames from wrong passwords.
   */
  async spend(password: string): Promise<void> {
    await derive(password, randomBytes(SALT_BYTES), this.params);
  }
}
