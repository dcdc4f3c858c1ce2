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

/** A non-root container security context (L1) for third-party images. */
export function containerSecurity(options: { readOnlyRootFilesystem: boolean }): kplus.k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  };
}

/** A non-root pod security context (L1) running as `uid` with `fsGroup` so volumes are writable. */
export function podSecurity(uid: number): kplus.k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
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

/** Prefers spreading pods that match `selector` over nodes. */
export function spreadOverNodes(selector: Record<string, string>): kplus.k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
      ],
    },
  };
}
