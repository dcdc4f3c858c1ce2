import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { login, register, type RegisterInput } from '../logic/registration.js';
import { registerSchema, tokenSchema } from '../schemas.js';

/** POST /auth/register and POST /auth/token: the routes without an access token. */
export function authRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: RegisterInput }>('/auth/register', { schema: registerSchema }, async (request, reply) => {
    const user = await register(ctx, request.body);
    request.log.info({ user_id: user.user_id }, 'user registered');
    return reply.code(201).send(user);
  });

  app.post<{ Body: { username: string; password: string } }>('/auth/token', { schema: tokenSchema }, async (request) => {
    return login(ctx, request.body.username, request.body.password);
  });
}
