import type { Readable } from 'node:stream';
import type { Backend } from '../domain/health.js';

/** What a put must receive: a body that does not match is refused and nothing is stored. */
export interface BlobExpectation {
  /** The exact number of bytes of the body. */
  size: number;
  /** The SHA-256 of the body, lower-case hex (64 characters). */
  sha256: string;
}

/** A stored blob. */
export interface BlobInfo {
  key: string;
  size: number;
  sha256: string;
}

/** A blob being read. */
export interface BlobObject {
  size: number;
  /** The bytes, once; the reader must consume or destroy it. */
  body: Readable;
}

/**
 * Bytes by key: the files attached to messages. Keys are 1 to 200 of A-Z, a-z, 0-9, `.`, `_`, `-`,
 * starting with a letter or digit (`blobKeyProblem` says what is wrong with one); any other key is
 * refused with `invalid` `blob_key`. The store keeps bytes only: names, types and who may read them
 * are the caller's business.
 */
export interface BlobStore extends Backend {
  /**
   * Reads `body` to its end and stores it under `key`, atomically: readers see the whole blob once
   * `put` resolves, and never a part of it. The body is checked as it streams; on any failure
   * `put` rejects and leaves nothing readable under `key` (and no partial data behind):
   * - more bytes than `expect.size`: rejects `too_large` `blob_too_large` as soon as the excess
   *   arrives, without reading further;
   * - fewer bytes: `invalid` `blob_size_mismatch`; another SHA-256: `invalid` `blob_checksum_mismatch`;
   * - the body fails (an upload cut short): rejects with the body's error;
   * - a store with a bound on what it holds and no room for `expect.size` more bytes: `too_large`
   *   `blob_store_full`, before reading the body;
   * - the store cannot be reached: `unavailable`.
   * Putting a key again replaces its blob (as atomically) once the new body is complete and checked.
   */
  put(key: string, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<BlobInfo>;
  /** Opens a blob for reading; undefined when no complete blob has that key. */
  get(key: string): Promise<BlobObject | undefined>;
  /** Removes a blob. Idempotent: an absent key resolves too. */
  delete(key: string): Promise<void>;
  /**
   * Removes what puts that never finished left behind (a process stopped in the middle of one),
   * when they began before `olderThan`; a put still running keeps its data. Resolves how many
   * were removed. Idempotent; never touches complete blobs.
   */
  removeIncomplete(olderThan: Date): Promise<number>;
  close(): Promise<void>;
}
