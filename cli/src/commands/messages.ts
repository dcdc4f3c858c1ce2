import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { resolveConversation } from '../directory.js';
import { CliError, usageError } from '../errors.js';
import { checkLocalFile, type LocalFile } from '../local-files.js';
import { conversationLabel, filesText, formatMessage, formatTime } from '../output.js';
import { MAX_FILES_PER_MESSAGE, uploadFiles } from '../transfers.js';
import { checkContent } from '../validation.js';
import { authenticated, interruptible, positiveInt, progressFor, readAll, type CliContext } from './context.js';
import type { Run } from './run.js';

export const MAX_HISTORY_LIMIT = 200;

export function addMessageCommands(program: Command, run: Run): void {
  program
    .command('send')
    .description('send a message, and files with --file; with no text (or -) and no file, the text is read from stdin')
    .argument('<conversation>', 'a conversation id, a username (direct) or a group name')
    .argument('[text...]', 'the message (may be left out when files are sent)')
    .option('--file <path>', `send a file with the message (repeat for more, up to ${MAX_FILES_PER_MESSAGE})`, (path: string, paths: string[] | undefined) => [...(paths ?? []), path])
    .option('--client-message-id <id>', 'an id of your own that makes a retried send idempotent (default: a new UUID)')
    .action((conversation: string, words: string[], opts: SendOptions) => run((ctx) => send(ctx, conversation, words, opts)));

  program
    .command('history')
    .description("show a conversation's messages, oldest first")
    .argument('<conversation>', 'a conversation id, a username (direct) or a group name')
    .option('--limit <n>', `how many messages (1 to ${MAX_HISTORY_LIMIT})`, positiveInt(MAX_HISTORY_LIMIT), 20)
    .option('--before <message_id>', 'only messages older than this one (the next_before of a previous page)')
    .action((conversation: string, opts: { limit: number; before?: string }) => run((ctx) => history(ctx, conversation, opts.limit, opts.before)));

  program
    .command('read')
    .description('mark a message as read (its sender is told)')
    .argument('<message_id>')
    .action((messageId: string) => run((ctx) => markRead(ctx, messageId)));
}

interface SendOptions {
  file?: string[];
  clientMessageId?: string;
}

/**
 * Sends a message. With files, every one is checked (it exists, is a file, can be read) before
 * anything goes out; then each is uploaded and the message carries them. The text may then be
 * left out (`-` still reads it from stdin).
 */
async function send(ctx: CliContext, ref: string, words: string[], opts: SendOptions): Promise<void> {
  const paths = opts.file ?? [];
  if (paths.length > MAX_FILES_PER_MESSAGE) throw usageError(`a message carries at most ${MAX_FILES_PER_MESSAGE} files (${paths.length} given)`);
  const files: LocalFile[] = [];
  for (const path of paths) files.push(await checkLocalFile(path));
  const { api, me } = await authenticated(ctx);
  let content = words.join(' ');
  if ((words.length === 0 && files.length === 0) || content === '-') {
    if (ctx.io.stdin.isTTY) throw usageError('give the text of the message, or pipe it into stdin');
    content = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
    if (content === '' && files.length === 0) throw usageError('no text given and stdin was empty');
  }
  const bad = content === '' && files.length > 0 ? undefined : checkContent(content);
  if (bad) throw new CliError('invalid_content', bad);
  const conversation = await resolveConversation(api, me, ref, { openDirect: true });
  const attachments = await interruptible('nothing was sent', (signal) => uploadFiles(api, conversation.conversation_id, files, { progress: progressFor(ctx), signal }));
  const accepted = await api.send(
    conversation.conversation_id,
    content,
    opts.clientMessageId ?? randomUUID(),
    attachments.map((a) => a.attachment_id),
  );
  const refs = attachments.map(({ attachment_id, filename, content_type, size, sha256 }) => ({ attachment_id, filename, content_type, size, sha256 }));
  const withFiles = refs.length > 0 ? ` with ${filesText(refs)}` : '';
  ctx.output.result(`sent to ${conversationLabel(conversation, me.user_id)}: ${accepted.message_id} (${accepted.status.toLowerCase()})${withFiles}`, {
    ...accepted,
    ...(refs.length > 0 ? { attachments: refs } : {}),
  });
}

async function history(ctx: CliContext, ref: string, limit: number, before: string | undefined): Promise<void> {
  const { api, me } = await authenticated(ctx);
  const conversation = await resolveConversation(api, me, ref);
  const page = await api.history(conversation.conversation_id, { limit, ...(before ? { before } : {}) });
  if (ctx.output.json) {
    ctx.output.data(page);
    return;
  }
  const names = new Map(conversation.members.map((m) => [m.user_id, m.username]));
  const p = ctx.output.paint;
  ctx.output.line(p.paint('bold', `${conversationLabel(conversation, me.user_id)} ${p.paint('dim', conversation.conversation_id)}`));
  if (page.messages.length === 0) ctx.output.line(p.paint('dim', before ? 'no older messages' : 'no messages yet'));
  for (const m of page.messages) {
    ctx.output.line(formatMessage(m, names.get(m.sender_id) ?? m.sender_id, m.sender_id === me.user_id, conversation.type === 'direct', p));
  }
  if (page.next_before) ctx.output.line(p.paint('dim', `older messages: chat4all history ${conversation.conversation_id} --before ${page.next_before}`));
}

async function markRead(ctx: CliContext, messageId: string): Promise<void> {
  const { api } = await authenticated(ctx);
  const receipt = await api.markRead(messageId);
  ctx.output.result(`marked ${receipt.message_id} as read at ${formatTime(receipt.read_at)}`, receipt);
}
