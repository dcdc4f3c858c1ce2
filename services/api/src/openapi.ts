/**
 * Assembles the OpenAPI 3.1 document from the routes as registered, with the very schemas Fastify
 * validates and serializes with (src/schemas.ts): the document cannot drift from the code.
 * docs/openapi.json is written from it (scripts/write-openapi.ts) and a test keeps it current.
 */
import { namedSchemas, type RouteSchema } from './schemas.js';

/** A route as Fastify's onRoute hook reports it. */
export interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema | undefined;
}

type JsonObject = Record<string, unknown>;

const TAGS = [
  { name: 'auth', description: 'Registration and access tokens.' },
  { name: 'users', description: 'Users.' },
  { name: 'conversations', description: 'Direct conversations and groups, their members and admins.' },
  { name: 'messages', description: 'Sending messages, history, read receipts.' },
  { name: 'attachments', description: 'Files sent with messages: upload, download links.' },
  { name: 'operations', description: 'Health, readiness, metrics, this document.' },
];

const DESCRIPTION = [
  'The HTTP API of Chat4All. JSON with snake_case fields; times are ISO-8601 UTC strings.',
  'Every error answers `{"error": {"code", "message", "details"?}}`; `code` is stable.',
  'Request objects are closed: unknown fields are rejected with 400 `validation_failed`.',
  'Routes under /v1 need `Authorization: Bearer <token>` from POST /auth/token, but for the download links of attachments.',
].join('\n\n');

function parameters(part: unknown, where: 'path' | 'query'): JsonObject[] {
  if (typeof part !== 'object' || part === null) return [];
  const { properties = {}, required = [] } = part as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(properties).map(([name, prop]) => {
    const { description, ...schema } = prop;
    return { name, in: where, required: where === 'path' || required.includes(name), ...(description === undefined ? {} : { description }), schema };
  });
}

/**
 * `node` with every named wire object in it replaced by a $ref to its component. Objects are
 * recognized by identity of their `properties` (responses spread them to add a description).
 */
function withRefs(node: unknown, root?: object): unknown {
  if (Array.isArray(node)) return node.map((n) => withRefs(n));
  if (typeof node !== 'object' || node === null) return node;
  const props = (node as { properties?: unknown }).properties;
  if (props !== undefined && props !== (root as { properties?: unknown } | undefined)?.properties) {
    for (const [name, named] of Object.entries(namedSchemas)) if (named.properties === props) return { $ref: `#/components/schemas/${name}` };
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withRefs(v)]));
}

function responses(s: RouteSchema): JsonObject {
  const out: JsonObject = {};
  for (const [status, value] of Object.entries((s.response ?? {}) as Record<string, JsonObject>)) {
    const { description, ...schema } = value;
    out[status] = { description, content: { 'application/json': { schema: withRefs(schema) } } };
  }
  return { ...out, ...s.docResponses };
}

function operation(s: RouteSchema): JsonObject {
  const params = [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')];
  return {
    operationId: s.operationId,
    summary: s.summary,
    ...(s.description === undefined ? {} : { description: s.description }),
    tags: s.tags,
    ...(s.security === undefined ? {} : { security: s.security }),
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(s.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } }),
    ...(s.docBody === undefined ? {} : { requestBody: s.docBody }),
    responses: responses(s),
  };
}

/** The document for `routes` (HEAD routes, which Fastify adds for every GET, are left out). */
export function buildOpenApiDocument(routes: CollectedRoute[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const r of routes) {
    if (r.method === 'HEAD' || r.schema === undefined) continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r.schema);
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    openapi: '3.1.0',
    info: { title: 'Chat4All API', version: '1.0.0', description: DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: 'http://localhost:8080', description: 'The embedded default (make run)' }],
    tags: TAGS,
    paths: sorted,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(Object.entries(namedSchemas).map(([name, schema]) => [name, withRefs(schema, schema)])),
    },
  };
}
