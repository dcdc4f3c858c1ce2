/** End-to-end helpers: the whole platform in this process (in-memory adapters), users made through the CLI. */
import { randomBytes } from 'node:crypto';
import { startEmbedded, type Embedded } from '@chat4all/server';
import { cliEnv, runCli, tempDir, type CliCommand, type CliResult } from './helpers.js';

export const PASSWORD = 'correct-horse-battery';

export async function startPlatform(cleanups: (() => Promise<void>)[]): Promise<Embedded> {
  const platform = await startEmbedded();
  cleanups.push(() => platform.close());
  return platform;
}

/** A unique valid username. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A person at a terminal: their own config directory, running `chat4all` against the platform. */
export class CliUser {
  constructor(
    readonly username: string,
    readonly env: NodeJS.ProcessEnv,
    readonly configDir: string,
    /** Which chat4all: the repository's sources unless said otherwise. */
    readonly cli?: CliCommand,
  ) {}

  static async create(platform: Pick<Embedded, 'apiUrl' | 'websocketUrl'>, cleanups: (() => Promise<void>)[], prefix: string, cli?: CliCommand, env: NodeJS.ProcessEnv = process.env): Promise<CliUser> {
    const dir = await tempDir(cleanups);
    return new CliUser(uniqueName(prefix), cliEnv(dir, platform.apiUrl, platform.websocketUrl, env), dir, cli);
  }

  run(args: string[], input = ''): Promise<CliResult> {
    return runCli(args, this.env, input, 20_000, this.cli);
  }

  /** Runs and insists on exit 0; parses stdout as JSON when `--json` is among the args. */
  async ok<T = Record<string, unknown>>(args: string[], input = ''): Promise<T> {
    const r = await this.run(args, input);
    if (r.code !== 0) throw new Error(`chat4all ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return (args.includes('--json') ? JSON.parse(r.stdout) : r.stdout) as T;
  }

  /** Registers and logs in through the CLI. */
  async signUp(): Promise<this> {
    await this.ok(['register', this.username, '--password-stdin'], `${PASSWORD}\n`);
    await this.ok(['login', this.username, '--password-stdin'], `${PASSWORD}\n`);
    return this;
  }
}
