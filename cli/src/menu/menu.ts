import { explain, menuAdvice } from '../advice.js';
import { authenticated, type Authenticated, type CliContext } from '../commands/context.js';
import { CliError, isCliError, usageError } from '../errors.js';
import { LiveFeed } from '../live-feed.js';
import { Output } from '../output.js';
import { progressOn } from '../progress.js';
import { isExpired, type Session } from '../session.js';
import type { TransferOptions } from '../transfers.js';
import { accountActions } from './account-actions.js';
import { chatActions } from './chat-actions.js';
import { fileActions } from './file-actions.js';
import type { MenuAction, MenuContext } from './menu-context.js';
import type { MenuView } from './menu-prompt.js';
import { PromptScreen } from './prompt-screen.js';
import { CANCELLED, Prompts } from './prompts.js';

/** Errors that mean the stored session is of no more use: the title says so until the next login. */
const REFUSED = new Set(['session_invalid', 'session_expired', 'account_gone']);

/**
 * The interactive menu of the original system: 1 register, 2 authenticate, 3 create a
 * conversation, 4 send a message, ..., 12 notifications on or off, 13 send files, 14 download
 * them, 0 exit. Every failure is explained with the menu choice that helps, and the menu comes
 * back; live notifications print above whatever prompt is open, and the open menu is drawn again
 * when its title changes. SIGINT and SIGTERM close it as choice 0 does.
 */
