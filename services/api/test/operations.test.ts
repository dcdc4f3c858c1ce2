import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Backend } from '@chat4all/core';
import { MemoryUserStore } from '@chat4all/core/memory';
import { OPENAPI_FILE, renderOpenApiJson } from '../src/openapi-file.js';
import { errorOf, harness, signUp, type Harness } from './harness.js';

describe('health and readiness', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('GET /healthz answers ok', async () => {
    h = await harness();
    const res = await h.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('GET /readyz reports each backend by name, 503 when one is down', async () => {
    let kafkaUp = true;
    const kafka: Backend = { backendName: 'kafka', health: () => (kafkaUp ? { status: 'up' } : { status: 'down', detail: 'no brokers reachable' }) };
    const broken: Backend = {
      backendName: 'redis',
      health: () => {
        throw new Error('boom');
      },
    };
    h = await harness({ backends: [kafka] });
    const ready = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', backends: { memory: { status: 'up' }, kafka: { status: 'up' } } });
    kafkaUp = false;
    const down = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { status: 'not_ready', backends: { memory: { status: 'up' }, kafka: { status: 'down', detail: 'no brokers reachable' } } });
    await h.close();
    h = await harness({ backends: [broken] });
    const failing = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(failing.statusCode, 503);
    assert.deepEqual(failing.json().backends.redis, { status: 'down', detail: 'health check failed' });
  });

  it('GET /readyz reports a closed event log as down', async () => {
    h = await harness();
    await h.eventLog.close();
    const res = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json().backends.memory, { status: 'down', detail: 'closed' });
  });
});

describe('metrics', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(() => h.close());

  it('records the request, latency and message metrics by route template, and serves none of them to clients', async () => {
    const a = await signUp(h);
    await h.inject({ method: 'GET', url: '/v1/conversations/01890000-0000-7000-8000-000000000009', headers: a.headers });
    await h.inject({ method: 'GET', url: '/no/such/route' });
    const res = await h.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 404, 'the metrics are the metrics port\u2019s, not the clients\u2019');
    const text = await h.registry.metrics();
    for (const name of ['http_requests_total', 'http_request_duration_seconds_bucket', 'messages_accepted_total']) {
      assert.ok(text.includes(`# TYPE ${name.replace(/_bucket$/, '')}`), name);
    }
    assert.match(text, /http_requests_total\{method="POST",route="\/auth\/register",status="201"\} 1/);
    assert.match(text, /http_requests_total\{method="GET",route="\/v1\/conversations\/:id",status="404"\} 1/);
    assert.match(text, /http_requests_total\{method="GET",route="unmatched",status="404"\} 2/);
    assert.match(text, /http_request_duration_seconds_count\{method="POST",route="\/auth\/token"\} 1/);
  });

  it('registers on the given registry only', async () => {
    const { register } = await import('prom-client');
    assert.equal(await register.getSingleMetric('http_requests_total'), undefined);
    assert.ok(h.registry.getSingleMetric('http_requests_total'));
  });
});

describe('OpenAPI', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(() => h.close());

  it('GET /openapi.json describes every route with its schemas and errors', async () => {
    const res = await h.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual(operations.sort(), [
      'DELETE /v1/conversations/{id}/members/{user_id}',
      'GET /healthz',
      'GET /openapi.json',
      'GET /readyz',
      'GET /v1/attachments/{id}',
      'GET /v1/attachments/{id}/content',
      'GET /v1/attachments/{id}/link',
      'GET /v1/conversations',
      'GET /v1/conversations/{id}',
      'GET /v1/conversations/{id}/messages',
      'GET /v1/me',
      'GET /v1/messages/{id}',
      'GET /v1/users/{username}',
      'POST /auth/register',
      'POST /auth/token',
      'POST /v1/attachments',
      'POST /v1/conversations',
      'POST /v1/conversations/{id}/members',
      'POST /v1/messages',
      'POST /v1/messages/{id}/read',
      'PUT /v1/attachments/{id}/content',
    ]);
    const send = doc.paths['/v1/messages'].post;
    assert.deepEqual(send.security, [{ bearerAuth: [] }]);
    assert.equal(send.requestBody.content['application/json'].schema.additionalProperties, false);
    assert.deepEqual(Object.keys(send.responses).sort(), ['202', '400', '401', '404', '409', '413', '415', '429', '500', '503']);
    assert.match(send.responses['413'].description, /content_too_large/);
    assert.deepEqual(send.responses['404'].content['application/json'].schema, { $ref: '#/components/schemas/Error' });
    assert.ok(doc.components.schemas.Conversation);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it(`${OPENAPI_FILE} is current (regenerate: node --import tsx services/api/scripts/write-openapi.ts)`, async () => {
    const file = fileURLToPath(new URL(`../../../${OPENAPI_FILE}`, import.meta.url));
    assert.equal(await readFile(file, 'utf8'), await renderOpenApiJson());
  });
});

describe('errors', () => {
  it('answers unknown routes and methods with 404 not_found', async () => {
    const h = await harness();
    try {
      for (const [method, url] of [
        ['GET', '/nope'],
        ['DELETE', '/v1/me'],
        ['GET', '/v2/me'],
      ] as const) {
        const res = await h.inject({ method, url });
        assert.equal(res.statusCode, 404, `${method} ${url}`);
        assert.equal(errorOf(res).code, 'not_found');
      }
    } finally {
      await h.close();
    }
  });

  it('answers an unexpected failure with 500 internal, leaking nothing, and logs it', async () => {
    const users = new MemoryUserStore();
    const h = await harness({ users });
    try {
      const a = await signUp(h);
      users.getByUsername = async () => {
        throw new TypeError('cassandra said: secret-internal-detail');
      };
      const res = await h.inject({ method: 'GET', url: `/v1/users/${a.user.username}`, headers: a.headers });
      assert.equal(res.statusCode, 500);
      assert.equal(errorOf(res).code, 'internal');
      assert.ok(!res.body.includes('secret-internal-detail'));
      assert.ok(res.body.includes(String(res.headers['x-request-id'])), 'the request id helps find the log line');
      const line = h.logs.find((l) => l.includes('secret-internal-detail'));
      assert.ok(line, 'the error is logged');
      assert.equal(JSON.parse(line).level, 50);
    } finally {
      await h.close();
    }
  });

  it('tags every answer with x-request-id', async () => {
    const h = await harness();
    try {
      const res = await h.inject({ method: 'GET', url: '/healthz' });
      assert.match(String(res.headers['x-request-id']), /^[A-Za-z0-9_-]{12}$/);
    } finally {
      await h.close();
    }
  });
});
