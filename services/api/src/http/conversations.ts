import { ROUTES, type AddMemberBody, type CreateConversationBody, type IdParams, type ListConversationsQuery, type MemberParams } from '@chat4all/contract';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { addMember, createConversation, getConversation, listConversations, removeMember } from '../logic/conversations.js';
import { callerOf } from './authenticate.js';

/** The conversation routes. Registered under the /v1 prefix. */
export function conversationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CreateConversationBody }>('/conversations', { schema: ROUTES.createConversation.schema }, async (request, reply) => {
    const { conversation, created } = await createConversation(ctx, callerOf(request), request.body);
    return reply.code(created ? 201 : 200).send(conversation);
  });

  app.get<{ Querystring: ListConversationsQuery }>('/conversations', { schema: ROUTES.listConversations.schema }, async (request) => {
    return { conversations: await listConversations(ctx, callerOf(request).user_id, request.query.limit) };
  });

  app.get<{ Params: IdParams }>('/conversations/:id', { schema: ROUTES.getConversation.schema }, async (request) => {
    return getConversation(ctx, callerOf(request).user_id, request.params.id);
  });

  app.post<{ Params: IdParams; Body: AddMemberBody }>('/conversations/:id/members', { schema: ROUTES.addMember.schema }, async (request) => {
    return addMember(ctx, callerOf(request).user_id, request.params.id, request.body.user);
  });

  app.delete<{ Params: MemberParams }>('/conversations/:id/members/:user_id', { schema: ROUTES.removeMember.schema }, async (request) => {
    return removeMember(ctx, callerOf(request).user_id, request.params.id, request.params.user_id);
  });
}
