import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type GatewayScalingSpec, resolveSpec } from '../src/chat4all.js';
import { type Decision, DecisionReason, type PodSample, type ScalingHistory, decide, emptyHistory, seedHistory } from '../src/decision.js';

const S = 1000;

function spec(overrides: Partial<GatewayScalingSpec> = {}) {
  return resolveSpec({ deployment: 'gw', minReplicas: 1, maxReplicas: 20, targetConnectionsPerPod: 100, ...overrides });
}

/** `counts` connections per pod, `undefined` for a pod whose metrics could not be read. */
function pods(...counts: (number | undefined)[]): PodSample[] {
  return counts.map((connections, i) => ({ name: `gw-${i}`, connections }));
}

/** n pods sharing `total` connections as evenly as whole numbers allow. */
function spread(total: number, n: number): PodSample[] {
  return pods(...Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0)));
}

const at = (ms: number) => ({ now: () => ms });

/** Runs decisions in sequence, feeding each one's history (and count) to the next, as the controller does. */
class Simulation {
  replicas: number;
  history: ScalingHistory = emptyHistory;
  readonly log: { t: number; decision: Decision }[] = [];
  constructor(
    readonly gateway: ReturnType<typeof spec>,
    replicas: number,
  ) {
    this.replicas = replicas;
  }

  step(t: number, samples: PodSample[]): Decision {
    const d = decide({ spec: this.gateway, currentReplicas: this.replicas, pods: samples }, this.history, at(t));
    this.history = d.history;
    this.replicas = d.desiredReplicas;
    this.log.push({ t, decision: d });
    return d;
  }

  /** Sum of connections spread over the current replicas. */
  load(t: number, total: number): Decision {
    return this.step(t, spread(total, this.replicas));
  }
}

