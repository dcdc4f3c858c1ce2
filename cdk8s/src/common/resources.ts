import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { check, checkInt } from './validate.js';

/**
 * CPU in millicores, memory and ephemeral storage (the container's writable layer, its logs and
 * its emptyDir volumes) in MiB that a container asks for (request) and may not exceed (limit).
 */
export interface ResourceSpec {
  readonly cpuMillis: { readonly request: number; readonly limit: number };
  readonly memoryMiB: { readonly request: number; readonly limit: number };
  /** @default DEFAULT_EPHEMERAL_STORAGE_MIB */
  readonly ephemeralStorageMiB?: { readonly request: number; readonly limit: number };
}

/** Ephemeral storage of a container that keeps its data in volumes and logs to standard output. */
export const DEFAULT_EPHEMERAL_STORAGE_MIB = { request: 64, limit: 512 } as const;

export function ephemeralOf(r: ResourceSpec): { readonly request: number; readonly limit: number } {
  return r.ephemeralStorageMiB ?? DEFAULT_EPHEMERAL_STORAGE_MIB;
}

/** Validates a ResourceSpec: positive numbers, each request at most its limit. */
export function checkResources(scope: Construct, prop: string, r: ResourceSpec): ResourceSpec {
  checkInt(scope, `${prop}.cpuMillis.request`, r.cpuMillis.request, 1);
  checkInt(scope, `${prop}.cpuMillis.limit`, r.cpuMillis.limit, 1);
  checkInt(scope, `${prop}.memoryMiB.request`, r.memoryMiB.request, 1);
  checkInt(scope, `${prop}.memoryMiB.limit`, r.memoryMiB.limit, 1);
  check(scope, r.cpuMillis.request <= r.cpuMillis.limit, `${prop}.cpuMillis`, 'request must not exceed limit');
  check(scope, r.memoryMiB.request <= r.memoryMiB.limit, `${prop}.memoryMiB`, 'request must not exceed limit');
  if (r.ephemeralStorageMiB) {
    checkInt(scope, `${prop}.ephemeralStorageMiB.request`, r.ephemeralStorageMiB.request, 1);
    checkInt(scope, `${prop}.ephemeralStorageMiB.limit`, r.ephemeralStorageMiB.limit, 1);
    check(scope, r.ephemeralStorageMiB.request <= r.ephemeralStorageMiB.limit, `${prop}.ephemeralStorageMiB`, 'request must not exceed limit');
  }
  return r;
}

/**
 * The cdk8s-plus form of a ResourceSpec's CPU and memory. cdk8s-plus writes ephemeral storage in
 * whole GiB only: addEphemeralStorage (common/workload.ts) writes it in MiB.
 */
export function toContainerResources(r: ResourceSpec): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.millis(r.cpuMillis.request), limit: kplus.Cpu.millis(r.cpuMillis.limit) },
    memory: { request: Size.mebibytes(r.memoryMiB.request), limit: Size.mebibytes(r.memoryMiB.limit) },
  };
}

/** The Kubernetes (L1) form of a ResourceSpec. */
export function toKubeResources(r: ResourceSpec): { requests: Record<string, kplus.k8s.Quantity>; limits: Record<string, kplus.k8s.Quantity> } {
  return {
    requests: {
      cpu: kplus.k8s.Quantity.fromString(`${r.cpuMillis.request}m`),
      memory: kplus.k8s.Quantity.fromString(`${r.memoryMiB.request}Mi`),
      'ephemeral-storage': kplus.k8s.Quantity.fromString(`${ephemeralOf(r).request}Mi`),
    },
    limits: {
      cpu: kplus.k8s.Quantity.fromString(`${r.cpuMillis.limit}m`),
      memory: kplus.k8s.Quantity.fromString(`${r.memoryMiB.limit}Mi`),
      'ephemeral-storage': kplus.k8s.Quantity.fromString(`${ephemeralOf(r).limit}Mi`),
    },
  };
}
