import { TokenService } from '@chat4all/core/auth';
import { MemoryConversationStore, MemoryEventLog, MemoryMessageStore, MemoryPresence, MemoryUserStore } from '@chat4all/core/memory';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApiApp } from './app.js';

/** Where the generated document is kept, relative to the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';

const GENERATED = 'Generated from the route table of @chat4all/contract (services/contract/src/routes.ts) by services/api/scripts/write-openapi.ts: do not edit.';

/**
 * The text of docs/openapi.json: the document /openapi.json serves, from an app built over
 * in-memory adapters (the routes and schemas do not depend on the backends).
 */
export async function renderOpenApiJson(): Promise<string> {
  const app = await createApiApp({
    users: new MemoryUserStore(),
    conversations: new MemoryConversationStore(),
    messages: new MemoryMessageStore(),
    eventLog: new MemoryEventLog(),
    presence: new MemoryPresence(),
    tokens: new TokenService({ secret: 'only-used-to-render-the-openapi-document' }),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    const document = { 'x-generated': GENERATED, ...res.json<object>() };
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    await app.close();
  }
}
