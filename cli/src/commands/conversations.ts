import type { Command } from 'commander';
import { resolveConversation } from '../directory.js';
import { CliError } from '../errors.js';
import { conversationLabel, formatConversations } from '../output.js';
import type { Conversation } from '@chat4all/contract';
import { authenticated, type CliContext } from './context.js';
import type { Run } from './run.js';

export function addConversationCommands(program: Command, run: Run): void {
  program
    .command('conversations')
    .alias('ls')
    .description('list your conversations, newest activity first')
    .action(() => run(listConversations));

  program
    .command('open')
    .description('open the direct conversation with a user (creating it if needed)')
    .argument('<username>')
    .action((username: string) => run((ctx) => openDirect(ctx, username)));

  const group = program.command('group').description('create groups and manage their members');
  group
    .command('create')
    .description('create a group with you and the given users in it')
    .argument('<name>')
    .argument('<username...>')
    .action((name: string, usernames: string[]) => run((ctx) => createGroup(ctx, name, usernames)));
  group
    .command('add')
    .description('add a user to a group (admins only)')
    .argument('<conversation>', 'a conversation id or a group name')
    .argument('<username>')
    .action((conversation: string, username: string) => run((ctx) => addMember(ctx, conversation, username)));
  group
    .command('remove')
    .description('remove a user from a group (admins, or yourself to leave)')
    .argument('<conversation>', 'a conversation id or a group name')
    .argument('<username>')
    .action((conversation: string, username: string) => run((ctx) => removeMember(ctx, conversation, username)));
}

async function listConversations(ctx: CliContext): Promise<void> {
  const { api, me } = await authenticated(ctx);
  const conversations = await api.conversations();
  ctx.output.result(() => formatConversations(conversations, me.user_id, ctx.output.paint, ctx.advice).join('\n'), { conversations });
}

async function openDirect(ctx: CliContext, username: string): Promise<void> {
  const { api, me } = await authenticated(ctx);
  if (username.replace(/^@/, '') === me.username) throw new CliError('invalid_member', 'a direct conversation needs another user');
  const conversation = await api.openDirect(username.replace(/^@/, ''));
  ctx.output.result(`direct conversation with ${conversationLabel(conversation, me.user_id)}: ${conversation.conversation_id}`, conversation);
}

async function createGroup(ctx: CliContext, name: string, usernames: string[]): Promise<void> {
  const { api, me } = await authenticated(ctx);
  const members = [...new Set(usernames.map((u) => u.replace(/^@/, '')).filter((u) => u !== me.username))];
  const conversation = await api.createGroup(name, members);
  ctx.output.result(() => `created group ${conversation.name ?? name} (${conversation.conversation_id}) with ${memberList(conversation)}`, conversation);
}

async function addMember(ctx: CliContext, ref: string, username: string): Promise<void> {
  const { api, me } = await authenticated(ctx);
  const target = await resolveGroup(ctx, ref);
  const conversation = await api.addMember(target.conversation_id, username.replace(/^@/, ''));
  ctx.output.result(() => `added ${username} to ${conversationLabel(conversation, me.user_id)}; members: ${memberList(conversation)}`, conversation);
}

async function removeMember(ctx: CliContext, ref: string, username: string): Promise<void> {
  const { api, me } = await authenticated(ctx);
  const target = await resolveGroup(ctx, ref);
  const name = username.replace(/^@/, '');
  const userId = target.members.find((m) => m.username === name)?.user_id;
  if (!userId) throw new CliError('not_a_member', `${name} is not a member of ${conversationLabel(target, me.user_id)}`);
  const conversation = await api.removeMember(target.conversation_id, userId);
  ctx.output.result(() => `removed ${name} from ${conversationLabel(conversation, me.user_id)}; members: ${memberList(conversation)}`, conversation);
}

async function resolveGroup(ctx: CliContext, ref: string): Promise<Conversation> {
  const { api, me } = await authenticated(ctx);
  const conversation = await resolveConversation(api, me, ref);
  if (conversation.type !== 'group') throw new CliError('not_a_group', `${conversationLabel(conversation, me.user_id)} is a direct conversation, not a group`);
  return conversation;
}

function memberList(conversation: Conversation): string {
  return conversation.members.map((m) => m.username).join(', ');
}
