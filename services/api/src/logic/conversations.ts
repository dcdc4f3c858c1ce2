import { MAX_MEMBERS, type CreateConversationBody } from '@chat4all/contract';
import { isChat4AllError, conflict, directConversationId, forbidden, invalid, isUuid, notFound, type Conversation, type User } from '@chat4all/core';
import { isoNow, type ApiContext } from '../context.js';
import { renderConversation, renderConversations, type ConversationView } from './conversation-view.js';
import { resolveUsers } from './users.js';

/** Internal: the answer body plus whether it was created, which the route turns into 201 or 200. */
export interface CreateConversationResult {
  conversation: ConversationView;
  /** False when a direct conversation between the two users existed already. */
  created: boolean;
}

export const conversationNotFound = () => notFound('conversation_not_found', 'the conversation does not exist');
const directConversation = () => conflict('direct_conversation', 'a direct conversation always has its two members');
const render = (ctx: ApiContext, c: Conversation) => renderConversation(ctx.users, ctx.presence, c);

/**
 * The conversation `conversationId` if `caller` is a member of it. Anything else (not a UUID,
 * unknown, or not a member) is the same `conversation_not_found`: a non-member must not learn
 * that a conversation exists.
 */
export async function memberConversation(ctx: ApiContext, callerId: string, conversationId: string): Promise<Conversation> {
  if (!isUuid(conversationId)) throw conversationNotFound();
  const c = await ctx.conversations.get(conversationId);
  if (!c || !c.members.includes(callerId)) throw conversationNotFound();
  return c;
}

/**
 * The conversation of something the caller asked about (a message, an attachment), when the caller
 * is a member; otherwise `hidden()`: a non-member learns nothing, not even that the thing exists.
 */
export async function memberConversationOf(ctx: ApiContext, callerId: string, conversationId: string, hidden: () => Error): Promise<Conversation> {
  try {
    return await memberConversation(ctx, callerId, conversationId);
  } catch (err) {
    if (isChat4AllError(err, 'not_found')) throw hidden();
    throw err;
  }
}

export function createConversation(ctx: ApiContext, caller: User, input: CreateConversationBody): Promise<CreateConversationResult> {
  return input.type === 'direct' ? createDirect(ctx, caller, input) : createGroup(ctx, caller, input);
}

/** A direct conversation has a derived id, so creating it again, even concurrently, finds the first one. */
async function createDirect(ctx: ApiContext, caller: User, input: CreateConversationBody): Promise<CreateConversationResult> {
  if (input.name !== undefined) {
    throw invalid('validation_failed', 'the request is invalid', [{ field: 'body.name', message: 'must be absent for a direct conversation' }]);
  }
  const ref = input.members[0];
  if (input.members.length !== 1 || ref === undefined) {
    throw invalid('invalid_members', 'a direct conversation has exactly one other member', [{ field: 'body.members', message: 'must hold exactly one user' }]);
  }
  const [other] = await resolveUsers(ctx.users, [ref], 'body.members');
  if (other!.user_id === caller.user_id) throw invalid('invalid_members', 'a direct conversation is with another user');
  const now = isoNow(ctx);
  const pair = [caller.user_id, other!.user_id];
  const { conversation, created } = await ctx.conversations.create({
    conversation_id: directConversationId(caller.user_id, other!.user_id),
    type: 'direct',
    name: null,
    members: pair,
    admins: [...pair],
    created_by: caller.user_id,
    created_at: now,
    last_activity_at: now,
  });
  return { conversation: await render(ctx, conversation), created };
}

/** A group: the creator is its first member and admin; listed members are de-duplicated. */
async function createGroup(ctx: ApiContext, caller: User, input: CreateConversationBody): Promise<CreateConversationResult> {
  const name = input.name?.trim() ?? '';
  if (name.length === 0) {
    const message = input.name === undefined ? 'is required for a group' : 'must not be blank';
    throw invalid('validation_failed', 'the request is invalid', [{ field: 'body.name', message }]);
  }
  const others = [...new Set(input.members)].filter((r) => r !== caller.user_id && r !== caller.username);
  // Checked before any lookup; resolving can only merge references further.
  if (others.length + 1 > MAX_MEMBERS) {
    throw invalid('too_many_members', `a conversation holds at most ${MAX_MEMBERS} members, its creator included`);
  }
  const found = await resolveUsers(ctx.users, others, 'body.members');
  const members = [...new Set([caller.user_id, ...found.map((u) => u.user_id)])];
  const now = isoNow(ctx);
  const { conversation, created } = await ctx.conversations.create({
    conversation_id: ctx.ids.next(),
    type: 'group',
    name,
    members,
    admins: [caller.user_id],
    created_by: caller.user_id,
    created_at: now,
    last_activity_at: now,
  });
  return { conversation: await render(ctx, conversation), created };
}

/** The caller's conversations, newest activity first. */
export async function listConversations(ctx: ApiContext, callerId: string, limit: number): Promise<ConversationView[]> {
  const list = await ctx.conversations.listForUser(callerId, limit);
  return renderConversations(ctx.users, ctx.presence, list);
}

export async function getConversation(ctx: ApiContext, callerId: string, conversationId: string): Promise<ConversationView> {
  return render(ctx, await memberConversation(ctx, callerId, conversationId));
}

/** Adds a user to a group. Admins only; adding a member again changes nothing and answers the conversation. */
export async function addMember(ctx: ApiContext, callerId: string, conversationId: string, userRef: string): Promise<ConversationView> {
  const c = await memberConversation(ctx, callerId, conversationId);
  if (c.type === 'direct') throw directConversation();
  if (!c.admins.includes(callerId)) throw forbidden('not_admin', 'only admins may add members');
  const [user] = await resolveUsers(ctx.users, [userRef], 'body.user');
  if (c.members.includes(user!.user_id)) return render(ctx, c);
  if (c.members.length >= MAX_MEMBERS) throw conflict('conversation_full', `the conversation has ${MAX_MEMBERS} members already`);
  const updated = await ctx.conversations.addMember(conversationId, user!.user_id);
  if (!updated) throw conversationNotFound();
  return render(ctx, updated);
}

/**
 * Removes a member from a group: an admin may remove anyone, a member itself. Answers the
 * conversation as it now is, also when the caller has just left it.
 */
export async function removeMember(ctx: ApiContext, callerId: string, conversationId: string, userId: string): Promise<ConversationView> {
  const c = await memberConversation(ctx, callerId, conversationId);
  if (c.type === 'direct') throw directConversation();
  if (userId !== callerId && !c.admins.includes(callerId)) throw forbidden('not_admin', 'only admins may remove other members');
  if (!c.members.includes(userId)) throw notFound('member_not_found', 'the user is not a member of the conversation');
  const updated = await ctx.conversations.removeMember(conversationId, userId);
  if (!updated) throw conversationNotFound();
  return render(ctx, updated);
}
