import type { Authenticated, CliContext } from '../commands/context.js';
import type { LiveFeed } from '../live-feed.js';
import type { Output } from '../output.js';
import type { TransferOptions } from '../transfers.js';
import type { Prompts } from './prompts.js';

/** What every menu action gets. */
export interface MenuContext {
  ctx: CliContext;
  output: Output;
  prompts: Prompts;
  /** The logged-in session, or a CliError that says to log in (choice 2). */
  session(): Promise<Authenticated>;
  /** The live notifications, when they are on. */
  feed(): LiveFeed | undefined;
  /** Called after logging in or out: notifications follow the session. */
  sessionChanged(): Promise<void>;
  /**
   * Runs an upload or a download: its progress is drawn on the screen, and Ctrl+C stops it (a
   * CliError `cancelled`) and brings the menu back, as it does for a question.
   */
  transfer<T>(work: (options: TransferOptions) => Promise<T>): Promise<T>;
  /** The username to offer by default when logging in. */
  lastUsername: string | undefined;
}

export interface MenuAction {
  key: string;
  label: string;
  run(menu: MenuContext): Promise<void>;
}
