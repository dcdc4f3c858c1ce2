import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Embedded } from '@chat4all/server';
import { CliProcess, closedPort, waitFor } from './helpers.js';
import { CliUser, PASSWORD, startPlatform } from './platform.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Msg {
  message_id: string;
  content: string;
  sender_id: string;
  status: string;
}

describe('chat4all subcommands against a live platform', () => {
  let platform: Embedded;
  before(async () => {
    platform = await startPlatform(cleanups);
  });

  it('registers, logs in, opens a conversation, sends, reads history and marks as read', async () => {
    const ana = await CliUser.create(platform, cleanups, 'ana');
    const bob = await CliUser.create(platform, cleanups, 'bob');

    const registered = await ana.run(['register', ana.username, '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, new RegExp(`^registered ${ana.username} \\(user id [0-9a-f-]+\\)`));
    const bobUser = await bob.ok<{ user_id: string; username: string }>(['--json', 'register', bob.username, '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(bobUser.username, bob.username);

    const login = await ana.run(['login', ana.username, '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`^logged in as ${ana.username}`));
    assert.equal((await stat(join(ana.configDir, 'session.json'))).mode & 0o777, 0o600);
    await bob.ok(['login', bob.username, '--password-stdin'], `${PASSWORD}\n`);
    assert.match(await ana.ok<string>(['whoami']), new RegExp(`^${ana.username}\\b`));

    const conversation = await ana.ok<{ conversation_id: string; type: string }>(['--json', 'open', bob.username]);
    assert.equal(conversation.type, 'direct');
    assert.match(await ana.ok<string>(['open', bob.username]), new RegExp(`direct conversation with @${bob.username}: ${conversation.conversation_id}`));

    const sent = await ana.ok<{ message_id: string; status: string; conversation_id: string }>(['--json', 'send', bob.username, 'hello', 'bob']);
    assert.equal(sent.status, 'ACCEPTED');
    assert.equal(sent.conversation_id, conversation.conversation_id);
    await ana.ok(['send', conversation.conversation_id], 'from stdin\n');

    const history = await waitFor(async () => {
      const page = await bob.ok<{ messages: Msg[] }>(['--json', 'history', ana.username]);
      return page.messages.length === 2 ? page : undefined;
    }, 'both messages in the history');
    assert.deepEqual(
      history.messages.map((m) => m.content),
      ['hello bob', 'from stdin'],
    );
    const page = await bob.ok<{ messages: Msg[]; next_before?: string }>(['--json', 'history', conversation.conversation_id, '--limit', '1']);
    assert.deepEqual(
      page.messages.map((m) => m.content),
      ['from stdin'],
    );
    if (page.next_before) {
      const older = await bob.ok<{ messages: Msg[] }>(['--json', 'history', ana.username, '--before', page.next_before]);
      assert.deepEqual(
        older.messages.map((m) => m.content),
        ['hello bob'],
      );
    }
    const human = await bob.ok<string>(['history', ana.username]);
    assert.match(human, new RegExp(`${ana.username}: hello bob \\(unread\\)`));

    const first = history.messages[0]!;
    const read = await bob.ok<{ message_id: string; status: string }>(['--json', 'read', first.message_id]);
    assert.deepEqual([read.message_id, read.status], [first.message_id, 'READ']);
    await waitFor(async () => /hello bob ✓✓ read/.test(await ana.ok<string>(['history', bob.username])), 'the READ status in the sender’s history');

    const listed = await ana.ok<{ conversations: { conversation_id: string }[] }>(['--json', 'conversations']);
    assert.deepEqual(
      listed.conversations.map((c) => c.conversation_id),
      [conversation.conversation_id],
    );
    assert.match(await ana.ok<string>(['logout']), /^logged out/);
    const after = await ana.run(['whoami']);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /^error: not logged in/);
  });

  it('streams a message sent by another user with listen --json, and the read receipt back to the sender', async () => {
    const carol = await (await CliUser.create(platform, cleanups, 'carol')).signUp();
    const dan = await (await CliUser.create(platform, cleanups, 'dan')).signUp();
    const danListen = new CliProcess(['--json', 'listen'], dan.env);
    const carolListen = new CliProcess(['listen', '--json'], carol.env);
    cleanups.push(async () => void (await Promise.all([danListen.stop(), carolListen.stop()])));
    await danListen.waitForStderr(/connected/, 'dan connected');
    await carolListen.waitForStderr(/connected/, 'carol connected');

    const sent = await carol.ok<{ message_id: string }>(['--json', 'send', dan.username, 'are you there?']);
    const received = await waitFor(() => danListen.json<{ type: string; message_id?: string; content?: string }>().find((f) => f.type === 'new_message'), 'the message on dan’s listen');
    assert.equal(received.message_id, sent.message_id);
    assert.equal(received.content, 'are you there?');

    await dan.ok(['read', sent.message_id]);
    const receipt = await waitFor(
      () => carolListen.json<{ type: string; message_id?: string; status?: string }>().find((f) => f.type === 'message_status' && f.status === 'READ'),
      'the READ receipt on carol’s listen',
    );
    assert.equal(receipt.message_id, sent.message_id);

    assert.equal(await danListen.stop(), 0);
    assert.equal(await carolListen.stop(), 0);
    for (const line of danListen.lines()) assert.doesNotThrow(() => JSON.parse(line), `stdout holds only JSON lines: ${line}`);
    assert.equal(danListen.json<{ type: string }>().filter((f) => f.type === 'new_message').length, 1);
  });

  it('shows live messages as text in a terminal-less listen', async () => {
    const eve = await (await CliUser.create(platform, cleanups, 'eve')).signUp();
    const fay = await (await CliUser.create(platform, cleanups, 'fay')).signUp();
    const listen = new CliProcess(['listen'], fay.env);
    cleanups.push(async () => void (await listen.stop()));
    await listen.waitForStderr(/connected/, 'fay connected');
    await eve.ok(['send', fay.username, 'plain text please']);
    await waitFor(() => listen.lines().some((l) => new RegExp(`^\\[\\d\\d:\\d\\d\\] ${eve.username}: plain text please$`).test(l)), `the line; stdout: ${listen.stdout}`);
    assert.ok(!listen.stdout.includes('\u001b['), 'no colour with NO_COLOR and no terminal');
    assert.equal(await listen.stop(), 0);
  });

  it('explains bad input: unknown subcommand, missing arguments, wrong password, no such conversation', async () => {
    const gus = await (await CliUser.create(platform, cleanups, 'gus')).signUp();
    const unknown = await gus.run(['sned', 'x']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'sned'/);
    assert.match(unknown.stderr, /^usage: chat4all /m);
    const missing = await gus.run(['open']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'username'/);
    assert.match(missing.stderr, /^usage: chat4all open \[options\] <username>$/m);

    const wrong = await gus.run(['login', gus.username, '--password-stdin'], 'not-the-password\n');
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    assert.match(wrong.stderr, /^error: .*(password|credentials)/i);

    const nobody = await gus.run(['history', 'nobody_here']);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no conversation, group or user named "nobody_here"/);
  });

  it('says in one line that the server is unreachable (exit 1)', async () => {
    const hal = await CliUser.create(platform, cleanups, 'hal');
    const port = await closedPort();
    const r = await hal.run(['--api-url', `http://127.0.0.1:${port}`, 'register', hal.username, '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot reach the Chat4All API at http://127.0.0.1:${port} (connection refused); is the server running?\n`);
  });

  it('manages groups by name: create, add, remove', async () => {
    const [jo, kim, lee] = await Promise.all(['jo', 'kim', 'lee'].map(async (p) => (await CliUser.create(platform, cleanups, p)).signUp()));
    const group = await jo!.ok<{ conversation_id: string; type: string; members: { username: string }[] }>(['--json', 'group', 'create', 'book_club', kim!.username]);
    assert.equal(group.type, 'group');
    assert.deepEqual(group.members.map((m) => m.username).sort(), [jo!.username, kim!.username].sort());
    const added = await jo!.ok<{ members: { username: string }[] }>(['--json', 'group', 'add', 'book_club', lee!.username]);
    assert.ok(added.members.some((m) => m.username === lee!.username));
    await lee!.ok(['send', 'book_club', 'hi all']);
    const removed = await jo!.ok<string>(['group', 'remove', group.conversation_id, kim!.username]);
    assert.match(removed, new RegExp(`removed ${kim!.username} from book_club`));
    const notMember = await jo!.run(['group', 'remove', 'book_club', kim!.username]);
    assert.equal(notMember.code, 1);
  });
});
