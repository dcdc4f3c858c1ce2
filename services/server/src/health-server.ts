import { type Server, createServer } from 'node:http';
import type { Backend, BackendHealth } from '@chat4all/core';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  backends: Record<string, BackendHealth>;
  /** Why not ready beyond the backends, e.g. draining. */
  reason?: string;
}

/** The readiness of a set of backends: ready when every one is up. */
export function readiness(backends: Backend[], extra?: { ok: boolean; reason: string }): Readiness {
  const out: Record<string, BackendHealth> = {};
  for (const b of backends) {
    const h = b.health();
    const prev = out[b.backendName];
    if (!prev || prev.status === 'up') out[b.backendName] = h;
  }
  const up = Object.values(out).every((h) => h.status === 'up');
  const ok = up && (extra?.ok ?? true);
  return { ready: ok, backends: out, ...(extra && !extra.ok ? { reason: extra.reason } : {}) };
}

/**
 * The metrics and health endpoints of the gateway and worker roles: GET /metrics (Prometheus),
 * /healthz (the process is alive) and /readyz (200 when ready, else 503, with each backend).
 */
export function startHealthServer(options: { port: number; host: string; registry: Registry; readiness: () => Readiness }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/readyz') {
      const r = options.readiness();
      return void res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: r.ready ? 'ready' : 'not_ready', ...r, ready: undefined }));
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"no such endpoint"}}');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

export function portOf(server: Server): number {
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}
