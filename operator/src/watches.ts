/**
 * The watches of the controller: Chat4All resources, Deployments and the gateway pods of one
 * namespace. Their stores are the caches reconcile reads (KubeCluster); their events only map to
 * Chat4All keys and enqueue them.
 * Pods are watched through a label selector (the gateways' component label, by default), so the
 * operator neither lists nor keeps every pod of the namespace; which gateway pods belong to which
 * Chat4All is still decided in memory, by each Deployment's own selector.
 * - a Chat4All: added, deleted, or its spec changed (generation), not its own status writes;
 * - a Deployment: the Chat4Alls that scale it, when its replicas or selector change;
 * - a pod: the Chat4Alls whose Deployment selects it, when it comes, goes, or its readiness,
 *   address or labels change (not annotations: the operator writes those itself).
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Deployment, type V1Pod, Watch } from '@kubernetes/client-node';
import { type Chat4All, GROUP, PLURAL, VERSION } from './chat4all.js';
import { type ClusterCache, abortOptions } from './kube-cluster.js';
import type { Logger } from './logger.js';
import { ResourceWatch, type ResourceWatchOptions, type WatchEventType } from './resource-watch.js';
import { type LabelSelector, matchesSelector } from './selectors.js';

export interface ControllerWatchesOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  enqueue: (key: string) => void;
  /** The label selector of the pods watched (the gateway pods), e.g. `app.kubernetes.io/component=gateway`. */
  podSelector: string;
  logger: Logger;
  /** Passed to each ResourceWatch (backoffs, watch timeout). */
  watchOptions?: Partial<Pick<ResourceWatchOptions<never>, 'minBackoffMs' | 'maxBackoffMs' | 'watchTimeoutSeconds'>>;
}

type Pod = V1Pod & { metadata?: { name?: string; resourceVersion?: string } };

function podShape(pod: Pod | undefined): string {
  if (!pod) return '';
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([pod.metadata?.labels ?? {}, pod.status?.phase, ready, pod.status?.podIP, Boolean(pod.metadata?.deletionTimestamp)]);
}

const deploymentShape = (d: V1Deployment | undefined) => (d ? JSON.stringify([d.spec?.replicas, d.spec?.selector]) : '');

export class ControllerWatches {
  readonly chat4alls: ResourceWatch<Chat4All>;
  readonly deployments: ResourceWatch<V1Deployment>;
  readonly pods: ResourceWatch<Pod>;
  /** The stores, for reads. */
  readonly cache: ClusterCache;

  constructor(private readonly o: ControllerWatchesOptions) {
    const { kubeConfig, namespace, logger } = o;
    const watch = new Watch(kubeConfig);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const common = { watch, logger, ...o.watchOptions };

    this.chat4alls = new ResourceWatch<Chat4All>({
      ...common,
      resource: PLURAL,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
      list: async (signal) => {
        const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL }, abortOptions(signal))) as { items: Chat4All[]; metadata: { resourceVersion: string } };
        return { items: list.items, resourceVersion: list.metadata.resourceVersion };
      },
      onEvent: (type, obj, old) => {
        if (type === 'MODIFIED' && old && old.metadata.generation === obj.metadata.generation) return;
        o.enqueue(`${namespace}/${obj.metadata.name}`);
      },
    });
    this.deployments = new ResourceWatch<V1Deployment>({
      ...common,
      resource: 'deployments',
      path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      list: async (signal) => {
        const list = await apps.listNamespacedDeployment({ namespace }, abortOptions(signal));
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
      },
      onEvent: (type, obj, old) => {
        if (type === 'MODIFIED' && deploymentShape(obj) === deploymentShape(old)) return;
        for (const key of this.keysScaling(obj.metadata?.name ?? '')) o.enqueue(key);
      },
    });
    this.pods = new ResourceWatch<Pod>({
      ...common,
      resource: 'pods',
      path: `/api/v1/namespaces/${namespace}/pods`,
      labelSelector: o.podSelector,
      list: async (signal) => {
        const list = await core.listNamespacedPod({ namespace, labelSelector: o.podSelector }, abortOptions(signal));
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
      },
      onEvent: (type: WatchEventType, obj, old) => {
        if (type === 'MODIFIED' && podShape(obj) === podShape(old)) return;
        const keys = new Set([...this.keysSelecting(obj.metadata?.labels), ...(old ? this.keysSelecting(old.metadata?.labels) : [])]);
        for (const key of keys) o.enqueue(key);
      },
    });
    const watches = [this.chat4alls, this.deployments, this.pods];
    this.cache = {
      namespace,
      get synced() {
        return watches.every((w) => w.synced);
      },
      chat4alls: this.chat4alls.store,
      deployments: this.deployments.store,
      pods: this.pods.store,
    };
  }

  /** Resolves true once every watch has applied its first list, false if they are stopped first. */
  async waitForSync(): Promise<boolean> {
    const synced = await Promise.all([this.chat4alls.waitForSync(), this.deployments.waitForSync(), this.pods.waitForSync()]);
    return synced.every(Boolean);
  }

  /** Keys of every Chat4All known to the watch. */
  keys(): string[] {
    return [...this.chat4alls.store.values()].map((c) => `${this.o.namespace}/${c.metadata.name}`);
  }

  /** Keys of the Chat4Alls that scale the Deployment `name`. */
  private keysScaling(name: string): string[] {
    return [...this.chat4alls.store.values()].filter((c) => c.spec?.gateway?.deployment === name).map((c) => `${this.o.namespace}/${c.metadata.name}`);
  }

  /** Keys of the Chat4Alls whose Deployment's selector matches `labels`. */
  private keysSelecting(labels: Record<string, string> | undefined): string[] {
    const keys: string[] = [];
    for (const c of this.chat4alls.store.values()) {
      const selector = this.deployments.store.get(c.spec?.gateway?.deployment ?? '')?.spec?.selector as LabelSelector | undefined;
      if (selector && matchesSelector(labels, selector)) keys.push(`${this.o.namespace}/${c.metadata.name}`);
    }
    return keys;
  }

  start(): void {
    this.chat4alls.start();
    this.deployments.start();
    this.pods.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.chat4alls.stop(), this.deployments.stop(), this.pods.stop()]);
  }
}
