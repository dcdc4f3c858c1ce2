import type { PublicUser } from '@chat4all/contract';
import { Chat4AllError, isUuid, notFound, type User, type UserRecord, type UserStore } from '@chat4all/core';

/** The user without its credential: what may leave the api. */
export function userView(u: UserRecord | User): User {
  return { user_id: u.user_id, username: u.username, display_name: u.display_name, created_at: u.created_at };
}

/** A user as others see it. */
export function publicUserView(u: UserRecord | User): PublicUser {
  return { user_id: u.user_id, username: u.username, display_name: u.display_name };
}

/**
 * Finds a user by reference: a user id (a UUID) or a username. The two cannot be confused, since
 * usernames are [a-z0-9_] and UUIDs contain dashes.
 */
export function findUser(users: UserStore, ref: string): Promise<UserRecord | undefined> {
  return isUuid(ref) ? users.getById(ref) : users.getByUsername(ref);
}

/** The users named by `refs` (ids or usernames); rejects with `user_not_found` naming every unknown one. */
export async function resolveUsers(users: UserStore, refs: string[], field: string): Promise<UserRecord[]> {
  const found = await Promise.all(refs.map((ref) => findUser(users, ref)));
  const unknown = refs.filter((_, i) => found[i] === undefined);
  if (unknown.length > 0) {
    const details = unknown.map((ref) => ({ field, message: `no user ${JSON.stringify(ref)}` }));
    throw new Chat4AllError('not_found', 'user_not_found', unknown.length === 1 ? 'the user does not exist' : 'some users do not exist', { details });
  }
  return found as UserRecord[];
}

export async function getPublicUser(users: UserStore, username: string): Promise<PublicUser> {
  const u = await users.getByUsername(username);
  if (!u) throw notFound('user_not_found', 'the user does not exist');
  return publicUserView(u);
}
