/** Builds an api over fresh in-memory adapters for one test, with helpers to drive it. */
import { randomBytes } from 'node:crypto';
import { UuidV7Generator, type LogRecord, type Message, type User } from '@chat4all/core';
import { TokenService } from '@chat4all/core/auth';
import { MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore } from '@chat4all/core/memory';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApiApp, type ApiOptions } from '../src/index.js';

export const SECRET = 'a-test-secret-that-is-at-least-32-bytes';
/** Cheap scrypt for tests (the default costs 32 MiB and tens of milliseconds per hash). */
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface Harness {
  app: FastifyInstance;
  users: MemoryUserStore;
  conversations: MemoryConversationStore;
  messages: MemoryMessageStore;
  eventLog: MemoryEventLog;
  presence: MemoryPresence;
  tokens: TokenService;
  registry: Registry;
  /** Every log line the api wrote, as JSON text. */
  logs: string[];
  ids: UuidV7Generator;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function harness(overrides: Partial<ApiOptions> = {}): Promise<Harness> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const parts = {
    users: new MemoryUserStore(),
    conversations: new MemoryConversationStore(),
    messages: new MemoryMessageStore(),
    eventLog: new MemoryEventLog(),
    presence: new MemoryPresence(),
    tokens: new TokenService({ secret: SECRET }),
    registry: new Registry(),
  };
  const app = await createApiApp({ ...parts, logger, passwords: CHEAP_SCRYPT, ...overrides });
  return {
    ...parts,
    app,
    logs,
    ids: new UuidV7Generator(),
    inject: (options) => app.inject(options),
    close: () => app.close(),
  };
}

/** A username no other test uses. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export interface SignedUp {
  user: User;
  token: string;
  password: string;
  headers: { authorization: string };
}

export async function signUp(h: Harness, username = uniqueName(), displayName?: string): Promise<SignedUp> {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const reg = await h.inject({ method: 'POST', url: '/auth/register', payload: { username, password, ...(displayName ? { display_name: displayName } : {}) } });
  if (reg.statusCode !== 201) throw new Error(`register ${username}: ${reg.statusCode} ${reg.body}`);
  const tok = await h.inject({ method: 'POST', url: '/auth/token', payload: { username, password } });
  if (tok.statusCode !== 200) throw new Error(`token ${username}: ${tok.statusCode} ${tok.body}`);
  const token = tok.json<{ access_token: string }>().access_token;
  return { user: reg.json<User>(), token, password, headers: { authorization: `Bearer ${token}` } };
}

export interface ConversationBody {
  conversation_id: string;
  type: string;
  name: string | null;
  members: { user_id: string; username: string; display_name: string; online: boolean }[];
  admins: string[];
  created_at: string;
  last_activity_at: string;
}

export async function createGroup(h: Harness, admin: SignedUp, members: SignedUp[], name = 'a group'): Promise<ConversationBody> {
  const res = await h.inject({ method: 'POST', url: '/v1/conversations', headers: admin.headers, payload: { type: 'group', name, members: members.map((m) => m.user.username) } });
  if (res.statusCode !== 201) throw new Error(`create group: ${res.statusCode} ${res.body}`);
  return res.json<ConversationBody>();
}

/** Records appended to `topic` so far, in every partition. */
export function appended(log: MemoryEventLog, topic: string): LogRecord[] {
  return log.topic(topic).flat();
}

/** Stores a message directly, as the router worker would after consuming it. */
export async function storeMessage(h: Harness, conversationId: string, senderId: string, content: string): Promise<Message> {
  const message_id = h.ids.next();
  const now = new Date().toISOString();
  const m: Message = { message_id, conversation_id: conversationId, sender_id: senderId, content, created_at: now, status: 'SENT', sent_at: now };
  await h.messages.insert(m);
  return m;
}

/** The error body of a response, checked to have the wire shape. */
export function errorOf(res: LightMyRequestResponse): { code: string; message: string; details?: { field?: string; message: string }[] } {
  const body = res.json<{ error: { code: string; message: string; details?: { field?: string; message: string }[] } }>();
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') throw new Error(`not an error body: ${res.body}`);
  return body.error;
}
