import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { formatTime } from '../output.js';
import { decodeToken, type Session } from '../session.js';
import { checkPassword, checkUsername } from '../validation.js';
import { authenticated, readPassword, type CliContext } from './context.js';
import type { Run } from './run.js';

export function addAuthCommands(program: Command, run: Run): void {
  program
    .command('register')
    .description('create an account (the password is asked for, or read with --password-stdin)')
    .argument('<username>', '3 to 32 characters: a-z, 0-9 and _')
    .option('--display-name <name>', 'the name others see')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action((username: string, opts: { displayName?: string; passwordStdin?: boolean }) =>
      run((ctx) => register(ctx, username, opts.displayName, opts.passwordStdin === true)),
    );

  program
    .command('login')
    .description('log in and store the session in the config directory')
    .argument('<username>')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action((username: string, opts: { passwordStdin?: boolean }) => run((ctx) => login(ctx, username, opts.passwordStdin === true)));

  program
    .command('logout')
    .description('forget the stored session')
    .action(() => run(logout));

  program
    .command('whoami')
    .description('show who you are logged in as')
    .action(() => run(whoami));
}

export async function register(ctx: CliContext, username: string, displayName: string | undefined, passwordStdin: boolean): Promise<void> {
  const bad = checkUsername(username);
  if (bad) throw new CliError('invalid_username', bad);
  const password = await readPassword(ctx, passwordStdin, true);
  const weak = checkPassword(password);
  if (weak) throw new CliError('invalid_password', weak);
  const user = await ctx.api.register(username, password, displayName);
  ctx.output.result(`registered ${user.username} (user id ${user.user_id}); now log in with \`chat4all login ${user.username}\``, user);
}

/** Logs in with a password and stores the session; returns it. */
export async function logIn(ctx: CliContext, username: string, password: string): Promise<Session> {
  const token = await ctx.api.login(username, password);
  const claims = decodeToken(token.access_token);
  let userId = claims.sub;
  if (!userId) userId = (await ctx.api.withToken(token.access_token).me()).user_id;
  const expiresAt = claims.exp !== undefined ? claims.exp * 1000 : token.expires_in > 0 ? ctx.now() + token.expires_in * 1000 : undefined;
  const session: Session = {
    api_url: ctx.config.apiUrl,
    user_id: userId,
    username: claims.username ?? username,
    access_token: token.access_token,
    ...(expiresAt !== undefined ? { expires_at: new Date(expiresAt).toISOString() } : {}),
  };
  await ctx.sessions.save(session);
  return session;
}

async function login(ctx: CliContext, username: string, passwordStdin: boolean): Promise<void> {
  const password = await readPassword(ctx, passwordStdin, false);
  const session = await logIn(ctx, username, password);
  const until = session.expires_at ? ` until ${formatTime(session.expires_at)}` : '';
  ctx.output.result(`logged in as ${session.username}${until}`, { user_id: session.user_id, username: session.username, expires_at: session.expires_at ?? null });
}

async function logout(ctx: CliContext): Promise<void> {
  const had = await ctx.sessions.clear();
  ctx.output.result(had ? 'logged out' : 'not logged in', { logged_out: had });
}

async function whoami(ctx: CliContext): Promise<void> {
  const { api, session } = await authenticated(ctx);
  const user = await api.me();
  const until = session.expires_at ? `; session valid until ${formatTime(session.expires_at)}` : '';
  const display = user.display_name && user.display_name !== user.username ? ` (${user.display_name})` : '';
  ctx.output.result(`${user.username}${display}, user id ${user.user_id}, at ${session.api_url}${until}`, { ...user, api_url: session.api_url, expires_at: session.expires_at ?? null });
}
