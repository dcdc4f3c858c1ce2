import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, isCliError } from '../errors.js';
import { checkLocalFile, type LocalFile } from '../local-files.js';
import { conversationLabel, filesText, formatBytes, formatTime, messageSummary } from '../output.js';
import { downloadAttachments, MAX_FILES_PER_MESSAGE, uploadFiles } from '../transfers.js';
import { checkContent } from '../validation.js';
import type { Message } from '@chat4all/contract';
import { memberNames, pickConversation, PICKER_SIZE } from './chat-actions.js';
import type { MenuAction, MenuContext } from './menu-context.js';
import { CANCELLED } from './prompts.js';

/** 13 and 14: files sent with messages, and saved from them. */
export const fileActions: MenuAction[] = [
  { key: '13', label: 'Send a message with files', run: sendWithFiles },
  { key: '14', label: "Download a message's files", run: downloadFiles },
];

async function sendWithFiles(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const conversation = await pickConversation(menu, auth, 'Send files to which conversation?');
  const files = await askFiles(menu);
  const label = conversationLabel(conversation, auth.me.user_id);
  const content = await menu.prompts.text(`Message to ${label} (optional: Enter for none):`, { required: false, validate: (v) => (v === '' ? undefined : checkContent(v)) });
  const attachments = await menu.transfer((options) => uploadFiles(auth.api, conversation.conversation_id, files, options));
  menu.feed()?.expectOwn(conversation.conversation_id, content);
  const accepted = await auth.api.send(
    conversation.conversation_id,
    content,
    randomUUID(),
    attachments.map((a) => a.attachment_id),
  );
  menu.feed()?.rememberMessage(accepted.message_id, messageSummary({ content, attachments }));
  const p = menu.output.paint;
  menu.output.line(`${p.paint('green', '✓ sent')} ${filesText(attachments)} ${p.paint('dim', accepted.message_id)}`);
}

/** One path after another until Enter on an empty line (or 10 files); a bad path is explained and asked again. */
async function askFiles(menu: MenuContext): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  while (files.length < MAX_FILES_PER_MESSAGE) {
    const first = files.length === 0;
    const question = first ? 'File to send (its path):' : `Another file (${files.length} so far; Enter when done):`;
    const answer = await menu.prompts.text(question, { required: first });
    if (answer === '') break;
    try {
      files.push(await checkLocalFile(typedPath(answer)));
    } catch (err) {
      if (!isCliError(err)) throw err;
      menu.output.error(err.message);
    }
  }
  return files;
}

async function downloadFiles(menu: MenuContext): Promise<void> {
  const auth = await menu.session();
  const how = await menu.prompts.menu({
    view: () => ({
      message: 'Download the files of which message?',
      items: [
        { key: '1', label: "One of a conversation's recent messages with files" },
        { key: '2', label: 'Type its message id' },
        { key: '0', label: 'Back' },
      ],
    }),
  });
  if (how === '0') throw new CliError(CANCELLED, 'cancelled');
  const message = how === '2' ? await auth.api.message(await menu.prompts.text('Message id:')) : await pickMessageWithFiles(menu);
  if (!message) return;
  const dir = await menu.prompts.text('Save into which directory?', { default: process.cwd() });
  const p = menu.output.paint;
  await menu.transfer((options) =>
    downloadAttachments(auth.api, message, typedPath(dir), {
      ...options,
      onSaved: (file) => menu.output.line(`${p.paint('green', '✓ saved')} ${file.path} (${formatBytes(file.size)})`),
    }),
  );
}

/** A numbered list of the recent messages with files of a conversation picked first; undefined when there are none. */
async function pickMessageWithFiles(menu: MenuContext): Promise<Message | undefined> {
  const auth = await menu.session();
  const conversation = await pickConversation(menu, auth, 'Download from which conversation?');
  const page = await auth.api.history(conversation.conversation_id, { limit: 50 });
  const candidates = page.messages.filter((m) => (m.attachments?.length ?? 0) > 0).slice(-PICKER_SIZE);
  if (candidates.length === 0) {
    menu.output.line(`no files among the last ${page.messages.length} messages with ${conversationLabel(conversation, auth.me.user_id)}`);
    return undefined;
  }
  const names = memberNames(conversation);
  const items = candidates.map((m, i) => ({ key: String(i + 1), label: `[${formatTime(m.created_at)}] ${names.get(m.sender_id) ?? m.sender_id}: ${filesText(m.attachments ?? [])}` }));
  const choice = await menu.prompts.menu({ view: () => ({ message: 'Which message?', items: [...items, { key: '0', label: 'Back' }] }) });
  const picked = candidates[Number(choice) - 1];
  if (choice === '0' || !picked) throw new CliError(CANCELLED, 'cancelled');
  return picked;
}

/** A path as typed (or dropped) into the menu, where no shell expands it: `~/` is the home directory, and surrounding quotes go. */
function typedPath(text: string): string {
  const unquoted = /^(['"])(.*)\1$/.exec(text)?.[2] ?? text;
  return unquoted === '~' ? homedir() : unquoted.startsWith('~/') ? join(homedir(), unquoted.slice(2)) : unquoted;
}
