/** Test helpers: bounded waiting, temp dirs, unsigned tokens, and running the CLI as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../src/commands/context.js';
import { main } from '../src/main.js';

export const CLI_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'chat4all.js');

/** How to start the CLI: the program and the arguments before the CLI's own. @default the repository's launcher */
export interface CliCommand {
  command: string;
  args: string[];
  cwd?: string;
  /** A process group of its own (to signal, or to wait for, as a whole). */
  detached?: boolean;
}

const SOURCES: CliCommand = { command: process.execPath, args: [CLI_BIN] };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A temporary directory, removed by `cleanup`. */
export async function tempDir(cleanups: (() => Promise<void>)[], prefix = 'chat4all-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An unsigned JWT-shaped token with the given claims (the CLI never verifies signatures). */
export function fakeToken(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI child process: its own config dir, the given platform, no colour. */
export function cliEnv(configDir: string, apiUrl: string, websocketUrl = 'ws://127.0.0.1:9', base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, CHAT4ALL_CONFIG_DIR: configDir, CHAT4ALL_API_URL: apiUrl, CHAT4ALL_WEBSOCKET_URL: websocketUrl, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
}

/** Runs `chat4all args...` to completion (at most `timeoutMs`), with `input` on stdin. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input = '', timeoutMs = 20_000, cli: CliCommand = SOURCES): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.command, [...cli.args, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'], ...(cli.cwd ? { cwd: cli.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chat4all ${args.join(' ')} took over ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** A long-running CLI (listen): its output so far, line by line, and a bounded stop. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv, cli: CliCommand = SOURCES) {
    this.child = spawn(cli.command, [...cli.args, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: cli.detached === true, ...(cli.cwd ? { cwd: cli.cwd } : {}) });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** The stdout lines parsed as JSON (for --json). */
  json<T = Record<string, unknown>>(): T[] {
    return this.lines().map((l) => JSON.parse(l) as T);
  }

  waitForStderr(pattern: RegExp, what: string, timeoutMs = 10_000): Promise<true> {
    return waitFor(() => pattern.test(this.stderr), `${what}; stderr so far:\n${this.stderr}`, timeoutMs).then(() => true as const);
  }

  /** `signal` (SIGINT by default), then SIGKILL if it has not exited within `timeoutMs`; resolves to the exit code. */
  async stop(timeoutMs = 5_000, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}

/** A local TCP port nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs main() in-process on fake streams (not terminals unless `stdinIsTTY`), with `env` as the whole environment. */
export async function runMain(argv: string[], env: NodeJS.ProcessEnv, stdinText?: string, stdinIsTTY = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: stdinIsTTY });
  if (stdinText !== undefined) stdin.end(stdinText);
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => Object.assign(new PassThrough(), { write: (s: string) => (append(String(s)), true), isTTY: false });
  const io = { env, stdin, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) } as unknown as CliIo;
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
