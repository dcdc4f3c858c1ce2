/**
 * The scaling decision: a pure function of the spec, the gateway pods' connection counts, the
 * current replica count, the recent history and the clock. The rules are the HorizontalPodAutoscaler's
 * (tolerance, stabilization windows, rate-limit policies, min and max) applied to one metric,
 * `websocket_connections_active`, summed over the ready gateway pods:
 *
 *   recommendation = ceil(sum / targetConnectionsPerPod)   when |ratio - 1| > tolerance,
 *   ratio = sum / (targetConnectionsPerPod * pods with a reading)
 *
 * Example: target 100, 3 pods holding 130 + 120 + 110 = 360 connections: ratio 1.2 is outside
 * 0.1, so the recommendation is ceil(360 / 100) = 4.
 */
import type { ResolvedGatewaySpec, ResolvedRules } from './chat4all.js';

export interface Clock {
  /** Milliseconds since the epoch: for times written down (status, Lease records). */
  now(): number;
}

/** Milliseconds from an arbitrary origin, never set back or forward: for measuring intervals (lease timing). */
export interface MonotonicClock {
  monotonic(): number;
}

export const systemClock: Clock & MonotonicClock = { now: () => Date.now(), monotonic: () => performance.now() };

/** One ready gateway pod: its connection count, or undefined when its metrics could not be read. */
export interface PodSample {
  name: string;
  connections: number | undefined;
}

export interface DecisionInput {
  spec: ResolvedGatewaySpec;
  /** The Deployment's spec.replicas. */
  currentReplicas: number;
  /** The ready gateway pods (not ready or terminating pods are left out by the caller). */
  pods: readonly PodSample[];
}

/** What the decision remembers between runs (per Chat4All, in the leader's memory). */
export interface ScalingHistory {
  /** Raw recommendations (before stabilization), oldest first. */
  readonly recommendations: readonly { readonly at: number; readonly replicas: number }[];
  /** Scale changes made (positive up, negative down), oldest first. */
  readonly changes: readonly { readonly at: number; readonly change: number }[];
}

export const emptyHistory: ScalingHistory = { recommendations: [], changes: [] };

/**
 * The history a newly elected leader (or a newly seen Chat4All) starts from: the current count as
 * if recommended now, so that no scale-down happens before a whole window of evidence.
 */
export function seedHistory(currentReplicas: number, now: number): ScalingHistory {
  return { recommendations: [{ at: now, replicas: currentReplicas }], changes: [] };
}

export type Direction = 'up' | 'down' | 'none';

/** Why the decision came out as it did; stable strings, used as Event reasons and in logs. */
export const DecisionReason = {
  /** spec.gateway.replicas pins the count. */
  Pinned: 'Pinned',
  /** The Deployment had fewer than minReplicas. */
  BelowMinimum: 'BelowMinimum',
  /** The Deployment had more than maxReplicas. */
  AboveMaximum: 'AboveMaximum',
  /** No ready gateway pod: nothing to measure, no change. */
  NoReadyPods: 'NoReadyPods',
  /** No ready pod's metrics could be read: no change. */
  MetricsUnavailable: 'MetricsUnavailable',
  /** Some pods' metrics are missing and the others point down: no scale-down on partial data. */
  MissingMetrics: 'MissingMetrics',
  /** The usage ratio is within the tolerance. */
  WithinTolerance: 'WithinTolerance',
  /** More connections than the target: more pods. */
  ConnectionsAboveTarget: 'ConnectionsAboveTarget',
  /** Fewer connections than the target: fewer pods. */
  ConnectionsBelowTarget: 'ConnectionsBelowTarget',
  /** A higher recommendation within the scale-down window holds the count. */
  ScaleDownStabilized: 'ScaleDownStabilized',
  /** A lower recommendation within the scale-up window holds the count. */
  ScaleUpStabilized: 'ScaleUpStabilized',
  /** A scale-up policy limits the step. */
  ScaleUpLimited: 'ScaleUpLimited',
  /** A scale-down policy limits the step. */
  ScaleDownLimited: 'ScaleDownLimited',
  /** selectPolicy Disabled forbids this direction. */
  ScalingDisabled: 'ScalingDisabled',
  /** maxReplicas caps the recommendation. */
  TooManyReplicas: 'TooManyReplicas',
  /** minReplicas floors the recommendation. */
  TooFewReplicas: 'TooFewReplicas',
} as const;
export type DecisionReason = (typeof DecisionReason)[keyof typeof DecisionReason];

export interface Decision {
  desiredReplicas: number;
  direction: Direction;
  reason: DecisionReason;
  /** One human sentence: the numbers behind the decision. */
  message: string;
  /** From the connections alone, before windows, rate limits and bounds (undefined without data). */
  recommendation: number | undefined;
  /** Sum of the connections that could be read. */
  connections: number;
  /** Ready pods whose metrics could not be read. */
  missingPods: string[];
  /** Average connections per read pod over the target (undefined without data). */
  usageRatio: number | undefined;
  /** The history to keep if the decision is carried out. */
  history: ScalingHistory;
}

