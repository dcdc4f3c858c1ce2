import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { waitFor } from '@chat4all/core/testing';

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

/** chat4all-server in a child process of its own, for cross-process and fault tests. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  readonly log: string[] = [];

  constructor(
    readonly name: string,
    readonly env: Record<string, string>,
    /** The URL whose /readyz says it is up (api port or metrics port). */
    readonly healthUrl: string,
  ) {}

  static async start(name: string, env: Record<string, string>, healthUrl: string): Promise<ServerProcess> {
    const p = new ServerProcess(name, env, healthUrl);
    await p.start();
    return p;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/server/src/main.ts'], {
      env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // A test runner that gives up on this file must not leave servers behind.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    // Every line also goes to a file, for the post-mortem of a failed run.
    const dir = `${process.env.CHAT4ALL_STATE ?? '.run'}/test-logs`;
    mkdirSync(dir, { recursive: true });
    const file = createWriteStream(`${dir}/${this.name}.log`, { flags: 'a' });
    child.once('exit', () => file.end());
    const keep = (d: Buffer) => {
      file.write(d);
      this.log.push(...String(d).split('\n').filter(Boolean));
      if (this.log.length > 500) this.log.splice(0, this.log.length - 500);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await this.ready(60_000);
  }

  /** Waits until /readyz answers 200. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        if (this.child?.exitCode !== null) throw new Error(`${this.name} exited: ${this.log.slice(-20).join('\n')}`);
        return fetch(`${this.healthUrl}/readyz`).then((r) => r.ok, () => false);
      },
      `${this.name} ready`,
      timeoutMs,
      200,
    );
  }

  async readiness(): Promise<{ status: number; body: any }> {
    const r = await fetch(`${this.healthUrl}/readyz`);
    return { status: r.status, body: await r.json() };
  }

  async metric(name: string, metricsUrl = `${this.healthUrl}/metrics`): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }
}
