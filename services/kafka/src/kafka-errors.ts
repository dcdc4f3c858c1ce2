import { Chat4AllError, isChat4AllError, unavailable } from '@chat4all/core';

/** kafkajs protocol error types that say the request itself is at fault, not the cluster. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** A short, secret-free description of a kafkajs error, for health details and error messages. */
export function describeKafkaError(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 200);
  const e = err as Error & { type?: unknown; cause?: unknown };
  let text = e.message || e.name;
  // KafkaJSNumberOfRetriesExceeded and friends wrap the error that tells what happened.
  if (e.cause instanceof Error && e.cause.message && !text.includes(e.cause.message)) text = `${text}: ${e.cause.message}`;
  return text.slice(0, 200);
}

/** The root of a chain of kafkajs errors (`cause`). */
function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 10 && e instanceof Error && e.cause instanceof Error; i++) e = e.cause;
  return e;
}

/**
 * Maps a failure of the Kafka client to a Chat4AllError: a record the broker refuses as too large
 * is `too_large`; everything else (broker down, timeouts, no leader, unknown topic) is `unavailable`,
 * so callers retry.
 */
export function toChat4AllError(err: unknown, code: string, what: string): Chat4AllError {
  if (isChat4AllError(err)) return err;
  const type = (rootCause(err) as { type?: unknown } | undefined)?.type;
  if (typeof type === 'string' && TOO_LARGE.has(type)) {
    return new Chat4AllError('too_large', 'record_too_large', `${what}: the broker refused the records as too large`, { cause: err });
  }
  return unavailable(code, `${what}: ${describeKafkaError(err)}`, err);
}

/** Resolves like `promise`, or rejects with `onTimeout()` after `ms` (the timer never keeps the process alive). */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
