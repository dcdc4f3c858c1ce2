import { BoundedSet, KeyedRateLimiter, type RateLimit } from '@chat4all/core/runtime';

/** Failed logins allowed, as token buckets: a failure spends a token, and tokens come back over time. */
export interface LoginLimits {
  /** Per username and client address. @default { perSecond: 1 / 60, burst: 5 } */
  perUsernameAndAddress: RateLimit;
  /** Per username, from addresses that have not logged in as it before. @default { perSecond: 1 / 30, burst: 20 } */
  perUsername: RateLimit;
  /** Per client address, whatever the username. @default { perSecond: 1 / 6, burst: 50 } */
  perAddress: RateLimit;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUsernameAndAddress: { perSecond: 1 / 60, burst: 5 },
  perUsername: { perSecond: 1 / 30, burst: 20 },
  perAddress: { perSecond: 1 / 6, burst: 50 },
};

/** Which budget refused an attempt. */
export type ThrottleScope = 'username_address' | 'username' | 'address';

/** Pairs that logged in successfully, remembered at most (the least recent login first out). */
const TRUSTED_MAX = 100_000;

/**
 * Throttles password guessing: each failed login spends a token of its (username, address) pair,
 * of its username and of its address; while any of them is spent, logins of that kind are refused
 * before the password is checked. Guessing from one address stops after a few tries; spraying
 * many usernames from one address, or one username from many addresses, soon after.
 *
 * So that an attacker cannot use it to keep a user out, the per-username budget does not apply to
 * an address that has logged in as that user before, and every refusal ends by itself: one
 * token comes back within a minute. Pure arithmetic on an injected clock.
 */
export class LoginThrottle {
  private readonly pairs: KeyedRateLimiter;
  private readonly usernames: KeyedRateLimiter;
  private readonly addresses: KeyedRateLimiter;
  private readonly trusted = new BoundedSet<string>({ max: TRUSTED_MAX });

  constructor(limits: Partial<LoginLimits> = {}, now: () => number = Date.now) {
    const l = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    this.pairs = new KeyedRateLimiter(l.perUsernameAndAddress, now);
    this.usernames = new KeyedRateLimiter(l.perUsername, now);
    this.addresses = new KeyedRateLimiter(l.perAddress, now);
  }

  /** Whether a login may be tried now: undefined when it may, else the scope and how long to wait. */
  check(username: string, address: string): { scope: ThrottleScope; retryAfterMs: number } | undefined {
    const waits: [ThrottleScope, number][] = [
      ['username_address', this.pairs.retryAfterMs(pairKey(username, address))],
      ['username', this.trusted.has(pairKey(username, address)) ? 0 : this.usernames.retryAfterMs(username)],
      ['address', this.addresses.retryAfterMs(address)],
    ];
    const [scope, retryAfterMs] = waits.reduce((a, b) => (b[1] > a[1] ? b : a));
    return retryAfterMs > 0 ? { scope, retryAfterMs } : undefined;
  }

  /** A login failed: spends a token of each budget. */
  failed(username: string, address: string): void {
    this.pairs.take(pairKey(username, address));
    if (!this.trusted.has(pairKey(username, address))) this.usernames.take(username);
    this.addresses.take(address);
  }

  /** A login succeeded: this address is known for this username from now on. */
  succeeded(username: string, address: string): void {
    this.trusted.add(pairKey(username, address));
  }
}

function pairKey(username: string, address: string): string {
  return `${username}\0${address}`;
}
