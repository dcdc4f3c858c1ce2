/** Reconnect delays: exponential from `initialMs` to `maxMs`, with full jitter. */
export interface BackoffOptions {
  /** The ceiling of the first delay. @default 500 */
  initialMs?: number;
  /** The largest ceiling. @default 30000 */
  maxMs?: number;
  /** A source of uniform numbers in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * Full jitter (the AWS architecture blog's "Exponential Backoff And Jitter"): the n-th delay is
 * uniform in [0, min(maxMs, initialMs * 2^n)), which spreads a crowd of clients that lost the same
 * gateway instead of bringing them back at the same instant.
 */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private attempts = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) throw new RangeError('backoff: need 0 < initialMs <= maxMs');
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The ceiling of the next delay. */
  ceiling(): number {
    return Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempts, 30));
  }

  /** The next delay, in ms; each call raises the ceiling until it reaches maxMs. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attempts++;
    return delay;
  }

  /** A short jittered delay that does not raise the ceiling: for a gateway that drains (close 1012). */
  immediate(): number {
    return Math.floor(this.random() * this.initialMs);
  }

  reset(): void {
    this.attempts = 0;
  }
}
