import { createHash, type Hash } from 'node:crypto';
import { Chat4AllError, invalid } from '../domain/errors.js';
import type { BlobExpectation } from '../ports/blob-store.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What is wrong with a blob key, or undefined when it is one (see BlobStore). */
export function blobKeyProblem(key: string): string | undefined {
  return KEY.test(key) ? undefined : 'must be 1 to 200 of A-Z, a-z, 0-9, ".", "_", "-", starting with a letter or digit';
}

/** Throws `invalid` `blob_key` for a key no BlobStore accepts, or an expectation that is not one. */
export function checkBlobPut(key: string, expect: BlobExpectation): void {
  const problem = blobKeyProblem(key);
  if (problem) throw invalid('blob_key', `blob key ${JSON.stringify(key.slice(0, 210))} ${problem}`);
  if (!Number.isSafeInteger(expect.size) || expect.size < 0) throw invalid('blob_size', 'the expected size must be a whole number of bytes');
  if (!SHA256_HEX.test(expect.sha256)) throw invalid('blob_sha256', 'the expected SHA-256 must be 64 lower-case hex digits');
}

export const blobTooLarge = (size: number) => new Chat4AllError('too_large', 'blob_too_large', `the body has more than the ${size} bytes announced`);
export const blobStoreFull = () => new Chat4AllError('too_large', 'blob_store_full', 'the blob store has no room for this blob');

/**
 * Counts and hashes a body as it streams and stops it at the first byte over the expected size.
 * Adapters read `chunks()` instead of the body, then call `verify()` before making the blob visible.
 */
export class BodyMeter {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  constructor(
    private readonly body: AsyncIterable<Uint8Array>,
    private readonly expect: BlobExpectation,
  ) {}

  /** The body's chunks; throws `too_large` `blob_too_large` once more than `expect.size` bytes came. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.body) {
      this.count += chunk.byteLength;
      if (this.count > this.expect.size) throw blobTooLarge(this.expect.size);
      this.hash.update(chunk);
      yield chunk;
    }
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** After the last chunk: throws unless the size and the SHA-256 are the expected ones. */
  verify(): void {
    if (this.count !== this.expect.size) {
      throw invalid('blob_size_mismatch', `the body has ${this.count} bytes, not the ${this.expect.size} announced`);
    }
    const sha256 = this.hash.digest('hex');
    if (sha256 !== this.expect.sha256) throw invalid('blob_checksum_mismatch', `the body's SHA-256 is ${sha256}, not the ${this.expect.sha256} announced`);
  }
}
