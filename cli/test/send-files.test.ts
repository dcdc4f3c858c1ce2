import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AttachmentApi, sha256 } from './attachment-api.js';
import { fakeToken, runMain, tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** `chat4all send --file` and `chat4all download` in-process, logged in as alice, against a stand-in of the API. */
describe('send --file and download', () => {
  let api: AttachmentApi;
  let env: NodeJS.ProcessEnv;
  let files: string;
  before(async () => {
    api = await new AttachmentApi().start();
    cleanups.push(() => api.close());
    const config = await tempDir(cleanups);
    files = await tempDir(cleanups);
    const token = fakeToken({ sub: 'u1', username: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 });
    await writeFile(join(config, 'session.json'), JSON.stringify({ api_url: api.url, user_id: 'u1', username: 'alice', access_token: token }), { mode: 0o600 });
    env = { CHAT4ALL_CONFIG_DIR: config, CHAT4ALL_API_URL: api.url, CHAT4ALL_WEBSOCKET_URL: 'ws://127.0.0.1:9', NO_COLOR: '1' };
  });

  const chat4all = (argv: string[], stdin?: string) => runMain(argv, env, stdin);

  it('refuses --file without a path and more than 10 files, as usage errors, sending nothing', async () => {
    const before = api.requests.length;
    const noPath = await chat4all(['send', 'bob', 'hi', '--file']);
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /^error: option '--file <path>' argument missing$/m);
    assert.match(noPath.stderr, /^usage: chat4all send \[options\] <conversation> \[text\.\.\.\]$/m);
    const eleven = await chat4all(['send', 'bob', ...Array.from({ length: 11 }, (_, i) => ['--file', `f${i}.txt`]).flat()]);
    assert.equal(eleven.code, 2);
    assert.equal(eleven.stderr, 'error: a message carries at most 10 files (11 given)\n');
    const json = await chat4all(['--json', 'send', 'bob', ...Array.from({ length: 11 }, () => ['--file', 'x']).flat()]);
    assert.deepEqual(JSON.parse(json.stderr), { error: { code: 'usage', message: 'a message carries at most 10 files (11 given)' } });
    assert.equal(api.requests.length, before);
  });

  it('explains a missing file, a directory among the files, and sends nothing at all', async () => {
    const good = join(files, 'good.txt');
    await writeFile(good, 'fine');
    const before = api.requests.length;
    const missing = await chat4all(['send', 'bob', 'see attached', '--file', good, '--file', join(files, 'nope.pdf')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, `error: no such file: ${join(files, 'nope.pdf')}\n`);
    const directory = await chat4all(['send', 'bob', '--file', files]);
    assert.equal(directory.code, 1);
    assert.equal(directory.stderr, `error: ${files} is a directory: give the files in it one by one\n`);
    assert.equal(api.requests.length, before, 'not one request reached the API');
  });

  it('sends files with a message, or with no text at all, and says which', async () => {
    const bytes = randomBytes(200_000);
    await writeFile(join(files, 'scan.png'), bytes);
    await writeFile(join(files, 'notes.txt'), 'notes');
    const sent = await chat4all(['--json', 'send', 'bob', 'two files', '--file', join(files, 'scan.png'), '--file', join(files, 'notes.txt')]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stderr, '', 'no progress bar without a terminal');
    const result = JSON.parse(sent.stdout) as { message_id: string; status: string; attachments: { filename: string; content_type: string; size: number; sha256: string }[] };
    assert.equal(result.status, 'ACCEPTED');
    assert.deepEqual(
      result.attachments.map((a) => [a.filename, a.content_type, a.size, a.sha256]),
      [
        ['scan.png', 'image/png', bytes.length, sha256(bytes)],
        ['notes.txt', 'text/plain', 5, sha256(Buffer.from('notes'))],
      ],
    );
    const stored = api.messages.get(result.message_id);
    assert.equal(stored?.content, 'two files');
    assert.equal(stored?.attachments?.length, 2);

    const bare = await chat4all(['send', 'bob', '--file', join(files, 'notes.txt')]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /^sent to @bob: [0-9a-f-]{36} \(accepted\) with \[file: notes\.txt \(5 B\)\]\n$/);
    const id = /: ([0-9a-f-]{36}) /.exec(bare.stdout)?.[1] ?? '';
    assert.equal(api.messages.get(id)?.content, '');
  });

  it("downloads a message's files into a directory, and again beside them", async () => {
    const bytes = randomBytes(300_000);
    const message = api.addMessage([{ filename: 'report.pdf', bytes }], 'the report');
    const out = join(files, 'downloads');
    const first = await chat4all(['download', message.message_id, '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `saved ${join(out, 'report.pdf')} (293.0 KiB)\n`);
    const second = await chat4all(['--json', 'download', message.message_id, '--out', out]);
    assert.equal(second.code, 0, second.stderr);
    const result = JSON.parse(second.stdout) as { message_id: string; files: { path: string; filename: string; sha256: string }[] };
    assert.equal(result.message_id, message.message_id);
    assert.deepEqual(
      result.files.map((f) => [f.path, f.filename, f.sha256]),
      [[join(out, 'report (1).pdf'), 'report.pdf', sha256(bytes)]],
    );
    assert.ok((await readFile(join(out, 'report.pdf'))).equals(bytes));
    assert.ok((await readFile(join(out, 'report (1).pdf'))).equals(bytes));
    assert.deepEqual((await readdir(out)).sort(), ['report (1).pdf', 'report.pdf']);
  });

  it('fails a download that does not check out with exit 1, leaving the directory as it was', async () => {
    const out = join(files, 'checked');
    await mkdir(out);
    const message = api.addMessage([{ filename: 'data.bin', bytes: randomBytes(1000) }]);
    api.corruptDownloads = randomBytes(1000);
    try {
      const r = await chat4all(['download', message.message_id, '--out', out]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: data\.bin: the bytes received are not the file sent \(SHA-256 [0-9a-f]{64} instead of [0-9a-f]{64}\); nothing was saved\n$/);
    } finally {
      api.corruptDownloads = undefined;
    }
    assert.deepEqual(await readdir(out), []);
    const unknown = await chat4all(['download', '00000000-0000-4000-8000-000000000000']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: the message does not exist\n');
  });
});
