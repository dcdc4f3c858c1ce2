import type { Backend } from '../domain/health.js';
import type { UserRecord } from '../domain/model.js';

/** Users and their credentials. */
export interface UserStore extends Backend {
  /**
   * Creates `user`. Usernames are unique: of concurrent creates with one username exactly one
   * resolves; the others reject with a `conflict` Chat4AllError of code `username_taken`, and
   * leave nothing behind.
   */
  create(user: UserRecord): Promise<void>;
  getById(userId: string): Promise<UserRecord | undefined>;
  getByUsername(username: string): Promise<UserRecord | undefined>;
  /** The users among `userIds` that exist, in no particular order. At most 256 ids. */
  getManyById(userIds: string[]): Promise<UserRecord[]>;
}
