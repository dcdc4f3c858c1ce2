import { ROUTES, type RegisterBody, type TokenBody } from '@chat4all/contract';
import { Chat4AllError, isChat4AllError } from '@chat4all/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { login, register } from '../logic/registration.js';
import type { ApiMetrics } from './metrics.js';

/** POST /auth/register and POST /auth/token: the routes without an access token. */
export function authRoutes(app: FastifyInstance, ctx: ApiContext, metrics: ApiMetrics): void {
  app.post<{ Body: RegisterBody }>('/auth/register', { schema: ROUTES.register.schema }, async (request, reply) => {
    const user = await register(ctx, request.body);
    request.log.info({ user_id: user.user_id }, 'user registered');
    return reply.code(201).send(user);
  });

  /**
   * Failed logins are throttled per username and client address (LoginThrottle): a throttled
   * login is refused with 429 and Retry-After before its password is checked. Token answers, and
   * their errors, are never to be cached.
   */
  app.post<{ Body: TokenBody }>('/auth/token', { schema: ROUTES.createToken.schema }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const { username, password } = request.body;
    const address = request.ip;
    const throttled = ctx.loginThrottle.check(username, address);
    if (throttled) {
      metrics.logins.inc({ result: 'throttled' });
      metrics.loginsThrottled.inc({ scope: throttled.scope });
      request.log.warn({ scope: throttled.scope }, 'login throttled');
      const retryAfterSeconds = Math.ceil(throttled.retryAfterMs / 1000);
      throw new Chat4AllError('rate_limited', 'too_many_attempts', `too many failed logins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    try {
      const token = await login(ctx, username, password);
      ctx.loginThrottle.succeeded(username, address);
      metrics.logins.inc({ result: 'success' });
      return token;
    } catch (err) {
      if (isChat4AllError(err, 'unauthenticated')) {
        ctx.loginThrottle.failed(username, address);
        metrics.logins.inc({ result: 'failure' });
      }
      throw err;
    }
  });
}
