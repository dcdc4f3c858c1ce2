import { randomUUID } from 'node:crypto';
import type { Authenticated } from '../commands/context.js';
import { resolveConversation } from '../directory.js';
import { CliError } from '../errors.js';
import { conversationLabel, excerpt, formatConversations, formatMessage, formatTime } from '../output.js';
import { checkContent, checkUsername } from '../validation.js';
import type { Conversation, Message } from '@chat4all/contract';
import type { MenuAction, MenuContext } from './menu-context.js';
import { CANCELLED } from './prompts.js';

/** How many conversations a picker lists; older ones are reached by typing a name or an id. */
export const PICKER_SIZE = 15;
/** Typing notices go out at most this often while a message is being written. */
const TYPING_EVERY_MS = 3_000;

/** 3 to 10: conversations, messages and groups. */
export const chatActions: MenuAction[] = [
  { key: '3', label: 'Create a conversation (direct)', run: createConversation },
  { key: '4', label: 'Send a message', run: sendMessage },
  { key: '5', label: 'List my conversations', run: listConversations },
  { key: '6', label: "Show a conversation's messages", run: showMessages },
  { key: '7', label: 'Mark messages as read', run: markRead },
  { key: '8', label: 'Create a group', run: createGroup },
  { key: '9', label: 'Add a member to a group', run: addMember },
  { key: '10', label: 'Remove a member from a group', run: removeMember },
];

async function createConversation(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const username = await menu.prompts.text('Username of the person to talk to:', {
    validate: (v) => checkUsername(v.replace(/^@/, '')) ?? (v.replace(/^@/, '') === auth.me.username ? 'that is you: pick someone else' : undefined),
  });
  const conversation = await auth.api.openDirect(username.replace(/^@/, ''));
  menu.output.line(menu.output.paint.paint('green', `conversation with ${conversationLabel(conversation, auth.me.user_id)} ready (${conversation.conversation_id}); choose 4 to send a message`));
}

async function sendMessage(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const conversation = await pickConversation(menu, auth, 'Send to which conversation?');
  const stopTyping = announceTyping(menu, conversation.conversation_id);
  let content: string;
  try {
    content = await menu.prompts.text(`Message to ${conversationLabel(conversation, auth.me.user_id)}:`, { validate: checkContent });
  } finally {
    stopTyping();
  }
  menu.feed()?.expectOwn(conversation.conversation_id, content);
  const accepted = await auth.api.send(conversation.conversation_id, content, randomUUID());
  menu.feed()?.rememberMessage(accepted.message_id, content);
  menu.output.line(`${menu.output.paint.paint('green', '✓ sent')} ${menu.output.paint.paint('dim', accepted.message_id)}`);
}

async function listConversations(menu: MenuContext): Promise<void> {
  const { api, me } = await menu.session();
  for (const line of formatConversations(await api.conversations(), me.user_id, menu.output.paint, menu.ctx.advice)) menu.output.line(line);
}

async function showMessages(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const conversation = await pickConversation(menu, auth, 'Show which conversation?');
  const page = await auth.api.history(conversation.conversation_id, { limit: 20 });
  const p = menu.output.paint;
  menu.output.line(p.paint('bold', `${conversationLabel(conversation, auth.me.user_id)} — the last ${page.messages.length} messages`));
  if (page.messages.length === 0) menu.output.line(p.paint('dim', 'no messages yet'));
  const names = memberNames(conversation);
  for (const m of page.messages) menu.output.line(formatMessage(m, names.get(m.sender_id) ?? m.sender_id, m.sender_id === auth.me.user_id, conversation.type === 'direct', p));
  if (page.next_before) menu.output.line(p.paint('dim', `older messages, in a shell: chat4all history ${conversation.conversation_id} --before ${page.next_before}`));
}

async function markRead(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const conversation = await pickConversation(menu, auth, 'Mark messages read in which conversation?');
  const page = await auth.api.history(conversation.conversation_id, { limit: 50 });
  const fromOthers = page.messages.filter((m) => m.sender_id !== auth.me.user_id);
  const candidates = (conversation.type === 'direct' ? fromOthers.filter((m) => m.status !== 'READ') : fromOthers).slice(-PICKER_SIZE);
  if (candidates.length === 0) {
    menu.output.line('nothing to mark: no unread messages from others there');
    return;
  }
  const names = memberNames(conversation);
  const items = [
    { key: '1', label: `All ${candidates.length} shown here` },
    ...candidates.map((m, i) => ({ key: String(i + 2), label: `[${formatTime(m.created_at)}] ${names.get(m.sender_id) ?? m.sender_id}: ${excerpt(m.content, 50)}` })),
    { key: '0', label: 'Back' },
  ];
  const choice = await menu.prompts.menu({ view: () => ({ message: 'Which message?', items }) });
  if (choice === '0') throw new CliError(CANCELLED, 'cancelled');
  const chosen: Message[] = choice === '1' ? candidates : [candidates[Number(choice) - 2]].filter((m): m is Message => m !== undefined);
  for (const m of chosen) {
    menu.feed()?.expectOwnRead(m.message_id);
    await auth.api.markRead(m.message_id);
  }
  menu.output.line(menu.output.paint.paint('green', `marked ${chosen.length} message${chosen.length === 1 ? '' : 's'} as read`));
}

