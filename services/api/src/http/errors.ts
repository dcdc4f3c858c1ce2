import type { ErrorBody } from '@chat4all/contract';
import { isChat4AllError, type ErrorDetail, type ErrorKind } from '@chat4all/core';
import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';

interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

/** Fastify's own request errors, by their `code`. */
const FASTIFY_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json', 'the body is empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'the body does not match Content-Length'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'the body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'the body must be application/json'],
};

const answer = (status: number, code: string, message: string, details?: ErrorDetail[], headers: Record<string, string> = {}): ErrorAnswer => ({
  status,
  body: { error: details === undefined ? { code, message } : { code, message, details } },
  headers,
});

/** `body.members.3` from part `body` and JSON pointer `/members/3`. */
function fieldOf(part: string, e: FastifySchemaValidationError): string {
  const path = e.instancePath.split('/').filter((s) => s.length > 0);
  const extra = e.params.missingProperty ?? e.params.additionalProperty;
  if (typeof extra === 'string') path.push(extra);
  return [part, ...path].join('.');
}

function validationDetails(part: string, errors: FastifySchemaValidationError[]): ErrorDetail[] {
  return errors.map((e) => ({
    field: fieldOf(part, e),
    message: e.keyword === 'additionalProperties' ? 'is not a known field' : e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid'),
  }));
}

/** RFC 6750: the `invalid_token` error attribute only when a token was presented and refused. */
function wwwAuthenticate(code: string): string {
  return code === 'invalid_token' || code === 'token_expired' ? 'Bearer realm="chat4all", error="invalid_token"' : 'Bearer realm="chat4all"';
}

/** The answer for a known error, or undefined for an unexpected one (a bug or an unknown failure). */
export function errorAnswer(err: unknown): ErrorAnswer | undefined {
  if (isChat4AllError(err)) {
    const headers: Record<string, string> = {};
    if (err.kind === 'unauthenticated') headers['www-authenticate'] = wwwAuthenticate(err.code);
    if (err.kind === 'rate_limited' || err.kind === 'unavailable') headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1)));
    return answer(STATUS_OF_KIND[err.kind], err.code, err.message, err.details, headers);
  }
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; validation?: FastifySchemaValidationError[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const details = validationDetails(e.validationContext ?? 'request', e.validation);
    if (e.validation[0]?.keyword === 'minLength' && details[0]?.field === 'body.content') return answer(400, 'content_empty', 'the content is empty', [{ field: 'body.content', message: 'must not be empty' }]);
    return answer(400, 'validation_failed', 'the request is invalid', details);
  }
  const known = typeof e.code === 'string' ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return answer(...known);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return answer(e.statusCode, 'bad_request', 'the request is malformed');
  return undefined;
}

/** Turns every error into `{"error": {...}}`. Unexpected errors are logged and answered 500 without internals. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = errorAnswer(err);
  if (!known) {
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'internal', message: `internal error (request ${request.id})` } } satisfies ErrorBody);
  }
  if (known.status >= 500) request.log.warn({ err }, 'backend unavailable');
  else if (known.status === 401) request.log.info({ code: known.body.error.code }, 'unauthenticated');
  return reply.code(known.status).headers(known.headers).send(known.body);
}

/**
 * Errors the HTTP framework raises before any route runs (Fastify's `frameworkErrors`): a path
 * parameter that is not valid percent-encoding, or one over the router's length bound. Answered
 * in the contract's shape, 400 `malformed_url`.
 */
export function handleFrameworkError(err: { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ code: err.code }, 'malformed url');
  void reply.code(400).send({ error: { code: 'malformed_url', message: 'the URL is malformed' } } satisfies ErrorBody);
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } } satisfies ErrorBody);
}
