import type { Advice } from './advice.js';
import type { AttachmentRef, Conversation, Member, Message } from '@chat4all/contract';
import type { NotificationFrame } from './frames.js';

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

/** Colours text, or leaves it alone when colour is off (not a terminal, NO_COLOR, --no-color). */
export class Painter {
  constructor(readonly enabled: boolean) {}

  paint(style: Style, text: string): string {
    if (!this.enabled || text === '') return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }
}

/** A place to write lines: the real streams, or the interactive screen that keeps a prompt intact. */
export interface LineSink {
  write(line: string): void;
}

/**
 * Where commands write. Results go to stdout (text, or JSON with --json); progress, warnings and
 * errors go to stderr, so `--json` output stays machine-readable.
 */
export class Output {
  readonly paint: Painter;
  readonly paintErr: Painter;

  constructor(
    readonly json: boolean,
    private readonly stdout: LineSink,
    private readonly stderr: LineSink,
    color: { stdout: boolean; stderr: boolean },
  ) {
    this.paint = new Painter(color.stdout);
    this.paintErr = new Painter(color.stderr);
  }

  /** A line of a result on stdout. */
  line(text = ''): void {
    this.stdout.write(text);
  }

  /** A JSON value on one stdout line. */
  data(value: unknown): void {
    this.stdout.write(JSON.stringify(value));
  }

  /** Text for people, JSON for --json. */
  result(text: string | (() => string), value: unknown): void {
    if (this.json) this.data(value);
    else this.line(typeof text === 'function' ? text() : text);
  }

  /** A status line on stderr (connecting, reconnecting, hints). */
  info(text: string): void {
    this.stderr.write(text);
  }

  warn(text: string): void {
    this.stderr.write(this.paintErr.paint('yellow', text));
  }

  error(text: string): void {
    this.stderr.write(`${this.paintErr.paint('red', 'error:')} ${text}`);
  }
}

/** Names resolved for one notification, so formatting stays pure. */
export interface FrameNames {
  /** Who sent the message, or whose receipt, typing or presence this is. */
  user: string;
  /** The conversation, for a group; undefined for a direct conversation. */
  group?: string;
  /** True when `user` is the current user: a message from one of my other devices, or a receipt of mine. */
  isMe?: boolean;
  /** The first words of the message a receipt is about, when known. */
  about?: string;
  /** Who sent the message a receipt is about, when known (`you` for the current user). */
  author?: string;
}

/** `12:34` for today, `2025-01-05 12:34` otherwise, in local time. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? hm : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${hm}`;
}

/** One line for a live notification. */
export function formatNotification(frame: NotificationFrame, names: FrameNames, p: Painter, now?: Date): string {
  const where = names.group ? ` ${p.paint('dim', 'in')} ${p.paint('magenta', names.group)}` : '';
  switch (frame.type) {
    case 'new_message': {
      const who = names.isMe ? p.paint('dim', `${names.user} (you)`) : p.paint('bold', p.paint('cyan', names.user));
      const missed = frame.catch_up ? ` ${p.paint('yellow', '(missed while offline)')}` : '';
      return `${p.paint('dim', `[${formatTime(frame.created_at, now)}]`)} ${who}${where}: ${withFiles(frame.content, frame.attachments, p)}${missed}`;
    }
    case 'message_status':
      return `${p.paint('dim', `[${formatTime(frame.at, now)}]`)} ${receiptText(frame, names, p)} ${p.paint('dim', `(${frame.message_id})`)}`;
    case 'typing':
      return p.paint('dim', `${names.user} is typing${where ? ` in ${names.group}` : ''}…`);
    case 'presence':
      return p.paint('dim', `${names.user} is now ${frame.status}`);
  }
}

/**
 * A receipt as the owner of the device sees it. Receipts reach the sender's devices (someone got or
 * read my message) and, for READ, the reader's own devices (I read someone's message elsewhere).
 */
function receiptText(frame: Extract<NotificationFrame, { type: 'message_status' }>, names: FrameNames, p: Painter): string {
  const read = frame.status === 'READ';
  const mark = read ? p.paint('blue', '✓✓') : p.paint('green', '✓');
  const about = names.about ? ` "${names.about}"` : '';
  if (names.isMe) {
    const whose = names.author && names.author !== 'you' ? `${names.author}'s message` : 'a message';
    return `${mark} you ${read ? 'read' : 'received'} ${whose}${about}`;
  }
  const step = read ? 'read by' : frame.status === 'DELIVERED' ? 'delivered to' : frame.status.toLowerCase();
  const to = read || frame.status === 'DELIVERED' ? ` ${names.user}` : '';
  return `${mark} your message${about} was ${step}${to}`;
}

