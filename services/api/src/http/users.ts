import { ROUTES, type UsernameParams } from '@chat4all/contract';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { getPublicUser } from '../logic/users.js';
import { callerOf } from './authenticate.js';

/** GET /v1/me and GET /v1/users/{username}. Registered under the /v1 prefix. */
export function userRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/me', { schema: ROUTES.getMe.schema }, async (request) => callerOf(request));

  app.get<{ Params: UsernameParams }>('/users/:username', { schema: ROUTES.getUser.schema }, async (request) => {
    return getPublicUser(ctx.users, request.params.username);
  });
}
