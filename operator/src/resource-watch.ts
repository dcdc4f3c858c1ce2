/**
 * List-then-watch of one resource type in one namespace, with a store of what it has seen (an
 * informer without the frills). It survives what watches go through:
 * - the server ends the watch (its timeout, or a restart): watch again from the last
 *   resourceVersion seen (bookmarks included);
 * - the resourceVersion expired (410 Gone, as an ERROR event or as the response status): list
 *   again and carry on from the list's resourceVersion, reporting the differences as events;
 * - the connection breaks or the server is down: list again after a backoff (doubling, capped).
 * Handlers get every change once, in order, with the object before it when there was one.
 */
import type { Watch } from '@kubernetes/client-node';
import type { Logger } from './logger.js';

export interface WatchedObject {
  metadata?: { name?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string> };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ResourceWatchOptions<T extends WatchedObject> {
  /** For the log. */
  resource: string;
  /** client-node's Watch (it holds the connection settings). */
  watch: Pick<Watch, 'watch'>;
  /** The collection's path, e.g. /api/v1/namespaces/ns/pods. */
  path: string;
  /** Watches only the objects with these labels (`labelSelector`); `list` must apply the same. */
  labelSelector?: string;
  /** Lists the collection: the items and the list's resourceVersion. `signal` fires on stop. */
  list: (signal: AbortSignal) => Promise<{ items: T[]; resourceVersion: string }>;
  onEvent: (type: WatchEventType, object: T, old: T | undefined) => void;
  logger: Logger;
  /** @default 250 ms */
  minBackoffMs?: number;
  /** @default 10 s */
  maxBackoffMs?: number;
  /** Server-side timeout of one watch request, randomized by up to +50%. @default 300 s */
  watchTimeoutSeconds?: number;
}

/** The resourceVersion is too old: list again. */
export class GoneError extends Error {
  override readonly name = 'GoneError';
  readonly code = 'resource_version_expired';
}

const isGone = (err: unknown) => err instanceof GoneError || (err as { statusCode?: unknown } | undefined)?.statusCode === 410;

export class ResourceWatch<T extends WatchedObject> {
  /** What the watch has seen, by name. */
  readonly store = new Map<string, T>();
  /** Lists made (the first one included). */
  lists = 0;
  /** Lists made because the resourceVersion expired. */
  expirations = 0;
  private stopped = false;
  private abort: AbortController | undefined;
  /** Aborts a list in flight, so that stop() does not wait on a hung request. */
  private readonly listAbort = new AbortController();
  /** Ends the current watch request's wait at once (its connection is aborted once it exists). */
  private cancel: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastResourceVersion: string | undefined;
  private syncWaiters: ((synced: boolean) => void)[] = [];

  constructor(private readonly o: ResourceWatchOptions<T>) {}

  /** Starts listing and watching; with `resumeFrom`, watches from that resourceVersion first. */
  start(resumeFrom?: string): void {
    this.loop ??= this.run(resumeFrom);
  }

  /** True once a list has been applied. */
  get synced(): boolean {
    return this.lists > 0;
  }

  /** Resolves true once the first list has been applied, or false if the watch is stopped first. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get resourceVersion(): string | undefined {
    return this.lastResourceVersion;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.syncWaiters.splice(0)) w(false);
    this.listAbort.abort();
    this.abort?.abort();
    this.cancel?.();
    this.wake?.();
    await this.loop;
  }

  private async run(resumeFrom: string | undefined): Promise<void> {
    let rv = resumeFrom;
    let failures = 0;
    while (!this.stopped) {
      try {
        rv ??= await this.relist();
        const started = performance.now();
        rv = await this.watchFrom(rv);
        // A clean end: watch again from where it stopped; pause if watches end at once.
        failures = performance.now() - started < 1000 ? failures + 1 : 0;
        if (failures > 0) await this.sleep(this.backoff(failures));
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          this.expirations++;
          this.o.logger.info({ resource: this.o.resource, resourceVersion: rv }, 'resourceVersion expired (410): listing again');
          rv = undefined;
          continue;
        }
        failures++;
        const delay = this.backoff(failures);
        this.o.logger.warn({ resource: this.o.resource, err: (err as Error)?.message ?? String(err), retryInMs: delay }, 'watch failed: listing again after a backoff');
        rv = undefined;
        await this.sleep(delay);
      }
    }
  }

  private backoff(failures: number): number {
    const min = this.o.minBackoffMs ?? 250;
    const max = this.o.maxBackoffMs ?? 10_000;
    const d = Math.min(max, min * 2 ** Math.min(failures - 1, 20));
    return d / 2 + Math.random() * (d / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Lists, reports the differences with the store as events, and returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.o.list(this.listAbort.signal);
    const seen = new Set<string>();
    for (const item of items) {
      const name = item.metadata?.name ?? '';
      seen.add(name);
      const old = this.store.get(name);
      this.store.set(name, item);
      if (!old) this.o.onEvent('ADDED', item, undefined);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.o.onEvent('MODIFIED', item, old);
    }
    for (const [name, old] of [...this.store]) {
      if (seen.has(name)) continue;
      this.store.delete(name);
      this.o.onEvent('DELETED', old, old);
    }
    this.lists++;
    this.lastResourceVersion = resourceVersion;
    for (const w of this.syncWaiters.splice(0)) w(true);
    return resourceVersion;
  }

  private apply(type: WatchEventType, object: T): void {
    const name = object.metadata?.name ?? '';
    const old = this.store.get(name);
    if (type === 'DELETED') this.store.delete(name);
    else this.store.set(name, object);
    this.o.onEvent(type, object, old);
  }

  /** One watch request from `rv`; resolves with the last resourceVersion seen when the server ends it. */
  private watchFrom(rv: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let last = rv;
      let settled = false;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        this.abort?.abort();
        this.abort = undefined;
        this.cancel = undefined;
        if (err) reject(err);
        else resolve(last);
      };
      this.cancel = () => finish(new Error('stopped'));
      const timeoutSeconds = Math.round((this.o.watchTimeoutSeconds ?? 300) * (1 + Math.random() / 2));
      const query = { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds, ...(this.o.labelSelector ? { labelSelector: this.o.labelSelector } : {}) };
      const onEvent = (type: string, object: unknown) => {
        if (settled) return;
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string } | undefined;
          finish(status?.code === 410 ? new GoneError(status.message ?? 'resourceVersion expired') : new Error(`watch error ${status?.code}: ${status?.message}`));
          return;
        }
        const obj = object as T;
        const objRv = obj?.metadata?.resourceVersion;
        if (objRv) last = objRv;
        this.lastResourceVersion = last;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.apply(type, obj);
      };
      this.o.watch.watch(this.o.path, query, onEvent, (err: unknown) => finish(err ?? undefined)).then(
        (controller) => {
          if (settled || this.stopped) controller.abort();
          else this.abort = controller;
        },
        (err: unknown) => finish(err ?? new Error('watch failed')),
      );
    });
  }
}