describe('the scaling decision', () => {
  describe('tolerance', () => {
    const cases: { name: string; total: number; replicas: number; tolerance?: number; want: number; reason: DecisionReason }[] = [
      { name: 'ratio exactly 1.1 does not scale up', total: 1100, replicas: 10, want: 10, reason: DecisionReason.WithinTolerance },
      { name: 'ratio exactly 0.9 does not scale down', total: 900, replicas: 10, want: 10, reason: DecisionReason.WithinTolerance },
      { name: 'just above 1.1 scales up', total: 1101, replicas: 10, want: 12, reason: DecisionReason.ConnectionsAboveTarget },
      { name: 'just below 0.9 scales down', total: 899, replicas: 10, want: 9, reason: DecisionReason.ConnectionsBelowTarget },
      { name: 'ratio 1.1 with a float-unfriendly target (99 / 90)', total: 99, replicas: 3, want: 3, reason: DecisionReason.WithinTolerance },
      { name: 'tolerance 0: any difference that changes the count scales', total: 301, replicas: 3, tolerance: 0, want: 4, reason: DecisionReason.ConnectionsAboveTarget },
      { name: 'tolerance 0.5: ratio 1.5 still holds', total: 450, replicas: 3, tolerance: 0.5, want: 3, reason: DecisionReason.WithinTolerance },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const target = c.name.includes('float') ? 30 : 100;
        const d = decide({ spec: spec({ targetConnectionsPerPod: target, tolerance: c.tolerance ?? 0.1, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), currentReplicas: c.replicas, pods: spread(c.total, c.replicas) }, emptyHistory, at(0));
        assert.equal(d.desiredReplicas, c.want, d.message);
        assert.equal(d.reason, c.reason, d.message);
      });
    }
  });

  describe('rounding: ceil(sum / target)', () => {
    const cases: { total: number; replicas: number; want: number }[] = [
      { total: 401, replicas: 2, want: 5 },
      { total: 400, replicas: 2, want: 4 },
      { total: 1, replicas: 3, want: 1 },
      { total: 0, replicas: 3, want: 1 },
      { total: 150, replicas: 5, want: 2 },
    ];
    for (const c of cases) {
      it(`${c.total} connections on ${c.replicas} pods at 100 per pod -> ${c.want}`, () => {
        const d = decide({ spec: spec({ tolerance: 0, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), currentReplicas: c.replicas, pods: spread(c.total, c.replicas) }, emptyHistory, at(0));
        assert.equal(d.desiredReplicas, c.want, d.message);
        assert.equal(d.recommendation, Math.ceil(c.total / 100), 'the raw recommendation, before min and max');
        assert.equal(d.connections, c.total);
      });
    }
  });

  describe('min and max', () => {
    const noWindow = { scaleDown: { stabilizationWindowSeconds: 0 } };
    const cases: { name: string; min: number; max: number; replicas: number; counts: PodSample[]; want: number; reason: DecisionReason }[] = [
      { name: 'caps a recommendation at maxReplicas', min: 1, max: 5, replicas: 2, counts: spread(2000, 2), want: 5, reason: DecisionReason.TooManyReplicas },
      { name: 'floors a recommendation at minReplicas', min: 3, max: 10, replicas: 6, counts: spread(10, 6), want: 3, reason: DecisionReason.TooFewReplicas },
      { name: 'raises a count below minReplicas even without pods', min: 2, max: 10, replicas: 1, counts: [], want: 2, reason: DecisionReason.BelowMinimum },
      { name: 'lowers a count above maxReplicas even without metrics', min: 1, max: 4, replicas: 7, counts: pods(undefined), want: 4, reason: DecisionReason.AboveMaximum },
      { name: 'stays at max under more load', min: 1, max: 4, replicas: 4, counts: spread(5000, 4), want: 4, reason: DecisionReason.TooManyReplicas },
      { name: 'stays at min with no load', min: 2, max: 4, replicas: 2, counts: spread(0, 2), want: 2, reason: DecisionReason.TooFewReplicas },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = decide({ spec: spec({ minReplicas: c.min, maxReplicas: c.max, behavior: noWindow }), currentReplicas: c.replicas, pods: c.counts }, emptyHistory, at(0));
        assert.equal(d.desiredReplicas, c.want, d.message);
        assert.equal(d.reason, c.reason, d.message);
      });
    }

    it('a pin (spec.gateway.replicas) wins over the connections, within min and max', () => {
      const d = decide({ spec: spec({ minReplicas: 2, maxReplicas: 8, replicas: 6 }), currentReplicas: 3, pods: spread(10, 3) }, emptyHistory, at(0));
      assert.deepEqual([d.desiredReplicas, d.reason, d.direction], [6, DecisionReason.Pinned, 'up']);
    });
  });

  describe('stabilization windows, with the injected clock', () => {
    it('scale-down waits for the whole window (default 300 s) of lower recommendations', () => {
      const sim = new Simulation(spec(), 5);
      assert.equal(sim.load(0, 500).desiredReplicas, 5);
      const held = sim.load(10 * S, 150);
      assert.deepEqual([held.desiredReplicas, held.reason, held.recommendation], [5, DecisionReason.ScaleDownStabilized, 2]);
      for (let t = 20 * S; t < 300 * S; t += 15 * S) assert.equal(sim.load(t, 150).desiredReplicas, 5, `t=${t}`);
      assert.equal(sim.load(300 * S - 1, 150).desiredReplicas, 5, 'the 500 of t=0 is still in the window');
      const down = sim.load(300 * S, 150);
      assert.deepEqual([down.desiredReplicas, down.direction], [2, 'down']);
    });

    it('scale-down goes to the highest recommendation of the window, not the latest', () => {
      const sim = new Simulation(spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }), 8);
      sim.load(0, 800);
      sim.load(30 * S, 500);
      sim.load(50 * S, 200);
      assert.equal(sim.load(61 * S, 200).desiredReplicas, 5, 'the 5 of t=30 s is the highest left in the window');
      assert.equal(sim.load(91 * S, 200).desiredReplicas, 2);
    });

    it('scale-up is immediate by default (window 0 s)', () => {
      const sim = new Simulation(spec(), 2);
      sim.load(0, 200);
      assert.equal(sim.load(1, 600).desiredReplicas, 6);
    });

    it('a scale-up window takes the lowest recommendation of the window', () => {
      const sim = new Simulation(spec({ behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } }), 2);
      sim.load(0, 200);
      const held = sim.load(10 * S, 600);
      assert.deepEqual([held.desiredReplicas, held.reason], [2, DecisionReason.ScaleUpStabilized]);
      assert.equal(sim.load(59 * S, 600).desiredReplicas, 2);
      assert.equal(sim.load(60 * S, 600).desiredReplicas, 6, 'the 2 of t=0 has left the window');
    });

    it('a fresh leader seeds its history with the current count: no scale-down before a window has passed', () => {
      const s = spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 120 } } });
      const seeded = decide({ spec: s, currentReplicas: 6, pods: spread(100, 6) }, seedHistory(6, 0), at(60 * S));
      assert.equal(seeded.desiredReplicas, 6);
      const later = decide({ spec: s, currentReplicas: 6, pods: spread(100, 6) }, seeded.history, at(120 * S));
      assert.equal(later.desiredReplicas, 1);
    });
  });

  describe('rate limits', () => {
    it('Pods: at most `value` pods per period, counting the changes already made in it', () => {
      const sim = new Simulation(spec({ behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } } }), 2);
      const first = sim.load(0, 1000);
      assert.deepEqual([first.desiredReplicas, first.reason], [4, DecisionReason.ScaleUpLimited]);
      assert.equal(sim.load(30 * S, 1000).desiredReplicas, 4, 'the period still counts the +2 of t=0');
      assert.equal(sim.load(60 * S, 1000).desiredReplicas, 6);
      assert.equal(sim.load(120 * S, 1000).desiredReplicas, 8);
    });

    it('Percent: ceil on the way up, floor on the way down, of the count at the start of the period', () => {
      const up = decide({ spec: spec({ behavior: { scaleUp: { policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } } }), currentReplicas: 3, pods: spread(2000, 3) }, emptyHistory, at(0));
      assert.equal(up.desiredReplicas, 5, 'ceil(3 * 1.5)');
      const down = decide({ spec: spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } } }), currentReplicas: 9, pods: spread(0, 9) }, emptyHistory, at(0));
      assert.equal(down.desiredReplicas, 4, 'floor(9 * 0.5)');
    });

    const both = [
      { type: 'Pods' as const, value: 4, periodSeconds: 60 },
      { type: 'Percent' as const, value: 100, periodSeconds: 60 },
    ];
    it('selectPolicy Max takes the policy allowing the biggest change; Min the smallest', () => {
      const input = (selectPolicy: 'Max' | 'Min') => ({ spec: spec({ behavior: { scaleUp: { selectPolicy, policies: both } } }), currentReplicas: 2, pods: spread(2000, 2) });
      assert.equal(decide(input('Max'), emptyHistory, at(0)).desiredReplicas, 6, 'max(2 + 4, 2 * 2)');
      assert.equal(decide(input('Min'), emptyHistory, at(0)).desiredReplicas, 4, 'min(2 + 4, 2 * 2)');
    });

    it('selectPolicy Disabled forbids the direction', () => {
      const d = decide({ spec: spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } } }), currentReplicas: 6, pods: spread(0, 6) }, emptyHistory, at(0));
      assert.deepEqual([d.desiredReplicas, d.reason], [6, DecisionReason.ScalingDisabled]);
    });

    it('one pod a minute down, as the sample Chat4All asks', () => {
      const sim = new Simulation(spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } }), 4);
      const counts = [0, 30, 60, 90, 120].map((t) => sim.load(t * S, 0).desiredReplicas);
      assert.deepEqual(counts, [3, 3, 2, 2, 1]);
    });
  });

  describe('missing metrics', () => {
    const noWindow = spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    const cases: { name: string; counts: PodSample[]; want: number; reason: DecisionReason }[] = [
      { name: 'an unread pod counts as full: no scale-down on missing data', counts: pods(10, 10, undefined), want: 3, reason: DecisionReason.MissingMetrics },
      { name: 'an unread pod counts as empty when scaling up, which can cancel it', counts: pods(120, 110, undefined), want: 3, reason: DecisionReason.MissingMetrics },
      { name: 'a scale-up that survives counting unread pods as empty goes ahead', counts: pods(300, 300, undefined), want: 6, reason: DecisionReason.ConnectionsAboveTarget },
      { name: 'no pod readable: no change', counts: pods(undefined, undefined, undefined), want: 3, reason: DecisionReason.MetricsUnavailable },
      { name: 'no ready pod: no change', counts: [], want: 3, reason: DecisionReason.NoReadyPods },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = decide({ spec: noWindow, currentReplicas: 3, pods: c.counts }, emptyHistory, at(0));
        assert.deepEqual([d.desiredReplicas, d.reason], [c.want, c.reason], d.message);
      });
    }

    it('reports the unread pods and the connections it could read', () => {
      const d = decide({ spec: noWindow, currentReplicas: 3, pods: pods(10, 20, undefined) }, emptyHistory, at(0));
      assert.deepEqual(d.missingPods, ['gw-2']);
      assert.equal(d.connections, 30);
    });

    it('never moves against the load when fewer pods are ready than the Deployment has', () => {
      const d = decide({ spec: noWindow, currentReplicas: 5, pods: pods(150, 150) }, emptyHistory, at(0));
      assert.equal(d.desiredReplicas, 5, 'ratio 1.5 says up; ceil(300/100) = 3 would be down');
    });
  });

  describe('flapping load', () => {
    it('load swinging every minute between 900 and 300 connections rises to the peak and never flaps', () => {
      const sim = new Simulation(spec(), 3);
      for (let t = 0; t < 30 * 60 * S; t += 15 * S) sim.load(t, Math.floor(t / (60 * S)) % 2 === 0 ? 300 : 900);
      const changes = sim.log.filter((l) => l.decision.direction !== 'none');
      const why = changes.map((c) => `${c.t}: ${c.decision.message}`).join('\n');
      assert.ok(changes.every((c) => c.decision.direction === 'up'), `only ever up:\n${why}`);
      assert.ok(changes.at(-1)!.t <= 2 * 60 * S, `settled within the first high phase:\n${why}`);
      assert.equal(sim.replicas, 9);
      // Then the load stays low: down once, after the 300 s window.
      const lowFrom = 30 * 60 * S;
      for (let t = lowFrom; t < lowFrom + 10 * 60 * S; t += 15 * S) sim.load(t, 300);
      const downs = sim.log.filter((l) => l.decision.direction === 'down');
      assert.equal(downs.length, 1);
      assert.ok(downs[0]!.t >= lowFrom + 240 * S, `scaled down at ${downs[0]!.t - lowFrom} ms after the load fell`);
      assert.equal(sim.replicas, 3);
    });

    it('noise within the tolerance never changes anything', () => {
      const sim = new Simulation(spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), 10);
      for (let i = 0; i < 200; i++) sim.load(i * 15 * S, 1000 + Math.round(Math.sin(i) * 95));
      assert.equal(sim.log.filter((l) => l.decision.direction !== 'none').length, 0);
    });
  });

  it('the example of docs/operator.md: 360 connections on 3 pods -> 4, then down one pod a minute after 300 s', () => {
    const sample = spec({
      minReplicas: 2,
      maxReplicas: 10,
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }, { type: 'Pods', value: 4, periodSeconds: 60 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      },
    });
    const sim = new Simulation(sample, 3);
    const up = sim.step(0, pods(130, 120, 110));
    assert.deepEqual([up.usageRatio, up.desiredReplicas], [1.2, 4]);
    const held = sim.load(60 * S, 150);
    assert.deepEqual([held.desiredReplicas, held.reason], [4, DecisionReason.ScaleDownStabilized]);
    const counts = [300, 330, 360, 390].map((t) => sim.load(t * S, 150).desiredReplicas);
    assert.deepEqual(counts, [3, 3, 2, 2]);
  });

  it('is pure: the history passed in is left as it was', () => {
    const history = seedHistory(3, 0);
    const frozen = JSON.stringify(history);
    decide({ spec: spec(), currentReplicas: 3, pods: spread(1000, 3) }, history, at(5 * S));
    assert.equal(JSON.stringify(history), frozen);
  });
});
