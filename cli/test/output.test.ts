import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { menuAdvice, shellAdvice } from '../src/advice.js';
import { conversationLabel, excerpt, filesText, formatBytes, formatConversations, formatMessage, formatNotification, formatTime, messageSummary, Output, Painter } from '../src/output.js';
import type { Conversation, Message } from '@chat4all/contract';
import type { NewMessageFrame } from '../src/frames.js';

const plain = new Painter(false);
const colour = new Painter(true);
const now = new Date(2025, 0, 5, 18, 0);
const at = new Date(2025, 0, 5, 12, 34).toISOString();

describe('Painter', () => {
  it('adds ANSI codes only when enabled', () => {
    assert.equal(plain.paint('red', 'x'), 'x');
    assert.equal(colour.paint('red', 'x'), '\u001b[31mx\u001b[39m');
    assert.equal(colour.paint('bold', ''), '');
  });
});

describe('formatTime', () => {
  it('shows the time today and the date on other days', () => {
    assert.equal(formatTime(at, now), '12:34');
    assert.equal(formatTime(new Date(2025, 0, 4, 9, 5).toISOString(), now), '2025-01-04 09:05');
    assert.equal(formatTime('not a date', now), 'not a date');
  });
});

describe('formatNotification', () => {
  it('shows a new message with its sender, and the group it was sent in', () => {
    const frame = { type: 'new_message', message_id: 'm1', conversation_id: 'c1', sender_id: 'u2', content: 'hello', created_at: at } as const;
    assert.equal(formatNotification(frame, { user: 'bob' }, plain, now), '[12:34] bob: hello');
    assert.equal(formatNotification(frame, { user: 'bob', group: 'team' }, plain, now), '[12:34] bob in team: hello');
    assert.equal(formatNotification({ ...frame, catch_up: true }, { user: 'bob' }, plain, now), '[12:34] bob: hello (missed while offline)');
    assert.equal(formatNotification(frame, { user: 'ana', isMe: true }, plain, now), '[12:34] ana (you): hello');
  });

  it('shows receipts, typing and presence', () => {
    const status = { type: 'message_status', message_id: 'm1', conversation_id: 'c1', user_id: 'u2', at } as const;
    assert.equal(formatNotification({ ...status, status: 'DELIVERED' }, { user: 'bob', about: 'hello' }, plain, now), '[12:34] ✓ your message "hello" was delivered to bob (m1)');
    assert.equal(formatNotification({ ...status, status: 'READ' }, { user: 'bob' }, plain, now), '[12:34] ✓✓ your message was read by bob (m1)');
    assert.equal(formatNotification({ type: 'typing', conversation_id: 'c1', user_id: 'u2' }, { user: 'bob' }, plain), 'bob is typing…');
    assert.equal(formatNotification({ type: 'presence', user_id: 'u2', status: 'online', at }, { user: 'bob' }, plain), 'bob is now online');
    assert.equal(formatNotification({ type: 'typing', conversation_id: 'c1', user_id: 'u2' }, { user: 'bob', group: 'team' }, plain), 'bob is typing in team…');
    assert.equal(formatNotification({ type: 'presence', user_id: 'u2', status: 'offline', at }, { user: 'bob' }, plain), 'bob is now offline');
  });

  it("shows a READ receipt of my own (read on another device) as mine, never as 'your message was read by' me", () => {
    const read = { type: 'message_status', message_id: 'm1', conversation_id: 'c1', user_id: 'u1', status: 'READ', at } as const;
    assert.equal(formatNotification(read, { user: 'ana', isMe: true, author: 'bob', about: 'hello' }, plain, now), '[12:34] ✓✓ you read bob\'s message "hello" (m1)');
    assert.equal(formatNotification(read, { user: 'ana', isMe: true }, plain, now), '[12:34] ✓✓ you read a message (m1)');
  });

  it('has no escape codes without colour', () => {
    const line = formatNotification({ type: 'new_message', message_id: 'm', conversation_id: 'c', sender_id: 'u', content: 'x', created_at: at }, { user: 'bob' }, plain, now);
    assert.ok(!line.includes('\u001b'));
    assert.ok(formatNotification({ type: 'new_message', message_id: 'm', conversation_id: 'c', sender_id: 'u', content: 'x', created_at: at }, { user: 'bob' }, colour, now).includes('\u001b['));
  });
});

