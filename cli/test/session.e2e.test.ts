import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmbedded, type Embedded } from '@chat4all/server';
import { CliProcess, fakeToken, waitFor } from './helpers.js';
import { CliUser, PASSWORD, startPlatform } from './platform.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('sessions and receipts as a person meets them', () => {
  let platform: Embedded;
  before(async () => {
    platform = await startPlatform(cleanups);
  });

  it('asks to log in again when the stored token has expired, and to register again when an in-memory server refuses it', async () => {
    const ivy = await CliUser.create(platform, cleanups, 'ivy');
    await mkdir(ivy.configDir, { recursive: true });
    const session = (token: string) => JSON.stringify({ api_url: platform.apiUrl, user_id: 'u', username: ivy.username, access_token: token });
    await writeFile(join(ivy.configDir, 'session.json'), session(fakeToken({ sub: 'u', username: ivy.username, exp: Math.floor(Date.now() / 1000) - 60 })), { mode: 0o600 });
    const expired = await ivy.run(['conversations']);
    assert.equal(expired.code, 1);
    assert.match(expired.stderr, new RegExp(`^error: your session as ${ivy.username} has expired: log in again with \`chat4all login ${ivy.username}\``));
    await writeFile(join(ivy.configDir, 'session.json'), session(fakeToken({ sub: 'u', username: ivy.username, exp: Math.floor(Date.now() / 1000) + 600 })), { mode: 0o600 });
    const refused = await ivy.run(['whoami']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`keeps accounts in memory .*: register again with \`chat4all register ${ivy.username}\``));
  });

  it('shows each receipt from the point of view of the device it reaches', async () => {
    const kay = await (await CliUser.create(platform, cleanups, 'kay')).signUp();
    const lou = await (await CliUser.create(platform, cleanups, 'lou')).signUp();
    const kayListen = new CliProcess(['listen'], kay.env);
    const louListen = new CliProcess(['listen'], lou.env);
    cleanups.push(async () => void (await Promise.all([kayListen.stop(), louListen.stop()])));
    await kayListen.waitForStderr(/connected/, 'kay connected');
    await louListen.waitForStderr(/connected/, 'lou connected');
    const sent = await kay.ok<{ message_id: string }>(['--json', 'send', lou.username, 'read me']);
    await waitFor(() => louListen.lines().some((l) => l.endsWith(`${kay.username}: read me`)), `lou's listen shows the message; stdout: ${louListen.stdout}`);
    await lou.ok(['read', sent.message_id]);
    // The reader's own device: she read it. The sender's device: his message was read by her.
    await waitFor(() => louListen.lines().some((l) => l.includes('✓✓')), `the READ on lou's listen; stdout: ${louListen.stdout}`);
    await waitFor(() => kayListen.lines().some((l) => l.includes('✓✓')), `the READ on kay's listen; stdout: ${kayListen.stdout}`);
    assert.match(louListen.lines().find((l) => l.includes('✓✓')) ?? '', new RegExp(`^\\[\\d\\d:\\d\\d\\] ✓✓ you read ${kay.username}'s message "read me" \\(${sent.message_id}\\)$`));
    assert.match(kayListen.lines().find((l) => l.includes('✓✓')) ?? '', new RegExp(`^\\[\\d\\d:\\d\\d\\] ✓✓ your message "read me" was read by ${lou.username} \\(${sent.message_id}\\)$`));
    assert.ok(!louListen.stdout.includes(`was read by ${lou.username}`), 'never "your message was read by" the reader herself');
  });
});

describe('a session on the embedded default after it restarted', () => {
  it('says the account went with the restart and to register again, not to log in again', async () => {
    const first = await startEmbedded();
    const port = Number(new URL(first.apiUrl).port);
    cleanups.push(() => first.close().catch(() => undefined));
    const ann = await (await CliUser.create(first, cleanups, 'ann')).signUp();
    await first.close();
    const second = await startEmbedded({ apiPort: port });
    cleanups.push(() => second.close());

    const whoami = await ann.run(['whoami']);
    assert.equal(whoami.code, 1);
    assert.equal(
      whoami.stderr,
      `error: the server at http://127.0.0.1:${port} keeps accounts in memory and has restarted since you logged in as ${ann.username}, so that account is gone: register again with \`chat4all register ${ann.username}\`, then log in\n`,
    );
    const json = await ann.run(['--json', 'conversations']);
    assert.equal((JSON.parse(json.stderr) as { error: { code: string } }).error.code, 'account_gone');
    const login = await ann.run(['login', ann.username, '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(login.code, 1);
    assert.match(login.stderr, /the username or the password is wrong \(this server keeps accounts in memory: an account made before it last started no longer exists\)/);
  });
});
