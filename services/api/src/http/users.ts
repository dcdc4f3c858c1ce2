import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { getPublicUser } from '../logic/users.js';
import { meSchema, userSchema } from '../schemas.js';
import { callerOf } from './authenticate.js';

/** GET /v1/me and GET /v1/users/{username}. Registered under the /v1 prefix. */
export function userRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/me', { schema: meSchema }, async (request) => callerOf(request));

  app.get<{ Params: { username: string } }>('/users/:username', { schema: userSchema }, async (request) => {
    return getPublicUser(ctx.users, request.params.username);
  });
}
