import {
  ApiException,
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  Observable,
  type ObservableMiddleware,
  PatchStrategy,
  type V1Deployment,
  type V1Pod,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { type Chat4All, type Chat4AllStatus, GROUP, PLURAL, VERSION } from './chat4all.js';
import type { Cluster, GatewayDeployment, GatewayPod } from './cluster.js';
import { type LabelSelector, matchesSelector } from './selectors.js';

/** Request options of a JSON merge patch (client-node sends JSON patches unless told). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Request options that abort the call when `signal` fires: client-node hands the request
 * context's signal to its fetch, so a hung request ends with an AbortError.
 */
export function abortOptions(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** The HTTP status of an API error, or undefined for anything else (a network error). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown } | undefined)?.statusCode ?? (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The watch stores KubeCluster reads (ControllerWatches.cache), all of one namespace. */
export interface ClusterCache {
  readonly namespace: string;
  /** True once every store has applied its first list. */
  readonly synced: boolean;
  readonly chat4alls: ReadonlyMap<string, Chat4All>;
  readonly deployments: ReadonlyMap<string, V1Deployment>;
  readonly pods: ReadonlyMap<string, V1Pod>;
}

/** Reconcile read a cache that has not listed yet: an empty store would mean "nothing there". */
export class CacheNotSyncedError extends Error {
  override readonly name = 'CacheNotSyncedError';
  constructor() {
    super('the watch caches have not synced yet');
  }
}

function toGatewayPod(pod: V1Pod): GatewayPod {
  const ready = pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: pod.metadata?.name ?? '',
    ip: pod.status?.podIP || undefined,
    ready,
    terminating: pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null,
    annotations: { ...pod.metadata?.annotations },
  };
}

type Kind = 'chat4all' | 'deployment' | 'pod';
type Versioned = { metadata?: { resourceVersion?: string } };

/**
 * The Cluster port on a real API server: reads come from the watch caches (no request per
 * reconcile), writes go to the API server. A write is seen by the next read even before its
 * watch event arrives: the object as written is kept until the cache's copy changes, so a
 * reconcile right after a scale does not see the old replica count and scale again.
 */
export class KubeCluster implements Cluster {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  /** Objects as written, with the cache's resourceVersion at the time of the write. */
  private readonly written = new Map<string, { over: string | undefined; object: unknown }>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly cache: ClusterCache,
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async getChat4All(namespace: string, name: string): Promise<Chat4All | undefined> {
    const c = this.read('chat4all', this.cache.chat4alls, namespace, name);
    return c && structuredClone(c);
  }

  async getDeployment(namespace: string, name: string): Promise<GatewayDeployment | undefined> {
    const d = this.read('deployment', this.cache.deployments, namespace, name);
    if (d === undefined) return undefined;
    return { name, replicas: d.spec?.replicas ?? 1, selector: structuredClone(d.spec?.selector ?? {}) as LabelSelector };
  }

  async listPods(namespace: string, selector: LabelSelector): Promise<GatewayPod[]> {
    this.checkCache(namespace);
    for (const key of this.written.keys()) {
      if (key.startsWith('pod/') && !this.cache.pods.has(key.slice(4))) this.written.delete(key);
    }
    const pods: GatewayPod[] = [];
    for (const name of this.cache.pods.keys()) {
      const pod = this.read('pod', this.cache.pods, namespace, name);
      if (pod && matchesSelector(pod.metadata?.labels, selector)) pods.push(toGatewayPod(pod));
    }
    return pods.sort((a, b) => a.name.localeCompare(b.name));
  }

  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    const before = this.cache.deployments.get(name);
    await this.apps.patchNamespacedDeploymentScale({ namespace, name, body: { spec: { replicas } } }, MERGE_PATCH);
    if (before) this.remember('deployment', before, { ...before, spec: { ...before.spec, replicas } });
  }

  async annotatePod(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
    const before = this.cache.pods.get(name);
    const pod = await this.core.patchNamespacedPod({ namespace, name, body: { metadata: { annotations } } }, MERGE_PATCH);
    if (before) this.remember('pod', before, pod);
  }

  async patchStatus(namespace: string, name: string, status: Chat4AllStatus): Promise<void> {
    const before = this.cache.chat4alls.get(name);
    const c = (await this.custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } }, MERGE_PATCH)) as Chat4All;
    if (before) this.remember('chat4all', before, c);
  }

  private checkCache(namespace: string): void {
    if (namespace !== this.cache.namespace) throw new Error(`namespace ${namespace} is not watched (only ${this.cache.namespace})`);
    if (!this.cache.synced) throw new CacheNotSyncedError();
  }

  /** The cached object, or the one this replica wrote if the cache has not moved since. */
  private read<T extends Versioned>(kind: Kind, store: ReadonlyMap<string, T>, namespace: string, name: string): T | undefined {
    this.checkCache(namespace);
    const cached = store.get(name);
    const key = `${kind}/${name}`;
    const mine = this.written.get(key);
    if (mine === undefined) return cached;
    if (cached !== undefined && cached.metadata?.resourceVersion === mine.over) return mine.object as T;
    this.written.delete(key);
    return cached;
  }

  private remember(kind: Kind, before: Versioned & { metadata?: { name?: string } }, object: unknown): void {
    this.written.set(`${kind}/${before.metadata?.name ?? ''}`, { over: before.metadata?.resourceVersion, object });
  }
}