const EPSILON = 1e-9;

interface Recommendation {
  replicas: number | undefined;
  reason: DecisionReason;
  message: string;
  connections: number;
  ratio: number | undefined;
  missing: string[];
}

/** The recommendation from the connections alone (HPA's replica calculator, for one pods metric). */
function recommend(input: DecisionInput): Recommendation {
  const { spec, currentReplicas: current, pods } = input;
  const target = spec.targetConnectionsPerPod;
  const read = pods.filter((p): p is { name: string; connections: number } => p.connections !== undefined);
  const missing = pods.filter((p) => p.connections === undefined).map((p) => p.name);
  const sum = read.reduce((s, p) => s + p.connections, 0);
  const base = { connections: sum, missing };
  if (pods.length === 0) return { ...base, replicas: undefined, ratio: undefined, reason: DecisionReason.NoReadyPods, message: 'no ready gateway pod to measure' };
  if (read.length === 0) return { ...base, replicas: undefined, ratio: undefined, reason: DecisionReason.MetricsUnavailable, message: `the metrics of ${missing.length} ready pod(s) could not be read` };
  const ratio = sum / (target * read.length);
  const about = `${sum} connections on ${read.length} pod(s), target ${target} per pod (ratio ${ratio.toFixed(2)})`;
  const within = (r: number) => Math.abs(r - 1) <= spec.tolerance + EPSILON;
  if (within(ratio)) return { ...base, replicas: current, ratio, reason: DecisionReason.WithinTolerance, message: `${about}: within tolerance ${spec.tolerance}` };
  if (missing.length > 0) {
    if (ratio < 1) {
      // An unread pod counts as full: it may be the busy one. No scale-down on partial data.
      return { ...base, replicas: current, ratio, reason: DecisionReason.MissingMetrics, message: `${about}, but ${missing.length} pod(s) unread (${missing.join(', ')}): no scale-down on missing data` };
    }
    // Scaling up: an unread pod counts as empty, which may cancel the scale-up.
    const dampened = sum / (target * pods.length);
    if (within(dampened) || dampened < 1) {
      return { ...base, replicas: current, ratio, reason: DecisionReason.MissingMetrics, message: `${about}; counting ${missing.length} unread pod(s) as empty gives ratio ${dampened.toFixed(2)}: no change` };
    }
  }
  const replicas = Math.ceil(sum / target);
  // The count of ready pods can differ from the Deployment's (pods starting or stopping): never
  // move against the ratio's direction.
  if ((ratio > 1 && replicas < current) || (ratio < 1 && replicas > current)) {
    return { ...base, replicas: current, ratio, reason: DecisionReason.WithinTolerance, message: `${about}: ${replicas} would move against the load, keeping ${current}` };
  }
  const reason = ratio > 1 ? DecisionReason.ConnectionsAboveTarget : DecisionReason.ConnectionsBelowTarget;
  return { ...base, replicas, ratio, reason, message: `${about}: ${replicas} recommended` };
}

/** Replicas changed in `direction` within the last `periodSeconds`. */
function changedWithin(history: ScalingHistory, direction: 'up' | 'down', periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return history.changes.filter((c) => c.at > cutoff && (direction === 'up' ? c.change > 0 : c.change < 0)).reduce((s, c) => s + Math.abs(c.change), 0);
}

/** The highest count the scale-up policies allow now. */
function scaleUpLimit(current: number, rules: ResolvedRules, history: ScalingHistory, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    const start = current - changedWithin(history, 'up', p.periodSeconds, now);
    return p.type === 'Pods' ? start + p.value : Math.ceil((start * (100 + p.value)) / 100);
  });
  const limit = rules.selectPolicy === 'Max' ? Math.max(...proposals) : Math.min(...proposals);
  return Math.max(limit, current);
}

/** The lowest count the scale-down policies allow now. */
function scaleDownLimit(current: number, rules: ResolvedRules, history: ScalingHistory, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    const start = current + changedWithin(history, 'down', p.periodSeconds, now);
    return p.type === 'Pods' ? start - p.value : Math.floor((start * (100 - p.value)) / 100);
  });
  // Max selects the policy that allows the biggest change, i.e. the lowest count.
  const limit = rules.selectPolicy === 'Max' ? Math.min(...proposals) : Math.max(...proposals);
  return Math.min(limit, current);
}

/** Drops what no window or period can look at any more. */
function prune(history: ScalingHistory, spec: ResolvedGatewaySpec, now: number): ScalingHistory {
  const window = Math.max(spec.scaleUp.stabilizationWindowSeconds, spec.scaleDown.stabilizationWindowSeconds) * 1000;
  const period = Math.max(0, ...spec.scaleUp.policies.map((p) => p.periodSeconds), ...spec.scaleDown.policies.map((p) => p.periodSeconds)) * 1000;
  return {
    recommendations: history.recommendations.filter((r) => r.at > now - window),
    changes: history.changes.filter((c) => c.at > now - period),
  };
}

