import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { markRead, readHistory, sendMessage, type SendMessageInput } from '../logic/messages.js';
import { historySchema, readSchema, sendMessageSchema } from '../schemas.js';
import { callerOf } from './authenticate.js';
import type { ApiMetrics } from './metrics.js';

/** Sending, reading history, marking read. Registered under the /v1 prefix. */
export function messageRoutes(app: FastifyInstance, ctx: ApiContext, metrics: ApiMetrics): void {
  app.post<{ Body: SendMessageInput }>('/messages', { schema: sendMessageSchema }, async (request, reply) => {
    const { accepted, replayed } = await sendMessage(ctx, callerOf(request).user_id, request.body);
    if (!replayed) metrics.messagesAccepted.inc();
    return reply.code(202).send(accepted);
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; before?: string } }>(
    '/conversations/:id/messages',
    { schema: historySchema },
    async (request) => {
      const { limit, before } = request.query;
      return readHistory(ctx, callerOf(request).user_id, request.params.id, before === undefined ? { limit } : { limit, before });
    },
  );

  app.post<{ Params: { id: string } }>('/messages/:id/read', { schema: readSchema }, async (request) => {
    return markRead(ctx, callerOf(request).user_id, request.params.id);
  });
}
