import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isChat4AllError } from '../src/index.js';
import { DiskBlobStore, MemoryBlobStore } from '../src/memory/index.js';
import { blobTestBytes, blobTestChunks, describeBlobStore } from '../src/testing/index.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'chat4all-blobs-'));
  dirs.push(d);
  return d;
}
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describeBlobStore('memory', async () => new MemoryBlobStore());
describeBlobStore('disk', async () => new DiskBlobStore({ directory: await tempDir() }));

for (const [name, make] of [
  ['memory', async (capacityBytes: number) => new MemoryBlobStore({ capacityBytes })],
  ['disk', async (capacityBytes: number) => new DiskBlobStore({ directory: await tempDir(), capacityBytes })],
] as const) {
  describe(`${name} blob store bound`, () => {
    it('refuses a put there is no room for, before reading it, and frees the room of a failed or deleted one', async () => {
      const s = await make(100_000);
      const a = blobTestBytes(60_000);
      await s.put('a', blobTestChunks(a), { size: a.length, sha256: sha256(a) });
      let read = false;
      async function* never() {
        read = true;
        yield new Uint8Array(1);
      }
      await assert.rejects(s.put('b', never(), { size: 50_000, sha256: sha256(a) }), (e: unknown) => isChat4AllError(e, 'too_large') && e.code === 'blob_store_full');
      assert.equal(read, false);
      await assert.rejects(s.put('b', blobTestChunks(a, 10_000, 20_000), { size: 40_000, sha256: sha256(a) }));
      const b = blobTestBytes(40_000);
      await s.put('b', blobTestChunks(b), { size: b.length, sha256: sha256(b) });
      await s.delete('a');
      await s.put('c', blobTestChunks(a), { size: a.length, sha256: sha256(a) });
    });
  });
}

describe('DiskBlobStore', () => {
  it('removes the files of puts a crash cut off once they are older than asked, and counts what a restart finds', async () => {
    const directory = await tempDir();
    const s = new DiskBlobStore({ directory, capacityBytes: 10_000 });
    const kept = blobTestBytes(6_000);
    await s.put('kept', blobTestChunks(kept), { size: kept.length, sha256: sha256(kept) });
    const stale = join(directory, 'incomplete', 'crashed.abc');
    const fresh = join(directory, 'incomplete', 'running.def');
    await writeFile(stale, 'partial');
    await writeFile(fresh, 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);
    assert.equal(await s.removeIncomplete(new Date(Date.now() - 60_000)), 1);
    assert.deepEqual(await readdir(join(directory, 'incomplete')), ['running.def']);

    const restarted = new DiskBlobStore({ directory, capacityBytes: 10_000 });
    await assert.rejects(restarted.put('more', blobTestChunks(kept), { size: kept.length, sha256: sha256(kept) }), (e: unknown) => isChat4AllError(e) && e.code === 'blob_store_full');
    assert.equal((await restarted.get('kept'))?.size, kept.length);
  });
});
