/**
 * The one error class of Chat4All. Every failure that a caller may act on carries a stable
 * `kind` (what went wrong, for the edges to map to a status code or a close code) and a stable
 * `code` (which rule was broken, for clients and tests). Check `kind`/`code`, never `instanceof`:
 * two copies of this package must not break error handling.
 */
export type ErrorKind =
  | 'invalid' // bad input: HTTP 400
  | 'unauthenticated' // no or bad credentials: HTTP 401
  | 'forbidden' // authenticated, not allowed: HTTP 403
  | 'not_found' // unknown, or not visible to the caller: HTTP 404
  | 'conflict' // state forbids it: HTTP 409
  | 'too_large' // over a size bound: HTTP 413
  | 'rate_limited' // over a rate bound: HTTP 429
  | 'unavailable'; // a backend cannot serve now, retry later: HTTP 503

export interface ErrorDetail {
  field?: string;
  message: string;
}

export interface Chat4AllErrorOptions {
  cause?: unknown;
  details?: ErrorDetail[];
  /** For `rate_limited` and `unavailable`: when to try again. */
  retryAfterSeconds?: number;
}

export class Chat4AllError extends Error {
  override readonly name = 'Chat4AllError';
  readonly kind: ErrorKind;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options: Chat4AllErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** True when `err` is a Chat4AllError (by shape, so copies of this package agree), optionally of `kind`. */
export function isChat4AllError(err: unknown, kind?: ErrorKind): err is Chat4AllError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; kind?: unknown; code?: unknown };
  if (e.name !== 'Chat4AllError' || typeof e.kind !== 'string' || typeof e.code !== 'string') return false;
  return kind === undefined || e.kind === kind;
}

export const invalid = (code: string, message: string, details?: ErrorDetail[]) =>
  new Chat4AllError('invalid', code, message, details ? { details } : {});
export const notFound = (code: string, message: string) => new Chat4AllError('not_found', code, message);
export const conflict = (code: string, message: string) => new Chat4AllError('conflict', code, message);
export const forbidden = (code: string, message: string) => new Chat4AllError('forbidden', code, message);
export const unauthenticated = (code: string, message: string) => new Chat4AllError('unauthenticated', code, message);
export const unavailable = (code: string, message: string, cause?: unknown) =>
  new Chat4AllError('unavailable', code, message, { cause, retryAfterSeconds: 1 });
