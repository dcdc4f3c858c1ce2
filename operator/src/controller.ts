/**
 * reconcile(key): one idempotent, level-based pass over one Chat4All. It reads the world (the
 * Chat4All, its gateway Deployment, the gateway pods and their connection counts), decides,
 * acts (deletion costs, then the scale), writes the status with its conditions, and says when
 * to look again. Nothing it does depends on which event brought the key.
 */
import { type Chat4All, type Chat4AllStatus, GROUP, KIND, POD_DELETION_COST, VERSION, resolveSpec, validateSpec } from './chat4all.js';
import type { Cluster, GatewayPod } from './cluster.js';
import { type Clock, type Decision, DecisionReason, type PodSample, type ScalingHistory, decide, seedHistory } from './decision.js';
import type { EventRecorder, EventSubject } from './events.js';
import type { Logger } from './logger.js';
import type { MetricsReader } from './metrics-reader.js';
import type { OperatorMetrics } from './operator-metrics.js';
import { selectorString } from './selectors.js';
import { type ConditionUpdate, ConditionType, Reason, applyConditions, conditionOf, statusChanged } from './status.js';

/**
 * Reasons of the Normal Events of scale changes; Warning Events carry the Degraded condition's
 * reason (InvalidSpec, DeploymentNotFound, MetricsUnavailable, ScaleFailed).
 */
export const EventReason = {
  ScaledUp: 'ScaledUp',
  ScaledDown: 'ScaledDown',
} as const;

export interface ReconcileResult {
  /** Reconcile this key again after this long (also without any event). */
  requeueAfterMs?: number;
}

export interface ControllerOptions {
  cluster: Cluster;
  metricsReader: MetricsReader;
  events: EventRecorder;
  metrics: OperatorMetrics;
  clock: Clock;
  logger: Logger;
  /** How often connection counts are read: the requeue of every healthy Chat4All. */
  pollMs: number;
}

const MAX_COST = 2 ** 31 - 1;