describe('conversations and messages', () => {
  const direct: Conversation = {
    conversation_id: 'c1',
    type: 'direct',
    name: null,
    members: [
      { user_id: 'u1', username: 'ana', display_name: 'ana', online: false },
      { user_id: 'u2', username: 'bob', display_name: 'bob', online: true },
    ],
    admins: ['u1', 'u2'],
    created_at: at,
    last_activity_at: at,
  };
  const group: Conversation = { ...direct, conversation_id: 'c2', type: 'group', name: 'team', admins: ['u1'] };

  it('names a direct conversation after the other member and a group after its name', () => {
    assert.equal(conversationLabel(direct, 'u1'), '@bob');
    assert.equal(conversationLabel(direct, 'u2'), '@ana');
    assert.equal(conversationLabel(group, 'u1'), 'team');
  });

  it('lists conversations one per line', () => {
    assert.deepEqual(formatConversations([direct, group], 'u1', plain, shellAdvice, now), ['@bob ● online  c1  direct last activity 12:34', 'team  c2  group of 2: ana, bob ● last activity 12:34']);
    assert.deepEqual(formatConversations([], 'u1', plain, shellAdvice), ['no conversations yet: open one with `chat4all open <username>`']);
    assert.deepEqual(formatConversations([], 'u1', plain, menuAdvice), ['no conversations yet: choose 3 to start one']);
  });

  it('shows how far my messages got, and unread ones from the other side of a direct conversation', () => {
    const m: Message = { message_id: 'm1', conversation_id: 'c1', sender_id: 'u1', content: 'hi', created_at: at, status: 'READ' };
    assert.equal(formatMessage(m, 'ana', true, true, plain, now), '[12:34] ana (you): hi ✓✓ read m1');
    assert.equal(formatMessage({ ...m, status: 'SENT' }, 'bob', false, true, plain, now), '[12:34] bob: hi (unread) m1');
    assert.equal(formatMessage({ ...m, status: 'SENT' }, 'bob', false, false, plain, now), '[12:34] bob: hi m1');
  });

  it('shortens long text for receipts', () => {
    assert.equal(excerpt('a  b\nc'), 'a b c');
    assert.equal(excerpt('x'.repeat(40), 10), `${'x'.repeat(9)}…`);
  });
});

describe('Output', () => {
  it('writes results to stdout and status to stderr; JSON with --json', () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = new Output(true, { write: (l) => out.push(l) }, { write: (l) => err.push(l) }, { stdout: false, stderr: false });
    o.result('text', { a: 1 });
    o.info('connecting');
    o.error('boom');
    assert.deepEqual(out, ['{"a":1}']);
    assert.deepEqual(err, ['connecting', 'error: boom']);
    const human = new Output(false, { write: (l) => out.push(l) }, { write: () => {} }, { stdout: false, stderr: false });
    human.result(() => 'text', { a: 1 });
    assert.equal(out.at(-1), 'text');
  });
});

describe('attachments in messages', () => {
  const report = { attachment_id: 'a1', filename: 'report.pdf', content_type: 'application/pdf', size: 1_258_291, sha256: '0'.repeat(64) };
  const photo = { attachment_id: 'a2', filename: 'photo.jpg', content_type: 'image/jpeg', size: 3_072, sha256: '1'.repeat(64) };

  it('formats sizes in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
    assert.equal(formatBytes(2 * 1024 ** 3), '2.0 GiB');
  });

  it('lists the files of a message by name and size', () => {
    assert.equal(filesText([report]), '[file: report.pdf (1.2 MiB)]');
    assert.equal(filesText([report, photo]), '[2 files: report.pdf (1.2 MiB), photo.jpg (3.0 KiB)]');
  });

  it('shows them after the text in history and live, alone when there is no text', () => {
    const message: Message = { message_id: 'm1', conversation_id: 'c1', sender_id: 'u2', content: 'the numbers', attachments: [report], created_at: at, status: 'READ' };
    assert.equal(formatMessage(message, 'bob', false, true, plain, now), '[12:34] bob: the numbers [file: report.pdf (1.2 MiB)] m1');
    assert.equal(formatMessage({ ...message, content: '', attachments: [report, photo] }, 'bob', false, true, plain, now), '[12:34] bob: [2 files: report.pdf (1.2 MiB), photo.jpg (3.0 KiB)] m1');
    const frame: NewMessageFrame = { type: 'new_message', message_id: 'm1', conversation_id: 'c1', sender_id: 'u2', content: '', attachments: [photo], created_at: at };
    assert.equal(formatNotification(frame, { user: 'bob' }, plain, now), '[12:34] bob: [file: photo.jpg (3.0 KiB)]');
    assert.equal(formatNotification({ ...frame, content: 'look' }, { user: 'bob', group: 'team' }, plain, now), '[12:34] bob in team: look [file: photo.jpg (3.0 KiB)]');
  });

  it('names a message without text by its files in receipts', () => {
    assert.equal(messageSummary({ content: '', attachments: [report, photo] }), 'report.pdf, photo.jpg');
    assert.equal(messageSummary({ content: 'hi', attachments: [report] }), 'hi');
    assert.equal(messageSummary({ content: 'hi' }), 'hi');
  });
});
