import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendHealth } from '../domain/health.js';
import type { BlobExpectation, BlobInfo, BlobObject, BlobStore } from '../ports/blob-store.js';
import { BodyMeter, blobKeyProblem, blobStoreFull, checkBlobPut } from './blob-checks.js';

export interface DiskBlobStoreOptions {
  /** The directory that holds the blobs (created when missing): `objects/<key>` and `incomplete/`. */
  directory: string;
  /** The most bytes held at once, complete blobs and puts in progress together. @default Infinity */
  capacityBytes?: number;
}

/**
 * Blobs as files under a directory, the embedded default's store. A put writes into
 * `incomplete/<key>.<random>`, flushes it to disk, checks it, and renames it to `objects/<key>`: a
 * rename within one file system is atomic, so readers see the old blob or the new one, never a
 * part. A put that fails removes its file; one cut off by a crash leaves it in `incomplete/` for
 * `removeIncomplete`.
 */
export class DiskBlobStore implements BlobStore {
  readonly backendName = 'disk';
  private readonly objects: string;
  private readonly incomplete: string;
  private readonly capacity: number;
  private ready: Promise<void> | undefined;
  /** Bytes of complete blobs plus the sizes reserved by puts in progress (counted at first use). */
  private used = 0;
  private readonly running = new Set<string>();

  constructor(options: DiskBlobStoreOptions) {
    this.objects = join(options.directory, 'objects');
    this.incomplete = join(options.directory, 'incomplete');
    this.capacity = options.capacityBytes ?? Number.POSITIVE_INFINITY;
  }

  health(): BackendHealth {
    return { status: 'up' };
  }

  /** Creates the directories and counts what they hold, once. */
  private open(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.objects, { recursive: true });
      await mkdir(this.incomplete, { recursive: true });
      for (const name of await readdir(this.objects)) this.used += (await stat(join(this.objects, name))).size;
    })();
    return this.ready;
  }

  async put(key: string, body: AsyncIterable<Uint8Array>, expect: BlobExpectation): Promise<BlobInfo> {
    checkBlobPut(key, expect);
    await this.open();
    if (this.used + expect.size > this.capacity) throw blobStoreFull();
    this.used += expect.size;
    const name = `${key}.${randomBytes(6).toString('hex')}`;
    const temp = join(this.incomplete, name);
    this.running.add(name);
    try {
      const meter = new BodyMeter(body, expect);
      const file = await open(temp, 'wx');
      try {
        for await (const chunk of meter.chunks()) await file.write(chunk);
        meter.verify();
        await file.sync();
      } finally {
        await file.close();
      }
      const previous = await this.sizeOf(key);
      await rename(temp, join(this.objects, key));
      this.used -= previous;
      return { key, size: expect.size, sha256: expect.sha256 };
    } catch (err) {
      this.used -= expect.size;
      await rm(temp, { force: true });
      throw err;
    } finally {
      this.running.delete(name);
    }
  }

  private async sizeOf(key: string): Promise<number> {
    try {
      return (await stat(join(this.objects, key))).size;
    } catch {
      return 0;
    }
  }

  async get(key: string): Promise<BlobObject | undefined> {
    if (blobKeyProblem(key)) return undefined;
    await this.open();
    const path = join(this.objects, key);
    try {
      // Opened before answering: a delete after this still lets the reader finish.
      const handle = await open(path, 'r');
      const { size } = await handle.stat();
      return { size, body: handle.createReadStream() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    if (blobKeyProblem(key)) return;
    await this.open();
    const size = await this.sizeOf(key);
    await rm(join(this.objects, key), { force: true });
    this.used -= size;
  }

  async removeIncomplete(olderThan: Date): Promise<number> {
    await this.open();
    let removed = 0;
    for (const name of await readdir(this.incomplete)) {
      if (this.running.has(name)) continue;
      const path = join(this.incomplete, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < olderThan.getTime()) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}
