import { randomBytes } from 'node:crypto';

/** A random prefix that keeps one run's users apart from every other run's. */
export const newRunPrefix = () => randomBytes(10).toString('hex');

/** The user id (a UUID, as tokens need) of user number `i` of the run with `prefix`. */
export function userId(prefix: string, i: number): string {
  const tail = i.toString(16).padStart(12, '0');
  return `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-4${prefix.slice(12, 15)}-8${prefix.slice(15, 18)}-${tail}`;
}

/** The username of user number `i` of the run with `prefix` (unique across runs). */
export const benchUsername = (prefix: string, i: number) => `bench_${prefix.slice(0, 8)}_${i.toString(16)}`;

/**
 * The addresses load generators connect from, 127.0.0.2 up: each source address has its own
 * ephemeral ports (about 28,000 per destination), so `count` of them allow that many times more
 * connections to one server port.
 */
export function sourceAddresses(count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);
}

/** Payload content the publishers put in each message: publish time (wall ms) and per-user sequence. */
export interface Stamp {
  t: number;
  s: number;
}
