import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmbedded, type Embedded } from '@chat4all/server';
import { CLI_BIN, tempDir, waitFor } from './helpers.js';
import { CliUser, PASSWORD, startPlatform, uniqueName } from './platform.js';

const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => existsSync(p));
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A terminal in a private tmux server, driven with send-keys as a person would, read with capture-pane. */
class Terminal {
  private readonly socket = `chat4all-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly socketPath: string;

  /** Where the pane's shell writes the program's exit status (tmux's own pane_dead_status is not always set). */
  private readonly statusFile: string;

  constructor(command: string[], env: NodeJS.ProcessEnv) {
    const vars = Object.entries(env)
      .filter(([k]) => k.startsWith('CHAT4ALL_') || k === 'NO_COLOR')
      .map(([k, v]) => `${k}=${quote(v ?? '')}`);
    this.statusFile = join(tmpdir(), `${this.socket}.status`);
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'menu', '-x', '120', '-y', '50', `env ${vars.join(' ')} ${command.map(quote).join(' ')}; echo $? > ${quote(this.statusFile)}`);
    this.tmux('set-option', '-t', 'menu', 'remain-on-exit', 'on');
    this.socketPath = this.tmux('display-message', '-p', '#{socket_path}').trim();
  }

  /** Everything the pane showed, scrollback included, without trailing blank lines. */
  text(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 'menu', '-S', '-1000').replace(/\s+$/, '');
  }

  /** What is on screen now. */
  visible(): string[] {
    return this.tmux('capture-pane', '-p', '-t', 'menu').replace(/\s+$/, '').split('\n');
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'menu', ...keys);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', 'menu', '-l', text);
    this.tmux('send-keys', '-t', 'menu', 'Enter');
  }

  count(text: string): number {
    return this.text().split(text).length - 1;
  }

  /** Runs `act`, then waits until `text` shows up once more than before. */
  async expectMore(text: string, act: () => void, timeoutMs = 15_000): Promise<void> {
    const before = this.count(text);
    act();
    await waitFor(() => this.count(text) > before, `"${text}" on screen; the screen:\n${this.text()}`, timeoutMs, 50);
  }

  /** The pid of the program in the pane (the child of its shell), whether it has exited, and its exit status. */
  process(): { pid: number | undefined; dead: boolean; status: number | undefined } {
    const [shell, dead] = this.tmux('display-message', '-p', '-t', 'menu', '#{pane_pid}:#{pane_dead}').trim().split(':');
    let pid: number | undefined;
    try {
      pid = Number(execFileSync('pgrep', ['-P', String(shell)], { encoding: 'utf8' }).split('\n')[0]);
    } catch {
      pid = undefined; // exited
    }
    const status = existsSync(this.statusFile) ? readFileSync(this.statusFile, 'utf8').trim() : '';
    return { pid, dead: dead === '1', status: status === '' ? undefined : Number(status) };
  }

  /** From now on, everything the program writes also goes to `file`, escape codes included. */
  record(file: string): void {
    this.tmux('pipe-pane', '-t', 'menu', `cat >> ${quote(file)}`);
  }

  async kill(): Promise<void> {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    if (this.socketPath) await rm(this.socketPath, { force: true });
    await rm(this.statusFile, { force: true });
  }

  private tmux(...args: string[]): string {
    return execFileSync(TMUX ?? 'tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

describe('the interactive menu, driven through a terminal', { skip: TMUX ? false : 'tmux is not installed' }, () => {
  it('registers, authenticates, creates a conversation, turns notifications on and shows a message from another user', async () => {
    const platform = await startPlatform(cleanups);
    const bob = await (await CliUser.create(platform, cleanups, 'bob')).signUp();
    const ana = await CliUser.create(platform, cleanups, 'ana');
    const name = uniqueName('ana');
    const term = new Terminal([process.execPath, CLI_BIN], ana.env);
    cleanups.push(() => term.kill());

    await waitFor(() => term.text().includes('0) Exit'), `the menu; the screen:\n${term.text()}`, 30_000, 50);
    assert.match(term.text(), /not logged in · notifications off\. Choose:/);

    // 1: register.
    await term.expectMore('Username (a-z', () => term.keys('1', 'Enter'));
    await term.expectMore('Password (8 to 128', () => term.type(name));
    await term.expectMore('Password again:', () => term.type(PASSWORD));
    await term.expectMore('Display name', () => term.type(PASSWORD));
    await term.expectMore(`registered ${name}`, () => term.keys('Enter'));

    // 2 with a wrong password: explained, and back to the menu.
    await term.expectMore('? Username:', () => term.keys('2', 'Enter'));
    await term.expectMore('? Password:', () => term.type(name));
    await term.expectMore('error: ', () => term.type('not-the-password'));
    await waitFor(() => term.visible().some((l) => l.includes('0) Exit')), 'the menu again');

    // 2: authenticate.
    await term.expectMore('? Username:', () => term.keys('2', 'Enter'));
    await term.expectMore('? Password:', () => term.type(name));
    await term.expectMore(`authenticated as ${name}`, () => term.type(PASSWORD));

    // 3: create a conversation with bob.
    await term.expectMore('Username of the person', () => term.keys('3', 'Enter'));
    await term.expectMore(`conversation with @${bob.username} ready`, () => term.type(bob.username));

    // 12: notifications on.
    await term.expectMore(`connected: notifications for ${name}`, () => term.keys('1', '2', 'Enter'));
    await waitFor(() => term.visible().some((l) => l.includes('notifications on. Choose:')), 'the menu with notifications on');

    // bob writes while the menu waits: the message appears above the intact prompt.
    await bob.ok(['send', name, 'hello from bob']);
    await waitFor(() => term.text().includes(`${bob.username}: hello from bob`), `the live message; the screen:\n${term.text()}`, 15_000, 50);
    const screen = term.visible();
    const messageLine = screen.findIndex((l) => l.includes(`${bob.username}: hello from bob`));
    const promptLine = screen.findIndex((l) => l.includes('notifications on. Choose:'));
    assert.ok(messageLine >= 0 && messageLine < promptLine, `the message is above the prompt:\n${screen.join('\n')}`);
    assert.match(screen[messageLine] ?? '', new RegExp(`^\\[\\d\\d:\\d\\d\\] ${bob.username}: hello from bob$`));
    assert.deepEqual(
      screen.slice(promptLine + 1).map((l) => l.replace(/^[❯ ]+/, '')),
      [
        '1) Register a user',
        '2) Authenticate (log in)',
        '3) Create a conversation (direct)',
        '4) Send a message',
        '5) List my conversations',
        "6) Show a conversation's messages",
        '7) Mark messages as read',
        '8) Create a group',
        '9) Add a member to a group',
        '10) Remove a member from a group',
        '11) Log out',
        '12) Turn real-time notifications off',
        '13) Send a message with files',
        "14) Download a message's files",
        '0) Exit',
        '↑↓ or a number, then Enter',
      ],
    );

    // 4: reply; bob reads it; the read receipt shows up live.
    await term.expectMore('Send to which conversation?', () => term.keys('4', 'Enter'));
    await term.expectMore(`Message to @${bob.username}:`, () => term.keys('1', 'Enter'));
    await term.expectMore('✓ sent', () => term.type('hi bob'));
    const messageId = /✓ sent (\S+)/.exec(term.text().split('\n').reverse().find((l) => l.includes('✓ sent')) ?? '')?.[1];
    assert.ok(messageId, 'the sent message id');
    await bob.ok(['read', messageId]);
    await waitFor(() => term.text().includes(`your message "hi bob" was read by ${bob.username}`), `the read receipt; the screen:\n${term.text()}`, 15_000, 50);

    // 0: exit.
    await term.expectMore('bye', () => term.keys('0', 'Enter'));
  });
  it('sends a file with 13 and downloads files with 14, picked from the conversation or by message id', async () => {
    const platform = await startPlatform(cleanups);
    const bob = await (await CliUser.create(platform, cleanups, 'bob')).signUp();
    const ana = await (await CliUser.create(platform, cleanups, 'ana')).signUp();
    await ana.ok(['open', bob.username]);
    const files = await tempDir(cleanups);
    const mine = randomBytes(2 * 1024 * 1024);
    await writeFile(join(files, 'slides.pdf'), mine);
    const term = new Terminal([process.execPath, CLI_BIN], ana.env);
    cleanups.push(() => term.kill());
    await waitFor(() => term.text().includes('0) Exit'), `the menu; the screen:\n${term.text()}`, 30_000, 50);

    // 13: a wrong path is explained and asked again; then the file, no more files, a text.
    await term.expectMore('Send files to which conversation?', () => term.keys('1', '3', 'Enter'));
    await term.expectMore('File to send (its path):', () => term.keys('1', 'Enter'));
    await term.expectMore(`no such file: ${join(files, 'slide.pdf')}`, () => term.type(join(files, 'slide.pdf')));
    await term.expectMore('Another file (1 so far', () => term.type(join(files, 'slides.pdf')));
    await term.expectMore(`Message to @${bob.username} (optional`, () => term.keys('Enter'));
    await term.expectMore('✓ sent [file: slides.pdf (2.0 MiB)]', () => term.type('the slides'));
    const sentId = /✓ sent \[file: slides\.pdf \(2\.0 MiB\)\] (\S+)/.exec(term.text())?.[1];
    assert.ok(sentId, 'the sent message id');
    const got = await tempDir(cleanups);
    await bob.ok(['download', sentId, '--out', got]);
    assert.ok((await readFile(join(got, 'slides.pdf'))).equals(mine), 'bob got the bytes ana sent');

    // bob answers with a file of his; 14 picks it from the conversation's recent messages with files.
    const his = randomBytes(1_500_000);
    await writeFile(join(files, 'notes.bin'), his);
    await bob.ok(['send', ana.username, '--file', join(files, 'notes.bin')]);
    const out = join(await tempDir(cleanups), 'from bob');
    await term.expectMore('Download the files of which message?', () => term.keys('1', '4', 'Enter'));
    await term.expectMore('Download from which conversation?', () => term.keys('1', 'Enter'));
    await term.expectMore('Which message?', () => term.keys('1', 'Enter'));
    assert.match(term.text(), new RegExp(`1\\) \\[\\d\\d:\\d\\d\\] ${ana.username}: \\[file: slides\\.pdf \\(2\\.0 MiB\\)\\]`));
    assert.match(term.text(), new RegExp(`2\\) \\[\\d\\d:\\d\\d\\] ${bob.username}: \\[file: notes\\.bin \\(1\\.4 MiB\\)\\]`));
    await term.expectMore('Save into which directory?', () => term.keys('2', 'Enter'));
    await term.expectMore(`✓ saved ${join(out, 'notes.bin')} (1.4 MiB)`, () => term.type(out));
    assert.ok((await readFile(join(out, 'notes.bin'))).equals(his));

    // 14 again, by the message id: saved beside the first, which stays as it was.
    await term.expectMore('Download the files of which message?', () => term.keys('1', '4', 'Enter'));
    await term.expectMore('Message id:', () => term.keys('2', 'Enter'));
    await term.expectMore('Save into which directory?', () => term.type(sentId));
    await term.expectMore(`✓ saved ${join(out, 'slides.pdf')} (2.0 MiB)`, () => term.type(out));
    assert.ok((await readFile(join(out, 'slides.pdf'))).equals(mine));
    assert.deepEqual((await readdir(out)).sort(), ['notes.bin', 'slides.pdf']);
    await term.expectMore('bye', () => term.keys('0', 'Enter'));
  });

  it('stops an upload on Ctrl+C: the message is not sent, and the menu comes back and answers', async () => {
    const platform = await startPlatform(cleanups);
    const bob = await (await CliUser.create(platform, cleanups, 'bob')).signUp();
    const ana = await (await CliUser.create(platform, cleanups, 'ana')).signUp();
    await ana.ok(['open', bob.username]);
    // 1.5 GiB of zeros, sparse: instant to make, and long enough to upload for Ctrl+C to come first.
    const large = join(await tempDir(cleanups), 'large.iso');
    await writeFile(large, '');
    await truncate(large, 1536 * 1024 * 1024);
    const term = new Terminal([process.execPath, CLI_BIN], ana.env);
    cleanups.push(() => term.kill());
    await waitFor(() => term.text().includes('0) Exit'), `the menu; the screen:\n${term.text()}`, 30_000, 50);

    await term.expectMore('Send files to which conversation?', () => term.keys('1', '3', 'Enter'));
    await term.expectMore('File to send (its path):', () => term.keys('1', 'Enter'));
    await term.expectMore('Another file (1 so far', () => term.type(large));
    await term.expectMore('(optional: Enter for none)', () => term.keys('Enter'));
    await term.expectMore('uploading large.iso [', () => term.type('never sent'), 60_000);
    await term.expectMore('cancelled', () => term.keys('C-c'));
    await waitFor(() => term.visible().some((l) => l.includes('0) Exit')), `the menu again; the screen:\n${term.text()}`);
    await term.expectMore('Show which conversation?', () => term.keys('6', 'Enter'));
    await term.expectMore('no messages yet', () => term.keys('1', 'Enter'));
    assert.deepEqual((await bob.ok<{ messages: unknown[] }>(['--json', 'history', ana.username])).messages, []);
  });

  it('says once that notifications are offline and once that they are back, then explains a restart that lost the account in menu terms', async () => {
    let platform: Embedded = await startEmbedded();
    cleanups.push(() => platform.close());
    const ports = { apiPort: Number(new URL(platform.apiUrl).port), websocketPort: Number(new URL(platform.websocketUrl).port) };
    const ann = await (await CliUser.create(platform, cleanups, 'ann')).signUp();
    const term = new Terminal([process.execPath, CLI_BIN], ann.env);
    cleanups.push(() => term.kill());
    await waitFor(() => term.text().includes('0) Exit'), `the menu; the screen:\n${term.text()}`, 30_000, 50);
    await term.expectMore(`connected: notifications for ${ann.username}`, () => term.keys('1', '2', 'Enter'));

    // The gateway goes away for a few seconds (several reconnect attempts) and comes back.
    await platform.stopGateway();
    await waitFor(() => term.text().includes('notifications offline'), `the offline line; the screen:\n${term.text()}`, 15_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await platform.startGateway();
    await waitFor(() => term.text().includes('back online'), `the back-online line; the screen:\n${term.text()}`, 45_000, 50);
    assert.equal(term.count('notifications offline'), 1, term.text());
    assert.equal(term.count('back online'), 1, term.text());
    assert.equal(term.count('reconnecting in'), 0, term.text());

    // The embedded default restarts on the same ports: its accounts are gone, and the menu says what to do.
    await platform.close();
    platform = await startEmbedded(ports);
    await waitFor(() => term.text().includes('notifications stopped: '), `the stop; the screen:\n${term.text()}`, 45_000, 50);
    const stopped = term.text().split('\n').find((l) => l.includes('notifications stopped: ')) ?? '';
    assert.match(stopped, new RegExp(`keeps accounts in memory and has restarted since you logged in as ${ann.username}, so that account is gone: choose 1 to register again, then 2 to authenticate$`));
    // The open menu is drawn again: the title and item 12 follow.
    await waitFor(() => term.visible().some((l) => l.includes(`${ann.username} (session no longer accepted) · notifications off. Choose:`)), `the new title; the screen:\n${term.text()}`, 10_000, 50);
    assert.ok(term.visible().some((l) => l.endsWith('12) Turn real-time notifications on')), term.visible().join('\n'));

    await term.expectMore('choose 1 to register again', () => term.keys('5', 'Enter'));
    assert.ok(!term.text().includes('chat4all login'), `advice names menu choices, not commands:\n${term.text()}`);
  });

  it('closes cleanly on SIGTERM: bye, the cursor back, status 0', async () => {
    const platform = await startPlatform(cleanups);
    const ann = await CliUser.create(platform, cleanups, 'ann');
    const term = new Terminal([process.execPath, CLI_BIN], ann.env);
    cleanups.push(() => term.kill());
    const raw = join(await tempDir(cleanups), 'pane.raw');
    term.record(raw);
    await waitFor(() => term.text().includes('0) Exit'), `the menu; the screen:\n${term.text()}`, 30_000, 50);
    const pid = term.process().pid;
    assert.ok(pid, 'the menu runs');
    process.kill(pid, 'SIGTERM');
    await waitFor(() => term.process().dead, 'the menu to exit', 30_000, 50);
    assert.deepEqual(term.process().status, 0, `${JSON.stringify(term.process())}\n${term.text()}`);
    assert.match(term.text(), /bye$/m);
    const written = await readFile(raw, 'utf8');
    assert.ok(written.lastIndexOf('\u001b[?25l') >= 0, 'the open menu hid the cursor');
    assert.ok(written.lastIndexOf('\u001b[?25h') > written.lastIndexOf('\u001b[?25l'), 'the cursor is shown again before the exit');
  });
});