export function splitKey(key: string): [namespace: string, name: string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

export class Chat4AllController {
  /**
   * Recommendations and scale changes per key (and uid: a re-created Chat4All starts afresh), in
   * the leader's memory only: a controller lives for one term of leadership.
   */
  private readonly histories = new Map<string, { uid: string | undefined; history: ScalingHistory }>();

  constructor(private readonly o: ControllerOptions) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = splitKey(key);
    const log = this.o.logger.child({ chat4all: key });
    const resource = await this.o.cluster.getChat4All(namespace, name);
    if (resource === undefined) {
      this.histories.delete(key);
      this.o.metrics.forget(namespace, name);
      log.debug('gone');
      return {};
    }
    const generation = resource.metadata.generation;
    const subject: EventSubject = { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, namespace, name, uid: resource.metadata.uid, resourceVersion: resource.metadata.resourceVersion };
    const now = () => new Date(this.o.clock.now());

    const problems = validateSpec(resource.spec?.gateway);
    if (problems.length > 0) {
      const message = problems.join('; ');
      await this.writeStatus(resource, subject, { observedGeneration: generation }, [
        { type: ConditionType.Available, status: false, reason: Reason.InvalidSpec, message: 'the spec is invalid: nothing is scaled' },
        { type: ConditionType.Progressing, status: false, reason: Reason.InvalidSpec, message },
        { type: ConditionType.Degraded, status: true, reason: Reason.InvalidSpec, message },
      ]);
      log.warn({ problems }, 'invalid spec');
      return {};
    }
    const spec = resolveSpec(resource.spec.gateway);
    const deployment = await this.o.cluster.getDeployment(namespace, spec.deployment);
    if (deployment === undefined) {
      const message = `Deployment ${namespace}/${spec.deployment} does not exist`;
      await this.writeStatus(resource, subject, { observedGeneration: generation }, [
        { type: ConditionType.Available, status: false, reason: Reason.DeploymentNotFound, message },
        { type: ConditionType.Progressing, status: false, reason: Reason.DeploymentNotFound, message },
        { type: ConditionType.Degraded, status: true, reason: Reason.DeploymentNotFound, message },
      ]);
      return { requeueAfterMs: this.o.pollMs };
    }

    const pods = (await this.o.cluster.listPods(namespace, deployment.selector)).filter((p) => !p.terminating);
    const ready = pods.filter((p): p is GatewayPod & { ip: string } => p.ready && p.ip !== undefined);
    const samples = await this.o.metricsReader.read(ready, spec.metricsPort);
    const kept = this.histories.get(key);
    const history = kept && kept.uid === resource.metadata.uid ? kept.history : seedHistory(deployment.replicas, this.o.clock.now());
    const decision = decide({ spec, currentReplicas: deployment.replicas, pods: samples }, history, this.o.clock);
    const from = deployment.replicas;
    const scaled = decision.desiredReplicas !== from;

    if (scaled) {
      try {
        if (decision.direction === 'down') await this.writeDeletionCosts(namespace, ready, samples);
        await this.o.cluster.scaleDeployment(namespace, spec.deployment, decision.desiredReplicas);
      } catch (err) {
        await this.writeStatus(resource, subject, { observedGeneration: generation }, [
          { type: ConditionType.Degraded, status: true, reason: Reason.ScaleFailed, message: `scaling ${from} -> ${decision.desiredReplicas} failed: ${(err as Error)?.message ?? String(err)}` },
        ]).catch(() => {});
        throw err;
      }
      const direction = decision.direction as 'up' | 'down';
      this.o.metrics.scaleDecisions.inc({ direction });
      log.info({ from, to: decision.desiredReplicas, reason: decision.reason, connections: decision.connections }, decision.message);
      await this.o.events.record(subject, 'Normal', direction === 'up' ? EventReason.ScaledUp : EventReason.ScaledDown, `${from} -> ${decision.desiredReplicas} (${decision.reason}): ${decision.message}`);
    }
    this.histories.set(key, { uid: resource.metadata.uid, history: decision.history });

    const status: Chat4AllStatus = {
      replicas: pods.length,
      desiredReplicas: decision.desiredReplicas,
      currentConnections: decision.connections,
      selector: selectorString(deployment.selector),
      observedGeneration: generation,
      ...(scaled ? { lastScaleTime: now().toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
    };
    await this.writeStatus(resource, subject, status, this.conditions(decision, from, pods.length, ready.length, scaled));
    this.o.metrics.desiredReplicas.set({ namespace, name }, decision.desiredReplicas);
    this.o.metrics.currentReplicas.set({ namespace, name }, pods.length);
    return { requeueAfterMs: this.o.pollMs };
  }

  private conditions(d: Decision, from: number, running: number, ready: number, scaled: boolean): ConditionUpdate[] {
    const target = d.desiredReplicas;
    const available: ConditionUpdate =
      ready > 0
        ? { type: ConditionType.Available, status: true, reason: Reason.GatewayAvailable, message: `${ready} of ${running} gateway pod(s) ready` }
        : { type: ConditionType.Available, status: false, reason: Reason.NoReadyPods, message: `no gateway pod is ready (${running} running)` };
    let progressing: ConditionUpdate;
    if (scaled) {
      progressing = { type: ConditionType.Progressing, status: true, reason: target > from ? Reason.ScalingUp : Reason.ScalingDown, message: `scaled ${from} -> ${target}: ${d.message}` };
    } else if (running !== target) {
      progressing = { type: ConditionType.Progressing, status: true, reason: running < target ? Reason.ScalingUp : Reason.ScalingDown, message: `${running} gateway pod(s) running, ${target} wanted` };
    } else if (d.reason === DecisionReason.ScaleDownStabilized || d.reason === DecisionReason.ScaleUpStabilized || d.reason === DecisionReason.ScaleUpLimited || d.reason === DecisionReason.ScaleDownLimited) {
      progressing = { type: ConditionType.Progressing, status: false, reason: Reason.Stabilizing, message: d.message };
    } else {
      progressing = { type: ConditionType.Progressing, status: false, reason: Reason.Stable, message: d.message };
    }
    const degraded: ConditionUpdate =
      d.missingPods.length > 0 || d.reason === DecisionReason.MetricsUnavailable
        ? { type: ConditionType.Degraded, status: true, reason: Reason.MetricsUnavailable, message: `the metrics of ${d.missingPods.join(', ')} could not be read: ${d.message}` }
        : { type: ConditionType.Degraded, status: false, reason: Reason.AsExpected, message: 'scaling from live connection counts' };
    return [available, progressing, degraded];
  }

  /**
   * Writes each ready pod's connection count as its pod-deletion-cost, so that the ReplicaSet
   * controller removes the emptiest pods first. Only pods whose annotation differs are patched.
   */
  private async writeDeletionCosts(namespace: string, pods: readonly GatewayPod[], samples: readonly PodSample[]): Promise<void> {
    const count = new Map(samples.map((s) => [s.name, s.connections]));
    await Promise.all(
      pods.map(async (p) => {
        const connections = count.get(p.name);
        if (connections === undefined) return;
        const cost = String(Math.min(MAX_COST, Math.max(0, Math.round(connections))));
        if (p.annotations[POD_DELETION_COST] === cost) return;
        await this.o.cluster.annotatePod(namespace, p.name, { [POD_DELETION_COST]: cost });
      }),
    );
  }

  /** Writes the status when it changed; records a Warning Event when Degraded turns True. */
  private async writeStatus(resource: Chat4All, subject: EventSubject, fields: Chat4AllStatus, updates: ConditionUpdate[]): Promise<void> {
    const current = resource.status;
    const conditions = applyConditions(current?.conditions, updates, resource.metadata.generation, new Date(this.o.clock.now()));
    const next: Chat4AllStatus = { ...fields, conditions };
    if (!statusChanged(current, next)) return;
    await this.o.cluster.patchStatus(subject.namespace, subject.name, next);
    const was = conditionOf(current, ConditionType.Degraded);
    const now = conditions.find((c) => c.type === ConditionType.Degraded);
    if (now?.status === 'True' && (was?.status !== 'True' || was.reason !== now.reason)) {
      await this.o.events.record(subject, 'Warning', now.reason, now.message);
    }
  }
}
