import type { Member, Conversation as WireConversation } from '@chat4all/contract';
import type { Conversation, Presence, UserRecord, UserStore } from '@chat4all/core';

/** A conversation as the wire shows it (the contract's answer): members with their names and presence. */
export type ConversationView = WireConversation;

/** Stores are asked for at most this many users per call (the UserStore bound). */
const BATCH = 256;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Renders conversations with their members' names and presence, looking every distinct member
 * up once, in batches. A member whose user record is missing is shown with empty names.
 */
export async function renderConversations(users: UserStore, presence: Presence, conversations: Conversation[]): Promise<ConversationView[]> {
  const ids = [...new Set(conversations.flatMap((c) => c.members))];
  const byId = new Map<string, UserRecord>();
  const online = new Set<string>();
  for (const batch of chunks(ids, BATCH)) {
    const [found, on] = await Promise.all([users.getManyById(batch), presence.online(batch)]);
    for (const u of found) byId.set(u.user_id, u);
    for (const u of on) online.add(u);
  }
  return conversations.map((c) => ({
    conversation_id: c.conversation_id,
    type: c.type,
    name: c.name,
    members: c.members.map((id): Member => {
      const u = byId.get(id);
      return { user_id: id, username: u?.username ?? '', display_name: u?.display_name ?? '', online: online.has(id) };
    }),
    admins: [...c.admins],
    created_at: c.created_at,
    last_activity_at: c.last_activity_at,
  }));
}

export async function renderConversation(users: UserStore, presence: Presence, conversation: Conversation): Promise<ConversationView> {
  const [view] = await renderConversations(users, presence, [conversation]);
  return view!;
}
