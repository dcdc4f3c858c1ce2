import { InvalidArgumentError } from 'commander';
import type { Advice } from '../advice.js';
import type { ApiClient } from '../api-client.js';
import type { CliConfig } from '../config.js';
import { Directory, type Me } from '../directory.js';
import { CliError, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { noProgress, progressOn, terminalStatusLine, type ProgressReporter } from '../progress.js';
import { requireSession, type Session, type SessionStore } from '../session.js';

/** The process's streams and environment, passed in so tests and the menu can provide their own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  home?: string;
}

/** Everything a command needs, built once per run from the global flags. */
export interface CliContext {
  config: CliConfig;
  io: CliIo;
  output: Output;
  sessions: SessionStore;
  /** A client without a token (register, login); `authenticated()` gives one with. */
  api: ApiClient;
  /** What to do next, in the words of this face (shell commands, or menu choices). */
  advice: Advice;
  now: () => number;
}

export interface Authenticated {
  session: Session;
  me: Me;
  api: ApiClient;
  directory: Directory;
}

/** The stored session and a client acting as it; fails with a "log in" message when there is none. */
export async function authenticated(ctx: CliContext): Promise<Authenticated> {
  const session = await requireSession(ctx.sessions, ctx.config.apiUrl, ctx.now());
  const me = { user_id: session.user_id, username: session.username };
  const api = ctx.api.withToken(session.access_token, session.username);
  return { session, me, api, directory: new Directory(api, me) };
}

/** All of stdin as text (for `send` without text, and `--password-stdin`). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A password: the first line of stdin with --password-stdin, else asked on the terminal with no
 * echo (twice when `confirm`). Never taken from an argument.
 */
export async function readPassword(ctx: CliContext, fromStdin: boolean, confirm: boolean): Promise<string> {
  if (fromStdin) {
    const text = await readAll(ctx.io.stdin);
    const password = text.split(/\r?\n/)[0] ?? '';
    if (!password) throw usageError('--password-stdin: stdin held no password');
    return password;
  }
  if (!ctx.io.stdin.isTTY) throw usageError('no terminal to ask for the password on: pipe it in with --password-stdin');
  // Nobody should type a password for a server that is not there.
  await ctx.api.ping();
  const { default: passwordPrompt } = await import('@inquirer/password');
  const ask = (message: string) => passwordPrompt({ message, toggleMask: false, validate: (v) => (v.length > 0 ? true : 'the password cannot be empty') }, { input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const first = await ask('Password:');
    if (confirm && (await ask('Password again:')) !== first) throw new CliError('password_mismatch', 'the two passwords differ');
    return first;
  } catch (err) {
    if ((err as { name?: string }).name === 'ExitPromptError') throw new CliError('cancelled', 'cancelled');
    throw err;
  }
}

/** Parses a positive integer option (commander argParser); a bad value is a usage error. */
export function positiveInt(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}.`);
    return n;
  };
}

/** Progress bars on stderr, when it is a terminal and the output is not --json. */
export function progressFor(ctx: CliContext): ProgressReporter {
  const stderr = ctx.io.stderr;
  if (ctx.output.json || stderr.isTTY !== true) return noProgress;
  return progressOn(terminalStatusLine(stderr), () => stderr.columns, ctx.now);
}

/**
 * Runs a transfer that Ctrl+C (SIGINT) or SIGTERM should stop cleanly rather than kill: the signal
 * aborts `body`'s signal, and whatever it then throws becomes one `cancelled` error (`what` says
 * what did not happen, e.g. "nothing was sent").
 */
export async function interruptible<T>(what: string, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await body(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw new CliError('cancelled', `cancelled: ${what}`, { cause: err });
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
