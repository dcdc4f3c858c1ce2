import { ROUTES, type Readiness } from '@chat4all/contract';
import type { Backend, BackendHealth } from '@chat4all/core';
import type { FastifyInstance } from 'fastify';

function check(b: Backend): BackendHealth {
  try {
    return b.health();
  } catch {
    return { status: 'down', detail: 'health check failed' };
  }
}

/**
 * Each backend's state by name. Adapters sharing a name (the stores of one Cassandra, or the
 * in-memory adapters, all `memory`) are reported once: down if any of them is down.
 */
export function readiness(backends: Backend[]): Readiness {
  const out: Record<string, BackendHealth> = {};
  for (const b of new Set(backends)) {
    const h = check(b);
    const prev = out[b.backendName];
    if (!prev || (prev.status === 'up' && h.status === 'down')) out[b.backendName] = h.detail === undefined ? { status: h.status } : { status: h.status, detail: h.detail };
  }
  const ready = Object.values(out).every((h) => h.status === 'up');
  return { status: ready ? 'ready' : 'not_ready', backends: out };
}

/**
 * GET /healthz and /readyz. Probes log at warn only, to keep the logs for requests. The metrics are
 * not served here: chat4all-server serves them on its metrics port, apart from the port clients
 * use (and the ingress reaches).
 */
export function healthRoutes(app: FastifyInstance, backends: Backend[]): void {
  app.get('/healthz', { schema: ROUTES.liveness.schema, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: ROUTES.readiness.schema, logLevel: 'warn' }, async (_request, reply) => {
    const r = readiness(backends);
    return reply.code(r.status === 'ready' ? 200 : 503).send(r);
  });
}
