import { conflict } from '../domain/errors.js';
import type { BackendHealth } from '../domain/health.js';
import type { UserRecord } from '../domain/model.js';
import type { UserStore } from '../ports/user-store.js';

/** Users in memory. */
export class MemoryUserStore implements UserStore {
  readonly backendName = 'memory';
  private readonly byId = new Map<string, UserRecord>();
  private readonly byName = new Map<string, string>();

  health(): BackendHealth {
    return { status: 'up' };
  }

  async create(user: UserRecord): Promise<void> {
    if (this.byName.has(user.username)) throw conflict('username_taken', `username ${user.username} is taken`);
    this.byName.set(user.username, user.user_id);
    this.byId.set(user.user_id, { ...user });
  }

  async getById(userId: string): Promise<UserRecord | undefined> {
    const u = this.byId.get(userId);
    return u && { ...u };
  }

  async getByUsername(username: string): Promise<UserRecord | undefined> {
    const id = this.byName.get(username);
    return id === undefined ? undefined : this.getById(id);
  }

  async getManyById(userIds: string[]): Promise<UserRecord[]> {
    return userIds.flatMap((id) => {
      const u = this.byId.get(id);
      return u ? [{ ...u }] : [];
    });
  }
}
