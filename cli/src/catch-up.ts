import type { ApiClient } from './api-client.js';
import type { Message } from '@chat4all/contract';

export interface CatchUpOptions {
  /** Messages per history page. @default 50 */
  pageSize?: number;
  /** Pages read per conversation at most; older messages are left to `chat4all history`. @default 4 */
  maxPages?: number;
}

/**
 * Reads over HTTP the messages created at or after `sinceTime` (server time) in every conversation
 * with activity since then, oldest first across conversations. Used when the gateway cannot replay
 * what a client missed (`recovered: false`). Returns `truncated` when a conversation had more than
 * `maxPages` pages to read.
 */
export async function readMissedMessages(api: ApiClient, sinceTime: string, options: CatchUpOptions = {}): Promise<{ messages: Message[]; truncated: boolean }> {
  const since = Date.parse(sinceTime);
  const pageSize = options.pageSize ?? 50;
  const maxPages = options.maxPages ?? 4;
  const conversations = await api.conversations();
  const active = conversations.filter((c) => !c.last_activity_at || Date.parse(c.last_activity_at) >= since);
  const missed: Message[] = [];
  let truncated = false;
  for (const conversation of active) {
    let before: string | undefined;
    for (let page = 0; ; page++) {
      const result = await api.history(conversation.conversation_id, { limit: pageSize, ...(before ? { before } : {}) });
      missed.push(...result.messages.filter((m) => Date.parse(m.created_at) >= since));
      const oldest = result.messages[0];
      if (!result.next_before || !oldest || Date.parse(oldest.created_at) < since) break;
      if (page + 1 >= maxPages) {
        truncated = true;
        break;
      }
      before = result.next_before;
    }
  }
  missed.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || (a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0));
  return { messages: missed, truncated };
}
