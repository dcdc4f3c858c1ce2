/**
 * The Chat4All's status conditions, kubebuilder style: three types, each with a fixed set of
 * reasons (the constants below), a message for humans, the generation it describes, and a
 * lastTransitionTime that moves only when the condition's status changes.
 */
import type { Chat4AllStatus, Condition } from './chat4all.js';

export const ConditionType = {
  /** The gateways serve: at least one ready pod. */
  Available: 'Available',
  /** The replica count is changing: a scale was just made, or the pods have not caught up with it. */
  Progressing: 'Progressing',
  /** Something keeps the operator from doing its job (bad spec, no Deployment, unreadable metrics, API errors). */
  Degraded: 'Degraded',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  // Available
  GatewayAvailable: 'GatewayAvailable',
  NoReadyPods: 'NoReadyPods',
  DeploymentNotFound: 'DeploymentNotFound',
  InvalidSpec: 'InvalidSpec',
  // Progressing
  ScalingUp: 'ScalingUp',
  ScalingDown: 'ScalingDown',
  Stable: 'Stable',
  /** A different count is recommended but a stabilization window or a rate limit holds it. */
  Stabilizing: 'Stabilizing',
  // Degraded
  AsExpected: 'AsExpected',
  MetricsUnavailable: 'MetricsUnavailable',
  ScaleFailed: 'ScaleFailed',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface ConditionUpdate {
  type: ConditionType;
  status: boolean;
  reason: Reason;
  message: string;
}

/**
 * The conditions after `updates`, in type order: a condition whose status is unchanged keeps its
 * lastTransitionTime; the others take `now`. Conditions of other types are kept as they are.
 */
export function applyConditions(existing: readonly Condition[] | undefined, updates: readonly ConditionUpdate[], generation: number | undefined, now: Date): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  for (const u of updates) {
    const status = u.status ? 'True' : 'False';
    const old = byType.get(u.type);
    byType.set(u.type, {
      type: u.type,
      status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: u.reason,
      message: u.message.slice(0, 32_768),
    });
  }
  const order: string[] = Object.values(ConditionType);
  return [...byType.values()].sort((a, b) => (order.indexOf(a.type) + 1 || 99) - (order.indexOf(b.type) + 1 || 99) || a.type.localeCompare(b.type));
}

/** The condition of `type`, if any. */
export function conditionOf(status: Chat4AllStatus | undefined, type: ConditionType): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Whether writing `next` over `current` would change anything (so unchanged status is never written). */
export function statusChanged(current: Chat4AllStatus | undefined, next: Chat4AllStatus): boolean {
  const c = (current ?? {}) as Record<string, unknown>;
  return Object.entries(next).some(([k, v]) => JSON.stringify(c[k]) !== JSON.stringify(v));
}
