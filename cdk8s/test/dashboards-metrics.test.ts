import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type HealthServer, OperatorMetrics, startHealthServer } from '@chat4all/operator';
import { type RunningPlatform, createLogger, loadConfig, memoryBackends, startPlatform } from '@chat4all/server';
import { DASHBOARDS, PENDING_METRICS, metricsOf, queriesOf } from '../src/dashboards/index.js';

/** `# TYPE name kind` lines of a Prometheus exposition: metric name -> its kind. */
function exportedTypes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Is `series` (as a query names it) a series of an exported metric? `x_bucket` is one of histogram `x`. */
function isExported(series: string, types: Map<string, string>): boolean {
  if (types.has(series)) return true;
  const m = /^(.+)_(bucket|sum|count)$/.exec(series);
  return m !== null && ['histogram', 'summary'].includes(types.get(m[1]!) ?? '') && (m[2] !== 'bucket' || types.get(m[1]!) === 'histogram');
}

describe('every metric a dashboard queries is exported by a running role or the operator', () => {
  const roles: RunningPlatform[] = [];
  const types = new Map<string, string>();
  let operator: HealthServer | undefined;

  before(async () => {
    // The three roles as separate platforms on shared in-memory backends, each with its own
    // registry and /metrics, as they run in their own pods.
    const config = loadConfig({ HOST: '127.0.0.1', API_PORT: '0', WEBSOCKET_PORT: '0', METRICS_PORT: '0', LOG_FORMAT: 'json' });
    const backends = { ...memoryBackends(config), close: async () => {} };
    const logger = createLogger({ logLevel: 'fatal', logFormat: 'json' });
    const jwtSecret = randomBytes(32).toString('base64url');
    for (const role of ['api', 'worker', 'gateway'] as const) {
      roles.push(await startPlatform({ config: { ...config, role }, backends, logger, jwtSecret }));
    }
    for (const r of roles) {
      const url = `http://127.0.0.1:${r.metricsPort}/metrics`;
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      for (const [name, kind] of exportedTypes(await res.text())) types.set(name, kind);
    }
    // chat4all-operator's metrics endpoint, on its own registry, as its main serves it.
    operator = await startHealthServer({ host: '127.0.0.1', port: 0, registry: new OperatorMetrics().registry, ready: () => true });
    const res = await fetch(`http://127.0.0.1:${operator.port}/metrics`);
    assert.equal(res.status, 200, 'operator /metrics');
    for (const [name, kind] of exportedTypes(await res.text())) types.set(name, kind);
  });

  after(async () => {
    for (const r of roles.reverse()) await r.shutdown(0);
    await operator?.close();
  });

  it('reads real metrics from the roles and the operator', () => {
    for (const name of ['http_requests_total', 'worker_records_total', 'websocket_connections_active', 'chat4all_operator_reconcile_duration_seconds']) assert.ok(types.has(name), `${name} is not exported`);
  });

  for (const [file, spec] of Object.entries(DASHBOARDS)) {
    it(`${file}: every queried metric is exported, or pending with a reason`, () => {
      const missing = queriesOf(spec)
        .flatMap(metricsOf)
        .filter((m) => !isExported(m, types) && !(m.replace(/_(bucket|sum|count)$/, '') in PENDING_METRICS) && !(m in PENDING_METRICS));
      assert.deepEqual([...new Set(missing)], [], `${file} queries metrics no role exports: add them to a role, or (with a reason) to metrics-pending.ts`);
    });
  }

  it('the pending list is minimal: each entry is queried, and none is exported yet', () => {
    const queried = new Set(Object.values(DASHBOARDS).flatMap((s) => queriesOf(s).flatMap(metricsOf)).map((m) => m.replace(/_(bucket|sum|count)$/, '')));
    for (const name of Object.keys(PENDING_METRICS)) {
      assert.ok(queried.has(name), `${name} is pending but no dashboard queries it: remove it from metrics-pending.ts`);
      assert.ok(!types.has(name), `${name} is exported now: remove it from metrics-pending.ts`);
    }
  });
});
