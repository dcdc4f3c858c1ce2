/**
 * The OpenAPI 3.1 document of the HTTP api, built from the route table (routes.ts) with the very
 * schemas the api validates and serializes with: the document cannot drift from the code.
 */
import { namedSchemas } from './http.js';
import { ROUTES, type Route, type RouteSchema } from './routes.js';

type JsonObject = Record<string, unknown>;

const TAGS = [
  { name: 'auth', description: 'Registration and access tokens.' },
  { name: 'users', description: 'Users.' },
  { name: 'conversations', description: 'Direct conversations and groups, their members and admins.' },
  { name: 'messages', description: 'Sending messages, history, read receipts.' },
  { name: 'attachments', description: 'Files sent with messages: upload, download links.' },
  // No metrics: they are served on the metrics port, never to the api's clients.
  { name: 'operations', description: 'Health, readiness, this document.' },
];

const DESCRIPTION = [
  'The HTTP API of Chat4All. JSON with snake_case fields; times are ISO-8601 UTC strings.',
  'Every error answers `{"error": {"code", "message", "details"?}}`; `code` is stable.',
  'Request objects are closed: unknown fields are rejected with 400 `validation_failed`.',
  'Routes under /v1 need `Authorization: Bearer <token>` from POST /auth/token, but for the download links of attachments.',
].join('\n\n');

/** A schema as JSON (typebox's markers are not enumerable, so they stay out). */
const plain = (schema: unknown): JsonObject => JSON.parse(JSON.stringify(schema)) as JsonObject;

function parameters(part: unknown, where: 'path' | 'query'): JsonObject[] {
  if (typeof part !== 'object' || part === null) return [];
  const properties = 'properties' in part && typeof part.properties === 'object' && part.properties !== null ? part.properties : {};
  const required = 'required' in part && Array.isArray(part.required) ? part.required : [];
  return Object.entries(properties).map(([name, prop]: [string, unknown]) => {
    const { description, ...schema } = plain(prop);
    return { name, in: where, required: where === 'path' || required.includes(name), ...(description === undefined ? {} : { description }), schema };
  });
}

/**
 * `node` as JSON with every named wire object in it replaced by a $ref to its component. Objects
 * are recognized by identity of their `properties` (answers spread them to add a description).
 */
function withRefs(node: unknown, root?: object): unknown {
  if (Array.isArray(node)) return node.map((n) => withRefs(n));
  if (typeof node !== 'object' || node === null) return node;
  const props = 'properties' in node ? node.properties : undefined;
  if (props !== undefined && !(root && 'properties' in root && root.properties === props)) {
    for (const [name, named] of Object.entries(namedSchemas)) if (named.properties === props) return { $ref: `#/components/schemas/${name}` };
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withRefs(v)]));
}

function responses(s: RouteSchema): JsonObject {
  const out: JsonObject = {};
  for (const [status, answer] of Object.entries(s.response ?? {})) {
    const { description, ...schema }: { description?: unknown } = answer;
    out[status] = { description, content: { 'application/json': { schema: plain(withRefs(schema)) } } };
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
    ...(s.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: plain(s.body) } } } }),
    ...(s.docBody === undefined ? {} : { requestBody: s.docBody }),
    responses: responses(s),
  };
}

/** The document of `routes` (by default every route of the contract), paths sorted. */
export function buildOpenApiDocument(routes: readonly Route[] = Object.values(ROUTES)): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r.schema);
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    openapi: '3.1.0',
    info: { title: 'Chat4All API', version: '1.0.0', description: DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: 'http://localhost:8080', description: 'The embedded default (make run)' }],
    tags: TAGS,
    paths: sorted,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(Object.entries(namedSchemas).map(([name, schema]) => [name, plain(withRefs(schema, schema))])),
    },
  };
}
