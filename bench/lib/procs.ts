import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { rotated, sleep } from './params.js';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
export const CLK_TCK = 100;

/** A process's parent and its CPU time (user + system) in clock ticks, from /proc/<pid>/stat. */
export function procStat(pid: number): { ppid: number; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** CPU seconds (user + system) a process has used, and its resident memory, from /proc. */
export function procSample(pid: number): { cpuSeconds: number; rssBytes: number } {
  const cpuSeconds = procStat(pid).ticks / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+) kB/.exec(status);
  return { cpuSeconds, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
}

/** Measures a process's CPU use between start() and stop(), as a percentage of one core. */
export class CpuMeter {
  private cpu0 = 0;
  private t0 = 0;
  constructor(private readonly pid: number) {}

  start(): this {
    this.cpu0 = procSample(this.pid).cpuSeconds;
    this.t0 = performance.now();
    return this;
  }

  /** CPU seconds used since start(). */
  seconds(): number {
    return procSample(this.pid).cpuSeconds - this.cpu0;
  }

  /** Percent of one core used since start(). */
  read(): number {
    const dt = (performance.now() - this.t0) / 1000;
    return dt > 0 ? ((procSample(this.pid).cpuSeconds - this.cpu0) / dt) * 100 : 0;
  }
}

/** A child process of the benchmark: its output is kept (the last lines) for when it fails. */
export class BenchProcess {
  readonly log: string[] = [];
  private exited = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.log.push(...String(d).split('\n').filter(Boolean));
      if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return !this.exited && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    const exit = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exit;
    clearTimeout(timer);
  }

  tail(lines = 20): string {
    return this.log.slice(-lines).join('\n');
  }
}

/**
 * The processes of one benchmark run, and its time bound: everything started through it is stopped
 * when the run ends, fails, is interrupted, or overruns `limitSeconds` (then it exits non-zero).
 */
export class ProcessGroup {
  private readonly procs = new Set<BenchProcess>();
  private readonly deadline: NodeJS.Timeout;

  constructor(readonly limitSeconds: number) {
    this.deadline = setTimeout(() => {
      console.error(`bench: time limit of ${limitSeconds} s reached; stopping`);
      this.killAll();
      process.exit(3);
    }, limitSeconds * 1000);
    this.deadline.unref();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        console.error(`bench: ${sig}; stopping`);
        this.killAll();
        process.exit(130);
      });
    }
    process.once('exit', () => this.killAll());
  }

  /** A node process running TypeScript `script` (through tsx). */
  node(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): BenchProcess {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return this.track(new BenchProcess(name, child));
  }

  /** Any program (Centrifugo). */
  exec(name: string, file: string, args: string[], env: Record<string, string> = {}): BenchProcess {
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return this.track(new BenchProcess(name, child));
  }

  /** A node process running TypeScript `script` with an IPC channel (load generators, publishers). */
  fork(name: string, script: string, env: Record<string, string> = {}): BenchProcess {
    const child = fork(script, [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    return this.track(new BenchProcess(name, child));
  }

  private track(p: BenchProcess): BenchProcess {
    this.procs.add(p);
    p.child.once('exit', () => this.procs.delete(p));
    return p;
  }

  killAll(): void {
    for (const p of this.procs) if (p.running) p.child.kill('SIGKILL');
  }

  /** Stops every process still running (SIGTERM, then SIGKILL) and clears the time bound. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop('SIGTERM', 15_000)));
    clearTimeout(this.deadline);
  }

  /**
   * Measures every side `runs` times, each run starting with the next side (so none is always
   * first), then stops every process, failed or not. Returns each side's results in run order.
   */
  async eachRunEachSide<S extends string, R>(sides: readonly S[], runs: number, measure: (side: S, run: number) => Promise<R>): Promise<Partial<Record<S, R[]>>> {
    const results: Partial<Record<S, R[]>> = {};
    try {
      for (let run = 1; run <= runs; run++) {
        for (const side of rotated(sides, run)) (results[side] ??= []).push(await measure(side, run));
      }
    } finally {
      await this.stopAll();
    }
    return results;
  }
}

/** Polls `url` until it answers 2xx; fails early if `proc` exits. */
export async function waitHttpOk(url: string, proc: BenchProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.tail()}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs} ms:\n${proc.tail()}`);
}
