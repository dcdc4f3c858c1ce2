/**
 * The CLI's one error class. `code` is stable (tests and `--json` output use it), `exitStatus` is
 * what the process exits with: 1 for a failure, 2 for a usage error. Check `code`, not `instanceof`.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * What the user should do about an error, said by the face they are using (see advice.ts): the
 * subcommands name a command, the menu names a choice.
 */
export type NextStep =
  /** Not logged in at all. */
  | { do: 'log_in' }
  /** The session expired or was refused; `username` when known. */
  | { do: 'log_in_again'; username?: string }
  /** The session belongs to another API. */
  | { do: 'log_in_there'; username: string }
  /** The account is gone (the server kept it in memory and restarted). */
  | { do: 'register_again'; username?: string };

export interface CliErrorOptions {
  cause?: unknown;
  /** What to do about it; the edge that prints the error turns it into words. */
  next?: NextStep;
  /** @default EXIT_FAILURE */
  exitStatus?: number;
  /** The HTTP status the server answered with, when the error came from the API. */
  httpStatus?: number;
  /** Seconds the server asked us to wait (Retry-After), for `rate_limited` and `unavailable`. */
  retryAfterSeconds?: number;
}

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly exitStatus: number;
  readonly httpStatus: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly next: NextStep | undefined;

  constructor(code: string, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.next = options.next;
    this.exitStatus = options.exitStatus ?? EXIT_FAILURE;
    this.httpStatus = options.httpStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** True when `err` is a CliError, by shape, optionally with `code`. */
export function isCliError(err: unknown, code?: string): err is CliError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; exitStatus?: unknown };
  if (e.name !== 'CliError' || typeof e.code !== 'string' || typeof e.exitStatus !== 'number') return false;
  return code === undefined || e.code === code;
}

export const usageError = (message: string) => new CliError('usage', message, { exitStatus: EXIT_USAGE });

/** Turns anything thrown into a CliError, keeping the original as `cause`. */
export function toCliError(err: unknown): CliError {
  if (isCliError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CliError('internal', `unexpected error: ${message}`, { cause: err });
}
