import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** What `chat4all login` stores: enough to call the API and the gateway as this user. */
export interface Session {
  /** The API the token was issued by; a session is only used against that API. */
  api_url: string;
  user_id: string;
  username: string;
  access_token: string;
  /** When the token expires (ISO-8601), from its `exp` claim, when it has one. */
  expires_at?: string;
}

export const SESSION_FILE = 'session.json';

/**
 * The session file, `<dir>/session.json`: written atomically (temporary file, then rename) with mode
 * 0600 in a directory of mode 0700, since it holds a bearer token.
 */
export class SessionStore {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, SESSION_FILE);
  }

  /** The stored session, or undefined when there is none. A damaged file counts as none. */
  async load(): Promise<Session | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw new CliError('session_unreadable', `cannot read the session file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const value = JSON.parse(text) as Partial<Session>;
      if (typeof value.access_token !== 'string' || typeof value.username !== 'string' || typeof value.api_url !== 'string') return undefined;
      return value as Session;
    } catch {
      return undefined;
    }
  }

  async save(session: Session): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
      await chmod(temp, 0o600);
      await rename(temp, this.path);
    } catch (err) {
      throw new CliError('session_unwritable', `cannot write the session file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Removes the session; true when there was one. */
  async clear(): Promise<boolean> {
    const existed = (await this.load().catch(() => undefined)) !== undefined;
    await rm(this.path, { force: true });
    return existed;
  }
}

/** The claims the CLI reads from an access token, decoded without verification (the server verifies). */
export interface TokenClaims {
  sub?: string;
  username?: string;
  /** Expiry, Unix seconds. */
  exp?: number;
}

export function decodeToken(token: string): TokenClaims {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof value.sub === 'string' ? { sub: value.sub } : {}),
      ...(typeof value.username === 'string' ? { username: value.username } : {}),
      ...(typeof value.exp === 'number' ? { exp: value.exp } : {}),
    };
  } catch {
    return {};
  }
}

/** True when the token's `exp` has passed (with `skewSeconds` of margin). Tokens without exp never expire here. */
export function isExpired(token: string, now: number = Date.now(), skewSeconds = 5): boolean {
  const { exp } = decodeToken(token);
  return exp !== undefined && exp * 1000 <= now + skewSeconds * 1000;
}

/** The session to act as, or a CliError whose next step is to log in (none, another server, or expired). */
export async function requireSession(store: SessionStore, apiUrl: string, now: number = Date.now()): Promise<Session> {
  const session = await store.load();
  if (!session) throw new CliError('not_logged_in', 'not logged in', { next: { do: 'log_in' } });
  const { username } = session;
  if (session.api_url !== apiUrl) throw new CliError('not_logged_in', `you are logged in to ${session.api_url}, not ${apiUrl}`, { next: { do: 'log_in_there', username } });
  if (isExpired(session.access_token, now)) throw new CliError('session_expired', `your session as ${username} has expired`, { next: { do: 'log_in_again', username } });
  return session;
}
