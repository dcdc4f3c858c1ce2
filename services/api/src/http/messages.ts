import { ROUTES, type HistoryQuery, type IdParams, type MessageIdParams, type SendMessageBody } from '@chat4all/contract';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { markRead, readHistory, sendMessage } from '../logic/messages.js';
import { callerOf } from './authenticate.js';
import type { ApiMetrics } from './metrics.js';

/** Sending, reading history, marking read. Registered under the /v1 prefix. */
export function messageRoutes(app: FastifyInstance, ctx: ApiContext, metrics: ApiMetrics): void {
  app.post<{ Body: SendMessageBody }>('/messages', { schema: ROUTES.sendMessage.schema }, async (request, reply) => {
    const { accepted, replayed } = await sendMessage(ctx, callerOf(request).user_id, request.body);
    if (!replayed) metrics.messagesAccepted.inc();
    return reply.code(202).send(accepted);
  });

  app.get<{ Params: IdParams; Querystring: HistoryQuery }>(
    '/conversations/:id/messages',
    { schema: ROUTES.listMessages.schema },
    async (request) => {
      const { limit, before } = request.query;
      return readHistory(ctx, callerOf(request).user_id, request.params.id, before === undefined ? { limit } : { limit, before });
    },
  );

  app.post<{ Params: MessageIdParams }>('/messages/:id/read', { schema: ROUTES.markRead.schema }, async (request) => {
    return markRead(ctx, callerOf(request).user_id, request.params.id);
  });
}
