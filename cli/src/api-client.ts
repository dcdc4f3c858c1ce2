import { CliError } from './errors.js';
import type { Conversation, HistoryPage, ReadResponse, SendResponse, TokenResponse, User } from './wire.js';

export interface ApiClientOptions {
  /** Base URL, e.g. http://localhost:8080 (no trailing slash). */
  baseUrl: string;
  /** The access token, for every call but register and login. */
  token?: string;
  /** Whose token it is, for messages about the session. */
  username?: string;
  /** Per-request timeout. @default 15000 */
  timeoutMs?: number;
  /** Attempts for idempotent requests that meet 503, 429 or a reset connection. @default 3 */
  attempts?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

interface RequestOptions {
  body?: unknown;
  auth?: boolean;
  /** Safe to repeat: GETs, and POSTs the server deduplicates (a send with client_message_id, read). */
  idempotent?: boolean;
}

/** Network errors worth another try: the server was reached, then the connection broke. */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT']);

/**
 * A typed client of the Chat4All HTTP API (v1). Every failure is a CliError: `unreachable` when no
 * server answers, `timeout`, or the server's own error code with its message and HTTP status.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly username: string | undefined;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.username = options.username;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The same client acting with another token (`username`'s, when known). */
  withToken(token: string | undefined, username?: string): ApiClient {
    return new ApiClient({
      baseUrl: this.baseUrl,
      token,
      ...(username ? { username } : {}),
      timeoutMs: this.timeoutMs,
      attempts: this.attempts,
      fetch: this.fetchImpl,
      sleep: this.sleep,
    });
  }

  /** Resolves when the API answers at all (GET /healthz); fails with `unreachable` otherwise. */
  async ping(): Promise<void> {
    await this.request('GET', '/healthz', { auth: false });
  }

  /**
   * Why the server refused this session (a 401 that is not an expiry, on the API or the gateway):
   * `account_gone` when the server keeps its accounts in memory (it restarted since the login, so
   * the account went with it), else `session_invalid`.
   */
  async sessionRefused(cause?: unknown): Promise<CliError> {
    const as = this.username ? ` as ${this.username}` : '';
    const username = this.username ? { username: this.username } : {};
    if (await this.keepsAccountsInMemory()) {
      return new CliError(
        'account_gone',
        `the server at ${this.baseUrl} keeps accounts in memory and has restarted since you logged in${as}, so that account is gone`,
        { httpStatus: 401, cause, next: { do: 'register_again', ...username } },
      );
    }
    return new CliError('session_invalid', `the server no longer accepts your session${as}`, { httpStatus: 401, cause, next: { do: 'log_in_again', ...username } });
  }

  /** True when /readyz lists in-memory stores and no Cassandra: accounts do not outlive the process. */
  async keepsAccountsInMemory(): Promise<boolean> {
    try {
      const response = await this.fetchImpl(`${this.baseUrl}/readyz`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      const body = (await response.json()) as { backends?: Record<string, unknown> };
      const names = Object.keys(body.backends ?? {});
      return names.includes('memory') && !names.includes('cassandra');
    } catch {
      return false;
    }
  }

  register(username: string, password: string, displayName?: string): Promise<User> {
    const body = displayName ? { username, password, display_name: displayName } : { username, password };
    return this.request('POST', '/auth/register', { body, auth: false });
  }

  login(username: string, password: string): Promise<TokenResponse> {
    return this.request('POST', '/auth/token', { body: { username, password }, auth: false });
  }

  me(): Promise<User> {
    return this.request('GET', '/v1/me', { idempotent: true });
  }

  user(username: string): Promise<User> {
    return this.request('GET', `/v1/users/${encodeURIComponent(username)}`, { idempotent: true });
  }

  /** Opens (or returns the existing) direct conversation with `member`, a username or user id. */
  openDirect(member: string): Promise<Conversation> {
    return this.request('POST', '/v1/conversations', { body: { type: 'direct', members: [member] } });
  }

  createGroup(name: string, members: string[]): Promise<Conversation> {
    return this.request('POST', '/v1/conversations', { body: { type: 'group', name, members } });
  }

  /** My conversations, newest activity first. */
  async conversations(): Promise<Conversation[]> {
    const page = await this.request<{ conversations: Conversation[] }>('GET', '/v1/conversations', { idempotent: true });
    return page.conversations;
  }

  conversation(conversationId: string): Promise<Conversation> {
    return this.request('GET', `/v1/conversations/${encodeURIComponent(conversationId)}`, { idempotent: true });
  }

  /** Adds `user` (a username or user id); admins only. */
  addMember(conversationId: string, user: string): Promise<Conversation> {
    return this.request('POST', `/v1/conversations/${encodeURIComponent(conversationId)}/members`, { body: { user } });
  }

  removeMember(conversationId: string, userId: string): Promise<Conversation> {
    return this.request('DELETE', `/v1/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(userId)}`, { idempotent: true });
  }

  /** Sends a message. `clientMessageId` makes it idempotent, so it is retried on transient failures. */
  send(conversationId: string, content: string, clientMessageId: string): Promise<SendResponse> {
    return this.request('POST', '/v1/messages', {
      body: { conversation_id: conversationId, content, client_message_id: clientMessageId },
      idempotent: true,
    });
  }

  /** A page of history, oldest first; `before` is a message id from a previous page's next_before. */
  history(conversationId: string, options: { limit?: number; before?: string } = {}): Promise<HistoryPage> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.before) query.set('before', options.before);
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    return this.request('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/messages${qs}`, { idempotent: true });
  }

