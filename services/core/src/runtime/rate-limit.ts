/** Rate: `perSecond` sustained, up to `burst` at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket. `take()` spends one token when there is one and says whether it could;
 * `retryAfterMs()` says when the next token will be there. Pure arithmetic on an injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((t - this.last) / 1000) * this.limit.perSecond);
    this.last = t;
  }

  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  retryAfterMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000);
  }

  /** True when the bucket is full again (its key can be forgotten). */
  idle(): boolean {
    this.refill();
    return this.tokens >= this.limit.burst;
  }
}

/** Token buckets by key (user, address); full buckets are dropped now and then to bound memory. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private calls = 0;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one token of `key`; resolves 0 when allowed, else the milliseconds to wait. */
  take(key: string): number {
    const b = this.bucket(key);
    return b.take() ? 0 : Math.max(1, b.retryAfterMs());
  }

  /** Milliseconds until `key` has a token (0 when it has one now); spends nothing. */
  retryAfterMs(key: string): number {
    return this.buckets.get(key)?.retryAfterMs() ?? 0;
  }

  private bucket(key: string): TokenBucket {
    if (++this.calls % 10_000 === 0) this.sweep();
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new TokenBucket(this.limit, this.now)));
    return b;
  }

  private sweep(): void {
    for (const [k, b] of this.buckets) if (b.idle()) this.buckets.delete(k);
  }
}
