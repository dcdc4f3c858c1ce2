import { readFileSync } from 'node:fs';
import * as kplus from 'cdk8s-plus-27';

/** Reads a shell script shipped beside the infrastructure constructs (src/infrastructure/scripts). */
export function script(name: string): string {
  return readFileSync(new URL(`../infrastructure/scripts/${name}`, import.meta.url), 'utf8');
}

/** `env` entries (L1) from plain values. */
export function envOf(values: Readonly<Record<string, string>>): kplus.k8s.EnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/** POD_NAME and POD_NAMESPACE from the downward API. */
export const POD_IDENTITY_ENV: kplus.k8s.EnvVar[] = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
];

/**
 * The user and group every Chat4All container runs as: the images built by `make images` (images/)
 * create it, and a uid above 10000 shares nothing with the node's own users.
 */
export const RUN_AS = 10001;

/** The container security context (L1) of every container: no root, no writes, no capabilities. */
export function containerSecurity(): kplus.k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** A non-root pod security context (L1) running as `uid` with `fsGroup` so volumes are writable. */
export function podSecurity(uid: number = RUN_AS): kplus.k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/** An emptyDir volume (L1) bounded to `sizeMiB`: scratch space for a read-only root filesystem. */
export function scratchVolume(name: string, sizeMiB: number): kplus.k8s.Volume {
  return { name, emptyDir: { sizeLimit: kplus.k8s.Quantity.fromString(`${sizeMiB}Mi`) } };
}

/** A persistent volume claim template named `data`. */
export function dataClaim(sizeGi: number, storageClassName: string | undefined): kplus.k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: 'data' },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage: kplus.k8s.Quantity.fromString(`${sizeGi}Gi`) } },
    },
  };
}

/**
 * Spreads the pods that match `selector` evenly over nodes (at most one more on any node than on
 * another), and over zones where nodes have them; with fewer nodes than pods the scheduler still
 * places them (ScheduleAnyway), as evenly as it can.
 */
export function spreadOverNodes(selector: Record<string, string>): kplus.k8s.TopologySpreadConstraint[] {
  return ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selector },
  }));
}

/**
 * What every pod of a StatefulSet here shares (L1): no service-account token, no service links,
 * the non-root pod security context, spread over nodes.
 */
export function statefulPodSpec(selector: Record<string, string>): Pick<kplus.k8s.PodSpec, 'automountServiceAccountToken' | 'enableServiceLinks' | 'securityContext' | 'topologySpreadConstraints'> {
  return { automountServiceAccountToken: false, enableServiceLinks: false, securityContext: podSecurity(), topologySpreadConstraints: spreadOverNodes(selector) };
}
