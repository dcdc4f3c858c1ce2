/**
 * Terminals for a tour: interactive bash shells in the windows of a private tmux server, pasted
 * into as a person would, read back as the screen shows them. The server runs in a network
 * namespace of its own with nothing but a loopback, so the documented ports (8080, 8085) are free
 * whatever else runs on the machine, and nothing started by a tour is reachable from outside.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something defined; throws `what()` after `timeoutMs`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: () => string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s: ${what()}`);
    await sleep(100);
  }
}

export class TourTerminals {
  private readonly socket: string;
  private readonly windows = new Set<string>();
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    private readonly dir: string,
    private readonly cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.socket = join(dir, 'tmux.sock');
    this.env = env;
  }

  /**
   * Starts the tmux server in a new network namespace (its loopback up) with `env` for every
   * shell; shells start in `cwd`. `dir` holds the server's socket and the shells' status files.
   */
  static async start(dir: string, cwd: string, env: NodeJS.ProcessEnv): Promise<TourTerminals> {
    await mkdir(dir, { recursive: true });
    const t = new TourTerminals(dir, cwd, env);
    await writeFile(join(dir, 'tmux.conf'), 'set -g history-limit 100000\nset -g status off\n');
    // Each prompt appends the status of the command before it: the tour knows when one is over, and how it ended.
    await writeFile(join(dir, 'bashrc'), `PS1='$ '\nPS2='> '\nHISTFILE=\nPROMPT_COMMAND='printf "%s\\n" "$?" >> "$TOUR_STATUS"'\n`);
    const server = `ip link set lo up && exec tmux -u -S '${t.socket}' -f '${join(dir, 'tmux.conf')}' new-session -d -s tour -n setup -x 200 -y 50 'sleep 86400'`;
    execFileSync('unshare', ['--net', '--map-root-user', 'sh', '-c', server], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    return t;
  }

  /** Opens `name`'s terminal on first use: a fresh interactive bash at its prompt. */
  async open(name: string): Promise<void> {
    if (this.windows.has(name)) return;
    this.windows.add(name);
    const vars = Object.entries({ ...this.env, TOUR_STATUS: this.statusFile(name) }).flatMap(([k, v]) => (v === undefined ? [] : ['-e', `${k}=${v}`]));
    this.tmux('new-window', '-d', '-t', 'tour', '-n', name, '-c', this.cwd, ...vars, `exec bash --noprofile --rcfile '${join(this.dir, 'bashrc')}' -i`);
    await until(async () => ((await this.prompts(name)) >= 1 ? true : undefined), () => `${name}'s shell to start`, 30_000);
  }

  /** How many times `name`'s shell has shown its prompt. */
  async prompts(name: string): Promise<number> {
    return (await this.statuses(name)).length;
  }

  /** The status of each command `name`'s shell ran, in order (one per prompt). */
  async statuses(name: string): Promise<number[]> {
    const text = await readFile(this.statusFile(name), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }

  /** Pastes `line` (bracketed, as a terminal pastes) and presses Enter. */
  paste(name: string, line: string): void {
    execFileSync('tmux', ['-S', this.socket, 'load-buffer', '-b', 'tour', '-'], { input: line });
    this.tmux('paste-buffer', '-p', '-d', '-b', 'tour', '-t', `tour:${name}`);
    this.tmux('send-keys', '-t', `tour:${name}`, 'Enter');
  }

  /** Types `text` (as keys, not a paste) and presses Enter: an answer to a prompt. */
  type(name: string, text: string): void {
    this.tmux('send-keys', '-t', `tour:${name}`, '-l', text);
    this.tmux('send-keys', '-t', `tour:${name}`, 'Enter');
  }

  ctrlC(name: string): void {
    this.tmux('send-keys', '-t', `tour:${name}`, 'C-c');
  }

  /** Everything `name`'s terminal showed, scrollback included, wrapped lines joined, trailing blanks dropped. */
  lines(name: string): string[] {
    const text = this.tmux('capture-pane', '-p', '-J', '-t', `tour:${name}`, '-S', '-');
    const lines = text.split('\n').map((l) => l.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** The line the cursor is on (where a prompt waits for an answer). */
  cursorLine(name: string): string {
    const y = Number(this.tmux('display-message', '-p', '-t', `tour:${name}`, '#{cursor_y}').trim());
    return (this.tmux('capture-pane', '-p', '-t', `tour:${name}`).split('\n')[y] ?? '').trimEnd();
  }

  names(): string[] {
    return [...this.windows];
  }

  async close(): Promise<void> {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    await rm(this.socket, { force: true });
  }

  private statusFile(name: string): string {
    return join(this.dir, `${name}.status`);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }
}
