import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isCliError } from '../src/errors.js';
import { checkLocalFile, contentTypeOf, hashFile, numberedName, placeWithoutOverwrite, safeFilename, temporaryPath } from '../src/local-files.js';
import { tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

describe('file names of downloads', () => {
  it('keeps a plain name as it is', () => {
    assert.equal(safeFilename('report.pdf'), 'report.pdf');
    assert.equal(safeFilename('Relatório final (v2).pdf'), 'Relatório final (v2).pdf');
    assert.equal(safeFilename('.bashrc'), '.bashrc');
  });

  it('drops directories, of either slash, so nothing is written outside the directory', () => {
    assert.equal(safeFilename('../../etc/passwd'), 'passwd');
    assert.equal(safeFilename('/etc/passwd'), 'passwd');
    assert.equal(safeFilename('..\\..\\windows\\win.ini'), 'win.ini');
    assert.equal(safeFilename('dir/'), 'attachment');
  });

  it('never names a file . or .., nor leaves it empty or with control characters', () => {
    for (const name of ['', '.', '..', '...', '   ', 'a/..']) assert.equal(safeFilename(name), 'attachment', JSON.stringify(name));
    assert.equal(safeFilename('bad\u0000na\u001bme\u007f.txt'), 'bad_na_me_.txt');
    assert.equal(safeFilename('line\nbreak.txt'), 'line_break.txt');
  });

  it('cuts a name to 255 bytes, keeping its extension and whole characters', () => {
    const long = safeFilename(`${'é'.repeat(200)}.tar.gz`);
    assert.ok(Buffer.byteLength(long) <= 255, `${Buffer.byteLength(long)} bytes`);
    assert.ok(long.endsWith('é.gz'), long);
    assert.ok(!long.includes('\ufffd'));
  });

  it('numbers a taken name before its extension', () => {
    assert.equal(numberedName('report.pdf', 0), 'report.pdf');
    assert.equal(numberedName('report.pdf', 1), 'report (1).pdf');
    assert.equal(numberedName('report.pdf', 12), 'report (12).pdf');
    assert.equal(numberedName('notes', 2), 'notes (2)');
    assert.equal(numberedName('.bashrc', 1), '.bashrc (1)');
    assert.equal(numberedName('archive.tar.gz', 1), 'archive.tar (1).gz');
    assert.ok(Buffer.byteLength(numberedName(`${'x'.repeat(251)}.bin`, 3)) <= 255);
  });
});

describe('placing a finished download', () => {
  it('never replaces a file: the next free name is taken, and the temporary file goes away', async () => {
    const dir = await tempDir(cleanups);
    await writeFile(join(dir, 'a.txt'), 'first');
    await writeFile(join(dir, 'a (1).txt'), 'second');
    const temp = temporaryPath(dir);
    await writeFile(temp, 'third');
    const placed = await placeWithoutOverwrite(temp, dir, 'a.txt');
    assert.equal(placed, join(dir, 'a (2).txt'));
    assert.equal(await readFile(join(dir, 'a.txt'), 'utf8'), 'first');
    assert.equal(await readFile(join(dir, 'a (1).txt'), 'utf8'), 'second');
    assert.equal(await readFile(placed, 'utf8'), 'third');
    assert.deepEqual((await readdir(dir)).sort(), ['a (1).txt', 'a (2).txt', 'a.txt']);
  });

  it('does not follow a name that is taken by a directory', async () => {
    const dir = await tempDir(cleanups);
    await mkdir(join(dir, 'x'));
    const temp = temporaryPath(dir);
    await writeFile(temp, 'data');
    assert.equal(await placeWithoutOverwrite(temp, dir, 'x'), join(dir, 'x (1)'));
  });
});

describe('files to send', () => {
  it('measures a file and guesses its type from its extension', async () => {
    const dir = await tempDir(cleanups);
    const path = join(dir, 'photo.JPG');
    await writeFile(path, randomBytes(1000));
    assert.deepEqual(await checkLocalFile(path), { path, filename: 'photo.JPG', contentType: 'image/jpeg', size: 1000 });
    assert.equal(contentTypeOf('notes.txt'), 'text/plain');
    assert.equal(contentTypeOf('report.pdf'), 'application/pdf');
    assert.equal(contentTypeOf('data.unknownext'), 'application/octet-stream');
    assert.equal(contentTypeOf('Makefile'), 'application/octet-stream');
  });

  it('explains a missing file, a directory and an unreadable file', async () => {
    const dir = await tempDir(cleanups);
    await assert.rejects(checkLocalFile(join(dir, 'nope.txt')), (err) => isCliError(err, 'file_not_found') && err.message === `no such file: ${join(dir, 'nope.txt')}`);
    await assert.rejects(checkLocalFile(dir), (err) => isCliError(err, 'not_a_file') && /is a directory/.test(err.message));
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.txt');
      await writeFile(locked, 'x');
      await chmod(locked, 0o000);
      await assert.rejects(checkLocalFile(locked), (err) => isCliError(err, 'file_unreadable') && /permission denied/.test(err.message));
    }
  });

  it('hashes a file as a stream, telling each chunk', async () => {
    const dir = await tempDir(cleanups);
    const bytes = randomBytes(300_000);
    const path = join(dir, 'blob.bin');
    await writeFile(path, bytes);
    let told = 0;
    const { sha256, size } = await hashFile(path, (n) => (told += n));
    assert.equal(sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(size, bytes.length);
    assert.equal(told, bytes.length);
  });
});
