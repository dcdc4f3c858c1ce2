import { readFileSync } from 'node:fs';
import { explain, shellAdvice } from './advice.js';
import { ApiClient } from './api-client.js';
import { buildProgram } from './commands/program.js';
import type { CliContext, CliIo } from './commands/context.js';
import { resolveConfig, type GlobalFlags } from './config.js';
import { EXIT_OK, EXIT_USAGE, toCliError } from './errors.js';
import { Output } from './output.js';
import { SessionStore } from './session.js';

/**
 * Runs `chat4all` with `argv` (the arguments after the program name) and resolves to the exit
 * status: 0 success, 1 failure, 2 usage. Errors are reported on stderr, one line each.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  let json = options.includes('--json');
  const run = async (body: (ctx: CliContext) => Promise<void>) => {
    const flags = program.opts<GlobalFlags>();
    json = flags.json === true;
    await body(makeContext(flags, io));
  };
  const program = buildProgram(io, run, packageVersion(), json);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (isCommanderError(err)) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const error = toCliError(err);
    const message = explain(error, shellAdvice);
    if (json) io.stderr.write(`${JSON.stringify({ error: { code: error.code, message } })}\n`);
    else io.stderr.write(`error: ${message}\n`);
    if (error.code === 'internal' && io.env.CHAT4ALL_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return error.exitStatus;
  }
}

function makeContext(flags: GlobalFlags, io: CliIo): CliContext {
  const config = resolveConfig(flags, { env: io.env, stdoutIsTTY: io.stdout.isTTY === true, stderrIsTTY: io.stderr.isTTY === true, ...(io.home ? { home: io.home } : {}) });
  const line = (stream: NodeJS.WriteStream) => ({ write: (text: string) => void stream.write(`${text}\n`) });
  return {
    config,
    io,
    output: new Output(config.json, line(io.stdout), line(io.stderr), config.color),
    sessions: new SessionStore(config.configDir),
    api: new ApiClient({ baseUrl: config.apiUrl }),
    advice: shellAdvice,
    now: Date.now,
  };
}

/** Commander's own errors (usage, help, version), by shape. */
function isCommanderError(err: unknown): err is { code: string; exitCode: number } {
  const e = err as { code?: unknown; exitCode?: unknown } | null;
  return typeof e?.code === 'string' && e.code.startsWith('commander.') && typeof e.exitCode === 'number';
}

function processIo(): CliIo {
  // A closed pipe (`chat4all history x | head -1`) ends the output, not the program with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  return { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