async function createGroup(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const name = await menu.prompts.text('Group name:');
  const members = await menu.prompts.text('Members (usernames, separated by spaces or commas):', {
    validate: (v) => splitNames(v).map(checkUsername).find(Boolean),
  });
  const conversation = await auth.api.createGroup(name, splitNames(members).filter((u) => u !== auth.me.username));
  menu.output.line(menu.output.paint.paint('green', `created group ${conversation.name ?? name} with ${conversation.members.map((m) => m.username).join(', ')} (${conversation.conversation_id})`));
}

async function addMember(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const group = await pickConversation(menu, auth, 'Add to which group?', true);
  const username = await menu.prompts.text('Username to add:', { validate: (v) => checkUsername(v.replace(/^@/, '')) });
  const updated = await auth.api.addMember(group.conversation_id, username.replace(/^@/, ''));
  menu.output.line(menu.output.paint.paint('green', `added ${username} to ${conversationLabel(updated, auth.me.user_id)}; members: ${updated.members.map((m) => m.username).join(', ')}`));
}

async function removeMember(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const group = await pickConversation(menu, auth, 'Remove from which group?', true);
  const items = group.members.map((m, i) => ({ key: String(i + 1), label: m.user_id === auth.me.user_id ? `${m.username} (you: leave the group)` : m.username }));
  const choice = await menu.prompts.menu({ view: () => ({ message: 'Remove whom?', items: [...items, { key: '0', label: 'Back' }] }) });
  const member = group.members[Number(choice) - 1];
  if (choice === '0' || !member) throw new CliError(CANCELLED, 'cancelled');
  const updated = await auth.api.removeMember(group.conversation_id, member.user_id);
  menu.output.line(menu.output.paint.paint('green', `removed ${member.username}; members now: ${updated.members.map((m) => m.username).join(', ')}`));
}

/** A numbered list of my conversations (or groups), newest first; the last entries let me type one, or go back. */
export async function pickConversation(menu: MenuContext, auth: Authenticated, message: string, groupsOnly = false): Promise<Conversation> {
  const list = (await auth.api.conversations()).filter((c) => !groupsOnly || c.type === 'group');
  if (list.length === 0) throw new CliError('no_conversations', groupsOnly ? 'you are in no group yet: choose 8 to create one' : 'no conversations yet: choose 3 to start one');
  const shown = list.slice(0, PICKER_SIZE);
  const other = String(shown.length + 1);
  const items = [
    ...shown.map((c, i) => ({ key: String(i + 1), label: `${conversationLabel(c, auth.me.user_id)}${c.type === 'group' ? ` (group of ${c.members.length})` : ''}` })),
    { key: other, label: 'Another: type a username, group name or id' },
    { key: '0', label: 'Back' },
  ];
  const choice = await menu.prompts.menu({ view: () => ({ message, items }) });
  if (choice === '0') throw new CliError(CANCELLED, 'cancelled');
  if (choice !== other) {
    const picked = shown[Number(choice) - 1];
    if (picked) return picked;
  }
  const ref = await menu.prompts.text('Username, group name or conversation id:');
  const conversation = await resolveConversation(auth.api, auth.me, ref, { openDirect: !groupsOnly });
  if (groupsOnly && conversation.type !== 'group') throw new CliError('not_a_group', `${conversationLabel(conversation, auth.me.user_id)} is not a group`);
  return conversation;
}

/** While the user writes a message: tell the others, at most every few seconds. Returns the stop function. */
function announceTyping(menu: MenuContext, conversationId: string): () => void {
  const stdin = menu.ctx.io.stdin;
  let last = 0;
  const onKey = () => {
    const now = Date.now();
    if (now - last < TYPING_EVERY_MS) return;
    last = now;
    menu.feed()?.typing(conversationId);
  };
  stdin.on('keypress', onKey);
  return () => stdin.off('keypress', onKey);
}

export function memberNames(conversation: Conversation): Map<string, string> {
  return new Map(conversation.members.map((m) => [m.user_id, m.username]));
}

function splitNames(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((u) => u.replace(/^@/, '')).filter(Boolean))];
}
