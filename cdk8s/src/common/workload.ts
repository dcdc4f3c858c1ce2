import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { type ResourceSpec, ephemeralOf } from './resources.js';

/**
 * Makes a cdk8s-plus workload select its pods by `labels` instead of the construct-path label
 * cdk8s-plus adds by default, so selectors stay stable when the code is refactored (a Deployment's
 * selector is immutable) and the Helm chart can render the very same objects.
 */
export function selectByLabels(workload: kplus.Deployment | kplus.StatefulSet, labels: Record<string, string>, podLabels: Record<string, string>): void {
  workload.select(kplus.LabelSelector.of({ labels }));
  for (const [k, v] of Object.entries(podLabels)) workload.podMetadata.addLabel(k, v);
  ApiObject.of(workload).addJsonPatch(JsonPatch.remove(`/spec/template/metadata/labels/${kplus.Pod.ADDRESS_LABEL.replace(/\//g, '~1')}`));
}

/**
 * Completes the hardening cdk8s-plus has no props for: the RuntimeDefault seccomp profile on the
 * pod and `capabilities.drop: [ALL]` on every container. Call it after the containers are added.
 */
export function hardenPodTemplate(workload: kplus.Deployment): void {
  const obj = ApiObject.of(workload);
  obj.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
  workload.containers.forEach((_, i) => obj.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${i}/securityContext/capabilities`, { drop: ['ALL'] })));
  workload.initContainers.forEach((_, i) => obj.addJsonPatch(JsonPatch.add(`/spec/template/spec/initContainers/${i}/securityContext/capabilities`, { drop: ['ALL'] })));
}

/** Requests and limits of ephemeral storage (MiB) on the workload's container at `index`. */
export function addEphemeralStorage(workload: kplus.Deployment, index: number, resources: ResourceSpec): void {
  const e = ephemeralOf(resources);
  const obj = ApiObject.of(workload);
  // Quantities, not strings: the typed manifest turns every value of these maps into a Quantity's.
  obj.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${index}/resources/requests/ephemeral-storage`, kplus.k8s.Quantity.fromString(`${e.request}Mi`)));
  obj.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${index}/resources/limits/ephemeral-storage`, kplus.k8s.Quantity.fromString(`${e.limit}Mi`)));
}

/** The container security context of Chat4All's own images: no root, no writes (see also hardenPodTemplate). */
export const HARDENED_CONTAINER: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
};

export interface PodDisruptionBudgetProps {
  /** The pods it protects. */
  readonly selector: Record<string, string>;
  /** Labels of the budget itself. @default {} */
  readonly labels?: Record<string, string>;
  /** At most this many of them down at once through voluntary disruptions (drains, evictions). @default 1 */
  readonly maxUnavailable?: number;
}

/** A policy/v1 PodDisruptionBudget with `maxUnavailable` (works whatever the replica count). */
export class PodDisruptionBudget extends Construct {
  readonly apiObject: kplus.k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, name: string, props: PodDisruptionBudgetProps) {
    super(scope, id);
    this.apiObject = new kplus.k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: { name, labels: props.labels ?? {} },
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(props.maxUnavailable ?? 1), selector: { matchLabels: props.selector } },
    });
  }
}
