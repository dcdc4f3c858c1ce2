import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO } from './kube.js';
import { waitFor } from './wait.js';

/** A TCP port nothing listens on, on any address (checked by binding the wildcard). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Children still running: stopped when this test process ends, even by a signal (no orphans). */
const live = new Set<ChildProcess>();
let guarded = false;
function guardAgainstOrphans(): void {
  if (guarded) return;
  guarded = true;
  const killAll = () => {
    for (const c of live) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/** A TypeScript program of this repository (run through tsx) in a child process, its output kept. */
export class NodeProcess {
  private child: ChildProcess | undefined;
  readonly log: string[] = [];

  constructor(
    readonly name: string,
    /** Entry point, relative to the repository. */
    readonly entry: string,
    readonly env: Record<string, string>,
    /** A URL whose /readyz answers 200 once the program is up. */
    readonly healthUrl: string,
  ) {}

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], { cwd: REPO, env: { ...process.env, LOG_FORMAT: 'json', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    guardAgainstOrphans();
    live.add(child);
    child.once('exit', () => live.delete(child));
    const keep = (d: Buffer) => {
      this.log.push(...String(d).split('\n').filter(Boolean));
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await this.ready(timeoutMs);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited: ${this.log.slice(-20).join('\n')}`);
        return fetch(`${this.healthUrl}/readyz`).then((r) => r.ok, () => false);
      },
      `${this.name} ready`,
      timeoutMs,
      100,
    );
  }

  /** Sends `signal` without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child!.kill(signal);
  }

  /** Sends `signal` and waits for the process to exit; resolves with its exit code. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    return new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill(signal);
    });
  }

  /** Resolves with the exit code when the process exits by itself. */
  exited(): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }
}

/** The sum of a metric's samples in a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
