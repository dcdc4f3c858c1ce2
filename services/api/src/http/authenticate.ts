import { unauthenticated, type User } from '@chat4all/core';
import { bearerToken } from '@chat4all/core/auth';
import type { FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { userView } from '../logic/users.js';

const callers = new WeakMap<FastifyRequest, User>();

/**
 * An onRequest hook for the routes under /v1: verifies `Authorization: Bearer <jwt>` (HS256 only)
 * and loads the caller. No header: `missing_token`; a header that is not a bearer token, or a
 * token that fails verification, or whose user no longer exists: `invalid_token`; an expired
 * token: `token_expired`. Runs before the body is read, so unauthenticated bodies are never parsed.
 */
export function authenticate(ctx: ApiContext): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) throw unauthenticated('missing_token', 'an access token is required (Authorization: Bearer <token>)');
    const token = bearerToken(header);
    if (token === undefined) throw unauthenticated('invalid_token', 'the Authorization header is not a bearer token');
    const claims = ctx.tokens.verify(token);
    const user = await ctx.users.getById(claims.userId);
    if (!user) throw unauthenticated('invalid_token', 'the access token names no user');
    callers.set(request, userView(user));
  };
}

/** The authenticated caller of a request that went through `authenticate`. */
export function callerOf(request: FastifyRequest): User {
  const user = callers.get(request);
  if (!user) throw new Error('callerOf: the request was not authenticated (route outside /v1?)');
  return user;
}