/** A conversation's name as people see it: the group's name, or the other member of a direct one. */
export function conversationLabel(conversation: Conversation, myUserId: string | undefined): string {
  if (conversation.type === 'group') return conversation.name ?? conversation.conversation_id;
  const other = conversation.members.find((m) => m.user_id !== myUserId) ?? conversation.members[0];
  return other ? `@${other.username}` : conversation.conversation_id;
}

export function memberName(member: Member, p: Painter): string {
  const online = member.online ? p.paint('green', ' ●') : '';
  return `${member.username}${online}`;
}

/** The lines of `chat4all conversations`. */
export function formatConversations(conversations: Conversation[], myUserId: string | undefined, p: Painter, advice: Pick<Advice, 'openConversation'>, now?: Date): string[] {
  if (conversations.length === 0) return [`no conversations yet: ${advice.openConversation()}`];
  return conversations.map((c) => {
    const label = p.paint('bold', conversationLabel(c, myUserId));
    const kind = c.type === 'group' ? `group of ${c.members.length}: ${c.members.map((m) => memberName(m, p)).join(', ')}` : 'direct';
    const online = c.type === 'direct' && c.members.find((m) => m.user_id !== myUserId)?.online ? p.paint('green', ' ● online') : '';
    const activity = c.last_activity_at ? ` ${p.paint('dim', `last activity ${formatTime(c.last_activity_at, now)}`)}` : '';
    return `${label}${online}  ${p.paint('dim', c.conversation_id)}  ${kind}${activity}`;
  });
}

/**
 * One line of history: time, sender, text, and for my own messages how far they got. In a direct
 * conversation a message from the other side that is not READ is marked unread (in a group the
 * status is the furthest any member got, so it says nothing about me).
 */
export function formatMessage(message: Message, senderName: string, mine: boolean, direct: boolean, p: Painter, now?: Date): string {
  const who = mine ? p.paint('dim', `${senderName} (you)`) : p.paint('bold', p.paint('cyan', senderName));
  const status = mine ? ` ${statusMark(message.status, p)}` : direct && message.status !== 'READ' ? ` ${p.paint('yellow', '(unread)')}` : '';
  return `${p.paint('dim', `[${formatTime(message.created_at, now)}]`)} ${who}: ${withFiles(message.content, message.attachments, p)}${status} ${p.paint('dim', message.message_id)}`;
}

function statusMark(status: Message['status'], p: Painter): string {
  switch (status) {
    case 'READ':
      return p.paint('blue', '✓✓ read');
    case 'DELIVERED':
      return p.paint('green', '✓✓ delivered');
    case 'SENT':
      return p.paint('green', '✓ sent');
    default:
      return p.paint('dim', '… accepted');
  }
}

/** `512 B`, `1.5 KiB`, `3.0 MiB`, `2.0 GiB`: binary units, one decimal from KiB on. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB would round to "1024.0 KiB": say "1.0 MiB" instead.
  if (Number(value.toFixed(1)) >= 1024 && unit < units.length - 1) return `1.0 ${units[unit + 1]}`;
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The files of a message as people see them: `[file: report.pdf (1.2 MiB)]`, `[2 files: a.txt (5 B), b.png (3.0 KiB)]`. */
export function filesText(attachments: readonly Pick<AttachmentRef, 'filename' | 'size'>[]): string {
  const list = attachments.map((a) => `${a.filename} (${formatBytes(a.size)})`).join(', ');
  return attachments.length === 1 ? `[file: ${list}]` : `[${attachments.length} files: ${list}]`;
}

/** A message's text followed by its files, if any. */
function withFiles(content: string, attachments: readonly AttachmentRef[] | undefined, p: Painter): string {
  if (!attachments || attachments.length === 0) return content;
  const files = p.paint('magenta', filesText(attachments));
  return content === '' ? files : `${content} ${files}`;
}

/** What a receipt calls a message: its first words, or its files when it has no text. */
export function messageSummary(message: Pick<Message, 'content' | 'attachments'>): string {
  if (message.content !== '' || !message.attachments?.length) return message.content;
  return message.attachments.map((a) => a.filename).join(', ');
}

/** The first few words of a message, for receipts. */
export function excerpt(text: string, max = 30): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
