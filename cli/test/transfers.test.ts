import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../src/api-client.js';
import { isCliError } from '../src/errors.js';
import { checkLocalFile } from '../src/local-files.js';
import { noProgress, type ProgressReporter } from '../src/progress.js';
import { downloadAttachments, uploadFiles } from '../src/transfers.js';
import { AttachmentApi, sha256 } from './attachment-api.js';
import { tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A ProgressReporter that records the bars it was asked for and what they were told. */
function recordingProgress(): ProgressReporter & { bars: { label: string; total: number; done: number; finished: boolean }[] } {
  const bars: { label: string; total: number; done: number; finished: boolean }[] = [];
  return {
    bars,
    start(label, total) {
      const bar = { label, total, done: 0, finished: false };
      bars.push(bar);
      return { advance: (n) => void (bar.done += n), finish: () => void (bar.finished = true) };
    },
  };
}

describe('transfers against the documented attachment routes', () => {
  let api: AttachmentApi;
  let client: ApiClient;
  before(async () => {
    api = await new AttachmentApi().start();
    cleanups.push(() => api.close());
    client = new ApiClient({ baseUrl: api.url, token: 'tok', sleep: async () => {} });
  });

  it('announces each file, streams its bytes with their length, and answers the ready attachments', async () => {
    const dir = await tempDir(cleanups);
    const big = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(dir, 'big.bin'), big);
    await writeFile(join(dir, 'notes.txt'), 'hello');
    const files = [await checkLocalFile(join(dir, 'big.bin')), await checkLocalFile(join(dir, 'notes.txt'))];
    const progress = recordingProgress();
    const before = api.requests.length;
    const uploaded = await uploadFiles(client, 'c1', files, { progress });

    assert.deepEqual(
      uploaded.map((a) => [a.filename, a.content_type, a.size, a.sha256, a.state]),
      [
        ['big.bin', 'application/octet-stream', big.length, sha256(big), 'ready'],
        ['notes.txt', 'text/plain', 5, sha256(Buffer.from('hello')), 'ready'],
      ],
    );
    const seen = api.requests.slice(before);
    assert.deepEqual(
      seen.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, '{id}')}`),
      ['POST /v1/attachments', 'PUT /v1/attachments/{id}/content', 'POST /v1/attachments', 'PUT /v1/attachments/{id}/content'],
    );
    const put = seen[1]!;
    assert.equal(put.headers['content-length'], String(big.length));
    assert.equal(put.headers['content-type'], 'application/octet-stream');
    assert.equal(put.headers['transfer-encoding'], undefined);
    assert.equal(put.headers.authorization, 'Bearer tok');
    assert.deepEqual(
      progress.bars.map((b) => [b.label, b.done === b.total, b.finished]),
      [
        ['reading big.bin', true, true],
        ['uploading big.bin', true, true],
        ['reading notes.txt', true, true],
        ['uploading notes.txt', true, true],
      ],
    );
  });

  it('streams a large upload: memory does not grow with the file', async () => {
    const dir = await tempDir(cleanups);
    const path = join(dir, 'large.bin');
    const size = 256 * 1024 * 1024;
    await writeFile(path, '');
    await truncate(path, size); // zeros, sparse: nothing to write
    api.discardUploads = true;
    const before = process.resourceUsage().maxRSS;
    try {
      const [ready] = await uploadFiles(client, 'c1', [await checkLocalFile(path)], { progress: noProgress });
      assert.equal(ready?.size, size);
    } finally {
      api.discardUploads = false;
    }
    const grewMiB = (process.resourceUsage().maxRSS - before) / 1024;
    assert.ok(grewMiB < 96, `the peak memory grew by ${Math.round(grewMiB)} MiB for a 256 MiB upload`);
  });

  it('sends an upload again, from its first byte, when the API is briefly unavailable', async () => {
    const dir = await tempDir(cleanups);
    const bytes = randomBytes(2 * 1024 * 1024);
    await writeFile(join(dir, 'retry.bin'), bytes);
    const progress = recordingProgress();
    api.failUploads = 1;
    const [ready] = await uploadFiles(client, 'c1', [await checkLocalFile(join(dir, 'retry.bin'))], { progress });
    assert.equal(ready?.state, 'ready');
    assert.ok(api.attachments.get(ready.attachment_id)?.bytes?.equals(bytes));
    assert.deepEqual(
      progress.bars.map((b) => [b.label, b.done, b.finished]),
      [
        ['reading retry.bin', bytes.length, true],
        ['uploading retry.bin', bytes.length, true],
        ['uploading retry.bin', bytes.length, true],
      ],
    );
  });

  it('names the file the API finds too large, and uploads nothing of it', async () => {
    const dir = await tempDir(cleanups);
    await writeFile(join(dir, 'huge.iso'), randomBytes(2048));
    api.maxBytes = 1024;
    const before = api.requests.length;
    try {
      await assert.rejects(uploadFiles(client, 'c1', [await checkLocalFile(join(dir, 'huge.iso'))], { progress: noProgress }), (err) => {
        assert.ok(isCliError(err, 'attachment_too_large'), String(err));
        assert.equal(err.message, 'huge.iso: the file is 2048 bytes, over the bound of 1024 bytes');
        assert.equal(err.exitStatus, 1);
        return true;
      });
    } finally {
      api.maxBytes = 2 * 1024 ** 3;
    }
    assert.deepEqual(
      api.requests.slice(before).map((r) => r.method),
      ['POST'],
    );
  });

  it('fails with file_changed when a file grows between its hash and its upload', async () => {
    const dir = await tempDir(cleanups);
    const path = join(dir, 'log.txt');
    await writeFile(path, 'short');
    // The file grows as soon as it has been read for its SHA-256.
    const growing: ProgressReporter = { start: (label) => (label.startsWith('reading') ? { advance: () => {}, finish: () => writeFileSync(path, 'much longer now') } : undefined) };
    await assert.rejects(uploadFiles(client, 'c1', [await checkLocalFile(path)], { progress: growing }), (err) => isCliError(err, 'file_changed') && /^log\.txt: the file changed while it was being sent/.test(err.message));
  });

  it("saves a message's files under their names, checked, and a second time beside them without replacing them", async () => {
    const dir = await tempDir(cleanups);
    const a = randomBytes(1_500_000);
    const message = api.addMessage([
      { filename: 'photo.jpg', bytes: a },
      { filename: '../../escape.txt', bytes: Buffer.from('stay inside') },
    ]);
    const progress = recordingProgress();
    const first = await downloadAttachments(client, message, dir, { progress });
    assert.deepEqual(
      first.map((f) => f.path),
      [join(dir, 'photo.jpg'), join(dir, 'escape.txt')],
    );
    assert.ok((await readFile(join(dir, 'photo.jpg'))).equals(a));
    assert.equal(await readFile(join(dir, 'escape.txt'), 'utf8'), 'stay inside');
    assert.deepEqual(
      progress.bars.map((b) => [b.label, b.done, b.finished]),
      [
        ['downloading photo.jpg', a.length, true],
        ['downloading ../../escape.txt', 11, true],
      ],
    );
    const link = api.requests.find((r) => r.method === 'GET' && r.path.includes('/content?'));
    assert.equal(link?.headers.authorization, undefined, 'the link goes without the bearer token');

    const saved: string[] = [];
    const second = await downloadAttachments(client, message, dir, { progress: noProgress, onSaved: (f) => saved.push(f.path) });
    assert.deepEqual(saved, [join(dir, 'photo (1).jpg'), join(dir, 'escape (1).txt')]);
    assert.deepEqual(
      second.map((f) => f.path),
      saved,
    );
    assert.deepEqual((await readdir(dir)).sort(), ['escape (1).txt', 'escape.txt', 'photo (1).jpg', 'photo.jpg']);
  });

  it('keeps nothing when the bytes are not those of the message, not even the temporary file', async () => {
    const dir = await tempDir(cleanups);
    const message = api.addMessage([{ filename: 'data.bin', bytes: randomBytes(4096) }]);
    for (const other of [randomBytes(4096), randomBytes(100), randomBytes(5000)]) {
      api.corruptDownloads = other;
      try {
        await assert.rejects(downloadAttachments(client, message, dir, { progress: noProgress }), (err) => isCliError(err, 'download_mismatch') && /^data\.bin: the bytes received are not the file sent/.test(err.message));
      } finally {
        api.corruptDownloads = undefined;
      }
      assert.deepEqual(await readdir(dir), []);
    }
  });

  it('makes the output directory, and refuses a file in its place or a message without files', async () => {
    const base = await tempDir(cleanups);
    const message = api.addMessage([{ filename: 'a.txt', bytes: Buffer.from('a') }]);
    const [saved] = await downloadAttachments(client, message, join(base, 'new', 'dir'), { progress: noProgress });
    assert.equal(saved?.path, join(base, 'new', 'dir', 'a.txt'));
    await writeFile(join(base, 'plain'), 'x');
    await assert.rejects(downloadAttachments(client, message, join(base, 'plain'), { progress: noProgress }), (err) => isCliError(err, 'bad_directory') && err.exitStatus === 2);
    await mkdir(join(base, 'empty'));
    await assert.rejects(downloadAttachments(client, { ...message, attachments: [] }, join(base, 'empty'), { progress: noProgress }), (err) => isCliError(err, 'no_attachments'));
  });
});
