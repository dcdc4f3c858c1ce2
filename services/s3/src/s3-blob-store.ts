/**
 * BlobStore on an S3-compatible object store, through the AWS SDK v3.
 *
 * - put: a body that fits in one part (`partBytes`) is gathered, checked, and sent with one
 *   PutObject; a larger one goes up as a multipart upload, part by part as it streams, and is
 *   completed only after its size and SHA-256 checked out. Any failure aborts the upload, so no
 *   object appears and no parts stay behind; an api stopped in the middle leaves an open upload
 *   that `removeIncomplete` aborts (ListMultipartUploads, by initiation time).
 * - get streams GetObject's body; delete is DeleteObject (idempotent in S3).
 * - health: up after the bucket was found or made, down while requests fail to reach the store.
 * The SDK's own checksums are only sent where S3 requires them: object stores other than AWS differ
 * in which they accept, and the bytes are checked here anyway.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { BodyMeter, Chat4AllError, checkBlobPut, blobKeyProblem, isChat4AllError, type BackendHealth, type BlobExpectation, type BlobInfo, type BlobObject, type BlobStore } from '@chat4all/core';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { S3Options } from './s3-options.js';

export interface S3BlobStoreOptions extends S3Options {
  logger: Logger;
  /** Bytes per part of a multipart upload, and the largest body sent in one PutObject (S3's least part is 5 MiB). @default 8388608 (8 MiB) */
  partBytes?: number;
  /** A request that gets no answer within this time fails. @default 30000 */
  requestTimeoutMs?: number;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;

/** HTTP statuses and error names that say the key or the bucket is not there. */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly backendName = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partBytes: number;
  private readonly log: Logger;
  private state: BackendHealth = { status: 'down', detail: 'not started' };

  constructor(options: S3BlobStoreOptions) {
    this.partBytes = options.partBytes ?? 8 * 1024 * 1024;
    if (this.partBytes < MIN_PART_BYTES) throw new Error(`partBytes must be at least ${MIN_PART_BYTES} (S3's least part)`);
    this.bucket = options.bucket;
    this.log = options.logger;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    });
  }

  health(): BackendHealth {
    return this.state;
  }

  /** Finds the bucket, or makes it; rejects `unavailable` while the store cannot be reached. */
  async start(): Promise<void> {
    await this.call(async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
        this.log.info({ bucket: this.bucket }, 'created the attachments bucket');
      }
    });
  }

  /** Runs one exchange with the store: health follows its outcome; failures to reach it become `unavailable`. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.state = { status: 'up' };
      return result;
    } catch (err) {
      if (isChat4AllError(err) || isNotFound(err)) throw err;
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === undefined || status >= 500) {
        this.state = { status: 'down', detail: `object store unreachable: ${(err as Error).name}` };
        throw new Chat4AllError('unavailable', 'blob_store_unavailable', 'the object store cannot be reached; retry later', { cause: err, retryAfterSeconds: 2 });
      }
      throw err;
    }
  }

  async put(key: string, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<BlobInfo> {
    checkBlobPut(key, expect);
    const meter = new BodyMeter(body, expect);
    const chunks = meter.chunks()[Symbol.asyncIterator]();
    const first = await this.gather(chunks);
    if (first.done) {
      meter.verify();
      await this.call(() => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: first.part, ContentLength: first.part.length })));
    } else {
      await this.multipart(key, first.part, chunks, meter);
    }
    return { key, size: expect.size, sha256: expect.sha256 };
  }

  /** Reads up to one part's bytes; `done` when the body ended within them. */
  private async gather(chunks: AsyncIterator<Uint8Array>): Promise<{ part: Buffer; done: boolean }> {
    const parts: Uint8Array[] = [];
    let bytes = 0;
    while (bytes < this.partBytes) {
      const next = await chunks.next();
      if (next.done) return { part: Buffer.concat(parts), done: true };
      parts.push(next.value);
      bytes += next.value.byteLength;
    }
    return { part: Buffer.concat(parts), done: false };
  }

  private async multipart(key: string, firstPart: Buffer, chunks: AsyncIterator<Uint8Array>, meter: BodyMeter): Promise<void> {
    const created = await this.call(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })));
    const uploadId = created.UploadId!;
    const done: CompletedPart[] = [];
    try {
      let part = firstPart;
      for (let ended = false; part.length > 0; ) {
        const PartNumber = done.length + 1;
        const body = part;
        const sent = await this.call(() => this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length })));
        done.push({ PartNumber, ETag: sent.ETag! });
        if (ended) break;
        const next = await this.gather(chunks);
        ended = next.done;
        part = next.part;
      }
      meter.verify();
      await this.call(() => this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done } })));
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch((abortErr: unknown) => {
        this.log.warn({ key, err: { message: (abortErr as Error).message } }, 'could not abort a failed multipart upload; removeIncomplete will');
      });
      throw err;
    }
  }

  async get(key: string): Promise<BlobObject | undefined> {
    if (blobKeyProblem(key)) return undefined;
    try {
      const got = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
      return { size: got.ContentLength ?? 0, body: got.Body as Readable };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    if (blobKeyProblem(key)) return;
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async removeIncomplete(olderThan: Date): Promise<number> {
    let removed = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.call(() => this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, KeyMarker, UploadIdMarker })));
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= olderThan) continue;
        await this.call(() => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId })));
        removed++;
      }
      if (!page.IsTruncated) return removed;
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