/**
 * Decides the gateway replica count. Pure: reads the clock once, never mutates `history`, and
 * returns the history to keep when the decision is carried out (with the change recorded).
 */
export function decide(input: DecisionInput, history: ScalingHistory, clock: Clock): Decision {
  const now = clock.now();
  const { spec, currentReplicas: current } = input;
  const rec = recommend(input);
  const common = { recommendation: rec.replicas, connections: rec.connections, missingPods: rec.missing, usageRatio: rec.ratio };
  const finish = (desired: number, reason: DecisionReason, message: string, recorded: number | undefined): Decision => {
    let next = prune(history, spec, now);
    if (recorded !== undefined) next = { ...next, recommendations: [...next.recommendations, { at: now, replicas: recorded }] };
    if (desired !== current) next = { ...next, changes: [...next.changes, { at: now, change: desired - current }] };
    const direction: Direction = desired > current ? 'up' : desired < current ? 'down' : 'none';
    return { ...common, desiredReplicas: desired, direction, reason, message, history: next };
  };

  if (spec.replicas !== undefined) {
    const pinned = Math.min(spec.maxReplicas, Math.max(spec.minReplicas, spec.replicas));
    return finish(pinned, DecisionReason.Pinned, `pinned at ${pinned} by spec.gateway.replicas; ${rec.message}`, pinned);
  }
  if (current < spec.minReplicas) return finish(spec.minReplicas, DecisionReason.BelowMinimum, `${current} is below minReplicas ${spec.minReplicas}`, spec.minReplicas);
  if (current > spec.maxReplicas) return finish(spec.maxReplicas, DecisionReason.AboveMaximum, `${current} is above maxReplicas ${spec.maxReplicas}`, spec.maxReplicas);
  if (rec.replicas === undefined) return finish(current, rec.reason, `${rec.message}: keeping ${current}`, undefined);

  // The bounds first: a recommendation outside them is the bound (and is remembered as such).
  let reason: DecisionReason = rec.reason;
  let message = rec.message;
  let recommended = rec.replicas;
  if (recommended > spec.maxReplicas) {
    recommended = spec.maxReplicas;
    reason = DecisionReason.TooManyReplicas;
    message += `; capped at maxReplicas ${spec.maxReplicas}`;
  } else if (recommended < spec.minReplicas) {
    recommended = spec.minReplicas;
    reason = DecisionReason.TooFewReplicas;
    message += `; floored at minReplicas ${spec.minReplicas}`;
  }

  // Stabilization: the lowest recommendation of the up window, the highest of the down window.
  const upCutoff = now - spec.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - spec.scaleDown.stabilizationWindowSeconds * 1000;
  let upFloor = recommended;
  let downCeiling = recommended;
  for (const r of history.recommendations) {
    if (r.at > upCutoff) upFloor = Math.min(upFloor, r.replicas);
    if (r.at > downCutoff) downCeiling = Math.max(downCeiling, r.replicas);
  }
  let desired = current;
  if (desired < upFloor) desired = upFloor;
  if (desired > downCeiling) desired = downCeiling;
  if (recommended > current && desired < recommended) {
    reason = DecisionReason.ScaleUpStabilized;
    message += `; held at ${desired} by the ${spec.scaleUp.stabilizationWindowSeconds} s scale-up window`;
  } else if (recommended < current && desired > recommended) {
    reason = DecisionReason.ScaleDownStabilized;
    message += `; held at ${desired} by the ${spec.scaleDown.stabilizationWindowSeconds} s scale-down window`;
  }

  // The bounds again (window entries made before a change of min or max may lie outside them),
  // then the rate limits, which only ever shorten a step.
  desired = Math.min(spec.maxReplicas, Math.max(spec.minReplicas, desired));

  if (desired > current) {
    if (spec.scaleUp.selectPolicy === 'Disabled') return finish(current, DecisionReason.ScalingDisabled, `${message}; scaling up is disabled`, recommended);
    const limit = scaleUpLimit(current, spec.scaleUp, history, now);
    if (desired > limit) {
      desired = limit;
      reason = DecisionReason.ScaleUpLimited;
      message += `; limited to ${limit} by the scale-up policies`;
    }
  } else if (desired < current) {
    if (spec.scaleDown.selectPolicy === 'Disabled') return finish(current, DecisionReason.ScalingDisabled, `${message}; scaling down is disabled`, recommended);
    const limit = scaleDownLimit(current, spec.scaleDown, history, now);
    if (desired < limit) {
      desired = limit;
      reason = DecisionReason.ScaleDownLimited;
      message += `; limited to ${limit} by the scale-down policies`;
    }
  }
  if (desired === current && (reason === DecisionReason.ConnectionsAboveTarget || reason === DecisionReason.ConnectionsBelowTarget)) message += `; already at ${current}`;
  return finish(desired, reason, message, recommended);
}