  markRead(messageId: string): Promise<ReadResponse> {
    return this.request('POST', `/v1/messages/${encodeURIComponent(messageId)}/read`, { idempotent: true });
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const attempts = options.idempotent ? this.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, options);
      } catch (err) {
        const wait = attempt < attempts ? retryDelayMs(err, attempt) : undefined;
        if (wait === undefined) throw err;
        await this.sleep(wait);
      }
    }
  }

  private async once<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.auth !== false) {
      if (!this.token) throw new CliError('not_logged_in', 'not logged in', { next: { do: 'log_in' } });
      headers.authorization = `Bearer ${this.token}`;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.networkError(err);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch (err) {
        throw new CliError('bad_response', `the API answered ${method} ${path} with something that is not JSON`, { cause: err });
      }
    }
    const error = httpError(response, text, options.auth !== false, this.username);
    if (error.code === 'session_invalid') throw await this.sessionRefused(error);
    if (error.code === 'invalid_credentials' && (await this.keepsAccountsInMemory())) {
      throw new CliError(error.code, `${error.message} (this server keeps accounts in memory: an account made before it last started no longer exists)`, { httpStatus: 401 });
    }
    throw error;
  }

  private networkError(err: unknown): CliError {
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new CliError('timeout', `the Chat4All API at ${this.baseUrl} did not answer within ${Math.round(this.timeoutMs / 1000)}s`, { cause: err });
    }
    const code = networkCode(err);
    const cause = (err as { cause?: { message?: unknown } }).cause;
    const why =
      code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host' : (code ?? (typeof cause?.message === 'string' ? cause.message : 'network error'));
    return new CliError(TRANSIENT_NETWORK_CODES.has(code ?? '') ? 'connection_lost' : 'unreachable', `cannot reach the Chat4All API at ${this.baseUrl} (${why}); is the server running?`, {
      cause: err,
    });
  }
}

function httpError(response: Response, text: string, authenticated: boolean, username: string | undefined): CliError {
  let code = `http_${response.status}`;
  let message = `the API answered HTTP ${response.status}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    const details = detailText(body.error?.details);
    if (details) message += ` (${details})`;
  } catch {
    // not JSON: keep the generic message
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  const options = { httpStatus: response.status, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}) };
  if (response.status === 401 && authenticated) {
    const as = username ? ` as ${username}` : '';
    const next = { do: 'log_in_again' as const, ...(username ? { username } : {}) };
    if (code === 'token_expired') return new CliError('session_expired', `your session${as} has expired`, { ...options, next });
    return new CliError('session_invalid', `the server no longer accepts your session${as}`, { ...options, next });
  }
  if (response.status === 429) message += options.retryAfterSeconds ? `; try again in ${options.retryAfterSeconds}s` : '; try again later';
  return new CliError(code, message, options);
}

function detailText(details: unknown): string {
  if (!Array.isArray(details)) return '';
  return details
    .map((d: unknown) => {
      if (typeof d === 'string') return d;
      const { field, message } = (d ?? {}) as { field?: unknown; message?: unknown };
      if (typeof message !== 'string') return '';
      return typeof field === 'string' && !message.includes(field) ? `${field}: ${message}` : message;
    })
    .filter(Boolean)
    .join('; ');
}

/** The errno-style code of a fetch failure (undici wraps it in `cause`, sometimes an AggregateError). */
function networkCode(err: unknown): string | undefined {
  let cause = (err as { cause?: unknown }).cause ?? err;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const c = cause as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof c.code === 'string') return c.code;
    cause = Array.isArray(c.errors) && c.errors.length > 0 ? c.errors[0] : c.cause;
  }
  return undefined;
}

/** How long to wait before retrying after `err`, or undefined when it is not worth retrying. */
export function retryDelayMs(err: unknown, attempt: number): number | undefined {
  const e = err as { code?: string; httpStatus?: number; retryAfterSeconds?: number };
  const transient = e.code === 'connection_lost' || e.httpStatus === 503 || e.httpStatus === 429 || e.httpStatus === 502 || e.httpStatus === 504;
  if (!transient) return undefined;
  if (e.retryAfterSeconds !== undefined) return e.retryAfterSeconds <= 5 ? e.retryAfterSeconds * 1000 : undefined;
  return 250 * 2 ** (attempt - 1);
}
