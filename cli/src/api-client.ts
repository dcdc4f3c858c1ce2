import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, isCliError } from './errors.js';
import type {
  Attachment,
  AttachmentLink,
  Conversation,
  CreateAttachmentBody as NewAttachment,
  HistoryPage,
  Message,
  ReadAnswer as ReadResponse,
  SendAnswer as SendResponse,
  TokenAnswer as TokenResponse,
  User,
} from '@chat4all/contract';

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
  /** How long an upload or a download may go without a byte moving (or without an answer after its last byte). @default 60000 */
  transferIdleMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

interface RequestOptions {
  body?: unknown;
  /** Bytes to send instead of a JSON body: a fresh stream of them for each attempt. */
  upload?: UploadBody;
  /** Ends the request early (the user cancelled). */
  signal?: AbortSignal;
  auth?: boolean;
  /** Safe to repeat: GETs, and POSTs the server deduplicates (a send with client_message_id, read). */
  idempotent?: boolean;
}

/** The bytes of an upload: how many, and a new stream of them for each attempt. */
export interface UploadBody {
  size: number;
  open: () => AsyncIterable<Uint8Array>;
  /** Hears of every chunk sent (again from 0 on a retried attempt: `restart` says so). */
  onBytes?: (bytes: number) => void;
  onRestart?: () => void;
}

/** A download's bytes, as they arrive. */
export interface DownloadStream {
  body: AsyncIterable<Uint8Array>;
  /** The Content-Length the server announced, if any. */
  length: number | undefined;
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
  private readonly transferIdleMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.username = options.username;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.transferIdleMs = options.transferIdleMs ?? 60_000;
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
      transferIdleMs: this.transferIdleMs,
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

  /**
   * Sends a message, with the ids of ready attachments when given (then `content` may be empty).
   * `clientMessageId` makes it idempotent, so it is retried on transient failures.
   */
  send(conversationId: string, content: string, clientMessageId: string, attachments: string[] = []): Promise<SendResponse> {
    return this.request('POST', '/v1/messages', {
      body: { conversation_id: conversationId, content, client_message_id: clientMessageId, ...(attachments.length > 0 ? { attachments } : {}) },
      idempotent: true,
    });
  }

  /** One stored message of one of my conversations, with its attachments. */
  message(messageId: string): Promise<Message> {
    return this.request('GET', `/v1/messages/${encodeURIComponent(messageId)}`, { idempotent: true });
  }

  /** Announces a file to upload into a conversation: the pending attachment and its `upload_url`. */
  createAttachment(file: NewAttachment): Promise<Attachment> {
    return this.request('POST', '/v1/attachments', { body: file });
  }

  /**
   * PUTs the bytes of a pending attachment to its `upload_url` (a path of this API), streamed with
   * its Content-Length. Retried like an idempotent request (a cut upload leaves nothing and may be
   * sent again), each attempt with a fresh stream. Answers the attachment, ready.
   */
  uploadContent(uploadUrl: string, upload: UploadBody, signal?: AbortSignal): Promise<Attachment> {
    return this.request('PUT', uploadUrl, { upload, idempotent: true, ...(signal ? { signal } : {}) });
  }

  /** A signed link to download an attachment (members only, once it is ready). */
  attachmentLink(attachmentId: string): Promise<AttachmentLink> {
    return this.request('GET', `/v1/attachments/${encodeURIComponent(attachmentId)}/link`, { idempotent: true });
  }

