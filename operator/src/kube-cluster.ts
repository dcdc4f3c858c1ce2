import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, PatchStrategy, type V1Pod, setHeaderOptions } from '@kubernetes/client-node';
import { type Chat4All, type Chat4AllStatus, GROUP, PLURAL, VERSION } from './chat4all.js';
import type { Cluster, GatewayDeployment, GatewayPod } from './cluster.js';
import { type LabelSelector, selectorString } from './selectors.js';

/** Request options of a JSON merge patch (client-node sends JSON patches unless told). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The HTTP status of an API error, or undefined for anything else (a network error). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown } | undefined)?.statusCode ?? (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

function toGatewayPod(pod: V1Pod): GatewayPod {
  const ready = pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: pod.metadata?.name ?? '',
    ip: pod.status?.podIP || undefined,
    ready,
    terminating: pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null,
    annotations: pod.metadata?.annotations ?? {},
  };
}

/** The Cluster port on a real API server, through @kubernetes/client-node. */
export class KubeCluster implements Cluster {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async getChat4All(namespace: string, name: string): Promise<Chat4All | undefined> {
    return (await orUndefined(this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }))) as Chat4All | undefined;
  }

  async getDeployment(namespace: string, name: string): Promise<GatewayDeployment | undefined> {
    const d = await orUndefined(this.apps.readNamespacedDeployment({ namespace, name }));
    if (d === undefined) return undefined;
    return { name, replicas: d.spec?.replicas ?? 1, selector: (d.spec?.selector ?? {}) as LabelSelector };
  }

  async listPods(namespace: string, selector: LabelSelector): Promise<GatewayPod[]> {
    const list = await this.core.listNamespacedPod({ namespace, labelSelector: selectorString(selector) });
    return list.items.map(toGatewayPod).sort((a, b) => a.name.localeCompare(b.name));
  }

  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale({ namespace, name, body: { spec: { replicas } } }, MERGE_PATCH);
  }

  async annotatePod(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
    await this.core.patchNamespacedPod({ namespace, name, body: { metadata: { annotations } } }, MERGE_PATCH);
  }

  async patchStatus(namespace: string, name: string, status: Chat4AllStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } }, MERGE_PATCH);
  }
}
