import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { addMember, createConversation, getConversation, listConversations, removeMember, type CreateConversationInput } from '../logic/conversations.js';
import { addMemberSchema, createConversationSchema, getConversationSchema, listConversationsSchema, removeMemberSchema } from '../schemas.js';
import { callerOf } from './authenticate.js';

type IdParams = { Params: { id: string } };

/** The conversation routes. Registered under the /v1 prefix. */
export function conversationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CreateConversationInput }>('/conversations', { schema: createConversationSchema }, async (request, reply) => {
    const { conversation, created } = await createConversation(ctx, callerOf(request), request.body);
    return reply.code(created ? 201 : 200).send(conversation);
  });

  app.get<{ Querystring: { limit: number } }>('/conversations', { schema: listConversationsSchema }, async (request) => {
    return { conversations: await listConversations(ctx, callerOf(request).user_id, request.query.limit) };
  });

  app.get<IdParams>('/conversations/:id', { schema: getConversationSchema }, async (request) => {
    return getConversation(ctx, callerOf(request).user_id, request.params.id);
  });

  app.post<IdParams & { Body: { user: string } }>('/conversations/:id/members', { schema: addMemberSchema }, async (request) => {
    return addMember(ctx, callerOf(request).user_id, request.params.id, request.body.user);
  });

  app.delete<{ Params: { id: string; user_id: string } }>('/conversations/:id/members/:user_id', { schema: removeMemberSchema }, async (request) => {
    return removeMember(ctx, callerOf(request).user_id, request.params.id, request.params.user_id);
  });
}