  /**
   * Opens a download link and answers its bytes as they arrive. The link is the right to them, so no
   * bearer token goes with it. A link that is not absolute is taken relative to this API.
   */
  async download(url: string, signal?: AbortSignal): Promise<DownloadStream> {
    const idle = idleSignal(this.transferIdleMs, signal);
    let response: Response;
    try {
      response = await this.fetchImpl(new URL(url, `${this.baseUrl}/`), { signal: idle.signal });
    } catch (err) {
      idle.done();
      throw this.networkError(err, signal);
    }
    if (!response.ok || !response.body) {
      idle.done();
      throw httpError(response, await response.text().catch(() => ''), false, this.username);
    }
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const body = response.body as unknown as AsyncIterable<Uint8Array>;
    const network = (err: unknown) => this.networkError(err, signal);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body) {
          idle.touch();
          yield chunk;
        }
      } catch (err) {
        throw network(err);
      } finally {
        idle.done();
      }
    }
    return { body: chunks(), length: Number.isSafeInteger(length) ? length : undefined };
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
        if (attempt > 1) options.upload?.onRestart?.();
        return await this.once<T>(method, path, options);
      } catch (err) {
        const wait = attempt < attempts && !options.signal?.aborted ? retryDelayMs(err, attempt) : undefined;
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
    const upload = options.upload;
    if (upload) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(upload.size);
    }
    // An upload may take long: what bounds it is a pause in its bytes, not its whole time.
    const idle = upload ? idleSignal(this.transferIdleMs, options.signal) : undefined;
    let response: Response;
    let text: string;
    try {
      response =
        upload && idle
          ? await sendStream(method, `${this.baseUrl}${path}`, headers, countedBody(upload, idle.touch), idle.signal)
          : await this.fetchImpl(`${this.baseUrl}${path}`, {
              method,
              headers,
              body: options.body === undefined ? undefined : JSON.stringify(options.body),
              signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs),
            });
      text = await response.text().catch(() => '');
    } catch (err) {
      throw this.networkError(err, options.signal);
    } finally {
      idle?.done();
    }
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

  private networkError(err: unknown, cancel?: AbortSignal): CliError {
    const inner = (err as { cause?: unknown }).cause;
    if (isCliError(err)) return err;
    if (isCliError(inner)) return inner;
    if (cancel?.aborted) return new CliError('cancelled', 'cancelled', { cause: err });
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

/**
 * An AbortSignal that fires when `touch()` has not been called for `ms` (a stalled transfer), or
 * when `outer` fires. `done()` stops its timer.
 */
function idleSignal(ms: number, outer?: AbortSignal): { signal: AbortSignal; touch(): void; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CliError('timeout', `the transfer stalled: nothing moved for ${Math.round(ms / 1000)}s`)), ms);
  return {
    signal: outer ? AbortSignal.any([outer, controller.signal]) : controller.signal,
    touch: () => void timer.refresh(),
    done: () => clearTimeout(timer),
  };
}

/**
 * Sends `body` as a request's body with node:http(s), a chunk at a time, and answers the response
 * (read whole: an answer to an upload is small). Not fetch: fetch keeps a copy of a streamed
 * request body until the request ends, so a 2 GiB upload would take 2 GiB of memory. An answer
 * that comes before the whole body was read (413) wins over the broken pipe.
 */
async function sendStream(method: string, url: string, headers: Record<string, string>, body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Response> {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers, signal });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  // Settles with the body's failure, if any; the server may answer before it has read everything (413).
  const sent = pipeline(Readable.from(body), request).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  let response: IncomingMessage;
  try {
    response = await answered;
  } catch (err) {
    // The body's own failure (file_changed) says more than the request's.
    const failure = await sent;
    throw isCliError(failure) ? failure : err;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) answerHeaders.append(name, v);
  }
  const status = response.statusCode ?? 502;
  return new Response([204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: answerHeaders });
}

/**
 * The bytes of an upload as they are sent: counted, so that a file that grew or shrank since
 * it was measured fails with `file_changed` instead of sending something else.
 */
async function* countedBody(upload: UploadBody, touch: () => void): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of upload.open()) {
    sent += chunk.length;
    if (sent > upload.size) throw fileChanged();
    touch();
    upload.onBytes?.(chunk.length);
    yield chunk;
  }
  if (sent !== upload.size) throw fileChanged();
}

const fileChanged = () => new CliError('file_changed', 'the file changed while it was being sent: send it again');

/** How long to wait before retrying after `err`, or undefined when it is not worth retrying. */
export function retryDelayMs(err: unknown, attempt: number): number | undefined {
  const e = err as { code?: string; httpStatus?: number; retryAfterSeconds?: number };
  const transient = e.code === 'connection_lost' || e.httpStatus === 503 || e.httpStatus === 429 || e.httpStatus === 502 || e.httpStatus === 504;
  if (!transient) return undefined;
  if (e.retryAfterSeconds !== undefined) return e.retryAfterSeconds <= 5 ? e.retryAfterSeconds * 1000 : undefined;
  return 250 * 2 ** (attempt - 1);
}
