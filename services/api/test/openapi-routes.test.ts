/** The OpenAPI document (built from the contract's route table) against the routes the api registers. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES } from '@chat4all/contract';
import { registeredRoutes } from '../src/app.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
before(async () => (h = await harness()));
after(() => h.close());

/** `METHOD /path/{param}` for a Fastify route (`:param`). HEAD routes are Fastify's own copies of GET routes. */
const fastifyOperations = (app: Harness['app']) =>
  registeredRoutes(app)
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);

describe('the OpenAPI document and the routes', () => {
  it('covers every route the api registers, and no other', async () => {
    const doc = (await h.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const registered = fastifyOperations(h.app);
    assert.ok(registered.length >= 20, `${registered.length} routes registered`);
    assert.deepEqual([...new Set(registered)].sort(), documented.sort());
    assert.equal(new Set(registered).size, registered.length, 'no route registered twice');
  });

  it('registers each route with the schema of its contract entry', () => {
    for (const r of registeredRoutes(h.app).filter((r) => r.method !== 'HEAD')) {
      const entry = r.operationId === undefined ? undefined : ROUTES[r.operationId as keyof typeof ROUTES];
      assert.ok(entry, `${r.method} ${r.url} has a contract schema`);
      assert.equal(`${entry.method} ${entry.path}`, `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, r.operationId);
    }
  });
});
