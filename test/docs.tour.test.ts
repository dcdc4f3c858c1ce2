/**
 * The tours of README.md and docs/cli.md, run as a person runs them: each line pasted into an
 * interactive bash in a terminal (tmux), in the order of the document, against the platform the
 * tour itself starts (`make run`). What a document says a terminal shows is checked on its screen,
 * so a document that drifts from the code fails here. See tour.ts for how a tour is written.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from './repo.js';
import { findInOrder, linePattern, parseTour, type Command, type Step } from './tour.js';
import { TourTerminals, until } from './tour-terminals.js';

/** A prompt waiting for a password (`? Password:`, `? Password again:`; answered ones show ✔). */
const PASSWORD_PROMPT = /^\? .*Password[^:]*:/;

/** How long one command, or one expected screen, may take on a loaded machine. */
const STEP_TIMEOUT_MS = 120_000;

/** The environment of a person's shell: a fresh home, the tools on PATH, npm's cache where the Makefile keeps it. */
function shellEnv(home: string): NodeJS.ProcessEnv {
  const cache = process.env.CHAT4ALL_CACHE ?? join(process.env.HOME ?? tmpdir(), '.cache', 'chat4all');
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    CHAT4ALL_CACHE: cache,
    npm_config_cache: join(cache, 'npm'),
    // The terminals have no network but a loopback: what npx fetches comes from the cache (see prefetch).
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

/** Packages a tour runs with `npx -y`, fetched once beforehand with the network this process has. */
function prefetch(steps: Step[], env: NodeJS.ProcessEnv): void {
  const packages = new Set(steps.flatMap((s) => s.commands.flatMap((c) => c.lines.flatMap((l) => [...l.matchAll(/\bnpx -y (\S+)/g)].map((m) => m[1]!)))));
  for (const name of packages) execFileSync('npx', ['-y', name, '--version'], { env, cwd: env.HOME, stdio: 'ignore', timeout: STEP_TIMEOUT_MS });
}

class Tour {
  /** Per terminal: the first line of its screen not yet matched by an expectation. */
  private readonly mark = new Map<string, number>();
  private readonly running = new Map<string, string>();

  constructor(private readonly terminals: TourTerminals) {}

  async run(step: Step): Promise<void> {
    await this.terminals.open(step.terminal);
    if (step.kind === 'text') return this.expect(step);
    // What a block prints is looked for from where its first command was pasted.
    this.mark.set(step.terminal, Math.max(0, this.terminals.lines(step.terminal).length - 1));
    for (const command of step.commands) await this.command(step, command);
  }

  /** Ctrl+C to whatever still runs in the foreground; each must give its prompt back. */
  async finish(): Promise<void> {
    for (const [name, command] of this.running) {
      const before = await this.terminals.prompts(name);
      this.terminals.ctrlC(name);
      await until(async () => ((await this.terminals.prompts(name)) > before ? true : undefined), () => `\`${command}\` to stop on Ctrl+C\n${this.screen(name)}`, 30_000);
    }
  }

  private async command(step: Step, command: Command): Promise<void> {
    const name = step.terminal;
    const where = `${step.file}:${step.line} \`${command.lines.join(' ')}\``;
    if (this.running.has(name)) throw new Error(`${where}: ${name}'s terminal still runs \`${this.running.get(name)}\``);
    const before = await this.terminals.prompts(name);
    const start = this.terminals.lines(name).length;
    for (const line of command.lines) this.terminals.paste(name, line);
    if (command.foreground) {
      this.running.set(name, command.lines.join(' '));
      return;
    }
    await this.waitForPrompt(name, before, start, step.password, where);
    const statuses = await this.terminals.statuses(name);
    const shown = this.terminals.lines(name);
    if (step.kind === 'sh') {
      assert.equal(statuses.at(-1), 0, `${where} failed (status ${statuses.at(-1)})\n${this.screen(name)}`);
      return;
    }
    // console: what the command printed is the lines between it and the next prompt.
    const printed = shown.slice(start, -1);
    const ok = printed.length === command.expected.length && command.expected.every((e, i) => linePattern(e).test(printed[i]!));
    assert.ok(ok, `${where} printed\n${printed.join('\n')}\n--- where the document says\n${command.expected.join('\n')}`);
  }

  /**
   * Waits for the prompt to come back, answering the password prompts met on the way. A fresh
   * prompt with no status for the command means bash refused the line itself (a failed history
   * expansion, say): that fails at once.
   */
  private async waitForPrompt(name: string, before: number, start: number, password: string | undefined, where: string): Promise<void> {
    let answered = '';
    await until(
      async () => {
        if ((await this.terminals.prompts(name)) > before) return true;
        const line = this.terminals.cursorLine(name);
        const shown = this.terminals.lines(name);
        if (line === '$' && shown.length > start && shown.at(-1) === '$' && (await this.terminals.prompts(name)) === before) {
          throw new Error(`${where}: bash gave the prompt back without running it\n${this.screen(name)}`);
        }
        if (PASSWORD_PROMPT.test(line) && line !== answered) {
          if (!password) throw new Error(`${where} asks for a password, and the block gives none (password=…)\n${this.screen(name)}`);
          this.terminals.type(name, password);
          answered = line;
        } else if (!PASSWORD_PROMPT.test(line)) {
          answered = '';
        }
        return undefined;
      },
      () => `${where} to finish\n${this.screen(name)}`,
      STEP_TIMEOUT_MS,
    );
  }

  private async expect(step: Step): Promise<void> {
    const name = step.terminal;
    const from = this.mark.get(name) ?? 0;
    const next = await until(
      () => findInOrder(this.terminals.lines(name), step.expected, from),
      () => `${step.file}:${step.line}: ${name}'s terminal to show\n${step.expected.join('\n')}\n--- it shows\n${this.screen(name, from)}`,
      STEP_TIMEOUT_MS,
    );
    this.mark.set(name, next);
  }

  private screen(name: string, from?: number): string {
    const lines = this.terminals.lines(name);
    return lines.slice(from ?? Math.max(0, lines.length - 40)).join('\n');
  }
}

for (const doc of ['README.md', 'docs/cli.md']) {
  describe(`the tour of ${doc}`, () => {
    it('does what the document says, each line pasted into a terminal', async () => {
      const steps = parseTour(await readFile(join(REPO, doc), 'utf8'), doc);
      assert.ok(steps.length > 0, `${doc} has a tour`);
      const dir = await mkdtemp(join(tmpdir(), 'chat4all-tour-'));
      const home = join(dir, 'home');
      const env = shellEnv(home);
      await mkdir(home);
      const terminals = await TourTerminals.start(join(dir, 'tmux'), REPO, env).catch((err: Error) => {
        throw new Error(`cannot start the tour's terminals (tmux, and unshare with a network namespace, are needed): ${err.message}`);
      });
      const tour = new Tour(terminals);
      try {
        prefetch(steps, env);
        for (const step of steps) await tour.run(step);
        await tour.finish();
      } finally {
        await terminals.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
