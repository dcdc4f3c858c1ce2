/**
 * What the controller reads and writes in the cluster: a small port, so that reconcile can be
 * exercised against a fake, and a KubeCluster (kube-cluster.ts) for the real API server. Reads
 * come from the watch caches (as a controller-runtime client's do) and may lag the API server
 * by a watch event; they fail until the caches have synced. Writes go to the API server.
 */
import type { Chat4All, Chat4AllStatus } from './chat4all.js';
import type { LabelSelector } from './selectors.js';

export interface GatewayDeployment {
  name: string;
  /** spec.replicas (the API server defaults an absent value to 1). */
  replicas: number;
  selector: LabelSelector;
}

export interface GatewayPod {
  name: string;
  /** status.podIP, once it has one. */
  ip: string | undefined;
  /** phase Running and condition Ready=True. */
  ready: boolean;
  /** metadata.deletionTimestamp is set: it is on its way out. */
  terminating: boolean;
  annotations: Record<string, string>;
}

export interface Cluster {
  /** The Chat4All, or undefined when there is none by that name. */
  getChat4All(namespace: string, name: string): Promise<Chat4All | undefined>;
  /** The Deployment, or undefined when there is none by that name. */
  getDeployment(namespace: string, name: string): Promise<GatewayDeployment | undefined>;
  /** The (watched, gateway) pods matching `selector`, in name order. */
  listPods(namespace: string, selector: LabelSelector): Promise<GatewayPod[]>;
  /** Sets the Deployment's spec.replicas through its scale subresource. Idempotent. */
  scaleDeployment(namespace: string, name: string, replicas: number): Promise<void>;
  /** Merges `annotations` into the pod's. Idempotent. */
  annotatePod(namespace: string, name: string, annotations: Record<string, string>): Promise<void>;
  /** Merges `status` into the Chat4All's status subresource (lists are replaced whole). */
  patchStatus(namespace: string, name: string, status: Chat4AllStatus): Promise<void>;
}
