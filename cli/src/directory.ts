import { LRUCache } from 'lru-cache';
import type { ApiClient } from './api-client.js';
import { CliError } from './errors.js';
import { conversationLabel, excerpt, type FrameNames } from './output.js';
import type { Conversation } from '@chat4all/contract';
import type { NotificationFrame } from './frames.js';

export interface Me {
  user_id: string;
  username: string;
}

/**
 * What the CLI knows of the user's conversations, to turn ids into names. Refreshed from
 * GET /v1/conversations on the first miss of an id, then at most once every `refreshEveryMs`.
 */
export class Directory {
  private readonly conversations = new Map<string, Conversation>();
  private readonly usernames = new Map<string, string>();
  /** Starts of recent messages, by message id (the least recently used forgotten first). */
  private readonly excerpts = new LRUCache<string, { excerpt: string; senderId: string | undefined }>({ max: 1_000 });
  /** Ids that were missed once: a repeated miss refreshes at most every `refreshEveryMs`. */
  private readonly missed = new LRUCache<string, true>({ max: 1_000 });
  private lastRefresh = -Infinity;

  constructor(
    private readonly api: ApiClient,
    readonly me: Me,
    private readonly refreshEveryMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {
    this.usernames.set(me.user_id, me.username);
  }

  async refresh(): Promise<Conversation[]> {
    this.lastRefresh = this.now();
    const list = await this.api.conversations();
    for (const c of list) this.remember(c);
    return list;
  }

  remember(conversation: Conversation): void {
    this.conversations.set(conversation.conversation_id, conversation);
    for (const m of conversation.members) this.usernames.set(m.user_id, m.username);
  }

  /** Remembers the start of a message and who sent it, to name it in receipts. */
  rememberMessage(messageId: string, content: string, senderId?: string): void {
    this.excerpts.set(messageId, { excerpt: excerpt(content), senderId });
  }

  async conversation(conversationId: string): Promise<Conversation | undefined> {
    const known = this.conversations.get(conversationId);
    if (known) return known;
    await this.refreshFor(`c:${conversationId}`);
    return this.conversations.get(conversationId);
  }

  /** Refreshes for a miss: the first miss of each id always, a repeated one at most every `refreshEveryMs`. */
  private async refreshFor(key: string): Promise<void> {
    if (this.missed.has(key) && this.now() - this.lastRefresh < this.refreshEveryMs) return;
    this.missed.set(key, true);
    await this.refresh().catch(() => undefined);
  }

  username(userId: string): string | undefined {
    return this.usernames.get(userId);
  }

  /** Names for a notification; falls back to ids when the API cannot be asked. */
  async names(frame: NotificationFrame): Promise<FrameNames> {
    const userId = frame.type === 'new_message' ? frame.sender_id : frame.user_id;
    const conversationId = frame.type === 'presence' ? undefined : frame.conversation_id;
    const conversation = conversationId ? await this.conversation(conversationId) : undefined;
    if (!this.usernames.has(userId)) await this.refreshFor(`u:${userId}`);
    const names: FrameNames = { user: this.usernames.get(userId) ?? userId, isMe: userId === this.me.user_id };
    if (conversation?.type === 'group') names.group = conversationLabel(conversation, this.me.user_id);
    else if (!conversation && conversationId) names.group = conversationId;
    if (frame.type === 'message_status') {
      const about = this.excerpts.get(frame.message_id);
      if (about) names.about = about.excerpt;
      const author = about?.senderId;
      if (author !== undefined) names.author = author === this.me.user_id ? 'you' : (this.usernames.get(author) ?? author);
    }
    return names;
  }
}

export interface ResolveOptions {
  /** For a username with no direct conversation yet: open one (true) or fail (false). @default false */
  openDirect?: boolean;
}

/**
 * Resolves what a user typed for `<conversation>`: a conversation id; `@user` or a username, the
 * direct conversation with that user; `#name` or a group name of mine, when exactly one group has it.
 */
export async function resolveConversation(api: ApiClient, me: Me, ref: string, options: ResolveOptions = {}): Promise<Conversation> {
  const text = ref.trim();
  if (!text) throw new CliError('conversation_not_found', 'give a conversation id, a username or a group name');
  const list = await api.conversations();
  const byId = list.find((c) => c.conversation_id === text);
  if (byId) return byId;

  const forceUser = text.startsWith('@');
  const forceGroup = text.startsWith('#');
  const name = forceUser || forceGroup ? text.slice(1) : text;
  const direct = forceGroup ? undefined : list.find((c) => c.type === 'direct' && c.members.some((m) => m.user_id !== me.user_id && m.username === name));
  const groups = forceUser ? [] : list.filter((c) => c.type === 'group' && c.name === name);

  if (direct && groups.length > 0) {
    throw new CliError('ambiguous_conversation', `"${name}" is both a user and a group of yours: say @${name} for the direct conversation or #${name} for the group`);
  }
  if (direct) return direct;
  if (groups.length === 1 && groups[0]) return groups[0];
  if (groups.length > 1) {
    throw new CliError('ambiguous_conversation', `you are in ${groups.length} groups named "${name}": use an id (${groups.map((g) => g.conversation_id).join(', ')})`);
  }
  if (!forceGroup && options.openDirect && /^[a-z0-9_]{3,32}$/.test(name) && name !== me.username) {
    try {
      return await api.openDirect(name);
    } catch (err) {
      if ((err as { httpStatus?: number }).httpStatus !== 404) throw err;
    }
  }
  if (!forceUser && !forceGroup) {
    // Perhaps an id the list did not include (the list may be bounded): ask for it.
    try {
      return await api.conversation(text);
    } catch (err) {
      const status = (err as { httpStatus?: number }).httpStatus;
      if (status !== 404 && status !== 400) throw err;
    }
  }
  throw new CliError('conversation_not_found', `no conversation, group or user named "${text}" among your conversations (see \`chat4all conversations\`)`);
}
