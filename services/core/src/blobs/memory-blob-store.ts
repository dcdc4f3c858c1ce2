import { Readable } from 'node:stream';
import type { BackendHealth } from '../domain/health.js';
import type { BlobExpectation, BlobInfo, BlobObject, BlobStore } from '../ports/blob-store.js';
import { BodyMeter, blobStoreFull, checkBlobPut } from './blob-checks.js';

export interface MemoryBlobStoreOptions {
  /** The most bytes held at once, complete blobs and puts in progress together. @default 268435456 (256 MiB) */
  capacityBytes?: number;
}

/** Blobs in this process's memory, bounded: for tests and small embedded setups. */
export class MemoryBlobStore implements BlobStore {
  readonly backendName = 'memory';
  private readonly blobs = new Map<string, Buffer>();
  private readonly capacity: number;
  /** Bytes of complete blobs plus the sizes reserved by puts in progress. */
  private used = 0;

  constructor(options: MemoryBlobStoreOptions = {}) {
    this.capacity = options.capacityBytes ?? 256 * 1024 * 1024;
  }

  health(): BackendHealth {
    return { status: 'up' };
  }

  async put(key: string, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<BlobInfo> {
    checkBlobPut(key, expect);
    if (this.used + expect.size > this.capacity) throw blobStoreFull();
    this.used += expect.size;
    try {
      const meter = new BodyMeter(body, expect);
      const parts: Uint8Array[] = [];
      for await (const chunk of meter.chunks()) parts.push(chunk);
      meter.verify();
      const previous = this.blobs.get(key);
      this.blobs.set(key, Buffer.concat(parts));
      if (previous) this.used -= previous.length;
      return { key, size: expect.size, sha256: expect.sha256 };
    } catch (err) {
      this.used -= expect.size;
      throw err;
    }
  }

  async get(key: string): Promise<BlobObject | undefined> {
    const blob = this.blobs.get(key);
    return blob && { size: blob.length, body: Readable.from([blob]) };
  }

  async delete(key: string): Promise<void> {
    const blob = this.blobs.get(key);
    if (blob) this.used -= blob.length;
    this.blobs.delete(key);
  }

  /** Nothing is ever left behind in memory. */
  async removeIncomplete(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}