export async function runInteractiveMenu(ctx: CliContext): Promise<void> {
  if (!ctx.io.stdin.isTTY || !ctx.io.stdout.isTTY) {
    throw usageError('the interactive menu needs a terminal; for scripts use the subcommands (see `chat4all --help`)');
  }
  const quit = new AbortController();
  const stop = () => quit.abort();
  // `on`, not `once`: the prompt library re-raises a signal nobody else listens to when it sees it.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await new InteractiveMenu(ctx, quit.signal).run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

class InteractiveMenu implements MenuContext {
  readonly ctx: CliContext;
  readonly output: Output;
  readonly prompts: Prompts;
  private readonly screen: PromptScreen;
  lastUsername: string | undefined;
  private live: LiveFeed | undefined;
  private readonly actions: MenuAction[];
  /** The stored session as last read, and the token the server refused (if it did). */
  private stored: Session | undefined;
  private refusedToken: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    ctx: CliContext,
    private readonly quit: AbortSignal,
  ) {
    this.ctx = { ...ctx, advice: menuAdvice };
    const screen = new PromptScreen(ctx.io.stdout);
    this.screen = screen;
    this.output = new Output(false, screen, screen, { stdout: ctx.config.color.stdout, stderr: ctx.config.color.stdout });
    this.prompts = new Prompts(ctx.io.stdin, screen, this.output.paint, quit);
    this.actions = [
      ...accountActions.filter((a) => a.key === '1' || a.key === '2'),
      ...chatActions,
      ...accountActions.filter((a) => a.key === '11'),
      { key: '12', label: 'Turn real-time notifications on or off', run: () => this.toggleNotifications() },
      ...fileActions,
    ];
  }

  session(): Promise<Authenticated> {
    return authenticated(this.ctx);
  }

  feed(): LiveFeed | undefined {
    return this.live;
  }

  async transfer<T>(work: (options: TransferOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.quit.addEventListener('abort', stop);
    // No prompt reads the keyboard meanwhile: Ctrl+C arrives as a byte in raw mode, and cancels.
    const stdin = this.ctx.io.stdin;
    const wasRaw = stdin.isRaw;
    const onKey = (data: Buffer) => {
      if (data.includes(3)) stop();
    };
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
    const stdout = this.ctx.io.stdout;
    try {
      return await work({ progress: progressOn(this.screen, () => stdout.columns, this.ctx.now), signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) throw new CliError(CANCELLED, 'cancelled', { cause: err });
      throw err;
    } finally {
      this.screen.clear();
      stdin.off('data', onKey);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      this.quit.removeEventListener('abort', stop);
    }
  }

  async sessionChanged(): Promise<void> {
    await this.readSession();
    if (!this.live) return;
    await this.stopNotifications(false);
    try {
      await this.startNotifications();
    } catch {
      this.output.line('notifications off');
    }
  }

  async run(): Promise<void> {
    const p = this.output.paint;
    this.output.line(p.paint('bold', 'Chat4All'));
    this.output.line(p.paint('dim', `API ${this.ctx.config.apiUrl} · notifications ${this.ctx.config.websocketUrl}`));
    await this.readSession();
    this.lastUsername = this.stored?.username;
    let last = this.stored ? '4' : '1';
    try {
      while (!this.quit.aborted) {
        let choice: string;
        try {
          await this.readSession();
          choice = await this.prompts.menu({ view: () => this.view(), changes: (listener) => this.subscribe(listener), default: last });
        } catch (err) {
          if (isCliError(err, CANCELLED)) break;
          throw err;
        }
        if (choice === '0') break;
        last = choice;
        await this.perform(choice);
      }
    } finally {
      await this.stopNotifications(false);
    }
    this.output.line('bye');
  }

  private view(): MenuView {
    const items = this.actions.map(({ key, label }) => ({ key, label }));
    const notifications = items.find((i) => i.key === '12');
    if (notifications) notifications.label = this.live ? 'Turn real-time notifications off' : 'Turn real-time notifications on';
    return { message: `Chat4All — ${this.who()} · notifications ${this.live ? 'on' : 'off'}. Choose:`, items: [...items, { key: '0', label: 'Exit' }] };
  }

  private who(): string {
    const session = this.stored;
    if (!session) return 'not logged in';
    if (session.access_token === this.refusedToken) return `${session.username} (session no longer accepted)`;
    if (isExpired(session.access_token, this.ctx.now())) return `${session.username} (session expired)`;
    return `logged in as ${session.username}`;
  }

  private async readSession(): Promise<void> {
    this.stored = await this.ctx.sessions.load().catch(() => undefined);
  }

  private subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The title or the items changed: an open menu is drawn again. */
  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private async perform(choice: string): Promise<void> {
    const action = this.actions.find((a) => a.key === choice);
    if (!action) return;
    try {
      await action.run(this);
    } catch (err) {
      if (isCliError(err, CANCELLED)) this.output.line(this.output.paint.paint('dim', 'cancelled'));
      else if (isCliError(err)) await this.report(err);
      else this.output.error(`something went wrong: ${(err as Error).message}`);
    }
    this.output.line('');
  }

  /** Explains an error with the menu choice that helps; a refused session also stops the notifications. */
  private async report(err: CliError): Promise<void> {
    this.output.error(explain(err, menuAdvice));
    if (!REFUSED.has(err.code)) return;
    this.refusedToken = this.stored?.access_token;
    await this.stopNotifications(false);
  }

  private async toggleNotifications(): Promise<void> {
    if (this.live) {
      await this.stopNotifications(true);
      return;
    }
    await this.startNotifications();
  }

  private async startNotifications(): Promise<void> {
    const { session, api, directory } = await this.session();
    await directory.refresh().catch(() => undefined);
    const feed = new LiveFeed({
      websocketUrl: this.ctx.config.websocketUrl,
      token: session.access_token,
      api,
      directory,
      output: this.output,
      advice: menuAdvice,
      isTokenExpired: () => isExpired(session.access_token, this.ctx.now()),
      onStopped: (reason, message) => {
        if (this.live !== feed) return;
        this.live = undefined;
        if (reason === 'closed') return;
        this.refusedToken = session.access_token;
        const refusal = reason === 'auth' ? api.sessionRefused() : Promise.resolve(new CliError('session_expired', message, { next: { do: 'log_in_again' } }));
        void refusal.then((err) => {
          this.output.error(`notifications stopped: ${explain(err, menuAdvice)}`);
          this.changed();
        });
      },
    });
    this.live = feed;
    feed.start();
    this.output.line(this.output.paint.paint('green', 'notifications on: new messages will appear as they arrive'));
  }

  private async stopNotifications(say: boolean): Promise<void> {
    const feed = this.live;
    if (!feed) return;
    this.live = undefined;
    await feed.close();
    if (say) this.output.line('notifications off');
  }
}
