/** Benchmark parameters from the environment (BENCH_*), each with a moderate default. */
import { SIDES, type Side } from './protocol.js';

export function intParam(name: string, def: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export function listParam(name: string, def: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const list = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (list.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${name} must be a comma-separated list of positive numbers, got ${JSON.stringify(raw)}`);
  return list;
}

export function strParam(name: string, def: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? def : raw;
}

/** The open-file limit bench/run.sh obtained (or this process has). */
export function fileLimit(): number {
  const n = Number(process.env.BENCH_NOFILE);
  return Number.isInteger(n) && n > 0 ? n : 1024;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes of this machine. */
export const wallMs = () => performance.timeOrigin + performance.now();

/** BENCH_SIDES: which servers a workload compares (ours, socketio, centrifugo; all by default). */
export function sidesParam(def: readonly Side[] = SIDES): Side[] {
  const raw = strParam('BENCH_SIDES', def.join(','));
  const sides = raw.split(',').map((s) => s.trim());
  const bad = sides.filter((s) => !(SIDES as readonly string[]).includes(s));
  if (bad.length || sides.length === 0) throw new Error(`BENCH_SIDES must be a comma-separated list of ${SIDES.join(', ')}; got ${JSON.stringify(raw)}`);
  return [...new Set(sides)] as Side[];
}

/** BENCH_RUNS: how many times each workload measures everything; figures are medians over them. */
export const runsParam = () => intParam('BENCH_RUNS', 3, 1);

/** The sides in the order of run `run` (1-based): each run starts with the next side, so none is always first. */
export function rotated<T>(xs: readonly T[], run: number): T[] {
  const k = (run - 1) % Math.max(1, xs.length);
  return [...xs.slice(k), ...xs.slice(0, k)];
}
