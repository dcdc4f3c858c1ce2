// The BlobStore contract and the S3 adapter's own behaviour against the real object store of
// scripts/services.sh (S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY), in a bucket of this file's own.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, DeleteBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { isChat4AllError, randomId } from '@chat4all/core';
import { blobTestBytes, blobTestChunks, describeBlobStore } from '@chat4all/core/testing';
import pino from 'pino';
import { S3BlobStore, parseS3Options, type S3Options } from '../src/index.js';

const PART = 5 * 1024 * 1024;
const base = parseS3Options(process.env);
if (!base) throw new Error('S3_ENDPOINT is not set: run through `make test-integration` (scripts/services.sh env)');
const options: S3Options = { ...base, bucket: `chat4all-test-${randomId().toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12)}` };
const logger = pino({ level: 'silent' });
const raw = new S3Client({ endpoint: options.endpoint, region: options.region, forcePathStyle: true, credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } });
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const made: S3BlobStore[] = [];

async function store(): Promise<S3BlobStore> {
  const s = new S3BlobStore({ ...options, logger, partBytes: PART });
  await s.start();
  made.push(s);
  return s;
}

async function openUploads(): Promise<string[]> {
  const page = await raw.send(new ListMultipartUploadsCommand({ Bucket: options.bucket }));
  return (page.Uploads ?? []).map((u) => u.Key!);
}

before(async () => {
  await store();
});

after(async () => {
  const s = made[0]!;
  const listed = await raw.send(new ListObjectsV2Command({ Bucket: options.bucket }));
  for (const o of listed.Contents ?? []) await s.delete(o.Key!);
  await s.removeIncomplete(new Date(Date.now() + 3_600_000));
  await raw.send(new DeleteBucketCommand({ Bucket: options.bucket }));
  await Promise.all(made.map((m) => m.close()));
  raw.destroy();
});

describeBlobStore('s3', store, { largeBytes: 2 * PART + 123_457 });

describe('S3BlobStore', () => {
  it('reports up once the bucket is there, and creating it again is harmless', async () => {
    const s = await store();
    assert.deepEqual(s.health(), { status: 'up' });
  });

  it('aborts its multipart upload when the body is cut or wrong, leaving no parts behind', async () => {
    const s = await store();
    const bytes = blobTestBytes(3 * PART);
    await assert.rejects(s.put('cut', blobTestChunks(bytes, 256 * 1024, 2 * PART), { size: bytes.length, sha256: sha256(bytes) }), /connection cut/);
    const wrong = Buffer.from(bytes);
    wrong[PART + 7] = (wrong[PART + 7] ?? 0) ^ 0xff;
    await assert.rejects(s.put('wrong', blobTestChunks(wrong, 256 * 1024), { size: bytes.length, sha256: sha256(bytes) }), (e: unknown) => isChat4AllError(e) && e.code === 'blob_checksum_mismatch');
    assert.deepEqual((await openUploads()).filter((k) => k === 'cut' || k === 'wrong'), []);
    assert.equal(await s.get('cut'), undefined);
    assert.equal(await s.get('wrong'), undefined);
  });

  it('aborts the uploads a stopped process left open once they are older than asked', async () => {
    const s = await store();
    const open = await raw.send(new CreateMultipartUploadCommand({ Bucket: options.bucket, Key: 'left-open' }));
    await raw.send(new UploadPartCommand({ Bucket: options.bucket, Key: 'left-open', UploadId: open.UploadId, PartNumber: 1, Body: Buffer.alloc(1024) }));
    assert.equal(await s.removeIncomplete(new Date(Date.now() - 3_600_000)), 0, 'a recent upload is left alone');
    assert.ok((await openUploads()).includes('left-open'));
    assert.equal(await s.removeIncomplete(new Date(Date.now() + 60_000)), 1);
    assert.deepEqual(await openUploads(), []);
  });

  it('is down and refuses with unavailable while the store cannot be reached', async () => {
    const s = new S3BlobStore({ ...options, endpoint: 'http://127.0.0.1:9', logger, requestTimeoutMs: 2000 });
    made.push(s);
    await assert.rejects(s.start(), (e: unknown) => isChat4AllError(e, 'unavailable'));
    assert.equal(s.health().status, 'down');
    const b = Buffer.from('x');
    await assert.rejects(s.put('k', blobTestChunks(b), { size: 1, sha256: sha256(b) }), (e: unknown) => isChat4AllError(e, 'unavailable'));
  });
});
