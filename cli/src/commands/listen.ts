import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { isExpired } from '../session.js';
import { authenticated, type CliContext } from './context.js';
import type { Run } from './run.js';

export function addListenCommand(program: Command, run: Run): void {
  program
    .command('listen')
    .description('stream notifications until interrupted (Ctrl+C); with --json, one JSON object per line')
    .option('--since <event_id>', 'first replay the events after this one (an event_id from earlier output)')
    .action((opts: { since?: string }) => run((ctx) => listen(ctx, opts.since)));
}

/**
 * Streams notifications until SIGINT or SIGTERM (then succeeds) or until the session is refused
 * (then fails). Reconnects by itself; see LiveFeed for what is printed where.
 */
async function listen(ctx: CliContext, since: string | undefined): Promise<void> {
  const { session, api, directory } = await authenticated(ctx);
  const { LiveFeed } = await import('../live-feed.js');
  if (!ctx.output.json) {
    // Names make the lines readable; without the API they fall back to ids until it answers.
    await directory.refresh().catch((err: unknown) => ctx.output.warn(`${(err as Error).message}; names will show as ids for now`));
  }
  let stopped: { reason: string; message: string } | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const feed = new LiveFeed({
    websocketUrl: ctx.config.websocketUrl,
    token: session.access_token,
    ...(since ? { since } : {}),
    api,
    directory,
    output: ctx.output,
    isTokenExpired: () => isExpired(session.access_token, ctx.now()),
    onStopped: (reason, message) => {
      if (reason !== 'closed') stopped = { reason, message };
      finish();
    },
  });
  const interrupt = () => finish();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  feed.start();
  try {
    await done;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await feed.close();
  }
  if (stopped?.reason === 'auth') throw await api.sessionRefused(stopped);
  if (stopped) throw new CliError('session_expired', stopped.message, { cause: stopped, next: { do: 'log_in_again', username: session.username } });
  if (feed.lastEventId) ctx.output.info(`stopped; resume with: chat4all listen --since ${feed.lastEventId}`);
}
