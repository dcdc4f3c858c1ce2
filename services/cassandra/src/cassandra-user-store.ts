/**
 * UserStore on Cassandra. Tables (cql/001_initial.cql): users_by_name (the unique-name claim,
 * LWT) and users_by_id (the record).
 *
 * create: INSERT INTO users_by_name ... IF NOT EXISTS decides who owns a name; only the winner
 * then writes users_by_id, so losers leave nothing behind. A crash between the two writes leaves a
 * claim pointing at no user: getByUsername then resolves undefined, and a create of that name older
 * than STALE_CLAIM_MS takes the claim over (UPDATE ... IF user_id = <dead id>). A retry of a create
 * whose claim did apply (a timeout hid the answer) finds its own user_id in the claim and succeeds.
 */
import { conflict, invalid, type BackendHealth, type UserRecord, type UserStore } from '@chat4all/core';
import type { CassandraSession, Row } from './cassandra-session.js';
import { requireIso, toDate } from './cql-values.js';
import { mapLimit } from './parallel.js';

/** A claim without a user row older than this is considered abandoned. */
const STALE_CLAIM_MS = 60_000;
const MAX_IDS = 256;
const READ_CONCURRENCY = 32;

const CQL = {
  /** args: username, user_id, claimed_at. returns [applied], and the existing row when not applied. */
  claimName: 'INSERT INTO users_by_name (username, user_id, claimed_at) VALUES (?, ?, ?) IF NOT EXISTS',
  /** args: user_id, claimed_at, username, expected user_id. returns [applied]. */
  takeOverName: 'UPDATE users_by_name SET user_id = ?, claimed_at = ? WHERE username = ? IF user_id = ?',
  /** args: username. returns user_id, claimed_at. */
  readName: 'SELECT user_id, claimed_at FROM users_by_name WHERE username = ?',
  /** args: user_id, username, display_name, password_hash, created_at. */
  insertUser: 'INSERT INTO users_by_id (user_id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)',
  /** args: user_id. returns the user row. */
  readUser: 'SELECT user_id, username, display_name, password_hash, created_at FROM users_by_id WHERE user_id = ?',
} as const;

export class CassandraUserStore implements UserStore {
  readonly backendName = 'cassandra';

  constructor(private readonly session: CassandraSession) {}

  health(): BackendHealth {
    return this.session.health();
  }

  async create(user: UserRecord): Promise<void> {
    const claim = await this.session.execute(CQL.claimName, [user.username, user.user_id, new Date()]);
    if (!claim.wasApplied()) {
      const owner = claim.first()['user_id'] as string | null;
      const claimedAt = claim.first()['claimed_at'] as Date | null;
      const ours = owner === user.user_id;
      if (!ours && !(await this.takeOverAbandoned(user, owner, claimedAt))) {
        throw conflict('username_taken', `username ${user.username} is taken`);
      }
    }
    await this.session.execute(CQL.insertUser, [user.user_id, user.username, user.display_name, user.password_hash, toDate(user.created_at)]);
  }

  async getById(userId: string): Promise<UserRecord | undefined> {
    const row = (await this.session.execute(CQL.readUser, [userId])).first();
    return row ? toUser(row) : undefined;
  }

  async getByUsername(username: string): Promise<UserRecord | undefined> {
    const claim = (await this.session.execute(CQL.readName, [username])).first();
    const userId = claim?.['user_id'] as string | null | undefined;
    if (!userId) return undefined;
    const user = await this.getById(userId);
    return user?.username === username ? user : undefined;
  }

  async getManyById(userIds: string[]): Promise<UserRecord[]> {
    const ids = [...new Set(userIds)];
    if (ids.length > MAX_IDS) throw invalid('too_many_ids', `at most ${MAX_IDS} user ids at once`);
    const users = await mapLimit(ids, READ_CONCURRENCY, (id) => this.getById(id));
    return users.filter((u): u is UserRecord => u !== undefined);
  }

  /** Takes over a claim left by a create that never wrote its user row. True when taken. */
  private async takeOverAbandoned(user: UserRecord, owner: string | null, claimedAt: Date | null): Promise<boolean> {
    if (owner === null || (claimedAt !== null && Date.now() - claimedAt.getTime() < STALE_CLAIM_MS)) return false;
    if (await this.getById(owner)) return false;
    const rs = await this.session.execute(CQL.takeOverName, [user.user_id, new Date(), user.username, owner]);
    return rs.wasApplied();
  }
}

function toUser(row: Row): UserRecord {
  return {
    user_id: row['user_id'] as string,
    username: row['username'] as string,
    display_name: row['display_name'] as string,
    created_at: requireIso(row['created_at'], 'users_by_id.created_at'),
    password_hash: row['password_hash'] as string,
  };
}
