import { logIn } from '../commands/auth.js';
import { CliError } from '../errors.js';
import { formatTime } from '../output.js';
import { checkPassword, checkUsername } from '../validation.js';
import type { MenuAction } from './menu-context.js';

/** 1 register, 2 authenticate, 11 log out. */
export const accountActions: MenuAction[] = [
  {
    key: '1',
    label: 'Register a user',
    async run(menu) {
      await menu.ctx.api.ping();
      const username = await menu.prompts.text('Username (a-z, 0-9 and _, 3 to 32):', { validate: checkUsername });
      const password = await menu.prompts.secret('Password (8 to 128 characters):', checkPassword);
      const again = await menu.prompts.secret('Password again:');
      if (again !== password) throw new CliError('password_mismatch', 'the two passwords differ; nothing was registered');
      const displayName = await menu.prompts.text('Display name (Enter to skip):', { required: false });
      const user = await menu.ctx.api.register(username, password, displayName || undefined);
      menu.lastUsername = user.username;
      menu.output.line(menu.output.paint.paint('green', `registered ${user.username} (user id ${user.user_id}); choose 2 to authenticate`));
    },
  },
  {
    key: '2',
    label: 'Authenticate (log in)',
    async run(menu) {
      await menu.ctx.api.ping();
      const username = await menu.prompts.text('Username:', { ...(menu.lastUsername ? { default: menu.lastUsername } : {}) });
      const password = await menu.prompts.secret('Password:');
      const session = await logIn(menu.ctx, username, password);
      menu.lastUsername = session.username;
      const until = session.expires_at ? ` (session valid until ${formatTime(session.expires_at)})` : '';
      menu.output.line(menu.output.paint.paint('green', `authenticated as ${session.username}${until}`));
      await menu.sessionChanged();
    },
  },
  {
    key: '11',
    label: 'Log out',
    async run(menu) {
      const had = await menu.ctx.sessions.clear();
      await menu.sessionChanged();
      menu.output.line(had ? 'logged out' : 'you were not logged in');
    },
  },
];
