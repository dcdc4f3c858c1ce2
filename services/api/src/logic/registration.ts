import type { RegisterBody, TokenAnswer } from '@chat4all/contract';
import { conflict, invalid, unauthenticated, type User, type UserRecord } from '@chat4all/core';
import { isoNow, type ApiContext } from '../context.js';
import { userView } from './users.js';

const usernameTaken = () => conflict('username_taken', 'the username is taken');

/**
 * Registers a user. The schema has checked the username's pattern and the password's length;
 * the display name is trimmed here and defaults to the username. Rejects with `username_taken`
 * (conflict) when the name is in use, also when two registrations race.
 */
export async function register(ctx: ApiContext, input: RegisterBody): Promise<User> {
  const displayName = input.display_name === undefined ? input.username : input.display_name.trim();
  if (displayName.length === 0) {
    throw invalid('validation_failed', 'the request is invalid', [{ field: 'body.display_name', message: 'must not be blank' }]);
  }
  if (await ctx.users.getByUsername(input.username)) throw usernameTaken();
  const record: UserRecord = {
    user_id: ctx.ids.next(),
    username: input.username,
    display_name: displayName,
    created_at: isoNow(ctx),
    password_hash: await ctx.passwords.hash(input.password),
  };
  await ctx.users.create(record); // the store decides races: username_taken
  return userView(record);
}

/**
 * Checks credentials and issues an access token. An unknown username and a wrong password get the
 * same answer, `invalid_credentials`, after the same work (one scrypt derivation).
 */
export async function login(ctx: ApiContext, username: string, password: string): Promise<TokenAnswer> {
  const user = await ctx.users.getByUsername(username);
  let ok = false;
  if (user) ok = await ctx.passwords.verify(password, user.password_hash);
  else await ctx.passwords.spend(password);
  if (!user || !ok) throw unauthenticated('invalid_credentials', 'the username or the password is wrong');
  return { access_token: ctx.tokens.issue(user.user_id, user.username), token_type: 'Bearer', expires_in: ctx.tokens.ttlSeconds };
}
