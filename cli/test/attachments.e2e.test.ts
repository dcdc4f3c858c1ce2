import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Embedded } from '@chat4all/server';
import { CliProcess, tempDir, waitFor } from './helpers.js';
import { CliUser, startPlatform } from './platform.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Ref {
  attachment_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
}

describe('files sent with messages, through the CLI, against a live platform', () => {
  let platform: Embedded;
  before(async () => {
    platform = await startPlatform(cleanups);
  });

  it('alice sends a file with send --file; bob downloads exactly its bytes, and a second download does not replace the first', async () => {
    const alice = await (await CliUser.create(platform, cleanups, 'alice')).signUp();
    const bob = await (await CliUser.create(platform, cleanups, 'bob')).signUp();
    const bytes = randomBytes(3 * 1024 * 1024 + 123);
    const path = join(await tempDir(cleanups), 'holiday photo.jpg');
    await writeFile(path, bytes);

    const sent = await alice.ok<{ message_id: string; status: string; attachments: Ref[] }>(['--json', 'send', bob.username, 'the photo', '--file', path]);
    assert.equal(sent.status, 'ACCEPTED');
    assert.deepEqual(
      sent.attachments.map((a) => [a.filename, a.content_type, a.size, a.sha256]),
      [['holiday photo.jpg', 'image/jpeg', bytes.length, sha256(bytes)]],
    );

    // bob's history shows it, with the file's name and size.
    await waitFor(async () => (await bob.ok<string>(['history', alice.username])).includes(`${alice.username}: the photo [file: holiday photo.jpg (3.0 MiB)]`), 'the file in bob’s history');

    const out = await tempDir(cleanups);
    const first = await bob.run(['download', sent.message_id, '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `saved ${join(out, 'holiday photo.jpg')} (3.0 MiB)\n`);
    assert.equal(first.stderr, '', 'no progress bar when stderr is not a terminal');
    assert.equal(sha256(await readFile(join(out, 'holiday photo.jpg'))), sha256(bytes));

    const second = await bob.ok<{ message_id: string; files: (Ref & { path: string })[] }>(['--json', 'download', sent.message_id, '--out', out]);
    assert.deepEqual(
      second.files.map((f) => [f.path, f.sha256]),
      [[join(out, 'holiday photo (1).jpg'), sha256(bytes)]],
    );
    assert.equal(sha256(await readFile(join(out, 'holiday photo (1).jpg'))), sha256(bytes));
    assert.equal(sha256(await readFile(join(out, 'holiday photo.jpg'))), sha256(bytes), 'the first download is untouched');
    assert.deepEqual((await readdir(out)).sort(), ['holiday photo (1).jpg', 'holiday photo.jpg'], 'no temporary file is left');
  });

  it('sends several files without text; listen shows them live, and only members may download', async () => {
    const carol = await (await CliUser.create(platform, cleanups, 'carol')).signUp();
    const dan = await (await CliUser.create(platform, cleanups, 'dan')).signUp();
    const eve = await (await CliUser.create(platform, cleanups, 'eve')).signUp();
    const dir = await tempDir(cleanups);
    await writeFile(join(dir, 'a.txt'), 'first file\n');
    await writeFile(join(dir, 'b.csv'), 'x,y\n1,2\n');
    const json = new CliProcess(['--json', 'listen'], dan.env);
    const text = new CliProcess(['listen'], dan.env);
    cleanups.push(async () => void (await Promise.all([json.stop(), text.stop()])));
    await json.waitForStderr(/connected/, 'dan connected (json)');
    await text.waitForStderr(/connected/, 'dan connected (text)');

    const sent = await carol.ok<{ message_id: string }>(['--json', 'send', dan.username, '--file', join(dir, 'a.txt'), '--file', join(dir, 'b.csv')]);
    const frame = await waitFor(() => json.json<{ type: string; message_id?: string; content?: string; attachments?: Ref[] }>().find((f) => f.type === 'new_message'), 'the message on dan’s listen --json');
    assert.equal(frame.message_id, sent.message_id);
    assert.equal(frame.content, '');
    assert.deepEqual(
      frame.attachments?.map((a) => [a.filename, a.content_type, a.size]),
      [
        ['a.txt', 'text/plain', 11],
        ['b.csv', 'text/csv', 8],
      ],
    );
    await waitFor(() => text.lines().some((l) => l.endsWith(`${carol.username}: [2 files: a.txt (11 B), b.csv (8 B)]`)), `the files on dan’s listen; stdout: ${text.stdout}`);

    const stranger = await eve.run(['download', sent.message_id, '--out', await tempDir(cleanups)]);
    assert.equal(stranger.code, 1);
    assert.equal(stranger.stderr, 'error: the message does not exist\n', 'a stranger learns nothing, not even that it exists');
    const out = await tempDir(cleanups);
    await dan.ok(['download', sent.message_id, '--out', out]);
    assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'first file\n');
    assert.equal(await readFile(join(out, 'b.csv'), 'utf8'), 'x,y\n1,2\n');
  });

  it('explains a missing file and sends nothing: the conversation stays empty', async () => {
    const fay = await (await CliUser.create(platform, cleanups, 'fay')).signUp();
    const gus = await (await CliUser.create(platform, cleanups, 'gus')).signUp();
    await fay.ok(['open', gus.username]);
    const missing = join(await tempDir(cleanups), 'gone.pdf');
    const r = await fay.run(['send', gus.username, 'see attached', '--file', missing]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: no such file: ${missing}\n`);
    const history = await gus.ok<{ messages: unknown[] }>(['--json', 'history', fay.username]);
    assert.deepEqual(history.messages, []);
  });
});
