import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { isChat4AllError } from '../domain/errors.js';
import { randomId } from '../domain/ids.js';
import type { BlobStore } from '../ports/blob-store.js';

export type BlobStoreFactory = () => Promise<BlobStore>;

export interface BlobStoreContractOptions {
  /** A body size that makes the adapter write in several pieces (an S3 multipart upload). @default 12 MiB */
  largeBytes?: number;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const key = () => `contract-${randomId().replace(/[^A-Za-z0-9]/g, '')}`;

/** `bytes` in chunks of `chunk`, then (optionally) a failure instead of the end. */
async function* chunked(bytes: Buffer, chunk = 64 * 1024, failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += chunk) {
    if (failAfter !== undefined && at >= failAfter) throw Object.assign(new Error('connection cut'), { code: 'ECONNRESET' });
    yield bytes.subarray(at, at + chunk);
  }
  if (failAfter !== undefined) throw Object.assign(new Error('connection cut'), { code: 'ECONNRESET' });
}

/** Pseudo-random bytes (incompressible, cheap to make). */
function bytesOf(size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = 0x9e3779b9 ^ size;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  return out;
}

async function readAll(store: BlobStore, k: string): Promise<Buffer | undefined> {
  const blob = await store.get(k);
  if (!blob) return undefined;
  const bytes = await buffer(blob.body);
  assert.equal(bytes.length, blob.size, 'the size given is the size read');
  return bytes;
}

async function rejectsWith(p: Promise<unknown>, kind: string, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isChat4AllError(err), `a Chat4AllError, got ${String(err)}`);
    assert.equal(`${err.kind}/${err.code}`, `${kind}/${code}`);
    return true;
  });
}

/** The BlobStore contract, run against every adapter. */
export function describeBlobStore(name: string, make: BlobStoreFactory, options: BlobStoreContractOptions = {}): void {
  const largeBytes = options.largeBytes ?? 12 * 1024 * 1024;
  describe(`BlobStore contract: ${name}`, () => {
    const opened: BlobStore[] = [];
    after(async () => {
      await Promise.all(opened.map((s) => s.close().catch(() => {})));
    });
    const open = async () => {
      const s = await make();
      opened.push(s);
      return s;
    };

    it('stores a body and reads back the same bytes; an absent key reads as undefined; delete is idempotent', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(100_003);
      assert.deepEqual(await s.put(k, chunked(bytes), { size: bytes.length, sha256: sha256(bytes) }), { key: k, size: bytes.length, sha256: sha256(bytes) });
      assert.ok((await readAll(s, k))?.equals(bytes));
      assert.equal(await s.get(key()), undefined);
      await s.delete(k);
      await s.delete(k);
      assert.equal(await s.get(k), undefined);
    });

    it('stores an empty body', async () => {
      const s = await open();
      const k = key();
      await s.put(k, chunked(Buffer.alloc(0)), { size: 0, sha256: sha256(Buffer.alloc(0)) });
      assert.equal((await readAll(s, k))?.length, 0);
    });

    it('stores a large body written in several pieces', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(largeBytes);
      await s.put(k, chunked(bytes, 256 * 1024), { size: bytes.length, sha256: sha256(bytes) });
      const back = await readAll(s, k);
      assert.equal(back && sha256(back), sha256(bytes));
    });

    it('refuses a body longer than announced as soon as the excess arrives, and stores nothing', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(300_000);
      let pulled = 0;
      async function* counting() {
        for await (const c of chunked(bytes, 10_000)) {
          pulled += c.byteLength;
          yield c;
        }
      }
      await rejectsWith(s.put(k, counting(), { size: 100_000, sha256: sha256(bytes.subarray(0, 100_000)) }), 'too_large', 'blob_too_large');
      assert.equal(pulled, 110_000, 'reading stopped at the first chunk over the size');
      assert.equal(await s.get(k), undefined);
    });

    it('refuses a body shorter than announced, or with another checksum, and stores nothing', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(50_000);
      await rejectsWith(s.put(k, chunked(bytes), { size: 50_001, sha256: sha256(bytes) }), 'invalid', 'blob_size_mismatch');
      assert.equal(await s.get(k), undefined);
      const other = Buffer.from(bytes);
      other[25_000] = (other[25_000] ?? 0) ^ 1;
      await rejectsWith(s.put(k, chunked(other), { size: bytes.length, sha256: sha256(bytes) }), 'invalid', 'blob_checksum_mismatch');
      assert.equal(await s.get(k), undefined);
    });

    it('stores nothing when the body fails part-way (an upload cut short)', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(largeBytes);
      await assert.rejects(s.put(k, chunked(bytes, 256 * 1024, Math.floor(largeBytes * 0.6)), { size: bytes.length, sha256: sha256(bytes) }), /connection cut/);
      assert.equal(await s.get(k), undefined);
    });

    it('shows nothing under a key while its put is in progress, then the whole blob', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(200_000);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let halfway!: () => void;
      const reached = new Promise<void>((resolve) => (halfway = resolve));
      async function* paused() {
        yield bytes.subarray(0, 100_000);
        halfway();
        await gate;
        yield bytes.subarray(100_000);
      }
      const putting = s.put(k, paused(), { size: bytes.length, sha256: sha256(bytes) });
      await reached;
      assert.equal(await s.get(k), undefined, 'nothing readable mid-put');
      release();
      await putting;
      assert.ok((await readAll(s, k))?.equals(bytes));
    });

    it('replaces a blob only with a complete, checked body', async () => {
      const s = await open();
      const k = key();
      const first = bytesOf(40_000);
      const second = bytesOf(40_001);
      await s.put(k, chunked(first), { size: first.length, sha256: sha256(first) });
      await assert.rejects(s.put(k, chunked(second, 10_000, 20_000), { size: second.length, sha256: sha256(second) }));
      assert.ok((await readAll(s, k))?.equals(first), 'a failed replacement leaves the old blob');
      await s.put(k, chunked(second), { size: second.length, sha256: sha256(second) });
      assert.ok((await readAll(s, k))?.equals(second));
    });

    it('refuses keys outside the alphabet and malformed expectations', async () => {
      const s = await open();
      const bytes = Buffer.from('x');
      for (const bad of ['', '../etc/passwd', 'a/b', '.hidden', 'x'.repeat(201), 'sp ace']) {
        await rejectsWith(s.put(bad, chunked(bytes), { size: 1, sha256: sha256(bytes) }), 'invalid', 'blob_key');
      }
      await rejectsWith(s.put(key(), chunked(bytes), { size: 1, sha256: 'ABC' }), 'invalid', 'blob_sha256');
      await rejectsWith(s.put(key(), chunked(bytes), { size: -1, sha256: sha256(bytes) }), 'invalid', 'blob_size');
      assert.equal(await s.get('../etc/passwd'), undefined);
    });

    it('removes nothing complete when asked to remove what unfinished puts left', async () => {
      const s = await open();
      const k = key();
      const bytes = bytesOf(1000);
      await s.put(k, chunked(bytes), { size: bytes.length, sha256: sha256(bytes) });
      assert.ok((await s.removeIncomplete(new Date(Date.now() + 60_000))) >= 0);
      assert.ok((await readAll(s, k))?.equals(bytes));
    });
  });
}

export { bytesOf as blobTestBytes, chunked as blobTestChunks };
