/**
 * The Chat4All custom resource (chat4all.io/v1alpha1) as the operator reads it. The schema lives in
 * cdk8s/src/operator/crd-schema.ts; this file mirrors it, fills in the defaults the API server
 * applies only inside objects that exist (an absent `behavior` gets none), and checks the rules
 * a CRD older than this operator might not enforce.
 */

export const GROUP = 'chat4all.io';
export const VERSION = 'v1alpha1';
export const KIND = 'Chat4All';
export const PLURAL = 'chat4alls';

/** The annotation the ReplicaSet controller reads to pick which pods to delete first (lowest first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

export type PolicyType = 'Pods' | 'Percent';
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** `value` pods (or percent of the count at the period's start) per `periodSeconds`. */
export interface ScalingPolicy {
  type: PolicyType;
  value: number;
  periodSeconds: number;
}

/** Rules in one direction, as in a HorizontalPodAutoscaler's behavior. */
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: SelectPolicy;
  policies?: ScalingPolicy[];
}

export interface GatewayScalingSpec {
  deployment: string;
  minReplicas?: number;
  maxReplicas: number;
  replicas?: number;
  targetConnectionsPerPod: number;
  metricsPort?: number;
  tolerance?: number;
  behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
}

export interface Chat4AllSpec {
  gateway: GatewayScalingSpec;
}

/** A metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface Chat4AllStatus {
  replicas?: number;
  desiredReplicas?: number;
  currentConnections?: number;
  selector?: string;
  lastScaleTime?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface Chat4All {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; generation?: number; resourceVersion?: string };
  spec: Chat4AllSpec;
  status?: Chat4AllStatus;
}

/** Every field of the rules filled in. */
export interface ResolvedRules {
  stabilizationWindowSeconds: number;
  selectPolicy: SelectPolicy;
  policies: ScalingPolicy[];
}

/** A gateway spec with every default applied: what the decision works from. */
export interface ResolvedGatewaySpec {
  deployment: string;
  minReplicas: number;
  maxReplicas: number;
  /** A pin (the scale subresource); undefined when the operator decides. */
  replicas: number | undefined;
  targetConnectionsPerPod: number;
  metricsPort: number;
  tolerance: number;
  scaleUp: ResolvedRules;
  scaleDown: ResolvedRules;
}

/** The HorizontalPodAutoscaler's defaults: up at once, by 100% or 4 pods per 15 s (whichever is more). */
export const DEFAULT_SCALE_UP: ResolvedRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};

/** The HorizontalPodAutoscaler's defaults: down after 300 s of lower recommendations, by up to 100% per 15 s. */
export const DEFAULT_SCALE_DOWN: ResolvedRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function resolveRules(rules: ScalingRules | undefined, defaults: ResolvedRules): ResolvedRules {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies && rules.policies.length > 0 ? rules.policies.map((p) => ({ ...p })) : defaults.policies.map((p) => ({ ...p })),
  };
}

/** Applies the CRD's defaults (minReplicas 2, metricsPort 9095, tolerance 0.1, windows 0 s up and 300 s down). */
export function resolveSpec(spec: GatewayScalingSpec): ResolvedGatewaySpec {
  return {
    deployment: spec.deployment,
    minReplicas: spec.minReplicas ?? 2,
    maxReplicas: spec.maxReplicas,
    replicas: spec.replicas,
    targetConnectionsPerPod: spec.targetConnectionsPerPod,
    metricsPort: spec.metricsPort ?? 9095,
    tolerance: spec.tolerance ?? 0.1,
    scaleUp: resolveRules(spec.behavior?.scaleUp, DEFAULT_SCALE_UP),
    scaleDown: resolveRules(spec.behavior?.scaleDown, DEFAULT_SCALE_DOWN),
  };
}

const isInt = (n: unknown, min: number, max = 2 ** 31 - 1): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/**
 * What is wrong with a spec, one sentence per problem; empty when it is valid. The CRD's schema
 * and CEL rules refuse the same things at the API server; this catches objects stored before a
 * rule existed. A spec with problems is reported (Degraded, InvalidSpec) and never acted on.
 */
export function validateSpec(spec: Partial<GatewayScalingSpec> | undefined): string[] {
  if (spec === undefined || spec === null || typeof spec !== 'object') return ['spec.gateway is required'];
  const problems: string[] = [];
  if (typeof spec.deployment !== 'string' || spec.deployment.length === 0) problems.push('spec.gateway.deployment must name a Deployment');
  if (!isInt(spec.maxReplicas, 1)) problems.push('spec.gateway.maxReplicas must be a whole number of at least 1');
  if (spec.minReplicas !== undefined && !isInt(spec.minReplicas, 1)) problems.push('spec.gateway.minReplicas must be a whole number of at least 1');
  if (!isInt(spec.targetConnectionsPerPod, 1)) problems.push('spec.gateway.targetConnectionsPerPod must be a whole number of at least 1');
  if (spec.metricsPort !== undefined && !isInt(spec.metricsPort, 1, 65535)) problems.push('spec.gateway.metricsPort must be a port number (1-65535)');
  if (spec.tolerance !== undefined && !(typeof spec.tolerance === 'number' && spec.tolerance >= 0 && spec.tolerance <= 1)) problems.push('spec.gateway.tolerance must be between 0 and 1');
  const min = spec.minReplicas ?? 2;
  if (isInt(spec.maxReplicas, 1) && min > spec.maxReplicas!) problems.push(`minReplicas (${min}) must not exceed maxReplicas (${spec.maxReplicas})`);
  if (spec.replicas !== undefined && (!isInt(spec.replicas, 0) || spec.replicas < min || (isInt(spec.maxReplicas, 1) && spec.replicas > spec.maxReplicas!))) {
    problems.push(`replicas (${spec.replicas}) must be within minReplicas and maxReplicas`);
  }
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const rules = spec.behavior?.[dir];
    if (rules === undefined) continue;
    const at = `spec.gateway.behavior.${dir}`;
    if (rules.stabilizationWindowSeconds !== undefined && !isInt(rules.stabilizationWindowSeconds, 0, 3600)) problems.push(`${at}.stabilizationWindowSeconds must be between 0 and 3600`);
    if (rules.selectPolicy !== undefined && !['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)) problems.push(`${at}.selectPolicy must be Max, Min or Disabled`);
    for (const [i, p] of (rules.policies ?? []).entries()) {
      if (!['Pods', 'Percent'].includes(p.type)) problems.push(`${at}.policies[${i}].type must be Pods or Percent`);
      if (!isInt(p.value, 1)) problems.push(`${at}.policies[${i}].value must be at least 1`);
      if (!isInt(p.periodSeconds, 1, 1800)) problems.push(`${at}.policies[${i}].periodSeconds must be between 1 and 1800`);
    }
  }
  return problems;
}
