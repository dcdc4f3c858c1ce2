import { authenticated, type Authenticated, type CliContext } from '../commands/context.js';
import { CliError, isCliError, usageError } from '../errors.js';
import { LiveFeed } from '../live-feed.js';
import { Output } from '../output.js';
import { isExpired } from '../session.js';
import { accountActions } from './account-actions.js';
import { chatActions } from './chat-actions.js';
import type { MenuAction, MenuContext } from './menu-context.js';
import type { MenuItem } from './menu-prompt.js';
import { PromptScreen } from './prompt-screen.js';
import { CANCELLED, Prompts } from './prompts.js';

/**
 * The interactive menu of the original system: 1 register, 2 authenticate, 3 create a
 * conversation, 4 send a message, ..., 12 notifications on or off, 0 exit. Every failure is
 * explained and the menu comes back; live notifications print above whatever prompt is open.
 */
export async function runInteractiveMenu(ctx: CliContext): Promise<void> {
  if (!ctx.io.stdin.isTTY || !ctx.io.stdout.isTTY) {
    throw usageError('the interactive menu needs a terminal; for scripts use the subcommands (see `chat4all --help`)');
  }
  await new InteractiveMenu(ctx).run();
}

class InteractiveMenu implements MenuContext {
  readonly output: Output;
  readonly prompts: Prompts;
  lastUsername: string | undefined;
  private live: LiveFeed | undefined;
  private readonly actions: MenuAction[];

  constructor(readonly ctx: CliContext) {
    const screen = new PromptScreen(ctx.io.stdout);
    this.output = new Output(false, screen, screen, { stdout: ctx.config.color.stdout, stderr: ctx.config.color.stdout });
    this.prompts = new Prompts(ctx.io.stdin, screen, this.output.paint);
    this.actions = [
      ...accountActions.filter((a) => a.key === '1' || a.key === '2'),
      ...chatActions,
      ...accountActions.filter((a) => a.key === '11'),
      { key: '12', label: 'Turn real-time notifications on or off', run: () => this.toggleNotifications() },
    ];
  }

  session(): Promise<Authenticated> {
    return authenticated(this.ctx).catch((err: unknown) => {
      if (isCliError(err, 'not_logged_in')) throw new CliError('not_logged_in', 'you are not logged in: choose 2 to authenticate (or 1 to register first)');
      if (isCliError(err, 'session_expired')) throw new CliError('session_expired', 'your session has expired: choose 2 to authenticate again');
      throw err;
    });
  }

  feed(): LiveFeed | undefined {
    return this.live;
  }

  async sessionChanged(): Promise<void> {
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
    const stored = await this.ctx.sessions.load().catch(() => undefined);
    this.lastUsername = stored?.username;
    let last = stored ? '4' : '1';
    try {
      for (;;) {
        let choice: string;
        try {
          choice = await this.prompts.menu(await this.title(), this.items(), last);
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

  private items(): MenuItem[] {
    const items = this.actions.map(({ key, label }) => ({ key, label }));
    const notifications = items.find((i) => i.key === '12');
    if (notifications) notifications.label = this.live ? 'Turn real-time notifications off' : 'Turn real-time notifications on';
    return [...items, { key: '0', label: 'Exit' }];
  }

  private async title(): Promise<string> {
    const session = await this.ctx.sessions.load().catch(() => undefined);
    const who = !session ? 'not logged in' : isExpired(session.access_token, this.ctx.now()) ? `${session.username} (session expired)` : `logged in as ${session.username}`;
    return `Chat4All — ${who} · notifications ${this.live ? 'on' : 'off'}. Choose:`;
  }

  private async perform(choice: string): Promise<void> {
    const action = this.actions.find((a) => a.key === choice);
    if (!action) return;
    try {
      await action.run(this);
    } catch (err) {
      if (isCliError(err, CANCELLED)) this.output.line(this.output.paint.paint('dim', 'cancelled'));
      else if (isCliError(err)) this.output.error(err.message);
      else this.output.error(`something went wrong: ${(err as Error).message}`);
    }
    this.output.line('');
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
      isTokenExpired: () => isExpired(session.access_token, this.ctx.now()),
      onStopped: (reason, message) => {
        if (this.live !== feed) return;
        this.live = undefined;
        if (reason !== 'closed') this.output.error(`notifications stopped: ${message}; choose 2 to authenticate again, then 12`);
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
